"""Batch semantics shared by `compress`, `extract-audio` (and later `asr`, `infer`).

- Inputs: files, folders (recursive, by extension), `@list.txt` (one path per line) or `-`
  (paths on stdin). Relative list entries are resolved against `root` (default: the current
  folder), and the output mirrors each input's path relative to its folder or `root`.
- Every input yields one record: `input`, `output`, `status` (`ok`, `skipped`, `no-audio`,
  `failed`), `error`, plus what the step reports. Failures never stop the batch.
- Outputs are written to a hidden temporary name beside the final one and renamed when
  complete; a failed item leaves nothing behind. A rerun skips outputs that exist and pass the
  step's `is_done` check, and removes temporary files left by a killed run.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from timechat_core.errors import InputError, MediaError, TimechatError

VIDEO_EXTS = frozenset(
    ".mp4 .m4v .mkv .webm .mov .avi .flv .wmv .mpg .mpeg .ts .m2ts .mts .3gp .ogv .vob .asf".split()
)
AUDIO_EXTS = frozenset(".wav .mp3 .m4a .aac .flac .ogg .opus .wma".split())
IMAGE_EXTS = frozenset(".jpg .jpeg .png .bmp .webp .tif .tiff".split())

OK, SKIPPED, NO_AUDIO, FAILED = "ok", "skipped", "no-audio", "failed"
STATUSES = (OK, SKIPPED, NO_AUDIO, FAILED)


class NoAudio(TimechatError):
    """The input has no audio stream (a status, not a failure)."""


@dataclass(frozen=True)
class BatchItem:
    input: Path
    """Absolute path of the input (it may not exist: then `error` says so)."""
    rel: Path
    """Path of the output relative to the output folder, before the step picks a suffix."""
    error: str | None = None


def _read_list(lines: Iterable[str]) -> list[str]:
    out = []
    for line in lines:
        line = line.rstrip("\r\n")
        if line.strip() and not line.lstrip().startswith("#"):
            out.append(line.strip())
    return out


def _walk(folder: Path, exts: frozenset[str]) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and Path(name).suffix.lower() in exts:
                found.append(Path(dirpath) / name)
    return found


def _relative(path: Path, base: Path) -> Path:
    try:
        return path.relative_to(base)
    except ValueError:
        return Path(path.name)


def expand_inputs(
    specs: Iterable[str],
    exts: frozenset[str],
    root: str | os.PathLike | None = None,
    stdin=None,
) -> list[BatchItem]:
    """Turn command-line input specs into batch items (deduplicated, in order).

    Raises:
        InputError: an `@list` file cannot be read, or no spec was given.
    """
    base = Path(root).resolve() if root is not None else Path.cwd()
    items: list[BatchItem] = []
    seen: set[Path] = set()

    def add(path: Path, rel: Path, error: str | None = None) -> None:
        if path not in seen:
            seen.add(path)
            items.append(BatchItem(path, rel, error))

    def add_spec(spec: str, from_list: bool) -> None:
        path = Path(spec).expanduser()
        if not path.is_absolute():
            path = (base if (from_list or root is not None) else Path.cwd()) / path
        path = Path(os.path.abspath(path))
        if path.is_dir():
            for f in _walk(path, exts):
                add(f, f.relative_to(path))
        elif path.exists():
            add(path, _relative(path, base))
        else:
            add(path, _relative(path, base), "no such file or folder")

    specs = list(specs)
    if not specs:
        raise InputError("no input given (files, folders, @list.txt or - for stdin)")
    for spec in specs:
        if spec == "-":
            stream = stdin if stdin is not None else sys.stdin
            for line in _read_list(stream):
                add_spec(line, from_list=True)
        elif spec.startswith("@"):
            list_path = Path(spec[1:]).expanduser()
            try:
                text = list_path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as e:
                raise InputError(f"{list_path}: cannot read input list: {getattr(e, 'strerror', None) or e}") from None
            for line in _read_list(text.splitlines()):
                add_spec(line, from_list=True)
        else:
            add_spec(spec, from_list=False)
    return items


def temp_path(final: Path) -> Path:
    """Hidden temporary name beside `final`, unique per process and thread, same suffix."""
    return final.with_name(f".{final.stem}.part-{os.getpid()}-{threading.get_ident()}{final.suffix}")


def remove_stale_temps(final: Path) -> None:
    """Delete temporary files of `final` left by a killed run (names made by `temp_path`)."""
    pattern = re.compile(rf"\.{re.escape(final.stem)}\.part-\d+-\d+{re.escape(final.suffix)}")
    try:
        for p in final.parent.iterdir():
            if pattern.fullmatch(p.name):
                p.unlink(missing_ok=True)
    except OSError:
        pass


Step = Callable[[Path, Path], dict]
"""`step(input, temp_output) -> extra record fields`; raises MediaError / NoAudio / OSError."""


def run_batch(
    items: list[BatchItem],
    out_dir: str | os.PathLike,
    step: Step,
    *,
    output_rel: Callable[[Path], Path] = lambda rel: rel,
    is_done: Callable[[Path], bool] = lambda final: True,
    workers: int = 1,
    overwrite: bool = False,
) -> Iterator[dict]:
    """Run `step` over `items` with `workers` threads; yield one record per item as it finishes."""
    out_root = Path(os.path.abspath(out_dir))
    planned: dict[Path, Path] = {}
    jobs: list[tuple[BatchItem, Path, str | None]] = []
    for item in items:
        final = out_root / output_rel(item.rel)
        error = item.error
        if error is None and final == item.input:
            error = f"output {final} would overwrite the input"
        elif error is None and final in planned:
            error = f"output {final} is also the output of {planned[final]}"
        planned.setdefault(final, item.input)
        jobs.append((item, final, error))

    def work(item: BatchItem, final: Path, error: str | None) -> dict:
        start = time.perf_counter()
        record = {"input": str(item.input), "output": str(final), "status": FAILED, "error": error}
        if error is None:
            record.update(_do_one(item, final, step, is_done, overwrite))
        if record["status"] == FAILED:
            record["output"] = None  # nothing was written
        record["seconds"] = round(time.perf_counter() - start, 3)
        return record

    if workers <= 1:
        for job in jobs:
            yield work(*job)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="timechat-batch") as pool:
        pending = set()
        queue = iter(jobs)
        try:
            for job in queue:
                pending.add(pool.submit(work, *job))
                if len(pending) >= 2 * workers:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    yield from (f.result() for f in done)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (f.result() for f in done)
        finally:
            for f in pending:
                f.cancel()


def _do_one(item: BatchItem, final: Path, step: Step, is_done, overwrite: bool) -> dict:
    remove_stale_temps(final)
    try:
        if not overwrite and final.exists() and is_done(final):
            return {"status": SKIPPED, "error": None}
    except (MediaError, OSError):
        pass  # a damaged output is redone
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        return {"error": f"cannot create output folder {final.parent}: {e.strerror or e}"}
    tmp = temp_path(final)
    try:
        extra = step(item.input, tmp)
        os.replace(tmp, final)
        return {"status": OK, "error": None, **extra}
    except NoAudio as e:
        return {"status": NO_AUDIO, "error": str(e), "output": None}
    except MediaError as e:
        return {"error": e.message if Path(e.path) == item.input else str(e)}
    except TimechatError as e:
        return {"error": str(e)}
    except OSError as e:
        where = e.filename if e.filename else final
        return {"error": f"{where}: {e.strerror or e}"}
    except Exception as e:  # a bug must not lose the rest of the batch
        return {"error": f"internal error: {type(e).__name__}: {e}"}
    finally:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass


def summarize(records: Iterable[dict]) -> dict[str, int]:
    counts = {s: 0 for s in STATUSES}
    for r in records:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return counts
