"""TVSum video summarization, from `ydata-tvsum50.mat`.

A raw record (MATLAB v7.3 struct array `tvsum50`, one element per video; shown as Python):

    {"video": "AwmHb44_ouw", "category": "VT", "title": "...", "length": 353.0, "nframes": 10597,
     "user_anno": <nframes x 20 importance scores 1-5>, "gt_score": <nframes mean>}

Format: https://github.com/yalesong/tvsum (README "Dataset"; `tests/data/tvsum/README_upstream.md`).
The .mat is read by `timechat_core.eval.summarization.load_tvsum`, which pools the frame scores to
2-s clips (the shots the annotators scored).

TimeChat builds TVSum answers from its own `all.caption_coco_format.json` (timestamps with 0-1
scores, not released, no converter shipped). From the .mat, this adapter (our rule, stated here):
clip c is at `2 * c` s, its 0-1 score is `(mean score - 1) / 4`, so the answer's `s * 4 + 1` gives
back the 1-5 mean; the highlights are the best 15% of clips (`native.top_clips`), in time order.
TimeIT's coco file is also accepted. TVSum has no splits: every split gives all 50 videos (TimeIT
uses all of them). The video is `{id}.mp4`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from timechat_core.timeit.native import find_any, read_summary_coco, top_clips
from timechat_core.timeit.record import Summary

NAME = "tvsum"
TASK = "summarization"
NAMES = ("ydata-tvsum50.mat", "ydata-tvsum50-data/data/ydata-tvsum50.mat", "data/ydata-tvsum50.mat",
         "all.caption_coco_format.json")


def find(folder: Path, split: str) -> list[tuple[Path, str]]:
    return find_any(folder, NAMES, NAME)


def read(path: Path, split: str) -> Iterator[Summary]:
    """One `Summary` per video.

    Raises:
        InputError: not a TVSum .mat (or TimeIT coco file), or a malformed entry.
    """
    if path.suffix.lower() == ".json":
        yield from read_summary_coco(path, NAME)
        return
    from timechat_core.eval.summarization import CLIP_SECONDS, load_tvsum

    for vid, video in load_tvsum(path).items():
        scores = [(float(g) - 1) / 4 for g in video.gt_score]
        keep = top_clips(scores)
        yield Summary(f"{vid}.mp4", NAME, tuple(c * CLIP_SECONDS for c in keep), tuple(scores[c] for c in keep),
                      f"{path}: {vid}", video.duration)
