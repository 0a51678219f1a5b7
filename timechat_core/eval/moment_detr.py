"""QVHighlights moment retrieval (MR) and highlight detection (HL) evaluation.

Reproduces the moment_detr standalone evaluator (GitHub `jayleicn/moment_detr`,
`standalone_eval/eval.py` and `standalone_eval/utils.py`) and TimeChat's copy of it for video
highlight detection (`RenShuhuai-Andy/TimeChat`, `metrics/vhd/eval_vhd.py` + `metrics/vhd/utils.py`).
The two differ only in qid matching: moment_detr asserts equal qid sets (`match_qids="equal"`),
TimeChat scores the intersection (`match_qids="intersection"`). The metrics dict has the reference
JSON's keys, nesting, key order and rounding (`float(f"{100*v:.2f}")`).

Reference semantics kept (`docs/metrics.md` §2 and §6):
- MR runs only if the first scored submission row has `pred_relevant_windows`, HL only if it has
  `pred_saliency_scores`.
- MR length buckets filter GT windows by length (short (0,10], middle (10,30], long (30,150]; "full"
  unfiltered); queries left without GT windows are dropped; predictions are never filtered.
- MR-mAP: the first 10 predicted windows in list order, then a stable sort by score; ActivityNet
  detection matching at IoU thresholds linspace(0.5, 0.95, 10) rounded to 2 decimals; VOC-2011
  interpolated AP; mean over queries per threshold; "average" is the mean over thresholds.
- MR-R1: the first-listed window (not the top-scored one), paired with the GT window of highest IoU,
  scored with the span-union IoU `inter / (max(ed) - min(st))`.
- HL: a (int(duration / 2), 3) GT matrix; Fair/Good/VeryGood = rater score >= 2/3/4. HIT@1 takes the
  first argmax of the whole predicted vector (past the GT length is a miss) and the max over raters.
  HL-mAP averages `get_ap` over (query, rater) pairs; predictions are truncated or zero-padded.
  get_ap's sklearn `precision_recall_curve` is reimplemented here with identical output (see
  `_precision_recall_curves` for why).

Predicted windows are scored as written, like the reference does: one starting before 0 or ending
past the video keeps its IoU, and where the union is 0 (a reversed window mirroring a GT window, or two
equal instants) the reference's 0/0 = NaN is kept, which its mAP matcher takes for a match and its R1
argmax picks first. Such windows (among the first 10 of a row, the ones read) and, with
`match_qids="intersection"`, the submission rows outside the ground truth are counted in a final
"warnings" block (`windows.py`). `strict=True` (the default here; `timechat eval --strict`) refuses
negative predicted times instead.

Where the reference crashes, this module does not (a documented choice, not parity):
- an empty `pred_relevant_windows` list is an R1 miss and AP 0 for every threshold (the reference
  raises IndexError in R1; its mAP code would silently leave the query out of the mean);
- an empty `pred_saliency_scores` list is a HIT@1 miss and scored as all zeros for HL-mAP;
- a length bucket with no query reports NaN values (the reference raises TypeError);
- duplicate qids, non-finite numbers, negative GT times, and clip ids outside the video are InputErrors.

Per-query rows (second return value), one per scored qid in submission order, fractions in [0, 1]:
MR adds `num_pred_windows`, `mr_ap` (mean AP over the 10 thresholds, "full" bucket), `r1_iou` (the
paired IoU of the first window), `r1_0.5`, `r1_0.7`; HL adds `hit1_fair`, `ap_fair`, ...,
`ap_verygood` (HIT@1 after the max over raters, AP averaged over the 3 raters).
"""

from __future__ import annotations

import numbers
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from timechat_core.errors import InputError
from timechat_core.eval.iou import iou_matrix
from timechat_core.eval.windows import Warnings, read_time
from timechat_core.fileio import check_time, read_json_or_jsonl, read_jsonl_located

CLIP_SECONDS = 2  # QVHighlights saliency is annotated per 2-second clip
NUM_RATERS = 3
MAX_PRED_WINDOWS = 10  # kept in list order, before any sort by score
# The rounded values are both the dict keys ("0.5", "0.55", ...) and the thresholds compared against.
IOU_THRESHOLDS = tuple(float(f"{t:.2f}") for t in np.linspace(0.5, 0.95, 10))
# (name, (min, max] of GT window length in seconds); None means no filtering.
LENGTH_BUCKETS = (("short", (0, 10)), ("middle", (10, 30)), ("long", (30, 150)), ("full", None))
# (name, minimum rater score 0-4 of a positive clip)
SALIENCY_LEVELS = (("Fair", 2), ("Good", 3), ("VeryGood", 4))
MATCH_MODES = ("equal", "intersection")
_MR_BRIEF = (  # (brief key, bucket, metric, threshold key); sorted by key before output
    ("MR-full-mAP", "full", "MR-mAP", "average"), ("MR-full-mAP@0.5", "full", "MR-mAP", "0.5"),
    ("MR-full-mAP@0.75", "full", "MR-mAP", "0.75"), ("MR-short-mAP", "short", "MR-mAP", "average"),
    ("MR-middle-mAP", "middle", "MR-mAP", "average"), ("MR-long-mAP", "long", "MR-mAP", "average"),
    ("MR-full-R1@0.5", "full", "MR-R1", "0.5"), ("MR-full-R1@0.7", "full", "MR-R1", "0.7"),
)


@dataclass(frozen=True, eq=False)
class _Prediction:
    qid: Any
    windows: tuple[tuple[float, float, float], ...] | None  # None: the key is absent
    saliency: np.ndarray | None  # (num_predicted_clips,); None: the key is absent


@dataclass(frozen=True, eq=False)
class _GroundTruth:
    qid: Any
    windows: tuple[tuple[float, float], ...] | None
    clip_scores: np.ndarray | None  # (int(duration / 2), 3) rater scores 0-4
    duration: float | None


# ----------------------------------------------------------------------------- public API


def evaluate_qvhighlights(
    submission: list[dict], ground_truth: list[dict], *, match_qids: str = "equal", strict: bool = True
) -> tuple[dict, list[dict]]:
    """Score a moment_detr-format submission against QVHighlights ground truth.

    Args:
        submission: rows `{qid, pred_relevant_windows: [[st, ed, score], ...],
            pred_saliency_scores: [one score per 2-s clip]}`; either prediction key may be absent.
        ground_truth: rows `{qid, duration, relevant_windows, relevant_clip_ids, saliency_scores}`.
        match_qids: "equal" (moment_detr: both qid sets must be identical) or "intersection"
            (TimeChat eval_vhd: only qids present in both are scored).
        strict: refuse negative predicted times instead of scoring them as given.

    Returns:
        `(metrics, rows)`: metrics exactly like the reference JSON ("brief" first, then the other
        keys sorted), then "warnings" when anything was counted; and one row per scored query (see
        the module docstring).

    Raises:
        InputError: malformed rows, duplicate qids, mismatched qid sets, or nothing to score.
    """
    if match_qids not in MATCH_MODES:
        raise InputError(f"match_qids must be one of {MATCH_MODES}, got {match_qids!r}")
    preds = [_parse_prediction(row, f"submission[{i}]", strict) for i, row in enumerate(submission)]
    gts = [_parse_ground_truth(row, f"ground_truth[{i}]") for i, row in enumerate(ground_truth)]
    _reject_duplicates(preds, "submission")
    _reject_duplicates(gts, "ground truth")
    warnings = Warnings()
    n_preds = len(preds)
    preds, gts = _match(preds, gts, match_qids)
    warnings.add("outside_gt", n_preds - len(preds))  # only "intersection" drops rows
    run_mr, run_hl = preds[0].windows is not None, preds[0].saliency is not None
    if not (run_mr or run_hl):
        raise InputError("submission has neither pred_relevant_windows nor pred_saliency_scores")
    gt_by_qid = {g.qid: g for g in gts}
    _check_task_inputs(preds, gt_by_qid, run_mr, run_hl)
    if run_mr:
        for p in preds:
            for w in p.windows[:MAX_PRED_WINDOWS]:
                warnings.window(w[0], w[1], gt_by_qid[p.qid].duration)
    rows = [{"qid": p.qid} for p in preds]
    scores: dict[str, dict] = {}
    brief: dict[str, float] = {}
    if run_mr:
        mr = _eval_mr(preds, gt_by_qid, rows)
        scores.update(mr)
        brief.update(sorted((key, mr[b][m][t]) for key, b, m, t in _MR_BRIEF))
    if run_hl:
        hl = _eval_hl(preds, gt_by_qid, rows)
        scores.update(hl)
        for level, values in hl.items():
            brief[f"{level}-mAP"] = values["HL-mAP"]
            brief[f"{level}-Hit1"] = values["HL-Hit1"]
    return warnings.attach({"brief": brief, **dict(sorted(scores.items()))}), rows


def load_qvhighlights_gt(path: str | os.PathLike) -> list[dict]:
    """Read a QVHighlights annotation JSONL (e.g. highlight_val_release.jsonl) and check every row.

    Raises:
        InputError: unreadable file, invalid JSON or a malformed row; the message names file:line.
    """
    located = read_jsonl_located(path)
    for where, row in located:
        _parse_ground_truth(row, where)
    return [row for _, row in located]


def load_submission(path: str | os.PathLike, *, strict: bool = True, windows: bool = True) -> list[dict]:
    """Read a moment_detr submission JSONL or TimeChat's VHD prediction file (one JSON list).

    Args:
        path: the file.
        strict: refuse negative predicted times.
        windows: False to drop `pred_relevant_windows` unread (highlight detection never reads them).

    Raises:
        InputError: unreadable file, invalid JSON, or a malformed row (named by file:line for
            JSONL, by file and item index for a JSON list).
    """
    path = Path(path)
    if path.suffix.lower() == ".jsonl":
        located = read_jsonl_located(path)
        locations, rows = [where for where, _ in located], [row for _, row in located]
    else:
        data = read_json_or_jsonl(path)
        rows = [data] if isinstance(data, dict) else data
        if not isinstance(rows, list):
            raise InputError(f"{path}: expected a JSON list of prediction rows")
        locations = [f"{path}: item {i}" for i in range(len(rows))]
    if not windows:
        rows = [{k: v for k, v in row.items() if k != "pred_relevant_windows"} if isinstance(row, dict) else row
                for row in rows]
    for row, where in zip(rows, locations):
        _parse_prediction(row, where, strict)
    return rows


# ----------------------------------------------------------------------------- input checks


def _parse_prediction(row: Any, where: str, strict: bool) -> _Prediction:
    qid = _qid(row, where)
    where = f"{where} (qid {qid!r})"
    windows = saliency = None
    if "pred_relevant_windows" in row:
        windows = _windows(row["pred_relevant_windows"], f"{where}: pred_relevant_windows", scored=True,
                           strict=strict)
    if "pred_saliency_scores" in row:
        saliency = _scores(row["pred_saliency_scores"], f"{where}: pred_saliency_scores")
    return _Prediction(qid, windows, saliency)


def _parse_ground_truth(row: Any, where: str) -> _GroundTruth:
    qid = _qid(row, where)
    where = f"{where} (qid {qid!r})"
    windows = clip_scores = duration = None
    if "relevant_windows" in row:
        windows = _windows(row["relevant_windows"], f"{where}: relevant_windows", scored=False, strict=True)
    if "relevant_clip_ids" in row or "saliency_scores" in row:
        clip_scores = clip_matrix(row, where)
    if row.get("duration") is not None:
        duration = check_time(row["duration"], f"{where}: duration")
    return _GroundTruth(qid, windows, clip_scores, duration)


def _qid(row: Any, where: str) -> Any:
    if not isinstance(row, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(row).__name__}")
    if "qid" not in row:
        raise InputError(f"{where}: missing key 'qid'")
    qid = row["qid"]
    if isinstance(qid, bool) or not isinstance(qid, (int, str)):
        raise InputError(f"{where}: qid {qid!r} is not an integer or a string")
    return qid


def _list(value: Any, where: str) -> list:
    if not isinstance(value, (list, tuple)):
        raise InputError(f"{where}: expected a list, got {type(value).__name__}")
    return list(value)


def _number(value: Any, where: str) -> float:
    """A finite number (scores may be negative, unlike times)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise InputError(f"{where}: {value!r} is not a finite number")
    return float(value)


def _scores(value: Any, where: str) -> np.ndarray:
    raw = _list(value, where)
    if all(type(s) in (int, float) for s in raw):  # plain JSON numbers: check them all at once
        scores = np.array(raw, dtype=float)
        if np.isfinite(scores).all():
            return scores
    return np.array([_number(s, f"{where}[{j}]") for j, s in enumerate(raw)], dtype=float)


def _windows(value: Any, where: str, *, scored: bool, strict: bool) -> tuple[tuple[float, ...], ...]:
    return tuple(_window(w, f"{where}[{j}]", scored=scored, strict=strict) for j, w in enumerate(_list(value, where)))


def _window(value: Any, where: str, *, scored: bool, strict: bool) -> tuple[float, ...]:
    """[start, end] (GT) or [start, end, score] (prediction) with checked times."""
    if not isinstance(value, (list, tuple)) or len(value) < 2 + scored:
        raise InputError(f"{where}: expected [start, end{', score' if scored else ''}], got {value!r}")
    times = (read_time(value[0], where, strict=strict), read_time(value[1], where, strict=strict))
    return times + (_number(value[2], f"{where} score"),) if scored else times


def clip_matrix(row: dict, where: str) -> np.ndarray:
    """The reference's mk_gt_scores: rater scores of the relevant clips, zeros elsewhere."""
    for key in ("duration", "relevant_clip_ids", "saliency_scores"):
        if key not in row:
            raise InputError(f"{where}: missing key {key!r}")
    num_clips = int(check_time(row["duration"], f"{where}: duration") / CLIP_SECONDS)
    clip_ids = _list(row["relevant_clip_ids"], f"{where}: relevant_clip_ids")
    rated = _list(row["saliency_scores"], f"{where}: saliency_scores")
    if len(rated) != len(clip_ids):
        raise InputError(
            f"{where}: {len(clip_ids)} relevant_clip_ids but {len(rated)} saliency_scores rows"
        )
    matrix = np.zeros((num_clips, NUM_RATERS))
    plain_ids = all(type(c) is int and 0 <= c < num_clips for c in clip_ids)
    plain_scores = all(
        type(r) is list and len(r) == NUM_RATERS and all(type(x) in (int, float) for x in r) for r in rated
    )
    if plain_ids and plain_scores:  # the usual JSON case, checked in bulk; else per-item messages
        scores = np.array(rated, dtype=float).reshape(-1, NUM_RATERS)
        if np.isfinite(scores).all():
            matrix[clip_ids] = scores
            return matrix
    for j, (cid, scores) in enumerate(zip(clip_ids, rated)):
        if isinstance(cid, bool) or not isinstance(cid, numbers.Integral) or not 0 <= cid < num_clips:
            raise InputError(
                f"{where}: relevant_clip_ids[{j}] = {cid!r} is not a clip index in [0, {num_clips})"
            )
        scores = _scores(scores, f"{where}: saliency_scores[{j}]")
        if len(scores) != NUM_RATERS:
            raise InputError(f"{where}: saliency_scores[{j}] has {len(scores)} scores, expected 3")
        matrix[cid] = scores
    return matrix


def _examples(qids) -> str:
    return ", ".join(repr(q) for q in sorted(qids, key=str)[:5])


def _reject_duplicates(items: list, what: str) -> None:
    seen, duplicates = set(), set()
    for item in items:
        (duplicates if item.qid in seen else seen).add(item.qid)
    if duplicates:
        raise InputError(f"{what} has {len(duplicates)} duplicated qid(s), e.g. {_examples(duplicates)}")


def _match(preds: list, gts: list, mode: str) -> tuple[list, list]:
    pred_ids, gt_ids = {p.qid for p in preds}, {g.qid for g in gts}
    if mode == "equal" and pred_ids != gt_ids:
        only_pred, only_gt = pred_ids - gt_ids, gt_ids - pred_ids
        raise InputError(
            f"qids of the submission and the ground truth differ: {len(only_pred)} only in the "
            f"submission (e.g. {_examples(only_pred) or '-'}), {len(only_gt)} only in the ground "
            f"truth (e.g. {_examples(only_gt) or '-'}); use match_qids='intersection' to score "
            f"the qids they share"
        )
    shared = pred_ids & gt_ids
    if not shared:
        raise InputError("the submission and the ground truth have no qid in common")
    return [p for p in preds if p.qid in shared], [g for g in gts if g.qid in shared]


def _check_task_inputs(preds: list[_Prediction], gt_by_qid: dict, run_mr: bool, run_hl: bool) -> None:
    """Every row needs what the first row's keys asked for (the reference raises KeyError)."""
    for p in preds:
        gt = gt_by_qid[p.qid]
        if run_mr and p.windows is None:
            raise InputError(f"qid {p.qid!r}: pred_relevant_windows is missing (the first row has it)")
        if run_mr and not gt.windows:
            raise InputError(f"qid {p.qid!r}: the ground truth has no relevant_windows")
        if run_hl and p.saliency is None:
            raise InputError(f"qid {p.qid!r}: pred_saliency_scores is missing (the first row has it)")
        if run_hl and gt.clip_scores is None:
            raise InputError(f"qid {p.qid!r}: the ground truth has no relevant_clip_ids/saliency_scores")


# ----------------------------------------------------------------------------- moment retrieval


def _eval_mr(preds: list[_Prediction], gt_by_qid: dict, rows: list[dict]) -> dict:
    metrics = {}
    for name, length_range in LENGTH_BUCKETS:
        selected = _select_bucket(preds, gt_by_qid, length_range)
        aps = np.array([_detection_ap(gt, p.windows[:MAX_PRED_WINDOWS]) for p, gt in selected])
        r1_ious = np.array([_r1_iou(p.windows, gt) for p, gt in selected])
        metrics[name] = {"MR-mAP": _map_summary(aps), "MR-R1": _r1_summary(r1_ious)}
        if length_range is None:  # "full" keeps every query, in submission order
            for row, p, ap, iou in zip(rows, preds, aps, r1_ious):
                row.update({"num_pred_windows": len(p.windows), "mr_ap": float(np.mean(ap)),
                            "r1_iou": float(iou), "r1_0.5": float(iou >= 0.5),
                            "r1_0.7": float(iou >= 0.7)})
    return metrics


def _select_bucket(preds, gt_by_qid, length_range) -> list[tuple[_Prediction, np.ndarray]]:
    """Pairs (prediction, its GT windows in the length range); queries left with none are dropped."""
    selected = []
    for p in preds:
        windows = gt_by_qid[p.qid].windows
        if length_range is not None:
            low, high = length_range
            windows = [w for w in windows if low < w[1] - w[0] <= high]
        if windows:
            selected.append((p, np.array(windows, dtype=float)))
    return selected


def _detection_ap(gt: np.ndarray, windows: tuple) -> np.ndarray:
    """ActivityNet detection AP of one query at every IoU threshold, shape (10,)."""
    if not windows:
        return np.zeros(len(IOU_THRESHOLDS))
    ranked = sorted(windows, key=lambda w: -w[2])  # stable: ties keep list order
    # NaN where the union is empty, as in the reference: `NaN < threshold` is false, so it matches.
    ious = iou_matrix(np.array([w[:2] for w in ranked]), gt, empty=np.nan)
    tp = np.zeros((len(IOU_THRESHOLDS), len(ranked)))
    locked = [set() for _ in IOU_THRESHOLDS]  # GT indices already matched, per threshold
    for p, row in enumerate(ious):
        # The reference visits GTs by `argsort()[::-1]`: decreasing IoU, ties from the last index.
        gt_order = np.argsort(row, kind="stable")[::-1].tolist()
        row = row.tolist()
        for t, threshold in enumerate(IOU_THRESHOLDS):
            for g in gt_order:
                if row[g] < threshold:
                    break
                if g not in locked[t]:
                    locked[t].add(g)
                    tp[t, p] = 1
                    break
    tp_cum = np.cumsum(tp, axis=1)
    fp_cum = np.cumsum(1 - tp, axis=1)
    return _interpolated_ap(tp_cum / (tp_cum + fp_cum), tp_cum / len(gt))


def _interpolated_ap(precision: np.ndarray, recall: np.ndarray) -> np.ndarray:
    """VOC-2011 interpolated AP of each row of (thresholds, predictions) precision/recall curves."""
    rows = len(precision)
    p = np.hstack((np.zeros((rows, 1)), precision, np.zeros((rows, 1))))
    r = np.hstack((np.zeros((rows, 1)), recall, np.ones((rows, 1))))
    p = np.maximum.accumulate(p[:, ::-1], axis=1)[:, ::-1]
    gain = np.diff(r, axis=1) * p[:, 1:]
    # Summing only where recall changes, as the reference does, keeps its rounding.
    return np.array([np.sum(g[r1 != r0]) for g, r1, r0 in zip(gain, r[:, 1:], r[:, :-1])])


def _r1_iou(windows: tuple, gt: np.ndarray) -> float:
    """Span-union IoU of the first-listed window with its best-matching GT window."""
    if not windows:
        return 0.0
    first = np.array([windows[0][:2]])
    best = gt[int(np.argmax(iou_matrix(first, gt, empty=np.nan)[0]))]  # argmax picks the first NaN
    (st, ed), (gst, ged) = first[0], best
    inter = max(0.0, min(ed, ged) - max(st, gst))
    span = max(ed, ged) - min(st, gst)
    return float(inter / span) if span != 0 else 0.0


def _pct(value: float) -> float:
    return float(f"{100 * value:.2f}")


def _map_summary(aps: np.ndarray) -> dict[str, float]:
    per_threshold = aps.mean(0) if len(aps) else np.full(len(IOU_THRESHOLDS), np.nan)
    summary = {str(t): _pct(v) for t, v in zip(IOU_THRESHOLDS, per_threshold)}
    summary["average"] = _pct(np.mean(per_threshold))
    return summary


def _r1_summary(ious: np.ndarray) -> dict[str, float]:
    return {str(t): _pct(np.mean(ious >= t)) if len(ious) else float("nan") for t in IOU_THRESHOLDS}


# ----------------------------------------------------------------------------- highlight detection


def _eval_hl(preds: list[_Prediction], gt_by_qid: dict, rows: list[dict]) -> dict:
    # One (clips, levels * raters) label matrix per query: every column shares the predicted
    # ranking, so the curves of all nine columns come from one sort.
    shape = (len(SALIENCY_LEVELS), len(preds), NUM_RATERS)
    hits, aps = np.zeros(shape), np.zeros(shape)
    for i, p in enumerate(preds):
        scores = gt_by_qid[p.qid].clip_scores
        labels = np.hstack([scores >= min_score for _, min_score in SALIENCY_LEVELS]).astype(float)
        hits[:, i] = _hit_at_one(p.saliency, labels).reshape(shape[0], NUM_RATERS)
        aps[:, i] = _get_aps(labels, _fit_length(p.saliency, len(labels))).reshape(shape[0], NUM_RATERS)
    metrics = {}
    for level, (name, _) in enumerate(SALIENCY_LEVELS):
        # Same as the reference: one mean over all (query, rater) pairs of a (queries, 3) array.
        metrics[f"HL-min-{name}"] = {"HL-mAP": _pct(np.mean(aps[level])),
                                     "HL-Hit1": _pct(np.mean(np.max(hits[level], 1)))}
        for row, hit, ap in zip(rows, hits[level], aps[level]):
            row[f"hit1_{name.lower()}"] = float(np.max(hit))
            row[f"ap_{name.lower()}"] = float(np.mean(ap))
    return metrics


def _hit_at_one(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Labels of the first top-scored clip; a clip past the GT length is a miss."""
    if len(scores):
        top = int(np.argmax(scores))
        if top < len(labels):
            return labels[top]
    return np.zeros(labels.shape[1])


def _fit_length(scores: np.ndarray, num_clips: int) -> np.ndarray:
    fitted = np.zeros(num_clips)
    n = min(num_clips, len(scores))
    fitted[:n] = scores[:n]
    return fitted


def _get_aps(labels: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """The reference's get_ap (interpolated, not 11-point) of each binary label column."""
    aps = np.zeros(labels.shape[1])
    if len(labels) == 0:
        return aps  # a video shorter than one clip; the reference fails on it
    positives = labels.sum(0)
    aps[positives == len(labels)] = 1.0  # constant columns: 1 if all positive, 0 if none
    varying = (positives > 0) & (positives < len(labels))
    if varying.any():
        precision, recall = _precision_recall_curves(labels[:, varying], y_pred)
        recall = recall.astype(np.float32)
        precision = np.maximum.accumulate(precision, axis=0)
        aps[varying] = [np.mean(p[np.flatnonzero(np.diff(r))]) for p, r in zip(precision.T, recall.T)]
    return aps


def _precision_recall_curves(y_true: np.ndarray, y_score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per column of y_true (n, m), (precision, recall) as `sklearn.metrics.precision_recall_curve`.

    The reference calls sklearn once per (query, rater); this is the same algorithm (binary labels
    with positives, no sample weights, no dropped points) for many label columns at once and
    without sklearn's input validation, which costs about 1 ms per call, i.e. 10-15 s per
    QVHighlights evaluation. The tests check that the arrays equal sklearn's.
    """
    order = np.argsort(-y_score, kind="stable")  # descending; ties fall in one threshold anyway
    y_score, y_true = y_score[order], (y_true[order] == 1).astype(float)
    threshold_idxs = np.concatenate((np.flatnonzero(np.diff(y_score)), [len(y_score) - 1]))
    tps = np.cumsum(y_true, axis=0)[threshold_idxs]  # (thresholds, m)
    fps = 1 + threshold_idxs.astype(float)[:, None] - tps
    precision = tps / (tps + fps)  # tps + fps = threshold index + 1 >= 1
    recall = tps / tps[-1]
    ones, zeros = np.ones((1, y_true.shape[1])), np.zeros((1, y_true.shape[1]))
    return np.vstack((precision[::-1], ones)), np.vstack((recall[::-1], zeros))
