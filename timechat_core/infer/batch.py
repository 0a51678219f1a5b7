"""`timechat infer --manifest`: resumable, sharded batch inference writing what `timechat eval` reads.

- Results are appended, one JSON line per item and flushed, to `OUT.partial` while the run goes;
  when the shard is done they are written in manifest order to the output (temp file + rename) and
  the partial log is removed. A killed run loses at most the line being written.
- A rerun reads the output and the partial log and skips every item already answered (`status:
  ok`); failed items are tried again. Nothing finished is redone. Answers made under other conditions
  (other weights, decoding settings or frame count: `Engine.conditions`) are never mixed in: the rerun
  stops with the file and line of the first one.
- Sharding (`--shard i/N`, or torchrun's RANK/WORLD_SIZE): shard i takes items i, i+N, ...
  and writes `OUT.shard-i-of-N.jsonl`; the shard that finishes last merges all of them into OUT in
  manifest order and removes the shard files. The merge runs under a lock (`.OUT.merge-lock`), and a
  shard checks for every shard file only once it holds it: shards finishing together merge once,
  and a merge never reads shard files another merge has already consumed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from timechat_core.errors import InputError
from timechat_core.fileio import file_lock, write_jsonl_atomic
from timechat_core.infer.manifest import Item


def shard_path(out: Path, i: int, n: int) -> Path:
    return out if n == 1 else out.with_name(f"{out.name}.shard-{i}-of-{n}.jsonl")


def read_records(path: Path) -> list[dict]:
    """JSON lines of a finished or partial output; a torn last line (killed run) is dropped."""
    if not path.is_file():
        return []
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.endswith("\n"):
                break
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                break
    return rows


def _key(rec: dict) -> str:
    return f"{rec.get('task')}:{rec.get('id')}"


def run_manifest(items: list[Item], engine, out: str | os.PathLike, shard: tuple[int, int] = (0, 1),
                 on_record: Callable[[dict, bool], None] | None = None) -> dict:
    """Answer this shard's items, resuming; returns a summary.

    Args:
        items: the whole manifest (every shard sees the same list).
        engine: an `Engine`.
        out: the merged output path (JSONL).
        shard: (i, N).
        on_record: called with (record, reused) for every item of the shard.

    Returns:
        `{"items", "answered", "reused", "failed", "output", "merged"}`.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    i, n = shard
    mine = [it for it in items if it.index % n == i]
    target = shard_path(out, i, n)
    partial = target.with_name(target.name + ".partial")
    known: dict[str, dict] = {}
    conditions = json.loads(json.dumps(engine.conditions()))  # as the records hold them
    for source in (out, target, partial):
        for line, rec in enumerate(read_records(source), 1):
            _check_conditions(source, line, rec, conditions)
            if rec.get("status") == "ok" or _key(rec) not in known:
                known[_key(rec)] = rec
    todo = [it for it in mine if known.get(it.key, {}).get("status") != "ok"]
    reused = len(mine) - len(todo)
    todo_keys = {t.key for t in todo}
    for it in mine:
        if it.key not in todo_keys and on_record:
            on_record(known[it.key], True)
    with open(partial, "a", encoding="utf-8") as log:
        for rec in engine.run(todo):
            log.write(json.dumps(rec, ensure_ascii=False) + "\n")
            log.flush()
            known[_key(rec)] = rec
            if on_record:
                on_record(rec, False)
    final = [known[it.key] for it in mine]
    write_jsonl_atomic(target, final)
    partial.unlink(missing_ok=True)
    merged = n == 1 or merge_shards(out, n)
    return {"items": len(mine), "answered": len(todo), "reused": reused,
            "failed": sum(1 for r in final if r.get("status") != "ok"), "output": str(target), "merged": merged}


def _check_conditions(path: Path, line: int, rec: dict, conditions: dict) -> None:
    """An answer from an earlier run must have been made as this run makes them (fields it lacks pass)."""
    if rec.get("status") != "ok":
        return  # failed items are answered again anyway
    differ = [k for k, v in conditions.items() if k in rec and rec[k] != v]
    if differ:
        got = ", ".join(f"{k} {json.dumps(rec[k])} (this run: {json.dumps(conditions[k])})" for k in differ)
        raise InputError(f"{path}:{line}: answered under other conditions: {got}; write to another -o, "
                         "or delete it to start over")


def merge_shards(out: Path, n: int) -> bool:
    """Merge the N shard files into `out` (manifest order) and remove them, if all N are there.

    Each shard calls it after writing its own file; the check and the merge happen under one lock, so
    exactly one of the shards that finish together merges (the first to hold the lock once every
    file exists), and nobody merges a partial set over a full `out`.

    Returns:
        Whether this call merged.
    """
    parts = [shard_path(out, k, n) for k in range(n)]
    with file_lock(out.with_name(f".{out.name}.merge-lock")):
        if not all(p.is_file() for p in parts):
            return False
        rows = sorted((r for p in parts for r in read_records(p)), key=lambda r: r["index"])
        write_jsonl_atomic(out, rows)
        for p in parts:
            p.unlink()
    return True
