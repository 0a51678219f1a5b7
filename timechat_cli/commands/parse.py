"""`timechat parse`: model answers → windows, events or highlights, one JSON line each."""

from __future__ import annotations

from enum import Enum
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


def parse(
    source: Annotated[str, typer.Argument(help="JSONL ({\"text\": ..., \"duration\": ...} per line), a JSON list of "
                                               "such rows or of TimeChat's raw results ({\"generated_cap\", ...}), "
                                               "or plain lines; - for stdin.")] = "-",
    task: Annotated[ParseTask, typer.Option(help="tvg: windows; dvc: events with captions; vhd: highlights.")] = ...,
    parser: Annotated[Parser, typer.Option(help="robust (a careful reader) or timechat (the reference, quirks "
                                                "included).")] = Parser.robust,
    duration: Annotated[float | None, typer.Option(min=0, help="Video length in seconds, for lines without one.")] = None,
) -> None:
    """Parse model answers into timestamps. Never fails on odd text: the status says what was found.

    Output per answer: tvg {"windows": [[s, e], ...]}, dvc {"events": [{"start", "end", "caption"}]}, vhd {"highlights": [[t, score], ...], "saliency": [one per 2 s clip, with a duration]}, each with "status" and "reason"; id fields of the input (id, qid, video, vid, image_id, vname, duration) are copied. TimeChat's raw results (the list its evaluate.py saves) are read as they are; with --parser timechat the output is what its format_tvg / format_dvc / format_vhd give.

    Examples:

      echo "The event happens from 1:23 to 1:45." | timechat parse --task tvg

      timechat parse answers.jsonl --task dvc --parser timechat > parsed.jsonl

      timechat parse charades_test_f96_result.json --task tvg --parser timechat > parsed.jsonl
    """
    import sys

    from timechat_core.eval import parsers
    from timechat_core.eval.readers import parse_input, read_lines

    fn = {"tvg": parsers.parse_tvg, "dvc": parsers.parse_dvc, "vhd": parsers.parse_vhd}[task.value]
    name = "<stdin>" if source == "-" else source
    for fields, text in parse_input(read_lines(source, sys.stdin), name):
        # A row's own duration wins; a bad one gives an "error" status, not a crash.
        emit({**fields, **fn(text, duration=fields.get("duration", duration), parser=parser.value)})
