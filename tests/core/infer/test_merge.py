"""Sharded infer: the shards that finish together merge once, and never a partial set over a full output."""

from __future__ import annotations

import multiprocessing
import threading

from timechat_core.fileio import write_jsonl_atomic
from timechat_core.infer.batch import merge_shards, read_records, shard_path

N_SHARDS = 4
ITEMS = 40


def _rows(k: int, n: int) -> list[dict]:
    return [{"index": i, "id": str(i), "task": "grounding", "status": "ok", "text": f"answer {i}"}
            for i in range(k, ITEMS, n)]


def _finish(out, k: int, n: int, start, report) -> None:
    """What a shard does when its items are answered: write its file, then try the merge (`report`: its result)."""
    start.wait()
    write_jsonl_atomic(shard_path(out, k, n), _rows(k, n))
    report(merge_shards(out, n))


def _check(out, merged: list[bool]) -> None:
    assert sum(merged) == 1, merged
    assert [r["index"] for r in read_records(out)] == list(range(ITEMS))
    assert not list(out.parent.glob(f"{out.name}.shard-*")) and not list(out.parent.glob(f".{out.name}.*"))


def test_shards_finishing_together_in_threads_merge_once_and_completely(tmp_path):
    for attempt in range(150):
        out = tmp_path / f"pred{attempt}.jsonl"
        start, merged = threading.Barrier(N_SHARDS), []
        threads = [threading.Thread(target=_finish, args=(out, k, N_SHARDS, start, merged.append)) for k in range(N_SHARDS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        _check(out, merged)


def test_shards_finishing_together_in_processes_merge_once_and_completely(tmp_path):
    ctx = multiprocessing.get_context("fork")
    for attempt in range(25):
        out = tmp_path / f"pred{attempt}.jsonl"
        start, results = ctx.Barrier(N_SHARDS), ctx.Queue()
        procs = [ctx.Process(target=_finish, args=(out, k, N_SHARDS, start, results.put)) for k in range(N_SHARDS)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
            assert p.exitcode == 0
        _check(out, [results.get(timeout=10) for _ in procs])


def test_a_shard_that_finishes_alone_leaves_the_merge_to_the_last(tmp_path):
    out = tmp_path / "pred.jsonl"
    write_jsonl_atomic(shard_path(out, 0, 2), _rows(0, 2))
    assert merge_shards(out, 2) is False and not out.exists()
    write_jsonl_atomic(shard_path(out, 1, 2), _rows(1, 2))
    assert merge_shards(out, 2) is True
    _check(out, [True])
    assert merge_shards(out, 2) is False and len(read_records(out)) == ITEMS  # a late call changes nothing
