"""Render a scene's frames with numpy and encode them to H.264 mp4 by piping raw RGB into ffmpeg.

Frames are drawn without anti-aliasing, so they are exact functions of the scene: frame i shows
`scene.state_at(i / fps)`. Identical states (most frames: only moves change from frame to frame)
are drawn once. The encoder gets `-f rawvideo -pix_fmt rgb24` on stdin (an argument list, no
shell) and writes libx264 yuv420p with no audio, one thread and bit-exact flags, so the same
scene gives the same bytes (for one ffmpeg build) and, on any build, the same decoded frames
up to the encoder.
"""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

import numpy as np

from timechat_core.errors import MediaError
from timechat_core.synth.scene import FLASH_WHITE, Scene, state_at
from timechat_core.video import ffmpeg as ff

CRF = 18
"""Near-lossless for flat colours; a 128 px, 40 s video is ~100 kB."""
PRESET = "veryfast"
KEYFRAME_SECONDS = 2
"""A keyframe every 2 s, so frame sampling that seeks stays cheap."""


@functools.lru_cache(maxsize=64)
def stamp(shape: str, radius: int) -> np.ndarray:
    """Boolean mask of a shape of `radius` px, (2r+1, 2r+1), centred."""
    r = max(1, radius)
    y, x = np.mgrid[-r:r + 1, -r:r + 1].astype(np.float32)
    if shape == "circle":
        return x * x + y * y <= r * r
    if shape == "square":
        h = 0.8 * r
        return (np.abs(x) <= h) & (np.abs(y) <= h)
    if shape == "triangle":  # upward, inscribed in the circle of radius r
        return (y <= 0.5 * r) & (y >= -r + np.sqrt(3) * np.abs(x))
    raise ValueError(f"unknown shape {shape!r}")


def draw(state: tuple, width: int, height: int) -> np.ndarray:
    """The (height, width, 3) uint8 frame of a `state_at` tuple."""
    bg, flash, shapes = state
    frame = np.empty((height, width, 3), np.uint8)
    frame[:] = bg
    for shape, radius, cx, cy, rgb in shapes:
        mask = stamp(shape, radius)
        r = mask.shape[0] // 2
        y0, x0 = cy - r, cx - r
        ys, xs = slice(max(0, y0), min(height, y0 + mask.shape[0])), slice(max(0, x0), min(width, x0 + mask.shape[1]))
        if ys.start >= ys.stop or xs.start >= xs.stop:
            continue  # off the frame
        sub = mask[ys.start - y0:ys.stop - y0, xs.start - x0:xs.stop - x0]
        frame[ys, xs][sub] = rgb
    if flash:
        frame = (frame.astype(np.float32) * (1 - FLASH_WHITE) + 255 * FLASH_WHITE).round().astype(np.uint8)
    return frame


def frame_count(scene: Scene, fps: float) -> int:
    return round(scene.duration * fps)


def render_frames(scene: Scene, width: int, height: int, fps: float) -> bytes:
    """All frames as packed rgb24 bytes, frame after frame."""
    cache: dict[tuple, bytes] = {}
    out = []
    for i in range(frame_count(scene, fps)):
        state = state_at(scene, i / fps, width, height)
        if state not in cache:
            cache[state] = draw(state, width, height).tobytes()
        out.append(cache[state])
    return b"".join(out)


def encoder_args(path: str | os.PathLike, width: int, height: int, fps: float, *, crf: int = CRF,
                 preset: str = PRESET, comment: str | None = None) -> list[str]:
    """The ffmpeg command that reads rgb24 frames on stdin and writes an H.264 mp4 at `path` (with `comment`
    as its only metadata, when given: `video.tag.tag_comment`)."""
    return [ff.ffmpeg_binary(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", f"{fps:g}", "-i", "pipe:0",
            "-an", "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
            "-g", str(max(1, round(KEYFRAME_SECONDS * fps))), "-threads", "1",
            "-map_metadata", "-1", *(["-metadata", f"comment={comment}"] if comment else []),
            "-fflags", "+bitexact", "-flags:v", "+bitexact", "-movflags", "+faststart", "-f", "mp4", str(path)]


def encode(frames: bytes, path: str | os.PathLike, width: int, height: int, fps: float, *,
           timeout: float | None = 600, **opts) -> Path:
    """Encode packed rgb24 `frames` to `path`.

    Raises:
        MediaError: ffmpeg failed or timed out (its last error line in the message).
    """
    path = Path(path)
    args = encoder_args(path, width, height, fps, **opts)
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=ff.DIE_WITH_PARENT)
    try:
        _, stderr = proc.communicate(frames, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise MediaError(path, f"ffmpeg timed out after {timeout:g} s") from None
    if proc.returncode != 0:
        raise MediaError(path, f"ffmpeg failed: {ff.last_error_line(stderr)}")
    return path


def render_video(scene: Scene, path: str | os.PathLike, width: int, height: int, fps: float, **opts) -> dict:
    """Render and encode `scene` to `path` (`opts`: `encoder_args`'s); returns {"frames", "bytes"}."""
    frames = render_frames(scene, width, height, fps)
    encode(frames, path, width, height, fps, **opts)
    return {"frames": frame_count(scene, fps), "bytes": Path(path).stat().st_size}
