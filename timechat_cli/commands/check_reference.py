"""`timechat check-reference`: run a conformance fixture through the real loading chain, stage by stage."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from timechat_cli.console import err


def check_reference(
    fixture: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="Fixture folder (format of reference_tiny: config.json, checkpoints/, inputs/, expected/).", show_default=False)],
    fp32_only: Annotated[bool, typer.Option("--fp32-only", help="Skip the bf16 variant.")] = False,
    threads: Annotated[int, typer.Option(min=0, help="torch CPU threads (0: torch's default).")] = 1,
) -> None:
    """Compare every stage with what the reference code computed: timestamp token ids, image Q-Former output, video tokens, spliced inputs_embeds and mask, logits, greedy and sampled token ids and text, training batch and loss, the Video-LLaMA init chain.

    Prints JSON (per stage: max difference, tolerance, ok) on stdout and a table on stderr; exit 0 only when every required stage is within tolerance. The bf16 variant's token ids are advisory: bf16 kernels differ between CPUs.

    Examples:

      timechat check-reference tests/data/reference_tiny

      timechat check-reference my_fixture --fp32-only
    """
    import json

    import torch

    from timechat_core.model.reference_check import check_reference as run

    if threads:
        torch.set_num_threads(threads)
    report = run(fixture, variants=("fp32",) if fp32_only else ("fp32", "bf16"))
    _table(report)
    print(json.dumps(report, indent=1))
    if not report["ok"]:
        raise typer.Exit(1)


def _table(report: dict) -> None:
    from rich.table import Table

    table = Table(title=f"check-reference {report['fixture']}", title_justify="left")
    for col, just in (("stage", "left"), ("max |Δ|", "right"), ("tolerance", "right"), ("", "left")):
        table.add_column(col, justify=just)
    for s in report["stages"]:
        diff = "-" if s["max_abs_diff"] is None else f"{s['max_abs_diff']:.2g}"
        verdict = ("[green]ok[/]" if s["ok"] else "[red]NOT OK[/]") + ("" if s["required"] else " (advisory)")
        table.add_row(s["stage"], diff, f"{s['tolerance']:.2g}", verdict)
    err.print(table)
    err.print("[green]all required stages within tolerance[/]" if report["ok"] else "[red]some stages are not within tolerance[/]")
