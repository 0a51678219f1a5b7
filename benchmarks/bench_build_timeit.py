"""Benchmark: `timechat build-timeit` on every annotation file in tests/data.

What is measured (wall-clock, best of `--repeat` runs, plus CPU seconds of this process):
- per source: reading the native files and building the records in process
  (`timechat_core.timeit.build.build`), for Charades-STA train+test (+ Charades_v1 CSVs),
  ActivityNet val_1+val_2, YouCook2 trainval (both subsets), QVHighlights train+val(+test_with_gt,
  the whole folder) and TVSum;
- the whole command as a user runs it (`python -m timechat_cli build-timeit --data-root ... --split
  all -o OUT.json --stats`), interpreter start-up and the JSON write included.

Target (issue 4): the whole command under 10 s on this machine (PASS/FAIL printed; exit code 0
either way, this is a report). The share of the machine used by other processes is printed, since
a busy machine slows every number.

Run: `.venv/bin/python benchmarks/bench_build_timeit.py [--repeat N]` from the repo root.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import machine_busy, self_cpu
from timechat_core.timeit.build import BuildOptions, SourceInput, build

TARGET_S = 10.0
SOURCES = (("charades", "charades_sta"), ("activitynet", "activitynet_captions"), ("youcook2", "youcook2"),
           ("qvhighlights", "qvhighlights"), ("tvsum", "tvsum"))


def data_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "tests" / "data"


def best_of(repeat: int, fn):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    data = data_dir()
    busy0, wall0, cpu0 = machine_busy(), time.perf_counter(), self_cpu()
    print(f"{'source':<14} {'records':>8} {'seconds':>8}")
    total = 0.0
    for name, folder in SOURCES:
        inp = [SourceInput(name, (data / folder,), "all")]
        seconds, result = best_of(args.repeat, lambda inp=inp: build(inp, BuildOptions()))
        total += seconds
        print(f"{name:<14} {len(result.records):>8} {seconds:>8.2f}")
    print(f"{'in process':<14} {'':>8} {total:>8.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "timechat_cli", "build-timeit", "--data-root", str(data), "--split", "all",
               "-o", str(Path(tmp) / "timeit.json"), "--stats"]
        seconds, proc = best_of(args.repeat, lambda: subprocess.run(cmd, capture_output=True, text=True))
        if proc.returncode != 0:
            sys.exit(f"command failed: {proc.stderr}")
        size = (Path(tmp) / "timeit.json").stat().st_size
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter() - wall0
    cpu = self_cpu() - cpu0 + children.ru_utime + children.ru_stime  # the command runs as a child
    busy = machine_busy()
    print(f"{'command':<14} {'':>8} {seconds:>8.2f}   (writes {size / 1e6:.1f} MB of JSON)")
    if busy is not None and busy0 is not None:
        others = max(0.0, (busy - busy0) - cpu) / (wall * (os.cpu_count() or 1))
        print(f"other processes used {others:.0%} of the machine during the run")
    print(f"target: command < {TARGET_S:.0f} s -> {'PASS' if seconds < TARGET_S else 'FAIL'}")


if __name__ == "__main__":
    main()
