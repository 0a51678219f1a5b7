"""`timechat eval`: load predictions (answers to parse, or structured files) and ground truth, score.

Predictions are recognised by shape (`readers.py`): answer rows as `timechat infer` writes them,
TimeChat's raw results as its `evaluate.py` saves them (parsed with the chosen parser, so that
`parser="timechat"` reproduces its `format_tvg` / `format_vhd` / `format_dvc`), or the structured files
each reference evaluator reads. Every answer's parse status goes into the per-item rows, so misses can
be traced to the parser.

What the reference evaluators score as given is scored as given here too, and counted in the metrics'
"warnings" block (`windows.py`): windows before 0, past the end or reversed (never read by `vhd`), and,
with `match_qids="intersection"`, prediction rows outside the ground truth, which are dropped.
`strict=True` refuses negative times, as before they were scored.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from timechat_core.errors import InputError
from timechat_core.eval.readers import ROW_KEYS, answers, check_structured
from timechat_core.fileio import read_json_or_jsonl

TASKS = ("tvg", "dvc", "step", "vhd", "mr", "summarization")


def _stem(name: str) -> str:
    return os.path.splitext(os.path.basename(name))[0]


def evaluate(task: str, pred_path: str | os.PathLike, gt_path: str | os.PathLike, *, parser: str = "robust",
             sample: bool = False, match_qids: str = "equal", protocol: str = "per-video",
             split: str = "val", strict: bool = False) -> tuple[dict, list[dict]]:
    """Score predictions against ground truth. Returns (metrics, per-item rows)."""
    if task not in TASKS:
        raise InputError(f"unknown task {task!r}; choose from {', '.join(TASKS)}")
    pred_path, gt_path = Path(pred_path), Path(gt_path)
    handler: Callable = {
        "tvg": _tvg, "dvc": _dvc, "step": _dvc, "vhd": _qvh, "mr": _qvh, "summarization": _summarization,
    }[task]
    data = read_json_or_jsonl(pred_path)
    found = answers(data, pred_path, task)
    if found is None:
        check_structured(data, pred_path, task)
    return handler(task, pred_path, gt_path, data, found, parser=parser, sample=sample, match_qids=match_qids,
                   protocol=protocol, split=split, strict=strict)


def _attach_status(rows: list[dict], statuses: dict[str, dict], key: str) -> list[dict]:
    for row in rows:
        st = statuses.get(str(row.get(key)))
        if st is not None:
            row["parse_status"] = st["status"]
            if st.get("reason"):
                row["parse_reason"] = st["reason"]
    return rows


def _tvg(task, pred_path, gt_path, data, found, *, parser, sample, match_qids, strict, **_):
    from timechat_core.eval import tvg
    from timechat_core.eval.parsers import parse_tvg

    gt = tvg.load_tvg_gt(gt_path)
    statuses: dict[str, dict] = {}
    if found is not None:
        preds = {}
        for answer in found:
            parsed = parse_tvg(answer.text, duration=answer.duration, parser=parser)
            preds[answer.key] = parsed["windows"]
            statuses[answer.key] = parsed
    else:
        preds = tvg.load_tvg_predictions(pred_path, strict=strict)
    metrics, rows = tvg.evaluate_tvg(preds, gt, sample=sample, match_qids=match_qids, strict=strict)
    return metrics, _attach_status(rows, statuses, "id")


def _qvh(task, pred_path, gt_path, data, found, *, parser, match_qids, strict, **_):
    from timechat_core.eval import moment_detr
    from timechat_core.eval.parsers import parse_tvg, parse_vhd

    gt = moment_detr.load_qvhighlights_gt(gt_path)
    statuses: dict[str, dict] = {}
    key = "pred_saliency_scores" if task == "vhd" else "pred_relevant_windows"
    if found is not None:
        duration = {str(g["qid"]): g["duration"] for g in gt}
        submission: list[dict[str, Any]] = []
        for answer in found:
            if answer.key not in duration:
                if match_qids == "equal":
                    raise InputError(f"{answer.where}: qid {answer.key} is not in {gt_path}; "
                                     f"--match-qids intersection drops such rows")
                # Not parsed (its video length is unknown): an empty row, which the evaluator drops
                # and counts as outside the ground truth, like a submission row.
                submission.append({"qid": _qid(answer.key), key: []})
                continue
            if task == "vhd":
                # The reference takes the length from its coco file by video name; here from the
                # QVHighlights ground truth by qid (the same number).
                parsed = parse_vhd(answer.text, duration=duration[answer.key], parser=parser)
                submission.append({"qid": _qid(answer.key), key: parsed["saliency"] or []})
            else:
                parsed = parse_tvg(answer.text, duration=duration[answer.key], parser=parser)
                submission.append({"qid": _qid(answer.key), key: [[s, e, 1.0] for s, e in parsed["windows"]]})
            statuses[answer.key] = parsed
    else:
        # Highlight detection never reads windows, so they are neither checked nor scored.
        submission = moment_detr.load_submission(pred_path, strict=strict, windows=task != "vhd")
        if submission and key not in submission[0]:
            raise InputError(f"{pred_path}: task {task} needs '{key}' in the predictions")
    metrics, rows = moment_detr.evaluate_qvhighlights(submission, gt, match_qids=match_qids, strict=strict)
    return metrics, _attach_status(rows, statuses, "qid")


def _qid(key: str) -> int | str:
    """QVHighlights qids are integers; an answer's id is text."""
    try:
        return int(key)
    except ValueError:
        return key


def _dvc(task, pred_path, gt_path, data, found, *, parser, protocol, split, strict, **_):
    from timechat_core.eval import dvc
    from timechat_core.eval.parsers import parse_dvc

    gt = dvc.load_dvc_gt(gt_path)
    statuses: dict[str, dict] = {}
    if found is not None:
        by_name = {str(g["image_id"]): g for g in gt}
        by_stem = {_stem(name): name for name in by_name}
        preds = {}
        for answer in found:
            name = answer.key if answer.key in by_name else by_stem.get(_stem(answer.key), answer.key)
            duration = answer.duration if answer.duration is not None else by_name.get(name, {}).get("duration")
            parsed = parse_dvc(answer.text, duration=duration, parser=parser)
            # The reference parser's pdb step keeps its times as text; the evaluator needs them so.
            preds[name] = [{"timestamp": ev.get("text_times", [ev["start"], ev["end"]]), "caption": ev["caption"]}
                           for ev in parsed["events"]]
            statuses[name] = parsed
    else:
        preds = dvc.load_dvc_predictions(pred_path, strict=strict)
    metrics, rows = dvc.evaluate_dvc(preds, gt, split=split, protocol=protocol, strict=strict)
    return metrics, _attach_status(rows, statuses, "video")


def _summarization(task, pred_path, gt_path, data, found, *, parser, **_):
    from timechat_core.eval import summarization
    from timechat_core.eval.parsers import parse_vhd

    videos = summarization.load_tvsum(gt_path)
    statuses: dict[str, dict] = {}
    preds: dict[str, list[float]] = {}
    if found is not None:
        for answer in found:
            vid = _stem(answer.key)
            if vid not in videos:
                raise InputError(f"{answer.where}: video {vid} is not in {gt_path}")
            parsed = parse_vhd(answer.text, duration=videos[vid].duration, parser=parser)
            preds[vid] = parsed["saliency"] or []
            statuses[vid] = parsed
    elif isinstance(data, dict):
        preds = {_stem(k): v for k, v in data.items()}
    else:
        for i, row in enumerate(data):
            vid = next((row[k] for k in ROW_KEYS[task] if row.get(k) is not None), None)
            if vid is None:
                raise InputError(f"{pred_path}: item {i + 1} has no id (one of {', '.join(ROW_KEYS[task])})")
            preds[_stem(str(vid))] = row.get("pred_saliency_scores", [])
    metrics, rows = summarization.evaluate_tvsum(preds, videos)
    return metrics, _attach_status(rows, statuses, "video_id")
