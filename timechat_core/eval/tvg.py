"""Charades-STA temporal video grounding (TVG) evaluation: R@1 at IoU 0.3/0.5/0.7, and mIoU.

Reproduces TimeChat's `metrics/tvg/eval_tvg.py` (GitHub `RenShuhuai-Andy/TimeChat`, commit c60b332):
- ground truth: the coco-format `annotations` rows `{image_id, caption, timestamp: [s, e], id}`;
- predictions: `{str(id): [[s, e], ...]}` (the `timestamp` lists of TimeChat's formatted file);
- only the first predicted window counts; an empty list is a miss that stays in the denominator;
- IoU = max(min(e1, e2) - max(s1, s2), 0) / (max(e1, e2) - min(s1, s2)), on the window as written:
  no swapping or clipping, so a window written [end, start] scores 0, and one starting before 0 or
  ending past the video is scored as it is;
- a hit is IoU >= t for t in 0.3, 0.5, 0.7, and R1@t = hits * 100 / N, unrounded;
- `sample=True` (the script's `--sample`) scores only the GT ids that have a prediction;
  otherwise every GT id needs one (the script asserts equal counts).

Additions, not in the reference (which computes no mIoU): "mIoU" = mean IoU * 100 with empty
predictions counted as 0, "num_queries", "num_empty", one row per query, and a "warnings" block
(`windows.py`) counting the first windows that start before 0, end past the video (when the GT rows
give a "duration") or end before they start, and the prediction rows dropped as outside the ground
truth. An IoU whose denominator is 0 (GT and prediction the same single instant) is 0 where the script
would divide by zero. Prediction ids not in the ground truth are an InputError with
`match_qids="equal"` (the script raises KeyError in sample mode and fails its count assertion
otherwise); `match_qids="intersection"` drops them and scores the ids the two files share, which is
the script's number on the file without those rows. `strict=True` (the default here; `timechat eval
--strict`) refuses negative times, as this module did before it scored them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from timechat_core.errors import InputError
from timechat_core.eval.iou import tvg_iou
from timechat_core.eval.windows import Warnings, read_time
from timechat_core.fileio import check_time, read_json

IOU_THRESHOLDS = (0.3, 0.5, 0.7)
MATCH_MODES = ("equal", "intersection")


@dataclass(frozen=True)
class TvgItem:
    """One scored query.

    Attributes:
        id: the coco annotation id, as a string.
        gt: the GT window [s, e].
        pred: the first predicted window, or None for an empty prediction.
        iou: its IoU with the GT (0 when empty).
        status: "ok", "empty", or "reversed" (prediction start > end, kept as is: IoU 0).
    """

    id: str
    gt: tuple[float, float]
    pred: tuple[float, float] | None
    iou: float
    status: str

    def as_row(self) -> dict:
        return {
            "id": self.id,
            "gt": list(self.gt),
            "pred": None if self.pred is None else list(self.pred),
            "iou": self.iou,
            "status": self.status,
        }


def evaluate_tvg(
    predictions: dict[str, list[list[float]]], ground_truth: list[dict], *, sample: bool = False,
    match_qids: str = "equal", strict: bool = True,
) -> tuple[dict, list[dict]]:
    """Score temporal grounding predictions like TimeChat's eval_tvg.py.

    Args:
        predictions: `{str(id): [[s, e], ...]}`; an empty list is a failed prediction.
        ground_truth: coco `annotations` rows `{image_id, caption, timestamp: [s, e], id}`, with an
            optional `duration` (seconds) that lets windows past the video be counted.
        sample: score only the GT ids present in `predictions` (TimeChat's `--sample`).
        match_qids: "equal" (predicted ids outside the GT are an error) or "intersection" (they are
            dropped and counted, and only the ids of both files are scored, as with `sample`).
        strict: refuse negative predicted times instead of scoring them as given.

    Returns:
        `(metrics, rows)`: metrics `{"R1@0.3", "R1@0.5", "R1@0.7", "mIoU", "num_queries",
        "num_empty"}` (percentages unrounded) and, when anything was counted, "warnings"; per-query
        rows `{"id", "gt", "pred", "iou", "status"}`, in prediction order with `sample` or
        "intersection", in GT order otherwise.

    Raises:
        InputError: malformed rows, predicted ids not in the GT ("equal"), GT ids without a
            prediction (unless `sample` or "intersection"), or nothing to score.
    """
    if match_qids not in MATCH_MODES:
        raise InputError(f"match_qids must be one of {MATCH_MODES}, got {match_qids!r}")
    gt, durations = _gt_windows(ground_truth), _gt_durations(ground_truth)
    preds = {_norm_id(k): _pred_windows(v, f"prediction {k!r}", strict) for k, v in predictions.items()}
    if len(preds) != len(predictions):
        raise InputError("predictions have ids that are equal as integers (e.g. '7' and '07')")
    warnings = Warnings()
    unknown = [i for i in preds if i not in gt]
    if unknown and match_qids == "equal":
        raise InputError(
            f"{len(unknown)} predicted id(s) are not in the ground truth, e.g. {_examples(unknown)}; "
            f"use match_qids='intersection' (--match-qids intersection) to drop them"
        )
    if unknown:
        warnings.add("outside_gt", len(unknown))
    if sample or match_qids == "intersection":
        ids = [i for i in preds if i in gt]
    else:
        missing = [i for i in gt if i not in preds]
        if missing:
            raise InputError(
                f"{len(missing)} of {len(gt)} ground-truth id(s) have no prediction, e.g. "
                f"{_examples(missing)}; use --sample (sample=True) to score only the predicted ids"
            )
        ids = list(gt)
    if not ids:
        raise InputError("nothing to score: no ground-truth query has a prediction")
    for i in ids:
        if preds[i]:  # only the first window is read
            warnings.window(*preds[i][0], durations.get(i))
    items = [_score_item(i, gt[i], preds[i]) for i in ids]
    return warnings.attach(_summary(items)), [item.as_row() for item in items]


def load_tvg_gt(path: str | os.PathLike) -> list[dict]:
    """Read a coco-format TVG ground truth (`{"annotations": [...]}`, or a bare list of rows).

    Raises:
        InputError: unreadable file, invalid JSON, or a malformed row (named by file and index).
    """
    data = read_json(path)
    rows = data.get("annotations") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise InputError(f"{path}: expected {{'annotations': [...]}} or a list of annotation rows")
    _gt_windows(rows, where=f"{path}: annotations")
    return rows


def load_tvg_predictions(path: str | os.PathLike, *, strict: bool = True) -> dict[str, list[list[float]]]:
    """Read TimeChat's formatted TVG file `{str(id): {"timestamp": [[s, e]] or [], "query", "vid"}}`.

    A value may also be the window list itself (`{str(id): [[s, e]]}`). Negative times are refused
    when `strict`.

    Returns:
        `{str(id): [[s, e], ...]}`, ready for `evaluate_tvg`.

    Raises:
        InputError: unreadable file, invalid JSON, or an entry without a valid window list.
    """
    data = read_json(path)
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object keyed by query id")
    predictions = {}
    for key, value in data.items():
        windows = value.get("timestamp") if isinstance(value, dict) else value
        where = f"{path}: {key!r}"
        if windows is None:
            raise InputError(f"{where}: missing key 'timestamp'")
        predictions[str(key)] = [list(w) for w in _pred_windows(windows, where, strict)]
    return predictions


def _norm_id(value: Any) -> str:
    # The reference matches int(prediction key) against the integer coco id.
    text = str(value).strip()
    try:
        return str(int(text))
    except ValueError:
        return text


def _examples(ids: list[str]) -> str:
    return ", ".join(repr(i) for i in ids[:5])


def _gt_windows(rows: list[dict], where: str = "ground_truth") -> dict[str, tuple[float, float]]:
    windows: dict[str, tuple[float, float]] = {}
    for i, row in enumerate(rows):
        at = f"{where}[{i}]"
        if not isinstance(row, dict) or "id" not in row or "timestamp" not in row:
            raise InputError(f"{at}: expected an object with 'id' and 'timestamp'")
        key = _norm_id(row["id"])
        if key in windows:
            raise InputError(f"{at}: duplicated id {row['id']!r}")
        windows[key] = _window(row["timestamp"], f"{at} (id {row['id']!r}): timestamp", strict=True)
    return windows


def _gt_durations(rows: list[dict]) -> dict[str, float]:
    """Video durations of the GT rows that give one (TimeChat's Charades file does not)."""
    return {_norm_id(row["id"]): check_time(row["duration"], f"ground_truth[{i}] (id {row['id']!r}): duration")
            for i, row in enumerate(rows) if row.get("duration") is not None}


def _pred_windows(value: Any, where: str, strict: bool) -> list[tuple[float, float]]:
    if not isinstance(value, (list, tuple)):
        raise InputError(f"{where}: expected a list of [start, end] windows, got {value!r}")
    return [_window(w, f"{where}[{j}]", strict) for j, w in enumerate(value)]


def _window(value: Any, where: str, strict: bool) -> tuple[float, float]:
    # Extra elements (e.g. a score) are ignored, like the reference's w[0], w[1].
    if not isinstance(value, (list, tuple)) or len(value) < 2:
        raise InputError(f"{where}: expected [start, end], got {value!r}")
    return read_time(value[0], where, strict=strict), read_time(value[1], where, strict=strict)


def _score_item(key: str, gt: tuple[float, float], windows: list) -> TvgItem:
    if not windows:
        return TvgItem(key, gt, None, 0.0, "empty")
    first = windows[0]
    return TvgItem(key, gt, first, tvg_iou(gt, first), "reversed" if first[0] > first[1] else "ok")


def _summary(items: list[TvgItem]) -> dict:
    n = len(items)
    metrics = {f"R1@{t}": sum(item.iou >= t for item in items) * 100 / n for t in IOU_THRESHOLDS}
    metrics["mIoU"] = sum(item.iou for item in items) * 100 / n
    metrics["num_queries"] = n
    metrics["num_empty"] = sum(item.status == "empty" for item in items)
    return metrics
