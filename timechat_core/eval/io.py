"""Reading evaluation inputs (JSON, JSONL) with errors that name the file and line."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from timechat_core.errors import InputError


def read_json(path: str | os.PathLike) -> Any:
    path = Path(path)
    text = _read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{path}:{e.lineno}: invalid JSON: {e.msg} (column {e.colno})") from None


def read_jsonl(path: str | os.PathLike) -> list[Any]:
    return [row for _, row in read_jsonl_located(path)]


def read_jsonl_located(path: str | os.PathLike) -> list[tuple[str, Any]]:
    """`("file:line", value)` per non-blank line, so later checks can name the line too."""
    path = Path(path)
    rows = []
    for lineno, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append((f"{path}:{lineno}", json.loads(line)))
        except json.JSONDecodeError as e:
            raise InputError(f"{path}:{lineno}: invalid JSON: {e.msg} (column {e.colno})") from None
    return rows


def read_json_or_jsonl(path: str | os.PathLike) -> Any:
    """A `.jsonl` file, or a file holding several JSON lines, gives a list; otherwise one JSON value."""
    path = Path(path)
    if path.suffix.lower() == ".jsonl":
        return read_jsonl(path)
    text = _read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return read_jsonl(path)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read: {getattr(e, 'strerror', None) or e}") from None


def check_time(value: Any, where: str) -> float:
    """A finite, non-negative number of seconds, or an InputError saying where it came from."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: time {value!r} is not a number") from None
    if not math.isfinite(x) or x < 0:
        raise InputError(f"{where}: time {value!r} is negative or not finite")
    return x
