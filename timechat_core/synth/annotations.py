"""The annotation files of a synthetic set, in the native formats the build-timeit adapters read.

From one list of scenes (`scene.events`) for one split:

- Charades-STA (grounding), `charades_sta/charades_sta_{split}.txt`: one line per query,
  `VID start end##the red circle is visible.`, plus `Charades_v1_{split}.csv` (`id,length`) for
  the durations;
- YouCook2 (dense captioning), `youcook2/youcookii_annotations_trainval.json`:
  `database.{VID} = {duration, subset, recipe_type: "synth", annotations: [{segment, id, sentence}]}`,
  the captioned events in time order (subset training / validation / testing);
- QVHighlights (highlights), `qvhighlights/highlight_{train,val}_release.jsonl` or
  `highlight_test_with_gt.jsonl`: one row per object colour phase with `relevant_windows` = the
  phase and, per 2 s clip `c` covering [2c, 2c + 2), saliency `round(4 * coverage)` (coverage: the
  share of the clip the phase fills) from all three raters; clips scoring 0 are not relevant;
- `sources.yaml`: the three files and the `videos/` folder, for `timechat build-timeit --config`.

Every number is written from the scene, so the ground truth is exact.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from timechat_core.fileio import write_jsonl_atomic, write_text_atomic
from timechat_core.synth.scene import Scene, events

CLIP_SECONDS = 2.0
"""QVHighlights clip length (moment_detr)."""
NUM_RATERS = 3
SUBSETS = {"train": "training", "val": "validation", "test": "testing"}
QVH_FILES = {"train": "highlight_train_release.jsonl", "val": "highlight_val_release.jsonl",
             "test": "highlight_test_with_gt.jsonl"}
YOUCOOK2_FILE = "youcookii_annotations_trainval.json"
VIDEO_DIR = "videos"


def paths(split: str) -> dict[str, str]:
    """Annotation file of each source, relative to the output folder."""
    return {"charades": f"charades_sta/charades_sta_{split}.txt", "youcook2": f"youcook2/{YOUCOOK2_FILE}",
            "qvhighlights": f"qvhighlights/{QVH_FILES[split]}"}


def charades_lines(scenes: list[Scene]) -> list[str]:
    return [f"{s.video} {e.start:.1f} {e.end:.1f}##{e.query}." for s in scenes for e in events(s)]


def youcook2_database(scenes: list[Scene], split: str) -> dict:
    db = {}
    for s in scenes:
        captioned = [e for e in events(s) if e.caption]
        db[s.video] = {"duration": s.duration, "subset": SUBSETS[split], "recipe_type": "synth",
                       "annotations": [{"segment": [e.start, e.end], "id": k, "sentence": e.caption}
                                       for k, e in enumerate(captioned)]}
    return {"database": db}


def clip_score(start, end, clip: int):
    """Clip `clip`'s 0-4 saliency for a window [start, end): round(4 * coverage), half up (not Python's
    half-to-even), coverage the share of the clip the window fills. `start` and `end` may be numpy arrays (one
    score per pair, as floats)."""
    lo, hi = clip * CLIP_SECONDS, (clip + 1) * CLIP_SECONDS
    cover = np.clip(np.minimum(hi, end) - np.maximum(lo, start), 0.0, None) / CLIP_SECONDS
    return np.floor(4 * cover + 0.5)


def saliency(start: float, end: float, duration: float) -> dict[int, int]:
    """{clip id: 0-4} for the clips a window [start, end) touches with a score above 0."""
    out = {}
    for c in range(int(duration / CLIP_SECONDS)):
        score = int(clip_score(start, end, c))
        if score > 0:
            out[c] = score
    return out


def qvhighlights_rows(scenes: list[Scene]) -> list[dict]:
    rows = []
    for s in scenes:
        k = 0
        for e in events(s):
            if e.kind not in ("appear", "colour"):
                continue
            scores = saliency(e.start, e.end, s.duration)
            rows.append({"qid": qid(s.seed, s.index, k), "query": e.query, "duration": s.duration, "vid": s.video,
                         "relevant_windows": [[e.start, e.end]], "relevant_clip_ids": list(scores),
                         "saliency_scores": [[v] * NUM_RATERS for v in scores.values()]})
            k += 1
    return rows


def qid(seed: int, index: int, k: int) -> int:
    """A query id unique across seeds: seed, video index (< 100000) and query number (< 100)."""
    return (seed * 100_000 + index) * 100 + k


def sources_yaml(split: str) -> str:
    lines = ["# Written by `timechat synth`: timechat build-timeit --config THIS_FILE -o timeit.json",
             "# (paths are relative to this file; the records' videos are videos/<id>.mp4)",
             f"split: {split}", "video_root: .", "sources:"]
    lines += [f"  {name}: {{ann: {path}, video_dir: {VIDEO_DIR}}}" for name, path in paths(split).items()]
    return "\n".join(lines) + "\n"


def write_annotations(folder: str | Path, scenes: list[Scene], split: str) -> dict[str, Path]:
    """Write every annotation file of `scenes` (atomically); returns {source: path}."""
    folder = Path(folder)
    p = {name: folder / rel for name, rel in paths(split).items()}
    write_text_atomic(p["charades"], "".join(line + "\n" for line in charades_lines(scenes)))
    write_text_atomic(p["charades"].with_name(f"Charades_v1_{split}.csv"),
                      "id,length\n" + "".join(f"{s.video},{s.duration:g}\n" for s in scenes))
    write_text_atomic(p["youcook2"], json.dumps(youcook2_database(scenes, split), indent=1) + "\n")
    write_jsonl_atomic(p["qvhighlights"], qvhighlights_rows(scenes))
    write_text_atomic(folder / "sources.yaml", sources_yaml(split))
    return p
