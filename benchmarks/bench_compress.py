"""Benchmark: `timechat compress` over a batch, one worker versus two.

What is measured: wall-clock time of the CLI (`.venv/bin/timechat compress CLIPS -o OUT
--fps 6 --size 224 --workers W --threads T`, run as a subprocess, startup included) over 8
distinct 640x360 30 fps clips of 7-9 s generated into a temporary folder, each run into a
fresh output folder (a rerun would skip finished outputs). Median of REPEATS runs per
configuration after one warm-up, configurations interleaved so drift hits all alike.
- (a) `--threads 1`: pure worker-pool scaling. Target: 2 workers >= 1.7x faster than 1.
- (b) `--threads 0` (default: ffmpeg threads per item = cores // workers): what users get.
  Informational: with one worker ffmpeg already uses every core, so there is less to gain.

The machine may be shared (tests, other benchmarks): every run also measures the CPU other
processes used meanwhile; a run where they took more than QUIET of the machine is redone (up
to MAX_TRIES times, within a time budget) and flagged with `*` if it never ran quiet.
The CPU time of the children (CLI + ffmpeg) gives the most 2 workers could gain: one
`--threads 1` ffmpeg still keeps more than one core busy (FFmpeg >= 7 runs demuxing,
decoding, filtering, encoding and muxing in threads of their own).

PASS/FAIL is printed for target (a); the exit code is 0 either way (this is a report).

Run: `make bench`, or `.venv/bin/python benchmarks/bench_compress.py` from the repo root.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from machine import machine_busy, self_cpu
from timechat_core.video.testsrc import make_test_video

NUM_CLIPS = 8
REPEATS = 5
TARGET = 1.7
QUIET = 0.10  # share of the machine other processes may use during a run we keep
MAX_TRIES = 3
RETRY_BUDGET_S = 150  # no more redoing after this long, so a busy machine cannot stall us
CORES = os.cpu_count() or 1
# The CLI installed next to this interpreter (the project's venv), not whatever is on PATH.
CLI = str(Path(sys.executable).with_name("timechat"))
# (variant, workers, threads); one- and two-worker runs of a variant side by side.
CONFIGS = [("a", 1, 1), ("a", 2, 1), ("b", 1, 0), ("b", 2, 0)]
LABELS = {"a": "a: --threads 1", "b": "b: --threads 0"}


@dataclass
class Sample:
    wall: float
    cpu: float
    """CPU seconds of the CLI and its ffmpeg children."""
    foreign: float | None
    """Share of the machine's CPU other processes used meanwhile (None: unknown)."""

    @property
    def quiet(self) -> bool:
        return self.foreign is None or self.foreign <= QUIET


def make_clips(folder: Path) -> list[Path]:
    """8 clips of different lengths (7.0 ... 8.75 s) so no two files are identical; their
    total is what matters, and 8 items split evenly enough over 2 workers."""
    return [
        make_test_video(folder / f"clip{i}.mp4", width=640, height=360, fps=30,
                        duration=7 + 0.25 * i, audio=True, preset="veryfast")
        for i in range(NUM_CLIPS)
    ]


def children_cpu() -> float:
    """CPU seconds of finished child processes, grandchildren (ffmpeg) included."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime




def run_cli(clips: list[Path], out: Path, workers: int, threads: int) -> Sample:
    """Time one CLI batch; fails loudly unless every clip was compressed ("ok")."""
    cmd = [CLI, "compress", *map(str, clips), "-o", str(out), "--fps", "6", "--size", "224",
           "--workers", str(workers), "--threads", str(threads)]
    busy0, kids0, me0, t0 = machine_busy(), children_cpu(), self_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall, busy1 = time.perf_counter() - t0, machine_busy()
    cpu = children_cpu() - kids0
    foreign = None
    if busy0 is not None and busy1 is not None:
        foreign = max(0.0, (busy1 - busy0 - cpu - (self_cpu() - me0)) / (wall * CORES))
    records = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    ok = sum(r.get("status") == "ok" for r in records)
    if proc.returncode != 0 or ok != len(clips):
        raise RuntimeError(f"{' '.join(cmd)}: exit {proc.returncode}, {ok}/{len(clips)} ok\n{proc.stderr}")
    shutil.rmtree(out)  # keep the temp folder small; the next run gets a fresh folder anyway
    return Sample(wall, cpu, foreign)


def cli_startup() -> float:
    """Median seconds of `timechat --help`: a fixed cost in every run that a second worker
    cannot halve."""
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([CLI, "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(clips: list[Path], tmp: Path) -> tuple[list[list[Sample]], int]:
    """Samples per config and the number of runs redone because the machine was busy."""
    outs = (tmp / f"out{n}" for n in range(10**6))
    run_cli(clips, next(outs), 2, 0)  # warm-up: page cache, Python bytecode, ffmpeg binary
    samples: list[list[Sample]] = [[] for _ in CONFIGS]
    redone, deadline = 0, time.monotonic() + RETRY_BUDGET_S
    for r in range(REPEATS):
        order = range(len(CONFIGS)) if r % 2 == 0 else reversed(range(len(CONFIGS)))
        for i in order:
            _, workers, threads = CONFIGS[i]
            tries = [run_cli(clips, next(outs), workers, threads)]
            while not tries[-1].quiet and len(tries) < MAX_TRIES and time.monotonic() < deadline:
                redone += 1
                tries.append(run_cli(clips, next(outs), workers, threads))
            samples[i].append(min(tries, key=lambda s: s.foreign or 0.0))
    return samples, redone


def summarize(samples: list[list[Sample]], startup: float) -> dict:
    """Medians per config, speed-ups (1 worker / 2 workers, also without the CLI's startup,
    which is serial) and CPU-bound ceilings."""
    wall = [statistics.median(s.wall for s in runs) for runs in samples]
    cpu = [statistics.median(s.cpu for s in runs) for runs in samples]
    speedup, no_startup, ceiling = {}, {}, {}
    for i, (variant, workers, _) in enumerate(CONFIGS):
        if workers == 1:
            # The most 2 workers can gain if total CPU stays the same: wall / (CPU / cores).
            ceiling[variant] = wall[i] * CORES / cpu[i]
        else:
            speedup[variant] = wall[i - 1] / wall[i]  # CONFIGS pairs 1 then 2 workers
            no_startup[variant] = (wall[i - 1] - startup) / (wall[i] - startup)
    foreign = [s.foreign for runs in samples for s in runs if s.foreign is not None]
    return {"wall": wall, "cpu": cpu, "speedup": speedup, "no_startup": no_startup, "ceiling": ceiling,
            "foreign_max": max(foreign) if foreign else None,
            "noisy": sum(not s.quiet for runs in samples for s in runs)}


def print_report(samples: list[list[Sample]], res: dict, redone: int) -> None:
    head = (f"{'variant':<16}{'workers':>8}{'threads/item':>14}{'median s':>10}{'speed-up':>10}"
            f"{'CPU s':>8}  all runs (s, * = machine busy)")
    print(head)
    print("-" * len(head))
    for i, (variant, workers, threads) in enumerate(CONFIGS):
        per_item = threads or max(1, CORES // workers)
        up = res["speedup"][variant] if workers == 2 else 1.0
        runs = " ".join(f"{s.wall:.2f}{'' if s.quiet else '*'}" for s in samples[i])
        print(f"{LABELS[variant]:<16}{workers:>8}{per_item:>14}{res['wall'][i]:>10.2f}{up:>9.2f}x"
              f"{res['cpu'][i]:>8.2f}  {runs}")
    print()
    for variant, ceil in res["ceiling"].items():
        print(f"({variant}) 1 worker keeps {CORES / ceil:.2f} of {CORES} cores busy: "
              f"CPU-bound ceiling for the 2-worker speed-up is {ceil:.2f}x; "
              f"measured without CLI startup: {res['no_startup'][variant]:.2f}x")
    print(f"runs redone because other processes were busy: {redone}; still busy: {res['noisy']}"
          + ("  <- numbers are skewed, rerun on an idle machine" if res["noisy"] else ""))
    passed = res["speedup"]["a"] >= TARGET
    print(f"\ntarget (a) --threads 1, 2 workers >= {TARGET}x faster than 1: "
          f"{'PASS' if passed else 'FAIL'} ({res['speedup']['a']:.2f}x)")


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="bench_compress_"))
    try:
        t0 = time.perf_counter()
        clips = make_clips(tmp / "in")
        print(f"generated {len(clips)} clips in {time.perf_counter() - t0:.1f} s; {CORES} cores; "
              f"median of {REPEATS} runs after 1 warm-up")
        startup = cli_startup()
        print(f"CLI startup (timechat --help): {startup:.2f} s, included in every run\n")
        samples, redone = measure(clips, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    res = summarize(samples, startup)
    print_report(samples, res, redone)
    key = [f"{v}_w{w}" for v, w, _ in CONFIGS]
    print(json.dumps({
        "bench": "compress",
        "clips": NUM_CLIPS,
        "cpu_count": CORES,
        "cli_startup_s": round(startup, 3),
        "seconds": dict(zip(key, (round(x, 3) for x in res["wall"]))),
        "cpu_seconds": dict(zip(key, (round(x, 3) for x in res["cpu"]))),
        "speedup_threads1": round(res["speedup"]["a"], 3),
        "speedup_threads_auto": round(res["speedup"]["b"], 3),
        "speedup_without_startup": {v: round(x, 3) for v, x in res["no_startup"].items()},
        "speedup_ceiling": {v: round(c, 3) for v, c in res["ceiling"].items()},
        "runs_redone": redone,
        "runs_busy": res["noisy"],
        "target": TARGET,
        "pass": res["speedup"]["a"] >= TARGET,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
