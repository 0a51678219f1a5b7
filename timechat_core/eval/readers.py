"""The prediction files `timechat eval` reads and the answer files `timechat parse` reads, told apart by shape.

Answers still to parse (`docs/metrics.md` §10):

- answer rows: a list (JSON, or JSON lines) of objects with "text" and an id, as `timechat infer`
  writes them (with the video's "duration");
- TimeChat raw results: the JSON list TimeChat's `evaluate.py` saves before formatting, objects with
  "vname" and "generated_cap" (and "query" and "id" for grounding and highlights).

Structured files, already the evaluators' input: TimeChat's formatted files (grounding
`{id: {"timestamp": ...}}`, highlights `[{"qid", "pred_saliency_scores"}]`, dense captions
`{video: [{"timestamp", "caption"}]}`), moment_detr submissions, densevid_eval submissions and
per-video saliency for TVSum. Each evaluator's loader checks them in detail; here a file whose shape
fits nothing gets one line naming the shapes the task accepts.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from timechat_core.errors import InputError
from timechat_core.fileio import check_time

TIMECHAT_TEXT, TEXT = "generated_cap", "text"
_LIST_START = re.compile(r"\s*\[\s*(?:\{|$)")  # a JSON list of objects, on one line or pretty-printed
# Fields of an answer row that `timechat parse` copies to its output.
PASS_THROUGH = ("id", "qid", "video", "vid", "image_id", "vname", "duration")
# The id fields of answer rows, by task, in the order they are looked up.
ROW_KEYS = {
    "tvg": ("id", "qid"), "vhd": ("qid", "id"), "mr": ("qid", "id"),
    "dvc": ("video", "image_id", "vid", "id"), "step": ("video", "image_id", "vid", "id"),
    "summarization": ("video", "vid", "id"),
}
# TimeChat's raw results name a query by its coco id and a video by its file name.
TIMECHAT_KEY = {"tvg": "id", "vhd": "id", "mr": "id", "dvc": "vname", "step": "vname", "summarization": "vname"}
ANSWER_SHAPES = ('answer rows [{"id"|"qid"|"video": ..., "text": ...}] (JSON or JSONL, as timechat infer writes)',
                 'TimeChat raw results [{"vname", "generated_cap", "query", "id"}] (evaluate.py)')
STRUCTURED_SHAPES = {
    "tvg": ('TimeChat formatted grounding {"<id>": {"timestamp": [[s, e]]}}',),
    "vhd": ('moment_detr submission rows {"qid", "pred_saliency_scores"} (JSONL or a JSON list, '
            "as TimeChat's formatted highlights)",),
    "mr": ('moment_detr submission rows {"qid", "pred_relevant_windows"} (JSONL or a JSON list)',),
    "dvc": ('TimeChat formatted captions {"<video>": [{"timestamp": [s, e], "caption"}]}',
            'densevid_eval submission {"version", "results": {...}}'),
    "summarization": ('{"<video>": [score per 2 s clip]}', 'rows {"video", "pred_saliency_scores"}'),
}
STRUCTURED_SHAPES["step"] = STRUCTURED_SHAPES["dvc"]


@dataclass(frozen=True)
class Answer:
    """One generated answer of a prediction file."""

    key: str
    """The query id (tvg, vhd, mr) or the video name (dvc, step, summarization)."""
    text: str
    duration: float | None
    """The video length the row gives (`timechat infer` rows do; TimeChat's raw results do not)."""
    where: str
    """The file and item, for messages."""


def _text_key(rows: Any) -> str | None:
    """The answer field, "text" or "generated_cap", when `rows` is a non-empty list of objects that all carry it."""
    if not _rows(rows):
        return None
    if all(TEXT in r for r in rows):
        return TEXT
    if all(TIMECHAT_TEXT in r and "vname" in r for r in rows):
        return TIMECHAT_TEXT
    return None


def answers(data: Any, path: str | os.PathLike, task: str) -> list[Answer] | None:
    """The answers of a prediction file's content, or None when it holds no answers (a structured file).

    Raises:
        InputError: An answer without the id the task needs, or with a duration that is not a
            non-negative number.
    """
    text_key = _text_key(data)
    if text_key is None:
        return None
    keys = ROW_KEYS[task] if text_key == TEXT else (TIMECHAT_KEY[task],)
    found = []
    for i, row in enumerate(data):
        where = f"{path}: item {i + 1}"
        key = next((str(row[k]) for k in keys if row.get(k) is not None), None)
        if key is None:
            raise InputError(f"{where} has no id (one of {', '.join(keys)})")
        duration = row.get("duration")
        duration = None if duration is None else check_time(duration, f"{where}: duration")
        found.append(Answer(key, str(row[text_key]), duration, where))
    return found


def check_structured(data: Any, path: str | os.PathLike, task: str) -> None:
    """Accept content whose top level fits one of the task's structured shapes; else one line naming every
    shape the task accepts."""
    fits = {
        "tvg": isinstance(data, dict),
        "vhd": _qid_rows(data), "mr": _qid_rows(data),
        "dvc": isinstance(data, dict), "step": isinstance(data, dict),
        "summarization": isinstance(data, dict) or _rows(data),
    }[task]
    if not fits:
        accepted = "; ".join(ANSWER_SHAPES + STRUCTURED_SHAPES[task])
        raise InputError(f"{path}: not a prediction file --task {task} reads; accepted: {accepted}")


def _rows(data: Any) -> bool:
    return isinstance(data, list) and bool(data) and all(isinstance(r, dict) for r in data)


def _qid_rows(data: Any) -> bool:
    return (isinstance(data, dict) and "qid" in data) or (_rows(data) and all("qid" in r for r in data))


def parse_input(lines: Iterable[str], name: str) -> Iterator[tuple[dict, str]]:
    """(fields to copy, text) for each answer of `timechat parse`'s input, read as it streams.

    The input is a JSON list of answer rows or TimeChat raw results (when it opens with "[" and then
    "{" or a line break), JSON lines with "text" or "generated_cap", or plain lines of text (which may
    start with "[", as in "[0:10 - 0:20] he cooks"); blank lines are skipped.

    Raises:
        InputError: Invalid JSON or a JSON row without its text, naming `name` and the line.
    """
    lines = iter(lines)
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if _LIST_START.match(line):
            yield from _json_list(line + "".join(lines), name, lineno)
            return
        if not line.lstrip().startswith("{"):
            yield {}, line.rstrip("\n")
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{name}:{lineno}: invalid JSON: {e.msg}") from None
        yield _answer_row(row, f"{name}:{lineno}")


def _json_list(text: str, name: str, first_line: int) -> Iterator[tuple[dict, str]]:
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{name}:{first_line + e.lineno - 1}: invalid JSON: {e.msg}") from None
    for i, row in enumerate(rows):
        yield _answer_row(row, f"{name}: item {i + 1}")


def _answer_row(row: Any, where: str) -> tuple[dict, str]:
    key = next((k for k in (TEXT, TIMECHAT_TEXT) if isinstance(row, dict) and k in row), None)
    if key is None:
        raise InputError(f'{where}: a JSON row needs a "text" (or TimeChat\'s "generated_cap") field')
    return {k: row[k] for k in PASS_THROUGH if k in row}, str(row[key])


def read_lines(source: str, stdin: Iterable[str]) -> Iterator[str]:
    """The lines of `source`, a file path, or of `stdin` for "-"."""
    if source == "-":
        yield from stdin
        return
    try:
        stream = Path(source).open(encoding="utf-8")
    except OSError as e:
        raise InputError(f"{source}: cannot read: {e.strerror}") from None
    with stream:
        yield from stream
