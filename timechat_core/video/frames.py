"""Decode the sampled frames of a video, as the reference model sees them.

`load_frames(path, num_frames=96, size=224, strategy="uniform")` returns the uint8 frames
(T, H, W, 3), the frame indices, timestamps and the reference's message (rules in
`sampling.py`). Frames are squashed to `size` x `size` with bilinear scaling, like
`decord.VideoReader(path, height=size, width=size)` in the reference.

`decode_frames(path, choose, size=None)` is the step under it for other models' rules: `choose(vlen,
fps)` picks the indices once the frame count and rate are known, and `size=None` keeps the video's
own resolution (what `decord.VideoReader(path)` returns).

Backends:
- `decord` (the reference's reader; x86_64 wheels only), used by `auto` when importable;
- `pyav` (always available): frame count = number of video packets (what decord counts),
  frame rate = `avg_frame_rate` (what decord reports), frames decoded with keyframe seeks and
  scaled by libswscale with bilinear interpolation. Same indices as decord; pixel values differ
  slightly because the two link different FFmpeg builds (measured in
  `tests/core/video/test_frames.py` and reported in README).
"""

from __future__ import annotations

import bisect
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from timechat_core.errors import MediaError
from timechat_core.video import probe as probe_mod
from timechat_core.video.sampling import frame_timestamps, sample_indices, timestamp_message

BACKENDS = ("auto", "decord", "pyav")

log = logging.getLogger(__name__)
_decord_bad_sizes: set[tuple[int, int]] = set()
"""Sizes decord failed to scale to in this process: `auto` goes straight to PyAV for them."""


class _DecordSizeBug(Exception):
    """decord 0.6 returns 4-channel garbage for some output sizes (8, 12, 16, 24, 48, 72, ...)
    and then fails to copy it (dmlc/decord#336); the file itself is fine."""


@dataclass(frozen=True)
class SampledFrames:
    frames: np.ndarray = field(repr=False)
    """uint8 (T, H, W, 3), RGB."""
    indices: list[int]
    timestamps: list[float]
    fps: float
    """Average frame rate used for the timestamps."""
    vlen: int
    """Frames in the video, as decord counts them."""
    message: str
    """`The video contains T frames sampled at ... seconds. `"""
    backend: str

    def to_dict(self) -> dict:
        return {
            "indices": [int(i) for i in self.indices],
            "timestamps": self.timestamps,
            "fps": self.fps,
            "vlen": self.vlen,
            "num_frames": len(self.indices),
            "message": self.message,
            "backend": self.backend,
        }


@dataclass(frozen=True)
class DecodedFrames:
    """Frames at chosen indices, before any model's timing rule is applied."""

    frames: np.ndarray = field(repr=False)
    """uint8 (T, H, W, 3), RGB."""
    indices: list
    """As `choose` returned them (their number type kept: the TimeChat rules round numpy's way for numpy ints)."""
    fps: float
    """Average frame rate (decord's `get_avg_fps()`, PyAV's `avg_frame_rate`)."""
    vlen: int
    """Frames in the video, as decord counts them."""
    backend: str


def decord_available() -> bool:
    try:
        import decord  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    if backend == "auto":
        return "decord" if decord_available() else "pyav"
    if backend == "decord" and not decord_available():
        raise MediaError("decord", "not installed (x86_64 only: pip install decord); use --backend pyav")
    return backend


def load_frames(
    path: str | os.PathLike,
    num_frames: int = 96,
    size: int = 224,
    strategy: str = "uniform",
    seed: int | None = None,
    backend: str = "auto",
) -> SampledFrames:
    """Sample and decode frames of one video.

    Args:
        path: the video.
        num_frames: frames wanted (fewer when the video is shorter).
        size: output frames are `size` x `size` (aspect ratio not kept, as in the reference).
        strategy: "uniform" (inference) or "rand" (training).
        seed: seed of the `rand` draws.
        backend: "auto", "decord" or "pyav".

    Raises:
        MediaError: the file is unreadable, has no video stream, or frames fail to decode.
    """
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    d = decode_frames(path, lambda vlen, fps: sample_indices(vlen, num_frames, strategy, seed), (size, size), backend)
    return SampledFrames(frames=d.frames, indices=[int(i) for i in d.indices],
                         timestamps=frame_timestamps(d.indices, d.fps), fps=d.fps,
                         vlen=d.vlen, message=timestamp_message(d.indices, d.fps), backend=d.backend)


def decode_frames(
    path: str | os.PathLike,
    choose: Callable[[int, float], Sequence],
    size: tuple[int, int] | None = None,
    backend: str = "auto",
) -> DecodedFrames:
    """Decode the frames `choose(vlen, fps)` picks, scaled to `size` = (height, width) or at full size.

    Raises:
        MediaError: the file is unreadable, has no video stream, no frame rate, or frames fail to decode.
    """
    requested, backend = backend, resolve_backend(backend)
    if requested == "auto" and size in _decord_bad_sizes:
        backend = "pyav"  # every frame of a run from one decoder
    if backend == "decord":
        # Probe first: decord prints its own log line on a bad file before raising; the probe
        # says in one line what is wrong (missing, empty, not media, no video stream).
        info = probe_mod.probe(path)
        if info.video is None:
            raise MediaError(path, "no video stream")
        try:
            return _read_decord(str(path), choose, size)
        except _DecordSizeBug:
            what = "read frames at this size" if size is None else f"scale frames to {size[1]}x{size[0]}"
            if requested == "decord":
                raise MediaError(path, f"decord cannot {what} (a decord bug at this size); use --backend pyav") from None
            if size is not None:  # at full size the bug follows the file, not the run
                _decord_bad_sizes.add(size)
            log.warning("decord cannot %s (a decord bug at this size): decoding with PyAV", what)
    probe_mod.check_readable_file(path)
    return _read_pyav(str(path), choose, size)


def _checked_fps(path, fps) -> float:
    if not fps or not np.isfinite(fps) or fps <= 0:
        raise MediaError(path, "frame rate unknown: cannot compute timestamps")
    return float(fps)


def _read_decord(path: str, choose, size: tuple[int, int] | None) -> DecodedFrames:
    import decord

    decord.logging.set_level(decord.logging.QUIET)
    try:
        vr = decord.VideoReader(path) if size is None else decord.VideoReader(path, height=size[0], width=size[1])
        vlen = len(vr)
        if vlen < 1:
            raise MediaError(path, "video has no frames")
        fps = _checked_fps(path, vr.get_avg_fps())
        indices = list(choose(vlen, fps))
        batch = vr.get_batch([int(i) for i in indices])
        frames = batch.asnumpy() if hasattr(batch, "asnumpy") else np.asarray(batch)
    except (decord.DECORDError, RuntimeError) as e:
        if "from_size == to_size" in str(e):
            raise _DecordSizeBug() from None
        raise MediaError(path, f"decord cannot decode it (corrupt or truncated?): {_short(e)}") from None
    return DecodedFrames(frames, indices, fps, int(vlen), "decord")


def _short(e: Exception) -> str:
    text = str(e).strip().splitlines()
    line = text[-1] if text else type(e).__name__
    return line.split("Error: ", 1)[-1][:200]


def _read_pyav(path: str, choose, size: tuple[int, int] | None) -> DecodedFrames:
    import av

    with probe_mod.open_container(path) as container:
        if not container.streams.video:
            raise MediaError(path, "no video stream")
        stream = container.streams.video[0]
        # Pass 1, demux only: presentation order of all packets and which are keyframes.
        pts_list: list[int | None] = []
        key_pts: set[int] = set()
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            pts_list.append(packet.pts)
            if packet.is_keyframe and packet.pts is not None:
                key_pts.add(packet.pts)
        vlen = len(pts_list)
        if vlen < 1:
            raise MediaError(path, "video has no frames")
        fps = _checked_fps(path, probe_mod.stream_rate(stream))
        indices = list(choose(vlen, fps))
        wanted = sorted({int(i) for i in indices})
        try:
            if any(p is None for p in pts_list):
                decoded = _decode_sequential(container, stream, wanted, size)
            else:
                decoded = _decode_seeking(container, stream, sorted(pts_list), key_pts, wanted, size)
        except av.error.FFmpegError as e:
            raise MediaError(path, f"decoding failed: {e.strerror or e}") from None
    missing = [i for i in wanted if i not in decoded]
    if missing:
        raise MediaError(path, f"could not decode frame {missing[0]} of {vlen} (corrupt or truncated?)")
    frames = np.stack([decoded[int(i)] for i in indices])
    return DecodedFrames(frames, indices, fps, vlen, "pyav")


class _Scaler:
    """`scale=W:H:flags=bilinear,format=rgb24` through an FFmpeg filter graph (no `scale` for full size).

    The same filter chain the reference's decord output matches byte for byte (with the same
    FFmpeg build); closer to decord than `VideoFrame.reformat`, which skips the filter defaults.
    """

    def __init__(self, stream, size: tuple[int, int] | None):
        import av.filter

        self.graph = av.filter.Graph()
        src = self.graph.add_buffer(template=stream)
        fmt = self.graph.add("format", "rgb24")
        if size is None:
            src.link_to(fmt)
        else:
            scale = self.graph.add("scale", f"{size[1]}:{size[0]}:flags=bilinear")
            src.link_to(scale)
            scale.link_to(fmt)
        sink = self.graph.add("buffersink")
        fmt.link_to(sink)
        self.graph.configure()

    def __call__(self, frame) -> np.ndarray:
        self.graph.push(frame)
        return self.graph.pull().to_ndarray()


def _decode_sequential(container, stream, wanted: list[int], size) -> dict[int, np.ndarray]:
    container.seek(0)
    stream.thread_type = "AUTO"
    to_rgb = _Scaler(stream, size)
    targets = set(wanted)
    out: dict[int, np.ndarray] = {}
    for idx, frame in enumerate(container.decode(stream)):
        if idx in targets:
            out[idx] = to_rgb(frame)
            if len(out) == len(targets):
                break
    return out


def _decode_seeking(container, stream, pts_sorted, key_pts, wanted, size) -> dict[int, np.ndarray]:
    """Decode only what is needed: seek to the last keyframe before a target when that skips work."""
    index_of = {p: i for i, p in enumerate(pts_sorted)}
    key_idx = sorted(index_of[p] for p in key_pts) or [0]

    def keyframe_before(i: int) -> int:
        j = bisect.bisect_right(key_idx, i) - 1
        return key_idx[max(j, 0)]

    stream.thread_type = "AUTO"
    to_rgb = _Scaler(stream, size)
    out: dict[int, np.ndarray] = {}
    ti = 0
    while ti < len(wanted):
        start = keyframe_before(wanted[ti])
        container.seek(pts_sorted[start], stream=stream, backward=True, any_frame=False)
        for frame in container.decode(stream):
            idx = index_of.get(frame.pts)
            if idx is None:
                continue
            while ti < len(wanted) and wanted[ti] < idx:
                ti += 1  # passed a target without seeing it: reported as missing
            if ti == len(wanted):
                break
            if idx == wanted[ti]:
                out[idx] = to_rgb(frame)
                ti += 1
                if ti == len(wanted) or keyframe_before(wanted[ti]) > idx + 1:
                    break  # the next target is cheaper to reach by seeking
        else:
            break  # end of stream
    return out


def save_frames(sampled: SampledFrames, folder: str | os.PathLike) -> list:
    """Write each frame as `{k:03d}_frame{index}_{t}s.png`; returns the paths."""
    from pathlib import Path

    from PIL import Image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, (frame, idx, t) in enumerate(zip(sampled.frames, sampled.indices, sampled.timestamps)):
        path = folder / f"{k:03d}_frame{idx}_{t}s.png"
        tmp = path.with_name(f".{path.name}.part")
        Image.fromarray(frame).save(tmp, format="PNG")
        os.replace(tmp, path)
        paths.append(path)
    return paths
