"""`timechat parse`: model answers → windows, events or highlights, one JSON line each."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from timechat_cli.console import emit


class ParseTask(str, Enum):
    tvg = "tvg"
    dvc = "dvc"
    vhd = "vhd"


class Parser(str, Enum):
    robust = "robust"
    timechat = "timechat"


PASS_THROUGH = ("id", "qid", "video", "vid", "image_id", "duration")


def parse(
    source: Annotated[str, typer.Argument(help="JSONL ({\"text\": ..., \"duration\": ...} per line) or plain "
                                               "lines; - for stdin.")] = "-",
    task: Annotated[ParseTask, typer.Option(help="tvg: windows; dvc: events with captions; vhd: highlights.")] = ...,
    parser: Annotated[Parser, typer.Option(help="robust (a careful reader) or timechat (the reference, quirks "
                                                "included).")] = Parser.robust,
    duration: Annotated[float | None, typer.Option(min=0, help="Video length in seconds, for lines without one.")] = None,
) -> None:
    """Parse model answers into timestamps. Never fails on odd text: the status says what was found.

    Output per line: tvg {"windows": [[s, e], ...]}, dvc {"events": [{"start", "end", "caption"}]}, vhd {"highlights": [[t, score], ...], "saliency": [one per 2 s clip, with a duration]}, each with "status" and "reason"; id fields of the input are copied.

    Examples:

      echo "The event happens from 1:23 to 1:45." | timechat parse --task tvg

      timechat parse answers.jsonl --task dvc --parser timechat > parsed.jsonl
    """
    import json
    import sys

    from timechat_core.errors import InputError
    from timechat_core.eval import parsers

    fn = {"tvg": parsers.parse_tvg, "dvc": parsers.parse_dvc, "vhd": parsers.parse_vhd}[task.value]
    name = "<stdin>" if source == "-" else source
    try:
        stream = sys.stdin if source == "-" else Path(source).open(encoding="utf-8")
    except OSError as e:
        raise InputError(f"{source}: cannot read: {e.strerror}") from None
    with stream:
        for lineno, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            row: dict = {}
            if line.lstrip().startswith("{"):
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    raise InputError(f"{name}:{lineno}: invalid JSON: {e.msg}") from None
                if not isinstance(row, dict) or "text" not in row:
                    raise InputError(f"{name}:{lineno}: a JSON line needs a \"text\" field")
                text = str(row["text"])
            else:
                text = line.rstrip("\n")
            d = row.get("duration", duration)
            result = fn(text, duration=float(d) if d is not None else None, parser=parser.value)
            emit({**{k: row[k] for k in PASS_THROUGH if k in row}, **result})
