"""Benchmark: the batched sliding-window video Q-Former versus the reference's per-window loop.

What is measured (wall-clock, one process, median of REPEATS runs after one warm-up, fp32 CPU,
torch's default threads): `TimeChatModel.video_qformer_windows` (all windows of all videos in one
call) and `video_qformer_loop` (the reference's `for i in range(0, T, 32)` loop), on the paper's
video Q-Former (2 layers, hidden 768, 12 heads, 32 queries, windows of 32 frames) with random
weights, T = 96 frames of 32 + 13 tokens (13 = BERT length of the timestamp strings), for batch
sizes 1, 4 and 16, and T = 90 (a shorter last window, padded and masked). The outputs are compared
too (max |Δ| must stay <= 1e-6).

Reported: loop / batched time ratio per case (> 1 means the batched call is faster). This is a
report: exit code 0 either way.

Run: `make bench`, or `.venv/bin/python benchmarks/bench_windows.py` from the repo root.
"""

from __future__ import annotations

import json
import statistics
import time

import torch

from timechat_core.model.config import TimeChatConfig
from timechat_core.model.timechat import TimeChatModel

REPEATS = 5
TOKENS_PER_FRAME = 32 + 13


def _time(fn) -> float:
    fn()
    runs = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main() -> None:
    cfg = TimeChatConfig.preset("timechat-7b")
    # Only the video Q-Former is timed: build the model with a 1-layer toy LLM and vision tower.
    small = TimeChatConfig.preset("tiny")
    cfg = cfg.replace(vision=small.vision, llm=small.llm, lora=None)
    torch.manual_seed(0)
    model = TimeChatModel(cfg).eval()
    rows = []
    for b, t in ((1, 96), (4, 96), (16, 96), (4, 90)):
        states = torch.randn(b, t, TOKENS_PER_FRAME, cfg.qformer.hidden_size)
        with torch.inference_mode():
            diff = (model.video_qformer_windows(states) - model.video_qformer_loop(states)).abs().max().item()
            batched = _time(lambda: model.video_qformer_windows(states))
            loop = _time(lambda: model.video_qformer_loop(states))
        rows.append({"batch": b, "frames": t, "windows": -(-t // 32), "loop_s": round(loop, 4),
                     "batched_s": round(batched, 4), "ratio_loop_over_batched": round(loop / batched, 2),
                     "max_abs_diff": diff})
        print(f"B={b:2d} T={t}: loop {loop * 1e3:7.1f} ms  batched {batched * 1e3:7.1f} ms  "
              f"ratio {loop / batched:4.2f}x  max|Δ| {diff:.1e}")
    print(json.dumps({"threads": torch.get_num_threads(), "results": rows}, indent=1))


if __name__ == "__main__":
    main()
