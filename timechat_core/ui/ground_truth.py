"""Ground truth of annotated videos, in the shapes the page draws: windows, events, saliency.

Reads the files `timechat infer --manifest` and `timechat eval` read, with their own loaders (so a
file the evaluators reject is rejected here too):

- Charades-STA coco (`annotations: [{image_id, caption, timestamp, id}]`): a grounding window per query;
- YouCook2 / ActivityNet coco (`image_id, segments, pure_cap | caption`): dense-caption events per video;
- QVHighlights JSONL (`qid, vid, query, duration, relevant_windows, relevant_clip_ids, saliency_scores`):
  windows and a saliency curve (rater mean per 2 s clip) per query;
- the native files `timechat synth` writes (and the datasets ship): Charades-STA
  `charades_sta_*.txt` (`VID start end##sentence`, id = line index as in the coco file) and
  YouCook2 `youcookii_annotations_trainval.json` (`database`), read with the build-timeit readers;
- JSONL of `{video, task, query?, id?, windows? | events? | saliency?}`.

A video named by a file is looked for beside it, in a `videos/` folder beside it or one level up
(a `timechat synth` output), then at the top of the data folder.

Every entry has the key of the `Item` a manifest run makes for it (`task:id`), so predictions join on it.
"""

from __future__ import annotations

import os
from pathlib import Path

from timechat_core.errors import InputError
from timechat_core.infer.manifest import resolve_video


def read_ground_truth(path: str | os.PathLike, data_root: str | os.PathLike | None = None) -> list[dict]:
    """Entries `{key, task, id, video, path, query, duration, windows, events, saliency}` of a GT file.

    Args:
        path: the annotation file.
        data_root: the served folder, searched last for the videos.

    Raises:
        InputError: not a ground-truth file of a known format, or a malformed row.
    """
    from timechat_core.fileio import read_json_or_jsonl

    path = Path(path)
    if path.suffix.lower() == ".txt":
        return _located(_charades_native(path), path, data_root)
    data = read_json_or_jsonl(path)
    if isinstance(data, dict) and isinstance(data.get("database"), dict):
        return _located(_youcook2_native(path), path, data_root)
    rows = data.get("annotations") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not rows or not isinstance(rows[0], dict):
        raise InputError(f"{path}: not a ground-truth file (expected a list of rows)")
    first = rows[0]
    if "qid" in first and "vid" in first:
        entries = _qvhighlights(path)
    elif "image_id" in first and "timestamp" in first:
        entries = _charades(path)
    elif "image_id" in first and "segments" in first:
        entries = _dense(path, rows)
    elif "video" in first and any(k in first for k in ("windows", "events", "saliency")):
        entries = [_generic(row, i, path) for i, row in enumerate(rows)]
    else:
        raise InputError(f"{path}: not a ground-truth file of a known format")
    return _located(entries, path, data_root)


def _located(entries: list[dict], path: Path, data_root) -> list[dict]:
    folders = [path.parent, path.parent / "videos", path.parent.parent / "videos"]
    if data_root is not None:
        folders += [Path(data_root), Path(data_root) / "videos"]
    for e in entries:
        candidates = [resolve_video(e["video"], folder) for folder in folders]
        e["path"] = next((c for c in candidates if c.is_file()), candidates[0])
    return entries


def _entry(task, id_, video, query=None, duration=None, windows=None, events=None, saliency=None) -> dict:
    return {"key": f"{task}:{id_}", "task": task, "id": id_, "video": str(video), "query": query,
            "duration": None if duration is None else float(duration), "windows": windows or [],
            "events": events or [], "saliency": saliency}


def _charades(path: Path) -> list[dict]:
    from timechat_core.eval.tvg import load_tvg_gt

    return [_entry("grounding", row["id"], row["image_id"], row.get("caption"), row.get("duration"),
                   windows=[[float(t) for t in row["timestamp"]]]) for row in load_tvg_gt(path)]


def _dense(path: Path, rows: list) -> list[dict]:
    from timechat_core.eval.dvc import gt_videos

    durations = {str(r.get("image_id")): r.get("duration") for r in rows}
    return [_entry("dvc", v.image_id, v.image_id, duration=durations.get(v.image_id),
                   events=[{"start": s, "end": e, "caption": c} for (s, e), c in zip(v.gt_segments, v.gt_captions)])
            for v in gt_videos(rows, "auto", str(path))]


def _charades_native(path: Path) -> list[dict]:
    from timechat_core.timeit import charades_sta

    return [_entry("grounding", g.id, g.video, g.query, g.duration, windows=[[g.start, g.end]])
            for g in charades_sta.read(path, "test") if hasattr(g, "query")]


def _youcook2_native(path: Path) -> list[dict]:
    from timechat_core.timeit import youcook2

    return [_entry("dvc", v.video, v.video, duration=v.duration,
                   events=[{"start": ev.start, "end": ev.end, "caption": ev.text} for ev in v.events])
            for split in ("all", "test") for v in youcook2.read(path, split) if hasattr(v, "events")]


def _qvhighlights(path: Path) -> list[dict]:
    from timechat_core.eval.moment_detr import CLIP_SECONDS, load_qvhighlights_gt

    out = []
    for row in load_qvhighlights_gt(path):
        saliency = [0.0] * int(float(row["duration"]) // CLIP_SECONDS)
        for clip, scores in zip(row.get("relevant_clip_ids") or [], row.get("saliency_scores") or []):
            if 0 <= clip < len(saliency):
                saliency[clip] = sum(scores) / len(scores)
        out.append(_entry("highlight", int(row["qid"]), f"{row['vid']}.mp4", row.get("query"), row["duration"],
                          windows=[[float(s), float(e)] for s, e in row.get("relevant_windows") or []],
                          saliency=saliency))
    return out


def _generic(row: dict, i: int, path: Path) -> dict:
    where = f"{path}: row {i + 1}"
    try:
        windows = [[float(s), float(e)] for s, e in row.get("windows") or []]
        events = [{"start": float(ev["start"]), "end": float(ev["end"]), "caption": str(ev.get("caption", ""))}
                  for ev in row.get("events") or []]
        saliency = None if row.get("saliency") is None else [float(v) for v in row["saliency"]]
    except (TypeError, ValueError, KeyError):
        raise InputError(f"{where}: windows are [start, end], events {{start, end, caption}}") from None
    task = row.get("task") or ("dvc" if events else "grounding")
    return _entry(task, row.get("id", i), row["video"], row.get("query"), row.get("duration"), windows, events,
                  saliency)
