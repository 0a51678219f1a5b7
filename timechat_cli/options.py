"""Options shared by several commands, defined once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

InputsArg = Annotated[
    list[str],
    typer.Argument(
        help="Files, folders (searched recursively), @list.txt (one path per line) or - (paths on stdin).",
        metavar="INPUT...",
        show_default=False,
    ),
]
OutDirOpt = Annotated[Path, typer.Option("--out", "-o", help="Output folder; the input layout is mirrored in it.")]
WorkersOpt = Annotated[int, typer.Option("--workers", "-j", min=1, help="Items processed in parallel.")]
RootOpt = Annotated[
    Path | None,
    typer.Option(help="Folder that relative paths in @list / stdin are resolved against and mirrored from."),
]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="Redo outputs that already exist.")]


def default_workers() -> int:
    import os

    return os.cpu_count() or 1
