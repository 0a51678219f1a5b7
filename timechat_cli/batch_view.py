"""Run a core batch with a progress bar and a summary on stderr, records on stdout."""

from __future__ import annotations

import time
from collections.abc import Iterator

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from timechat_cli.console import emit, err


def show_batch(records: Iterator[dict], total: int, title: str) -> None:
    """Consume `records`, emitting each; print failures and a summary; exit 1 if any failed."""
    from timechat_core.batch import FAILED, STATUSES

    counts = {s: 0 for s in STATUSES}
    start = time.perf_counter()
    progress = Progress(
        TextColumn(f"[bold]{title}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True, disable=not err.is_terminal,
    )
    with progress:
        task = progress.add_task(title, total=total)
        for record in records:
            emit(record)
            counts[record["status"]] += 1
            if record["status"] == FAILED:
                progress.console.print(f"[red]failed[/] {record['input']}: {record['error']}", soft_wrap=True)
            progress.advance(task)
    table = Table(title=f"{title}: {total} input(s) in {time.perf_counter() - start:.1f} s", title_justify="left")
    for status in STATUSES:
        table.add_column(status, justify="right")
    table.add_row(*(str(counts[s]) for s in STATUSES))
    err.print(table)
    if counts[FAILED]:
        raise typer.Exit(code=1)
