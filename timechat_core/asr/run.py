"""Batch steps of `timechat asr` and `timechat clean-asr` (used with `timechat_core.batch.run_batch`)."""

from __future__ import annotations

import threading
from pathlib import Path

from timechat_core.asr.transcript import clean_segments, format_transcript, read_transcript
from timechat_core.asr.whisper import SAMPLE_RATE, AsrOptions, Transcriber
from timechat_core.video.audio import load_audio


def output_rel(rel: Path) -> Path:
    """One transcript per input, `<name>.txt`, as in the reference layout."""
    return rel.with_suffix(".txt")


class LazyTranscriber:
    """Loads the model on first use, so a rerun where everything is done loads nothing."""

    def __init__(self, backend: str, model_path: str, options: AsrOptions, *, threads: int, workers: int):
        self._args = (backend, model_path, options)
        self._kwargs = dict(threads=threads, workers=workers)
        self._model: Transcriber | None = None
        self._lock = threading.Lock()

    def get(self) -> Transcriber:
        with self._lock:
            if self._model is None:
                self._model = Transcriber(*self._args, **self._kwargs)
            return self._model


def transcribe_file(src: Path, dst: Path, transcriber: LazyTranscriber) -> dict:
    """Transcribe one video or audio file into `dst` (reference format); the record's extra fields.

    Raises:
        NoAudio: no audio stream. MediaError: unreadable media.
    """
    audio = load_audio(src, SAMPLE_RATE)
    model = transcriber.get()
    segments, info = model.transcribe(audio)
    dst.write_text(format_transcript(segments), encoding="utf-8")
    return {
        "backend": model.backend,
        "model": model.model_path,
        "beam_size": model.options.beam_size,
        "language": info.get("language"),
        "duration": round(len(audio) / SAMPLE_RATE, 3),
        "segments": [s.to_dict() for s in segments],
    }


def clean_file(src: Path, dst: Path, *, min_words: int = 3, dedup: bool = True) -> dict:
    segments = read_transcript(src)
    kept = clean_segments(segments, min_words=min_words, dedup=dedup)
    dst.write_text(format_transcript(kept), encoding="utf-8")
    return {"segments_in": len(segments), "segments_out": len(kept)}
