"""SumMe video summarization, from the per-video ground truth `GT/<video>.mat`.

A raw record (MATLAB v5 file, one per video; shown as Python):

    {"FPS": 30.0, "nFrames": 4494, "video_duration": 149.8,
     "user_score": <nFrames x 15 per-user selections>, "gt_score": <nFrames x 1, the share of users, 0-1>}

Format: the SumMe release (Gygli et al., ECCV 2014; https://gyglim.github.io/me/vsum/index.html,
`SumMe/GT/*.mat`, read with `scipy.io.loadmat` by its `python/summe.py` demo). TimeChat builds
SumMe answers from its own `all.caption_coco_format.json` (timestamps, 0-1 scores; not released),
which is also accepted here. From the .mat (our rule, as for TVSum): `gt_score` is averaged per
2-s clip, the best 15% of clips are the highlights, at `2 * c` s, scores mapped s*4+1 by the answer.
SumMe has no splits; the video is `<name>.mp4`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

from timechat_core.errors import InputError
from timechat_core.timeit.native import read_summary_coco, top_clips
from timechat_core.timeit.record import Summary

NAME = "summe"
TASK = "summarization"
CLIP_SECONDS = 2.0


def find(folder: Path, split: str) -> list[tuple[Path, str]]:
    if (folder / "all.caption_coco_format.json").is_file():
        return [(folder / "all.caption_coco_format.json", "all")]
    gt = folder / "GT" if (folder / "GT").is_dir() else folder
    mats = sorted(gt.glob("*.mat"))
    if not mats:
        raise InputError(f"{folder}: no SumMe ground truth (GT/*.mat or all.caption_coco_format.json)")
    return [(m, "all") for m in mats]


def read(path: Path, split: str) -> Iterator[Summary]:
    """One `Summary` for a `.mat` (or one per row of TimeIT's coco file).

    Raises:
        InputError: not a MATLAB v5 file with `gt_score` (or `user_score`) and `FPS` / `video_duration`.
    """
    if path.suffix.lower() == ".json":
        yield from read_summary_coco(path, NAME)
        return
    import numpy as np
    import scipy.io

    try:
        mat = scipy.io.loadmat(path)
    except (OSError, ValueError, NotImplementedError) as e:
        raise InputError(f"{path}: not a SumMe .mat (MATLAB v5): {e}") from None
    if "gt_score" in mat:
        frame = np.asarray(mat["gt_score"], dtype=float).ravel()
    elif "user_score" in mat:
        frame = (np.asarray(mat["user_score"], dtype=float) > 0).mean(axis=1)
    else:
        raise InputError(f"{path}: no 'gt_score' or 'user_score'")
    if "FPS" in mat:
        fps = float(np.asarray(mat["FPS"]).ravel()[0])
    elif "video_duration" in mat:
        fps = len(frame) / float(np.asarray(mat["video_duration"]).ravel()[0])
    else:
        raise InputError(f"{path}: no 'FPS' or 'video_duration' to place the frames in time")
    if not math.isfinite(fps) or fps <= 0 or not len(frame) or not np.isfinite(frame).all():
        raise InputError(f"{path}: unusable frame rate {fps} or scores")
    clip = (np.arange(len(frame)) / fps // CLIP_SECONDS).astype(int)
    scores = (np.bincount(clip, weights=frame) / np.bincount(clip)).tolist()
    keep = top_clips(scores)
    yield Summary(f"{path.stem}.mp4", NAME, tuple(c * CLIP_SECONDS for c in keep),
                  tuple(min(1.0, max(0.0, scores[c])) for c in keep), str(path), len(frame) / fps)
