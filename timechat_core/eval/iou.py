"""Temporal IoU of two windows: the measure for new code, and the two published evaluators' own formulas.

`iou_matrix` is the plain temporal IoU (intersection over union, 0 where the union is empty), as
moment_detr's `standalone_eval` computes it; use it wherever no reference score must be reproduced
(the synthetic baselines, the demo recipe, the UI). moment_detr itself divides 0 by 0 where the union
is empty (a reversed window mirroring the other, or two equal instants) and gets NaN, which its
matcher takes for a match: `empty=np.nan` reproduces that (`docs/metrics.md` §2.1). The other two
are TimeChat's evaluators' formulas, kept separate because they differ from it, and from each other,
exactly where a prediction file is unusual (`docs/metrics.md` §4-§6):

- `tvg_iou` (`metrics/tvg/eval_tvg.py`): the union is `max(ends) - min(starts)`, so a reversed
  window is scored as given; 0 where that span is 0 (the script divides by zero there).
- `vid2seq_iou` (`metrics/dvc/eval_dvc.py`, from Vid2Seq / densevid_eval): each window's ends are
  sorted first, the union is the smaller of the covering span and the two lengths' sum, and 1e-8 is
  added to it; operations in the reference's order, so the floats are bit-identical. A window whose
  ends are strings (what TimeChat's formatter writes for "start time X, end time Y") has them ordered
  as strings, as in the reference (`docs/metrics.md` §5).

On windows with start <= end that overlap, the three agree (up to the 1e-8).
"""

from __future__ import annotations

import numpy as np


def iou_matrix(spans1: np.ndarray, spans2: np.ndarray, empty: float = 0.0) -> np.ndarray:
    """Temporal IoU of every (spans1[i], spans2[j]) pair, (N, 2) x (M, 2) -> (N, M).

    `empty` where the union is 0; 0 where it is negative, which only a reversed window gives, and such a
    window intersects nothing (the reference's 0 / negative = -0.0).
    """
    spans1, spans2 = np.asarray(spans1, float).reshape(-1, 2), np.asarray(spans2, float).reshape(-1, 2)
    left = np.maximum(spans1[:, None, 0], spans2[None, :, 0])
    right = np.minimum(spans1[:, None, 1], spans2[None, :, 1])
    inter = np.clip(right - left, 0, None)
    union = (spans1[:, 1] - spans1[:, 0])[:, None] + (spans2[:, 1] - spans2[:, 0])[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / union, np.where(union == 0, empty, 0.0))


def tvg_iou(gt: tuple[float, float], pred: tuple[float, float]) -> float:
    """eval_tvg.py's IoU; 0 where its denominator is 0 (the script would divide by zero)."""
    inter = max(min(gt[1], pred[1]) - max(gt[0], pred[0]), 0)
    span = max(gt[1], pred[1]) - min(gt[0], pred[0])
    return inter / span if span > 0 else 0.0


def vid2seq_iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    """eval_dvc.py's IoU of a prediction `a` and a ground-truth segment `b` (in that order, as it is called)."""
    s1, e1 = float(min(a)), float(max(a))
    s2, e2 = float(min(b)), float(max(b))
    inter = max(0, min(e1, e2) - max(s1, s2))
    union = min(max(e1, e2) - min(s1, s2), e1 - s1 + e2 - s2)
    return float(inter) / (union + 1e-8)
