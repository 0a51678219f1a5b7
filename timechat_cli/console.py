"""stdout is data (JSON lines), stderr is everything else."""

from __future__ import annotations

import functools
import json
import sys

from rich.console import Console

err = Console(stderr=True, highlight=False)


@functools.lru_cache(maxsize=None)
def _writer(stream):
    import jsonlines  # lazily: keeps `timechat --help` instant

    return jsonlines.Writer(stream, flush=True, dumps=functools.partial(json.dumps, ensure_ascii=False))


def emit(record: dict) -> None:
    """Write one JSON record as a line on stdout, flushed (for shell pipelines)."""
    _writer(sys.stdout).write(record)


def warn(message: str) -> None:
    err.print(f"[yellow]warning:[/] {message}", markup=True, soft_wrap=True)
