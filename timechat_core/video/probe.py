"""Probe media files with PyAV (no ffprobe needed).

`probe(path)` opens the container once and reports its streams, or raises a `MediaError`
whose message says in a few words what is wrong with the file (missing, empty, not media,
corrupt). Every batch command calls it first, so bad inputs fail fast with the same wording.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from timechat_core.errors import MediaError


@dataclass(frozen=True)
class VideoStreamInfo:
    codec: str
    width: int
    height: int
    fps: float
    """Average frame rate (`avg_frame_rate`, what decord's `get_avg_fps()` reports)."""
    frames: int
    """Frame count from the container header (`nb_frames`), 0 when the container does not say."""
    duration: float | None
    """Seconds, as the stream declares it (None when only the container says; see MediaInfo)."""


@dataclass(frozen=True)
class AudioStreamInfo:
    codec: str
    sample_rate: int
    channels: int
    duration: float | None


@dataclass(frozen=True)
class MediaInfo:
    path: str
    format: str
    duration: float | None
    video: VideoStreamInfo | None
    audio: AudioStreamInfo | None


def check_readable_file(path: str | os.PathLike) -> Path:
    """Fail with a short reason when `path` is not a non-empty regular file."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise MediaError(p, "no such file") from None
    except OSError as e:
        raise MediaError(p, f"cannot access: {e.strerror}") from None
    if p.is_dir():
        raise MediaError(p, "is a directory, not a media file")
    if st.st_size == 0:
        raise MediaError(p, "empty file (0 bytes)")
    return p


def open_container(path: str | os.PathLike):
    """`av.open` with the errors turned into one-line `MediaError`s."""
    import av

    p = check_readable_file(path)
    try:
        return av.open(str(p), metadata_errors="ignore")
    except av.error.InvalidDataError:
        raise MediaError(p, "not a media file, or corrupt or truncated (invalid data)") from None
    except av.error.FFmpegError as e:
        raise MediaError(p, f"cannot open: {_av_reason(e)}") from None


def _av_reason(e: Exception) -> str:
    return getattr(e, "strerror", None) or str(e).split(": '")[0]


def _seconds(value, time_base) -> float | None:
    if value is None or time_base is None:
        return None
    return float(value * time_base)


def stream_rate(stream) -> float:
    """`avg_frame_rate`, else FFmpeg's guess, else the base rate (0.0 when none is known)."""
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate:
            return float(Fraction(rate))
    return 0.0


def probe(path: str | os.PathLike) -> MediaInfo:
    """Describe the first video and first audio stream of a media file.

    Raises:
        MediaError: the file is missing, empty, not media or unreadable.
    """
    with open_container(path) as container:
        container_duration = container.duration / 1_000_000 if container.duration else None
        video = audio = None
        if container.streams.video:
            vs = container.streams.video[0]
            cc = vs.codec_context
            video = VideoStreamInfo(
                codec=cc.name if cc is not None else "unknown",
                width=int(cc.width or 0),
                height=int(cc.height or 0),
                fps=stream_rate(vs),
                frames=int(vs.frames or 0),
                duration=_seconds(vs.duration, vs.time_base),
            )
        if container.streams.audio:
            aus = container.streams.audio[0]
            cc = aus.codec_context
            audio = AudioStreamInfo(
                codec=cc.name if cc is not None else "unknown",
                sample_rate=int(cc.sample_rate or 0),
                channels=int(cc.channels or 0),
                duration=_seconds(aus.duration, aus.time_base),
            )
        return MediaInfo(
            path=str(path),
            format=container.format.name,
            duration=container_duration,
            video=video,
            audio=audio,
        )
