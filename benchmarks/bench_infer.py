"""Benchmark: `timechat infer --manifest` throughput, batch size 1 vs 8, frame prefetch on vs off.

What is measured (wall-clock, one process): the `Engine` over 16 generated videos (640x360,
30 fps, 8 s, H.264) with a tiny random TimeChat (`configs/model/tiny.yaml`, 8 frames, greedy,
24 new tokens, fixed length: the random model never stops early), for batch sizes 1 and 8 with
prefetch off (decode inline) and on (2 background decoding threads). One warm-up pass first.

Reported: videos/s per setting and the ratio to batch 1 / prefetch off. This is a report: exit
code 0 either way. The tiny model makes decoding a large share of the time, which is what
prefetch hides; with the 7B model the LLM dominates and batching is what pays.

Run: `make bench`, or `.venv/bin/python benchmarks/bench_infer.py` from the repo root.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import torch

from timechat_core.infer.engine import Engine
from timechat_core.infer.manifest import Item
from timechat_core.model.config import TimeChatConfig
from timechat_core.model.folder import random_model
from timechat_core.model.generate import DecodingSettings
from timechat_core.video.testsrc import make_test_video

N_VIDEOS = 16
TOKENIZER = Path(__file__).resolve().parents[1] / "tests" / "data" / "reference_tiny" / "llama-2-7b-chat-hf"


def main() -> None:
    model, proc = random_model(TimeChatConfig.preset("tiny"), TOKENIZER)
    model.eval()
    settings = DecodingSettings(max_new_tokens=24)
    with tempfile.TemporaryDirectory() as tmp:
        items = []
        for i in range(N_VIDEOS):
            path = make_test_video(Path(tmp) / f"v{i}.mp4", width=640, height=360, duration=8, audio=False)
            items.append(Item(i, i, path.name, path, "grounding", query="the pattern moves"))
        results = {}
        for batch, prefetch in ((1, 0), (1, 2), (8, 0), (8, 2)):
            engine = Engine(model, proc, settings, num_frames=8, batch_size=batch, prefetch=prefetch)
            list(engine.run(items[:batch]))  # warm-up
            t0 = time.perf_counter()
            recs = list(engine.run(items))
            dt = time.perf_counter() - t0
            assert all(r["status"] == "ok" for r in recs)
            results[(batch, prefetch)] = N_VIDEOS / dt
        base = results[(1, 0)]
        rows = []
        for (batch, prefetch), vps in results.items():
            rows.append({"batch_size": batch, "prefetch": prefetch, "videos_per_s": round(vps, 2),
                         "ratio_to_batch1_no_prefetch": round(vps / base, 2)})
            print(f"batch {batch} prefetch {prefetch}: {vps:5.2f} videos/s  ({vps / base:4.2f}x)")
        print(json.dumps({"threads": torch.get_num_threads(), "videos": N_VIDEOS, "results": rows}, indent=1))


if __name__ == "__main__":
    main()
