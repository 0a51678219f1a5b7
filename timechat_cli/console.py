"""stdout is data (JSON lines), stderr is everything else."""

from __future__ import annotations

import json
import sys

from rich.console import Console

err = Console(stderr=True, highlight=False)


def emit(record: dict) -> None:
    """Write one JSON record as a line on stdout, flushed (for shell pipelines)."""
    sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def warn(message: str) -> None:
    err.print(f"[yellow]warning:[/] {message}", markup=True, soft_wrap=True)
