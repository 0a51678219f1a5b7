"""Benchmark: Qwen2.5-VL and Qwen3-VL folders through `timechat infer`'s answer loop, next to TimeChat.

Default run (tiny random models, the CPU): videos/s of the answer loop over 16 generated videos
(640x360, 30 fps, 8 s, H.264), 8 frames a video, greedy, 24 new tokens (fixed: random models never stop
early), for a tiny TimeChat (`configs/model/tiny.yaml`) and tiny Qwen2.5-VL / Qwen3-VL folders
(`timechat_core.qwen.tiny`), at batch 1 and 8, prefetch 2 (and batch 1 without prefetch as the base).
One warm-up pass per setting. Reported: videos/s, the ratio to the same backend at batch 1 without
prefetch, and to TimeChat at the same setting, all measured in this one process.

The released sizes with random weights (one 96-frame question each, stage by stage) are
`benchmarks/full_size.py --family qwen3-vl-2b` (and the other names of `timechat_core.qwen.sizes.SIZES`).

Run: `.venv/bin/python benchmarks/bench_qwen.py` (an item that fails to answer stops it with the items' errors).
"""

from __future__ import annotations

import argparse
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
from timechat_core.qwen.engine import QwenEngine
from timechat_core.qwen.folder import FAMILIES, load_qwen_model
from timechat_core.qwen.processor import load_processor
from timechat_core.qwen.tiny import save_tiny_folder
from timechat_core.video.testsrc import make_test_video

N_VIDEOS = 16
FRAMES = 8
NEW_TOKENS = 24
SETTINGS = ((1, 0), (1, 2), (8, 2))
TOKENIZER = Path(__file__).resolve().parents[1] / "tests" / "data" / "reference_tiny" / "llama-2-7b-chat-hf"


def engines(tmp: Path):
    """name -> engine factory(batch, prefetch)."""
    model, proc = random_model(TimeChatConfig.preset("tiny"), TOKENIZER)
    model.eval()
    settings = DecodingSettings(max_new_tokens=NEW_TOKENS)
    out = {"timechat": lambda b, p: Engine(model, proc, settings, num_frames=FRAMES, batch_size=b, prefetch=p)}
    for family in ("qwen2_5_vl", "qwen3_vl"):
        folder, fam = save_tiny_folder(family, tmp / family), FAMILIES[family]
        qwen, processor = load_qwen_model(folder, fam, torch.float32, "cpu"), load_processor(folder, fam)
        out[family] = lambda b, p, m=qwen, pr=processor, f=fam: QwenEngine(m, pr, f, settings, num_frames=FRAMES,
                                                                           batch_size=b, prefetch=p)
    return out


def throughput() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        items = []
        for i in range(N_VIDEOS):
            path = make_test_video(tmp / f"v{i}.mp4", width=640, height=360, duration=8, audio=False)
            items.append(Item(i, i, path.name, path, "grounding", query="the pattern moves"))
        results = {}
        for name, make in engines(tmp).items():
            for batch, prefetch in SETTINGS:
                engine = make(batch, prefetch)
                list(engine.run(items[:batch]))  # warm-up
                t0 = time.perf_counter()
                recs = list(engine.run(items))
                dt = time.perf_counter() - t0
                assert all(r["status"] == "ok" for r in recs), [r.get("error") for r in recs]
                results[name, batch, prefetch] = N_VIDEOS / dt
        rows = []
        for (name, batch, prefetch), vps in results.items():
            row = {"backend": name, "batch_size": batch, "prefetch": prefetch, "videos_per_s": round(vps, 2),
                   "ratio_to_batch1_no_prefetch": round(vps / results[name, 1, 0], 2),
                   "ratio_to_timechat": round(vps / results["timechat", batch, prefetch], 2)}
            rows.append(row)
            print(f"{name:11s} batch {batch} prefetch {prefetch}: {vps:5.2f} videos/s "
                  f"({row['ratio_to_batch1_no_prefetch']:4.2f}x its batch 1, {row['ratio_to_timechat']:4.2f}x TimeChat)")
        print(json.dumps({"threads": torch.get_num_threads(), "videos": N_VIDEOS, "frames": FRAMES,
                          "new_tokens": NEW_TOKENS, "results": rows}, indent=1))


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    throughput()


if __name__ == "__main__":
    main()
