"""`timechat clean-asr`: the reference's transcript cleaning."""

from __future__ import annotations

from typing import Annotated

import typer

from timechat_cli.batch_view import show_batch
from timechat_cli.options import InputsArg, OutDirOpt, OverwriteOpt, RootOpt


def clean_asr(
    inputs: InputsArg,
    out: OutDirOpt,
    min_words: Annotated[int, typer.Option(min=0, help="Drop segments with fewer words.")] = 3,
    dedup: Annotated[bool, typer.Option(help="Drop a segment repeating the last kept one.")] = True,
    root: RootOpt = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Clean transcripts (`timechat asr` output): drop short and repeated segments.

    Reads `start<TAB>end<TAB>text` files (folders are searched for .txt) and writes the kept segments in the same format; cleaning a cleaned file changes nothing.

    Examples:

      timechat clean-asr asr/tiny.en -o asr/tiny.en.cleaned

      timechat clean-asr asr/tiny.en -o cleaned --min-words 2 --no-dedup
    """
    from timechat_core.asr.run import clean_file
    from timechat_core.batch import expand_inputs, run_batch

    items = expand_inputs(inputs, frozenset({".txt"}), root)
    records = run_batch(
        items, out, lambda src, dst: clean_file(src, dst, min_words=min_words, dedup=dedup),
        workers=1, overwrite=overwrite,
    )
    show_batch(records, len(items), "clean-asr")
