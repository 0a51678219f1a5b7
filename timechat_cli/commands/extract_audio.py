"""`timechat extract-audio`: audio tracks as 16 kHz mono WAV (or the reference's mp3)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from timechat_cli.batch_view import show_batch
from timechat_cli.options import InputsArg, OutDirOpt, OverwriteOpt, RootOpt, WorkersOpt, default_workers


class AudioFormat(str, Enum):
    wav = "wav"
    mp3 = "mp3"


def extract_audio(
    inputs: InputsArg,
    out: OutDirOpt,
    format: Annotated[AudioFormat, typer.Option("--format", "-f", help="wav: mono PCM; mp3: the reference's -q:a 0.")] = AudioFormat.wav,
    sample_rate: Annotated[
        int | None, typer.Option(min=1000, help="Sample rate in Hz [default: 16000 for wav, the source's for mp3].",
                                 show_default=False)
    ] = None,
    workers: WorkersOpt = default_workers(),
    root: RootOpt = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Extract the first audio stream of each input (videos or audio files).

    A video without audio gets status "no-audio" (not a failure). One JSON record per input on stdout; exit status 1 when any input failed.

    Examples:

      timechat extract-audio videos/ -o audio/

      timechat extract-audio @list.txt --root raw_videos -o audio_files --format mp3
    """
    from timechat_core.batch import AUDIO_EXTS, VIDEO_EXTS, expand_inputs, run_batch
    from timechat_core.video import audio as core

    fmt = format.value
    items = expand_inputs(inputs, VIDEO_EXTS | AUDIO_EXTS, root)
    records = run_batch(
        items, out,
        lambda src, dst: core.extract_audio(src, dst, fmt=fmt, sample_rate=sample_rate),
        output_rel=lambda rel: core.output_rel(rel, fmt),
        is_done=core.is_extracted,
        workers=workers, overwrite=overwrite,
    )
    show_batch(records, len(items), "extract-audio")
