"""Benchmark: `timechat train` throughput (samples/s) of the `tiny` preset on 1 and 2 CPU processes.

What is measured: the tiny preset (random tiny TimeChat, 8 frames of 28 px, LLM trained too) on the
8 synthetic clips of `timechat_core.train.demo`, batch 4 per process, 40 optimizer steps, fp32,
no checkpoints except the final one. Each configuration runs as `timechat train` in a subprocess
(2 processes: `--nproc 2`, gloo DDP); samples/s is the trainer's own count (records per second of
the training loop, data loading included, start-up excluded), and wall_s the whole command.
CPU use of the machine during each run is reported too, since the 2 cores may be shared.

Reported: one JSON line per configuration, and the 2-process / 1-process speed ratio. This is a
report: exit code 0 either way.

Run: `.venv/bin/python benchmarks/bench_train.py` from the repository root.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine_busy  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TOKENIZER = REPO / "tests" / "data" / "reference_tiny" / "llama-2-7b-chat-hf"
STEPS = 40


def run(data: Path, out: Path, nproc: int) -> dict:
    args = [sys.executable, "-m", "timechat_cli", "train", "--config", "tiny", "--nproc", str(nproc),
            f"data.train=[{data}]", f"data.video_root={data.parent}", f"out_dir={out}",
            f"model.llama_tokenizer={TOKENIZER}", "batch_size=4", f"max_iters={STEPS}", "max_epoch=1000",
            "save_every=0", "save_model_folder=false", "log_every=10"]
    busy0, t0 = machine_busy(), time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True, cwd=REPO)
    wall = time.perf_counter() - t0
    busy1 = machine_busy()
    if result.returncode != 0:
        raise SystemExit(result.stderr[-3000:])
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    return {"processes": nproc, "batch_per_process": 4, "steps": summary["steps"],
            "samples_per_s": round(summary["samples_per_s"], 1), "wall_s": round(wall, 1),
            "machine_cpu_s": round(busy1 - busy0, 1) if busy0 is not None else None}


def main() -> None:
    from timechat_core.train.demo import make_demo_data

    with tempfile.TemporaryDirectory() as tmp:
        data = make_demo_data(Path(tmp) / "data")
        rows = [run(data, Path(tmp) / f"run{n}", n) for n in (1, 2)]
    for row in rows:
        print(json.dumps(row))
    print(f"2 processes / 1 process: {rows[1]['samples_per_s'] / rows[0]['samples_per_s']:.2f}x samples/s")


if __name__ == "__main__":
    main()
