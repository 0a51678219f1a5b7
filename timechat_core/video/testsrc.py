"""Generate test videos with ffmpeg's lavfi sources (for tests, benchmarks and `make demo`).

`testsrc2` draws a moving pattern with a frame counter, so every frame differs from its
neighbours; `sine` adds a tone when audio is wanted.
"""

from __future__ import annotations

import os
from pathlib import Path

from timechat_core.video import ffmpeg as ff


def make_test_video(
    path: str | os.PathLike,
    *,
    width: int = 320,
    height: int = 240,
    fps: float = 30,
    duration: float = 2.0,
    audio: bool = True,
    sample_rate: int = 16000,
    preset: str = "ultrafast",
    frames: int | None = None,
    pix_fmt: str = "yuv420p",
) -> Path:
    """Write an H.264 (+AAC) test clip and return its path.

    Args:
        frames: exact number of video frames (overrides `duration` for the video stream).
        pix_fmt: yuv420p needs even dimensions; use yuv444p for odd ones.
    """
    import ffmpeg

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    length = frames / fps if frames else duration
    # testsrc2 rounds odd sizes down: draw at an even size, then scale to the exact one.
    src_w, src_h = width + width % 2, height + height % 2
    video = ffmpeg.input(f"testsrc2=size={src_w}x{src_h}:rate={fps}:duration={length}", f="lavfi")
    if (src_w, src_h) != (width, height):
        video = video.filter("scale", width, height)
    streams = [video]
    out_opts = dict(vcodec="libx264", preset=preset, pix_fmt=pix_fmt)
    if frames:
        out_opts["frames:v"] = frames
    if audio:
        streams.append(ffmpeg.input(f"sine=frequency=440:sample_rate={sample_rate}:duration={length}", f="lavfi"))
        out_opts.update(acodec="aac")
    ff.run(ffmpeg.output(*streams, str(path), **out_opts).overwrite_output(), path=path)
    return path


def make_test_audio(path: str | os.PathLike, *, duration: float = 2.0, sample_rate: int = 44100) -> Path:
    """Write an audio-only file (format from the suffix, e.g. .wav, .m4a, .mp3)."""
    import ffmpeg

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    src = ffmpeg.input(f"sine=frequency=440:sample_rate={sample_rate}:duration={duration}", f="lavfi")
    ff.run(src.output(str(path)).overwrite_output(), path=path)
    return path
