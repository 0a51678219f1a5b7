"""`extract-audio`: the audio track as 16 kHz mono PCM WAV (what Whisper consumes) or as mp3.

Reference: `utils/asr/extract_audio.py` (TimeChat c60b332, `docs/data-pipeline.md` §2)
runs `ffmpeg -i VIDEO -q:a 0 -map a OUT.mp3` through a shell with unquoted paths. `--format mp3`
keeps those settings (best VBR quality, source rate and channels) for the first audio stream.
"""

from __future__ import annotations

from pathlib import Path

from timechat_core.batch import NoAudio
from timechat_core.video import ffmpeg as ff
from timechat_core.video.probe import probe

FORMATS = ("wav", "mp3")


def output_rel(rel: Path, fmt: str) -> Path:
    return rel.with_suffix(f".{fmt}")


def extract_audio(src: Path, dst: Path, *, fmt: str = "wav", sample_rate: int | None = 16000) -> dict:
    """Write the first audio stream of `src` to `dst`.

    Args:
        fmt: "wav" (mono PCM s16le at `sample_rate`) or "mp3" (the reference's `-q:a 0`; resampled
            only when `sample_rate` is given).

    Raises:
        NoAudio: `src` has no audio stream.
        MediaError: unreadable input or ffmpeg failure.
    """
    import ffmpeg

    info = probe(src)
    if info.audio is None:
        raise NoAudio("no audio stream")
    if fmt == "wav":
        opts = dict(acodec="pcm_s16le", ac=1, ar=sample_rate or 16000, f="wav")
    elif fmt == "mp3":
        opts = {"acodec": "libmp3lame", "q:a": 0, "f": "mp3"}
        if sample_rate:
            opts["ar"] = sample_rate
    else:
        raise ValueError(f"unknown audio format {fmt!r}; choose from {', '.join(FORMATS)}")
    graph = ffmpeg.input(str(src)).audio.output(str(dst), vn=None, **opts).overwrite_output()
    ff.run(graph, path=src)
    out = probe(dst)
    if out.audio is None:
        raise NoAudio("ffmpeg wrote no audio")
    return {
        "sample_rate": out.audio.sample_rate,
        "channels": out.audio.channels,
        "duration": round(d, 3) if (d := out.audio.duration or out.duration) else None,
    }


def is_extracted(path: Path) -> bool:
    return probe(path).audio is not None


def load_audio(path, sample_rate: int = 16000):
    """Decode the first audio stream of a media file to mono float32 samples in [-1, 1].

    Raises:
        NoAudio: the file has no audio stream.
        MediaError: unreadable file or decoding failure.
    """
    import av
    import numpy as np

    from timechat_core.errors import MediaError
    from timechat_core.video.probe import open_container

    with open_container(path) as container:
        if not container.streams.audio:
            raise NoAudio("no audio stream")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="s16", layout="mono", rate=sample_rate)
        chunks = []
        try:
            for frame in container.decode(stream):
                chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
            chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(None))
        except av.error.FFmpegError as e:
            raise MediaError(path, f"audio decoding failed: {e.strerror or e}") from None
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(chunks).astype(np.float32) / 32768.0
