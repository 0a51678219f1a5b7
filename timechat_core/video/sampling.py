"""Which frames the model sees and which timestamps it is told: the reference rules, exactly.

Reference: `timechat/processors/video_processor.py::load_video` (TimeChat c60b332), described in
`docs/reference-model.md` §2.8.

- `uniform` (inference): `np.arange(0, vlen, vlen / n).astype(int)` with `n = min(n, vlen)`.
  The float step is kept as is, quirks included.
- `rand` (training): split `[0, vlen)` into `n` intervals with `np.linspace(0, vlen, n + 1)`
  truncated to int, draw one index per interval with `random.choice(range(a, b - 1))` (the last
  frame of each interval is never drawn), and if any interval is empty fall back to the first
  `n` of `np.random.permutation(vlen)`, sorted. Given a seed `S`, the draws equal the reference's
  after `random.seed(S); np.random.seed(S)`.
- Timestamps are `round(index / avg_fps, 1)`. In the fallback the indices are numpy integers,
  so the rounding is numpy's (as in the reference); elsewhere it is Python's.
- The message is `The video contains {T} frames sampled at {t0}, {t1}, ... seconds. ` (trailing
  space) and the per-frame Q-Former texts are recovered from it the way the reference does.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

STRATEGIES = ("uniform", "rand")


def sample_indices(vlen: int, num_frames: int, strategy: str = "uniform", seed: int | None = None) -> list:
    """Frame indices to decode, in increasing order.

    Args:
        vlen: frames in the video (decord's `len(vr)`), >= 1.
        num_frames: frames wanted; fewer are returned when the video is shorter.
        strategy: "uniform" or "rand".
        seed: seeds the `rand` draws (None: fresh randomness).

    Returns:
        The indices. In the `rand` fallback they are numpy integers, as in the reference.
    """
    if vlen < 1:
        raise ValueError(f"vlen must be >= 1, got {vlen}")
    if num_frames < 1:
        raise ValueError(f"num_frames must be >= 1, got {num_frames}")
    n = min(num_frames, vlen)
    if strategy == "uniform":
        return np.arange(0, vlen, vlen / n).astype(int).tolist()
    if strategy == "rand":
        py_rng = random.Random(seed)
        np_rng = np.random.RandomState(seed)
        intervals = np.linspace(start=0, stop=vlen, num=n + 1).astype(int)
        ranges = [(int(a), int(b) - 1) for a, b in zip(intervals[:-1], intervals[1:])]
        if all(b > a for a, b in ranges):
            return [py_rng.choice(range(a, b)) for a, b in ranges]
        fallback = np_rng.permutation(vlen)[:n]
        fallback.sort()
        return list(fallback)
    raise ValueError(f"unknown sampling strategy {strategy!r}; choose from {', '.join(STRATEGIES)}")


def frame_timestamps(indices: Sequence, fps: float) -> list[float]:
    """`round(index / fps, 1)` per index, with the reference's number types."""
    fps = float(fps)
    return [float(round(i / fps, 1)) for i in indices]


def timestamp_message(indices: Sequence, fps: float) -> str:
    """The reference's frame-time sentence, trailing space included."""
    fps = float(fps)
    sec = ", ".join(str(round(i / fps, 1)) for i in indices)
    return f"The video contains {len(indices)} frames sampled at {sec} seconds. "


def frame_texts(message: str) -> list[str]:
    """Per-frame Q-Former texts recovered from the message exactly as the reference parses it."""
    times = message.split("at")[1].replace("seconds.", "").strip().split(",")
    return [f"This frame is sampled at {t.strip()} second." for t in times]
