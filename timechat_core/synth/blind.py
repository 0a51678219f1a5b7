"""The best video-blind baselines on a ground-truth set: what a model that ignores the video scores.

A model can learn the answer format and the typical position of events long before it looks at
the frames (`docs/demo-model.md` §3: a run sits at the blind level for 20-35k
samples), so every score on synthetic data is reported next to these:

- grounding: the fixed fraction-of-duration window [a*D, b*D] (a, b on a 0.01 grid) with the best
  R1@0.5 on the set, scored like `timechat eval --task tvg` (R1@0.3/0.5/0.7, mIoU); `key` groups the
  queries (e.g. by query template) and takes the best window per group: a blind model that reads the
  query but not the video;
- highlights: the fixed clip position p*D as the top-scored clip (HL-Hit1 per saliency level as in
  moment_detr: a hit when one rater scores that clip at least 2 / 3 / 4), best p per level;
- dense captioning: the constant answer "k equal segments" with the best localisation F1
  (k = 1..12; Precision/Recall at tIoU 0.3/0.5/0.7/0.9 and F1 exactly as `timechat eval --task dvc`).

Scores are percentages, like the evaluators print them.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

GRID = np.round(np.arange(0, 101) / 100, 2)
MAX_SEGMENTS = 12


def grounding_baseline(windows: list[tuple[float, float, float]], key: list[str] | None = None) -> dict:
    """Best fixed fraction window for `(start, end, duration)` queries (grouped by `key` if given)."""
    w = np.asarray(windows, float).reshape(-1, 3)
    if key is None:
        return _best_window(w)
    groups = {}
    for k in dict.fromkeys(key):
        groups[k] = _best_window(w[np.array([x == k for x in key])])
    n = len(w)
    out = {m: sum(g[m] * g["num_queries"] for g in groups.values()) / n for m in ("R1@0.3", "R1@0.5", "R1@0.7", "mIoU")}
    return {**out, "num_queries": n, "groups": groups}


def _best_window(w: np.ndarray) -> dict:
    s, e, d = (w[:, 0] / w[:, 2])[None, :], (w[:, 1] / w[:, 2])[None, :], w[:, 2][None, :]
    best = None
    for a in GRID[:-1]:
        b = GRID[GRID > a][:, None]  # (B, 1) against (1, N) queries
        inter = np.clip(np.minimum(b, e) - np.maximum(a, s), 0, None) * d
        union = (np.maximum(b, e) - np.minimum(a, s)) * d
        iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        r05, miou = (iou >= 0.5).mean(1), iou.mean(1)
        j = int(np.lexsort((-miou, -r05))[0])
        if best is None or (r05[j], miou[j]) > best[0]:
            best = ((r05[j], miou[j]), float(a), float(b[j, 0]), iou[j])
    _, a, b, iou = best
    return {"window": [a, b], **{f"R1@{t}": float((iou >= t).mean() * 100) for t in (0.3, 0.5, 0.7)},
            "mIoU": float(iou.mean() * 100), "num_queries": int(len(iou))}


def highlight_baseline(rows: list[dict]) -> dict:
    """Best fixed top-clip position for QVHighlights rows (`relevant_clip_ids`, `saliency_scores`, `duration`)."""
    from timechat_core.eval.moment_detr import SALIENCY_LEVELS, clip_matrix

    mats = [clip_matrix(r, f"row {i + 1}").max(1) for i, r in enumerate(rows)]  # best rater per clip
    out = {}
    for name, level in SALIENCY_LEVELS:
        hits = np.array([[m[min(int(p * len(m)), len(m) - 1)] >= level if len(m) else False for m in mats]
                         for p in GRID[:-1]])
        j = int(np.argmax(hits.mean(1)))
        out[f"HL-min-{name}"] = {"HL-Hit1": float(hits[j].mean() * 100), "position": float(GRID[j])}
    return {**out, "num_queries": len(rows)}


def dense_baseline(rows: list[dict]) -> dict:
    """Best constant "k equal segments" answer for dense-captioning coco rows (`segments`, `duration`)."""
    from timechat_core.eval.dvc import THRESHOLDS, detection_scores, gt_videos
    from timechat_core.eval.iou import vid2seq_iou

    videos = gt_videos(rows, "auto", "ground truth")
    durations = {r["image_id"]: float(r["duration"]) for r in rows}
    best = None
    for k in range(1, MAX_SEGMENTS + 1):
        scores = []
        for v in videos:
            d = durations[v.image_id]
            segments = [(d * i / k, d * (i + 1) / k) for i in range(k)]
            scores.append(detection_scores(np.array([[vid2seq_iou(p, g) for p in segments] for g in v.gt_segments])))
        mean = {m: float(np.mean([s[m] for s in scores]) * 100) for m in ("F1_Score", "Precision_Mean", "Recall_Mean")}
        if best is None or mean["F1_Score"] > best["F1_Score"]:
            best = {"segments": k, **mean}
    return {**best, "thresholds": list(THRESHOLDS), "num_videos": len(videos)}


def query_template(query: str, words: tuple[str, ...]) -> str:
    """The query with the given words masked ("the red circle is visible" -> "the * * is visible")."""
    return re.sub(r"\b(" + "|".join(map(re.escape, words)) + r")\b", "*", query)


def synth_baselines(folder: str | Path, split: str) -> dict:
    """All the blind baselines of a `timechat synth` folder, read back from its annotation files."""
    import csv
    import json

    from timechat_core.fileio import read_jsonl_located
    from timechat_core.synth.annotations import paths
    from timechat_core.synth.scene import BACKGROUNDS, COLOURS, SHAPES

    folder = Path(folder)
    files = {k: folder / v for k, v in paths(split).items()}
    with open(files["charades"].with_name(f"Charades_v1_{split}.csv"), newline="", encoding="utf-8") as f:
        durations = {row["id"]: float(row["length"]) for row in csv.DictReader(f)}
    windows, queries = [], []
    for line in files["charades"].read_text(encoding="utf-8").splitlines():
        head, _, query = line.partition("##")
        vid, s, e = head.split(" ")
        windows.append((float(s), float(e), durations[vid]))
        queries.append(query)
    words = (*COLOURS, *SHAPES, *BACKGROUNDS)
    templates = [query_template(q, words) for q in queries]
    db = json.loads(files["youcook2"].read_text(encoding="utf-8"))["database"]
    dvc_rows = [{"image_id": f"{vid}.mp4", "duration": v["duration"],
                 "segments": [a["segment"] for a in v["annotations"]],
                 "pure_cap": ". ".join(a["sentence"] for a in v["annotations"])} for vid, v in db.items()]
    qvh = [row for _, row in read_jsonl_located(files["qvhighlights"])]
    return {"grounding": {"fixed_window": grounding_baseline(windows),
                          "fixed_window_per_template": grounding_baseline(windows, templates)},
            "highlights": highlight_baseline(qvh),
            "dense_captioning": dense_baseline(dvc_rows)}

