"""`timechat eval`: load predictions (raw model text or structured files) and ground truth, score.

Predictions may be raw model outputs, JSON lines `{<id key>: ..., "text": ...}` (id keys: `id`,
`qid`, `video`, `vid`, `image_id`), which are parsed with the chosen parser; or the structured
files each reference evaluator reads (TimeChat's formatted predictions, moment_detr submissions).
Every raw item's parse status goes into the per-item rows, so misses can be traced to the parser.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from timechat_core.errors import InputError
from timechat_core.fileio import read_json_or_jsonl

TASKS = ("tvg", "dvc", "step", "vhd", "mr", "summarization")
ID_KEYS = ("id", "qid", "video", "vid", "image_id")


def is_raw(data: Any) -> bool:
    """Raw model outputs: a non-empty list of objects that carry a `text` field."""
    return isinstance(data, list) and bool(data) and all(isinstance(r, dict) and "text" in r for r in data)


def raw_id(row: dict, path: Path, index: int, keys=ID_KEYS) -> str:
    for key in keys:
        if key in row and row[key] is not None:
            return str(row[key])
    raise InputError(f"{path}: item {index + 1} has no id (one of {', '.join(keys)})")


def _stem(name: str) -> str:
    return os.path.splitext(os.path.basename(name))[0]


def evaluate(task: str, pred_path: str | os.PathLike, gt_path: str | os.PathLike, *, parser: str = "robust",
             sample: bool = False, match_qids: str = "equal", protocol: str = "per-video",
             split: str = "val") -> tuple[dict, list[dict]]:
    """Score predictions against ground truth. Returns (metrics, per-item rows)."""
    if task not in TASKS:
        raise InputError(f"unknown task {task!r}; choose from {', '.join(TASKS)}")
    pred_path, gt_path = Path(pred_path), Path(gt_path)
    handler: Callable = {
        "tvg": _tvg, "dvc": _dvc, "step": _dvc, "vhd": _qvh, "mr": _qvh, "summarization": _summarization,
    }[task]
    return handler(task, pred_path, gt_path, parser=parser, sample=sample, match_qids=match_qids,
                   protocol=protocol, split=split)


def _attach_status(rows: list[dict], statuses: dict[str, dict], key: str) -> list[dict]:
    for row in rows:
        st = statuses.get(str(row.get(key)))
        if st is not None:
            row["parse_status"] = st["status"]
            if st.get("reason"):
                row["parse_reason"] = st["reason"]
    return rows


def _tvg(task, pred_path, gt_path, *, parser, sample, **_):
    from timechat_core.eval import tvg
    from timechat_core.eval.parsers import parse_tvg

    gt = tvg.load_tvg_gt(gt_path)
    data = read_json_or_jsonl(pred_path)
    statuses: dict[str, dict] = {}
    if is_raw(data):
        preds = {}
        for i, row in enumerate(data):
            qid = raw_id(row, pred_path, i, ("id", "qid"))
            parsed = parse_tvg(str(row["text"]), duration=row.get("duration"), parser=parser)
            preds[qid] = parsed["windows"]
            statuses[qid] = parsed
    else:
        preds = tvg.load_tvg_predictions(pred_path)
    metrics, rows = tvg.evaluate_tvg(preds, gt, sample=sample)
    return metrics, _attach_status(rows, statuses, "id")


def _qvh(task, pred_path, gt_path, *, parser, match_qids, **_):
    from timechat_core.eval import moment_detr
    from timechat_core.eval.parsers import parse_tvg, parse_vhd

    gt = moment_detr.load_qvhighlights_gt(gt_path)
    data = read_json_or_jsonl(pred_path)
    statuses: dict[str, dict] = {}
    if is_raw(data):
        duration = {str(g["qid"]): g["duration"] for g in gt}
        submission = []
        for i, row in enumerate(data):
            qid = raw_id(row, pred_path, i, ("qid", "id"))
            if qid not in duration:
                raise InputError(f"{pred_path}: item {i + 1}: qid {qid} is not in {gt_path}")
            if task == "vhd":
                parsed = parse_vhd(str(row["text"]), duration=duration[qid], parser=parser)
                submission.append({"qid": int(qid), "pred_saliency_scores": parsed["saliency"] or []})
            else:
                parsed = parse_tvg(str(row["text"]), duration=duration[qid], parser=parser)
                windows = [[s, e, 1.0] for s, e in parsed["windows"]]
                submission.append({"qid": int(qid), "pred_relevant_windows": windows})
            statuses[qid] = parsed
    else:
        submission = moment_detr.load_submission(pred_path)
        key = "pred_saliency_scores" if task == "vhd" else "pred_relevant_windows"
        if submission and key not in submission[0]:
            raise InputError(f"{pred_path}: task {task} needs '{key}' in the predictions")
    metrics, rows = moment_detr.evaluate_qvhighlights(submission, gt, match_qids=match_qids)
    return metrics, _attach_status(rows, statuses, "qid")


def _dvc(task, pred_path, gt_path, *, parser, protocol, split, **_):
    from timechat_core.eval import dvc
    from timechat_core.eval.parsers import parse_dvc

    gt = dvc.load_dvc_gt(gt_path)
    data = read_json_or_jsonl(pred_path)
    statuses: dict[str, dict] = {}
    if is_raw(data):
        by_name = {str(g["image_id"]): g for g in gt}
        by_stem = {_stem(name): name for name in by_name}
        preds = {}
        for i, row in enumerate(data):
            vid = raw_id(row, pred_path, i, ("video", "image_id", "vid", "id"))
            name = vid if vid in by_name else by_stem.get(_stem(vid), vid)
            duration = row.get("duration", by_name.get(name, {}).get("duration"))
            parsed = parse_dvc(str(row["text"]), duration=duration, parser=parser)
            preds[name] = [{"timestamp": [ev["start"], ev["end"]], "caption": ev["caption"]}
                           for ev in parsed["events"]]
            statuses[name] = parsed
    else:
        preds = dvc.load_dvc_predictions(pred_path)
    metrics, rows = dvc.evaluate_dvc(preds, gt, split=split, protocol=protocol)
    return metrics, _attach_status(rows, statuses, "video")


def _summarization(task, pred_path, gt_path, *, parser, **_):
    from timechat_core.eval import summarization
    from timechat_core.eval.parsers import parse_vhd

    videos = summarization.load_tvsum(gt_path)
    data = read_json_or_jsonl(pred_path)
    statuses: dict[str, dict] = {}
    preds: dict[str, list[float]] = {}
    if is_raw(data):
        for i, row in enumerate(data):
            vid = _stem(raw_id(row, pred_path, i, ("video", "vid", "id")))
            if vid not in videos:
                raise InputError(f"{pred_path}: item {i + 1}: video {vid} is not in {gt_path}")
            parsed = parse_vhd(str(row["text"]), duration=videos[vid].duration, parser=parser)
            preds[vid] = parsed["saliency"] or []
            statuses[vid] = parsed
    elif isinstance(data, dict):
        preds = {_stem(k): v for k, v in data.items()}
    else:
        for i, row in enumerate(data):
            preds[_stem(raw_id(row, pred_path, i, ("video", "vid", "id")))] = row.get("pred_saliency_scores", [])
    metrics, rows = summarization.evaluate_tvsum(preds, videos)
    return metrics, _attach_status(rows, statuses, "video_id")
