"""Benchmark: `timechat compress` over a batch, one worker versus two.

What is measured: wall-clock time of the CLI (`.venv/bin/timechat compress CLIPS -o OUT
--fps 6 --size 224 --workers W --threads T`, run as a subprocess, startup included) over 8
distinct 640x360 30 fps clips of 7-9 s generated into a temporary folder, each run into a
fresh output folder (a rerun would skip finished outputs). Median of REPEATS runs per
configuration after one warm-up, configurations interleaved so drift hits all alike.
- (a) `--threads 1`: pure worker-pool scaling. Target: workers 2 >= 1.7x faster than 1.
- (b) `--threads 0` (default: ffmpeg threads per item = cores // workers): what users get.
  Informational; ffmpeg already uses both cores with one worker, so less to gain.

PASS/FAIL is printed for target (a); the exit code is 0 either way (this is a report).

Run: `make bench`, or `.venv/bin/python benchmarks/bench_compress.py` from the repo root.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timechat_core.video.testsrc import make_test_video

NUM_CLIPS = 8
REPEATS = 3
TARGET = 1.7
# The CLI installed next to this interpreter (the project's venv), not whatever is on PATH.
CLI = str(Path(sys.executable).with_name("timechat"))
# (label, workers, threads); one- and two-worker runs of the same variant side by side.
CONFIGS = [
    ("a: --threads 1", 1, 1),
    ("a: --threads 1", 2, 1),
    ("b: --threads 0", 1, 0),
    ("b: --threads 0", 2, 0),
]


def make_clips(folder: Path) -> list[Path]:
    """8 clips of different lengths (7.0 ... 8.75 s) so no two files are identical; their
    total is what matters, and 8 items split evenly enough over 2 workers."""
    return [
        make_test_video(folder / f"clip{i}.mp4", width=640, height=360, fps=30,
                        duration=7 + 0.25 * i, audio=True, preset="veryfast")
        for i in range(NUM_CLIPS)
    ]


def run_cli(clips: list[Path], out: Path, workers: int, threads: int) -> float:
    """Seconds for one CLI batch; fails loudly unless every clip was compressed ("ok")."""
    cmd = [CLI, "compress", *map(str, clips), "-o", str(out), "--fps", "6", "--size", "224",
           "--workers", str(workers), "--threads", str(threads)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    records = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    ok = sum(r.get("status") == "ok" for r in records)
    if proc.returncode != 0 or ok != len(clips):
        raise RuntimeError(f"{' '.join(cmd)}: exit {proc.returncode}, {ok}/{len(clips)} ok\n{proc.stderr}")
    shutil.rmtree(out)  # keep the temp folder small; the next run gets a fresh folder anyway
    return elapsed


def cli_startup(tmp: Path) -> float:
    """Median seconds of `timechat --help`: the fixed cost in every measured run, which
    the second worker cannot halve."""
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([CLI, "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(clips: list[Path], tmp: Path) -> list[float]:
    """Median seconds per config; the order alternates each round so drift hits all alike."""
    counter = iter(range(10**6))

    def fresh() -> Path:
        return tmp / f"out{next(counter)}"

    run_cli(clips, fresh(), 2, 0)  # warm-up: page cache, Python bytecode, ffmpeg binary
    samples: list[list[float]] = [[] for _ in CONFIGS]
    for r in range(REPEATS):
        order = range(len(CONFIGS)) if r % 2 == 0 else reversed(range(len(CONFIGS)))
        for i in order:
            _, workers, threads = CONFIGS[i]
            samples[i].append(run_cli(clips, fresh(), workers, threads))
    return [statistics.median(s) for s in samples]


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="bench_compress_"))
    try:
        t0 = time.perf_counter()
        clips = make_clips(tmp / "in")
        print(f"generated {len(clips)} clips in {time.perf_counter() - t0:.1f} s; {os.cpu_count()} cores; "
              f"median of {REPEATS} runs after 1 warm-up")
        startup = cli_startup(tmp)
        print(f"CLI startup (timechat --help): {startup:.2f} s, included in every run\n")
        medians = measure(clips, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    head = f"{'variant':<18}{'workers':>8}{'threads/item':>14}{'seconds':>10}{'speed-up':>10}"
    print(head)
    print("-" * len(head))
    speedups = {}
    for i, ((label, workers, threads), secs) in enumerate(zip(CONFIGS, medians)):
        base = medians[i - 1] if workers == 2 else secs  # CONFIGS pairs 1 then 2 workers
        shown_threads = threads or max(1, (os.cpu_count() or 1) // workers)
        print(f"{label:<18}{workers:>8}{shown_threads:>14}{secs:>10.2f}{base / secs:>9.2f}x")
        if workers == 2:
            speedups[label[0]] = base / secs

    passed = speedups["a"] >= TARGET
    print(f"\ntarget (a) --threads 1, 2 workers >= {TARGET}x faster than 1: "
          f"{'PASS' if passed else 'FAIL'} ({speedups['a']:.2f}x)")
    print(json.dumps({
        "bench": "compress",
        "clips": len(clips),
        "cpu_count": os.cpu_count(),
        "cli_startup_s": round(startup, 3),
        "seconds": {f"{label[0]}_w{w}": round(s, 3) for (label, w, _), s in zip(CONFIGS, medians)},
        "speedup_threads1": round(speedups["a"], 3),
        "speedup_threads_auto": round(speedups["b"], 3),
        "target": TARGET,
        "pass": passed,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
