"""Reading and writing the project's files: JSON / JSONL readers whose errors name the file and line,
atomic writes (a temporary file beside the target, renamed when complete), and a lock file for work
that several processes may try at once."""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from timechat_core.errors import InputError


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a normal output file follows the umask
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_jsonl_atomic(path: str | os.PathLike, rows: Iterable[dict]) -> Path:
    return write_text_atomic(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


@contextlib.contextmanager
def file_lock(path: str | os.PathLike) -> Iterator[None]:
    """Hold the exclusive lock named by `path` (a lock file, created if needed and removed on release).

    `flock` on the file: processes and threads (each opens the file itself) wait their turn, and a process
    that dies releases its lock with it, so no stale lock is left behind. A waiter that gets the lock on a
    file its holder already removed tries again on the current one.
    """
    import fcntl

    path = Path(path)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.path.samestat(os.fstat(fd), os.stat(path)):
                break
        except FileNotFoundError:
            pass
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
        os.close(fd)


# -- reading ---------------------------------------------------------------------------------
def read_json(path: str | os.PathLike) -> Any:
    path = Path(path)
    text = read_text(path)
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
    for lineno, line in enumerate(read_text(path).splitlines(), start=1):
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
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return read_jsonl(path)


def read_text(path: str | os.PathLike) -> str:
    """The UTF-8 text of a file; an InputError naming the file when it is missing or unreadable."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read: {getattr(e, 'strerror', None) or e}") from None


def files_digest(roots: Iterable[str | os.PathLike], patterns: tuple[str, ...] = ("*.safetensors", "*.bin"),
                 blocks: int = 16, block: int = 1 << 16) -> str:
    """A short fingerprint of the files matching `patterns` under `roots` (a model's weights).

    Each file contributes its path under its root, its size and `blocks` evenly spaced `block`-byte
    reads (small files whole): milliseconds for a 14 GB checkpoint, and any retrained or replaced
    file changes it.
    """
    import hashlib

    h = hashlib.sha256()
    for root in map(Path, roots):
        for f in sorted(p for pattern in patterns for p in root.rglob(pattern)):
            size = f.stat().st_size
            h.update(f"{f.relative_to(root)}:{size}".encode())
            with open(f, "rb") as fh:
                if size <= blocks * block:
                    h.update(fh.read())
                    continue
                for k in range(blocks):
                    fh.seek(k * (size - block) // (blocks - 1))
                    h.update(fh.read(block))
    return h.hexdigest()[:16]


def check_time(value: Any, where: str, *, signed: bool = False) -> float:
    """A finite, non-negative number of seconds (any finite number when `signed`), or an InputError saying
    where it came from."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: time {value!r} is not a number") from None
    if not math.isfinite(x) or (x < 0 and not signed):
        raise InputError(f"{where}: time {value!r} is {'not finite' if signed else 'negative or not finite'}")
    return x
