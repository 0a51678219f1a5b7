"""Benchmark: one 96-frame question to a real-size model with random weights, per precision path, side by side.

What is measured: for each path, in a fresh child process (so each path's peak memory is its own),
the model of the family is built from its configuration with seeded random weights (meta device,
then materialised tensor by tensor in the path's precision: `timechat_core/model/meta.py`; no files
needed), then asked one question about a 96-frame video: random normalised frames, the real BERT
timestamp texts of 96 frames sampled from a 2-minute video, and a prompt of 768 LLaMA token ids
around the video tokens (864 positions in all, as TimeChat's grounding prompt with its frame-time
message). Greedy decoding of `--new-tokens` tokens (random weights rarely stop early).

Reported per path: wall time of every stage (ViT, image Q-Former, video Q-Former, projection, LLM
prefill, mean per-token decode; forward hooks on the real `encode_video` / `generate` path), the
build time, peak RSS (CUDA: also peak device memory), and how busy the whole machine was (a shared
machine slows a run: `machine_busy_ratio` > 1 means other processes competed). Then the ratios of
every path to the first (the baseline) for one answer (visual stages + prefill + `--new-tokens` x
per-token decode) and for peak memory, and the numerics of each path against the baseline: max and
mean absolute difference of the first answer token's logits, whether their argmax agrees, how many
greedy tokens agree before the first difference, and the video tokens' max difference.

Families: `FAMILIES` maps a name to how its model is built and asked. `timechat-7b` (the default) and
the released Qwen2.5-VL / Qwen3-VL sizes (`qwen2.5-vl-3b`, `qwen2.5-vl-7b`, `qwen3-vl-2b`, `qwen3-vl-4b`,
`qwen3-vl-8b`: `timechat_core.qwen.sizes`), whose question is one about a 60-s 640x360 video, 96 frames
chosen and sized as qwen-vl-utils does with TimeLens' budget (16 to 3584 tokens), through the family's
processor and `generate`; their stages are the vision encoder, the prefill and the per-token decode, and
their paths `bf16` (the default) and `fp32`. Paths of TimeChat-7B:
- `bf16` (the baseline: `timechat infer --dtype bf16`, the unquantized path that fits in 24 GB on
  a CPU): LLM bf16 with its LoRA, visual stack fp32; on CUDA as the reference (ViT fp16, fp16 autocast);
- `int8` (`--quantize int8`, CPU only): LLM and ViT block Linears int8, fp32 activations, LoRA merged;
- `fp32` (`--dtype fp32`, the exact path; 30 GiB at full size): for the numerics of the others at
  reduced depth (`--paths fp32,bf16,int8 --set llm.num_hidden_layers=2 ...`) or on a large GPU.
The first path given is the baseline unless `--baseline` names another (paths run in the order given).

Not part of `make test` or `make bench` (about 25 minutes for both paths on a 2-core CPU). Run from
the repo root, alone on the machine (check `free -g` first: the bf16 path peaks at 19.6 GiB):

    .venv/bin/python benchmarks/full_size.py --out full_size.json
    .venv/bin/python benchmarks/full_size.py --device cuda --out full_size_cuda.json
    .venv/bin/python benchmarks/full_size.py --set llm.num_hidden_layers=2 --set vision.num_hidden_layers=3  # quick
    .venv/bin/python benchmarks/full_size.py --family qwen3-vl-2b --out full_size_qwen3_vl_2b.json
    ONEDNN_MAX_CPU_ISA=AVX512_CORE_VNNI .venv/bin/python benchmarks/full_size.py  # as on a CPU without bf16

Exit code 0 whether or not the targets are met (it reports; README records the numbers).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import machine_busy, self_cpu  # noqa: E402

PROMPT_TOKENS = 768
"""LLaMA positions around the video tokens (TimeChat-7B with 96 frames: 96 video tokens, 864 in all)."""
VIDEO_SECONDS = 120.0


@dataclass(frozen=True)
class Family:
    """A model family the benchmark can build at real size and ask one video question."""

    preset: str
    """Configuration name (`TimeChatConfig.preset`)."""
    paths: dict[str, str]
    """Path name -> what it is."""
    default_paths: tuple[str, ...]
    """What runs without --paths on the CPU (on CUDA the first of `cuda_paths`); the first is the baseline."""
    answer: Callable[[dict], dict]
    """Runs in the child process: builds the path's model and answers, returns the measurements."""
    cuda_paths: tuple[str, ...]
    """The paths that run on CUDA."""


def _stage_timer(device):
    """Forward hooks that add each hooked module's wall time to `times[stage]` (CUDA: synchronised)."""
    import torch

    times: dict[str, list[float]] = {}

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    def hook(module, stage):
        start = {}

        def pre(*_):
            sync()
            start["t"] = time.perf_counter()

        def post(*_):
            sync()
            times.setdefault(stage, []).append(time.perf_counter() - start["t"])

        module.register_forward_pre_hook(pre)
        module.register_forward_hook(post)

    return times, hook


def timechat_answer(job: dict) -> dict:
    """Build TimeChat of `job["preset"]` on `job["path"]` and answer one question (in the child process)."""
    import torch
    from transformers import BertTokenizer

    from timechat_core.model.config import TimeChatConfig
    from timechat_core.model.generate import DecodingSettings, generate_ids
    from timechat_core.model.meta import random_timechat
    from timechat_core.model.processor import default_bert_dir
    from timechat_core.video.sampling import frame_texts, sample_indices, timestamp_message

    device = torch.device(job["device"])
    cfg = TimeChatConfig.preset(job["preset"], **job["overrides"])
    t0 = time.perf_counter()
    if job["path"] == "int8":
        model = random_timechat(cfg, torch.float32, seed=job["seed"], quantize="int8")
    else:
        llm_dtype = torch.float32 if job["path"] == "fp32" else torch.bfloat16
        model = random_timechat(cfg, llm_dtype, seed=job["seed"]).place(device)
    model.eval()
    build_s = time.perf_counter() - t0
    rss_loaded = _rss_now()

    n = job["frames"]
    gen = torch.Generator().manual_seed(job["seed"])
    size = cfg.vision.image_size
    pixel_values = torch.randn(1, n, 3, size, size, generator=gen).to(device)
    msg = timestamp_message(sample_indices(int(VIDEO_SECONDS * 30), n, "uniform"), 30.0)
    bert = BertTokenizer.from_pretrained(str(default_bert_dir()))
    ts = bert(frame_texts(msg), padding="longest", return_tensors="pt")
    words = torch.randint(3, cfg.llm.vocab_size, (PROMPT_TOKENS,), generator=gen)
    segments = [(torch.cat([torch.tensor([cfg.llm.bos_token_id]), words[:PROMPT_TOKENS - 68]]), words[PROMPT_TOKENS - 67:])]

    times, hook = _stage_timer(device)
    for stage, module in (("vit", model.vision_model), ("image_qformer", model.qformer),
                          ("video_qformer", model.video_qformer), ("projection", model.language_projection)):
        hook(module, stage)
    llm = model.language_model.get_base_model() if hasattr(model.language_model, "get_base_model") else model.language_model
    hook(llm, "llm")
    busy0, cpu0, wall0 = machine_busy(), self_cpu(), time.perf_counter()
    with torch.inference_mode():
        tokens = model.encode_video(pixel_values, ts.input_ids.to(device), ts.attention_mask.to(device))
        embeds, mask = model.context_embeds(segments, tokens)
        first_logits = []
        llm.register_forward_hook(lambda m, a, out: first_logits.append(out.logits[0, -1].float().cpu())
                                  if not first_logits else None)
        ids = generate_ids(model, embeds, mask, DecodingSettings(max_new_tokens=job["new_tokens"]))
    wall = time.perf_counter() - wall0
    busy1, cpu1 = machine_busy(), self_cpu()
    steps = times.pop("llm")
    stages = {k: round(sum(v), 3) for k, v in times.items()}
    stages["prefill"] = round(steps[0], 3)
    stages["decode_per_token"] = round(sum(steps[1:]) / max(1, len(steps) - 1), 4)
    out = {
        "path": job["path"], "device": str(device), "threads": torch.get_num_threads(), "build_s": round(build_s, 1),
        "prompt_positions": int(embeds.shape[1]), "new_tokens": int(ids.shape[1]), "stages_s": stages,
        "question_wall_s": round(wall, 2), "rss_after_build_gib": round(rss_loaded / 2**30, 2),
        "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 2**30, 2),
        "machine_busy_ratio": round((busy1 - busy0) / max(cpu1 - cpu0, 1e-9), 2) if busy0 is not None else None,
        "first_logits": first_logits[0].tolist(), "ids": ids[0].tolist(), "video_tokens": tokens[0].float().cpu().tolist(),
    }
    if device.type == "cuda":
        out["device_name"] = torch.cuda.get_device_name(device)
        out["peak_cuda_gib"] = round(torch.cuda.max_memory_allocated(device) / 2**30, 2)
    return out


def qwen_answer(job: dict) -> dict:
    """Build the Qwen-VL size `job["preset"]` on `job["path"]` and answer one 96-frame question (in the child)."""
    import tempfile

    import torch

    from timechat_core.devices import DTYPES
    from timechat_core.qwen.processor import load_processor
    from timechat_core.qwen.sampling import SPATIAL_MERGE_SIZE, VideoSettings, load_video
    from timechat_core.qwen.sizes import SIZES, build_random, measure_question, size_config, token_ids
    from timechat_core.qwen.tiny import save_tiny_folder
    from timechat_core.video.testsrc import make_test_video

    size, device = SIZES[job["preset"]], torch.device(job["device"])
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        processor = load_processor(save_tiny_folder(size.model_type, tmp / "processor"), size.family)  # its files
        t0 = time.perf_counter()
        model = build_random(size, size_config(size, token_ids(processor.tokenizer)), DTYPES[job["path"]], device)
        build_s, rss_loaded = time.perf_counter() - t0, _rss_now()
        video = make_test_video(tmp / "v.mp4", width=640, height=360, duration=VIDEO_SECONDS / 2, audio=False)
        budget = VideoSettings.in_tokens(size.family.patch_size * SPATIAL_MERGE_SIZE, min_tokens=16,
                                         total_tokens=3584, nframes=job["frames"])
        frames = load_video(video, budget, size.family.patch_size)
        chat = processor.apply_chat_template([{"role": "user", "content": [
            {"type": "video"}, {"type": "text", "text": "When does the pattern move? Answer in seconds."}]}],
            tokenize=False, add_generation_prompt=True)
        busy0, cpu0 = machine_busy(), self_cpu()
        t = measure_question(model, processor, frames, chat, max_new_tokens=job["new_tokens"])
        busy1, cpu1 = machine_busy(), self_cpu()
    out = {"path": job["path"], "device": str(device), "threads": torch.get_num_threads(), "build_s": round(build_s, 1),
           "parameters_b": round(sum(p.numel() for p in model.parameters()) / 1e9, 3),
           "prompt_positions": t.prompt_tokens, "video_tokens": t.video_tokens, "frame_size": t.frame_size,
           "new_tokens": t.new_tokens, "stages_s": {"vision": round(t.vision_s, 3), "prefill": round(t.prefill_s, 3),
                                                   "decode_per_token": round(t.decode_s_per_token, 4)},
           "rss_after_build_gib": round(rss_loaded / 2**30, 2), "peak_rss_gib": round(t.peak_rss_gib, 2),
           "machine_busy_ratio": round((busy1 - busy0) / max(cpu1 - cpu0, 1e-9), 2) if busy0 is not None else None}
    if size.note:
        out["note"] = size.note
    if t.peak_gpu_gib is not None:
        out["peak_cuda_gib"] = round(t.peak_gpu_gib, 2)
    return out


def _qwen_families() -> dict:
    from timechat_core.qwen.sizes import SIZES

    paths = {"bf16": "weights and activations bf16 (the released dtype)", "fp32": "weights and activations fp32"}
    return {name: Family(preset=name, paths=paths, default_paths=("bf16",), answer=qwen_answer,
                         cuda_paths=("bf16", "fp32")) for name in SIZES}


FAMILIES = {
    "timechat-7b": Family(
        preset="timechat-7b",
        paths={"bf16": "LLM bf16 + LoRA, visual stack fp32 (CUDA: the reference's fp16 ViT and autocast)",
               "int8": "LLM and ViT block Linears int8 (LoRA merged), fp32 activations; CPU only",
               "fp32": "LLM fp32 + LoRA, visual stack fp32: the exact path (30 GiB at full size; for smaller --set runs)"},
        default_paths=("bf16", "int8"),
        answer=timechat_answer,
        cuda_paths=("bf16", "fp32"),
    ),
    **_qwen_families(),
}


def _machine() -> dict:
    import platform

    import torch

    from timechat_core.devices import available_memory, cpu_has_bf16, cpu_has_vnni

    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "")
    out = {"cpu": model or platform.processor(), "cpus": os.cpu_count(), "torch": torch.__version__,
           "bf16_instructions": cpu_has_bf16(), "avx512_vnni": cpu_has_vnni(),
           "free_gib_at_start": round((available_memory(torch.device("cpu")) or 0) / 2**30, 1)}
    if os.environ.get("ONEDNN_MAX_CPU_ISA"):  # oneDNN capped (e.g. to emulate a CPU without bf16 instructions)
        out["onednn_max_cpu_isa"] = os.environ["ONEDNN_MAX_CPU_ISA"]
    return out


def _rss_now() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _child(family: str, job: dict, conn) -> None:
    import torch

    if job["threads"]:
        torch.set_num_threads(job["threads"])
    try:
        conn.send({"ok": FAMILIES[family].answer(job)})
    except BaseException as e:  # reported by the parent, which goes on with the next path
        conn.send({"error": f"{type(e).__name__}: {e}"})
    conn.close()


def run_path(family: str, job: dict) -> dict:
    """One path in a fresh process (spawned: nothing shared with the parent's memory)."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(family, job, child))
    proc.start()
    child.close()
    try:
        msg = parent.recv()
    except EOFError:
        msg = {"error": "the child process died (out of memory?)"}
    proc.join()
    if proc.exitcode not in (0, None) and "ok" not in msg:
        msg["error"] = f"{msg.get('error', '')} (exit code {proc.exitcode})".strip()
    return msg


def compare(base: dict, other: dict, new_tokens: int) -> dict:
    """Ratios and numerics of `other` against the baseline `base`."""
    import torch

    def answer_s(r):  # every stage once, the decode once per new token
        s = r["stages_s"]
        return sum(v for k, v in s.items() if k != "decode_per_token") + new_tokens * s["decode_per_token"]

    out = {
        "answer_s": {"baseline": round(answer_s(base), 1), "this": round(answer_s(other), 1)},
        "speedup": round(answer_s(base) / answer_s(other), 2),
        "peak_rss_ratio": round(other["peak_rss_gib"] / base["peak_rss_gib"], 3),
        "stage_speedups": {k: round(base["stages_s"][k] / v, 2) if v else None for k, v in other["stages_s"].items()},
    }
    if "first_logits" not in base or "first_logits" not in other:
        return out
    a, b = torch.tensor(base["first_logits"]), torch.tensor(other["first_logits"])
    agree = 0
    for x, y in zip(base["ids"], other["ids"]):
        if x != y:
            break
        agree += 1
    return {
        **out,
        "first_token_logits": {"max_abs_diff": round((a - b).abs().max().item(), 4),
                               "mean_abs_diff": round((a - b).abs().mean().item(), 5),
                               "baseline_abs_max": round(a.abs().max().item(), 3),
                               "argmax_agrees": bool(a.argmax() == b.argmax())},
        "greedy_tokens_agreeing_before_first_difference": f"{agree}/{min(len(base['ids']), len(other['ids']))}",
        "video_tokens_max_abs_diff": round((torch.tensor(base["video_tokens"]) - torch.tensor(other["video_tokens"]))
                                           .abs().max().item(), 4),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--family", default="timechat-7b", choices=sorted(FAMILIES))
    ap.add_argument("--paths", default=None, help="comma-separated paths (default: the family's default paths on the "
                                                  "CPU, its first CUDA path on CUDA)")
    ap.add_argument("--baseline", default=None, help="the path the others are compared with (default: the first)")
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument("--frames", type=int, default=96)
    ap.add_argument("--new-tokens", type=int, default=16)
    ap.add_argument("--threads", type=int, default=0, help="torch threads per path (0: torch's default)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="TimeChat config override (e.g. llm.num_hidden_layers=2) for a quick, smaller run")
    ap.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    args = ap.parse_args(argv)

    fam = FAMILIES[args.family]
    paths = args.paths.split(",") if args.paths else list(fam.cuda_paths[:1] if args.device == "cuda" else fam.default_paths)
    unknown = [p for p in paths if p not in fam.paths or (args.device == "cuda" and p not in fam.cuda_paths)]
    if unknown:
        print(f"unknown path(s) for {args.family} on {args.device}: {', '.join(unknown)}", file=sys.stderr)
        return 2
    if args.baseline is not None and args.baseline not in paths:
        print(f"--baseline {args.baseline} is not one of the paths run: {', '.join(paths)}", file=sys.stderr)
        return 2
    if args.set and fam.answer is not timechat_answer:
        print(f"--set overrides TimeChat's config; {args.family} is built from its released sizes", file=sys.stderr)
        return 2
    overrides = {}
    for item in args.set:
        key, _, value = item.partition("=")
        overrides[key] = json.loads(value) if value[:1].isdigit() or value in ("true", "false") else value
    results = {"family": args.family, "preset": fam.preset, "overrides": overrides, "device": args.device,
               "frames": args.frames, "new_tokens": args.new_tokens, "machine": _machine(), "paths": {},
               "comparisons": {}}
    for path in paths:
        job = {"preset": fam.preset, "overrides": overrides, "path": path, "device": args.device, "frames": args.frames,
               "new_tokens": args.new_tokens, "threads": args.threads, "seed": args.seed}
        print(f"[{args.family}] {path}: {fam.paths[path]} ...", file=sys.stderr, flush=True)
        msg = run_path(args.family, job)
        if "error" in msg:
            print(f"[{args.family}] {path} failed: {msg['error']}", file=sys.stderr)
            results["paths"][path] = {"error": msg["error"]}
            continue
        results["paths"][path] = msg["ok"]
    ok = {p: r for p, r in results["paths"].items() if "error" not in r}
    _table(ok)
    base = args.baseline or paths[0]
    if base in ok:
        for p in [p for p in ok if p != base]:
            c = compare(ok[base], ok[p], args.new_tokens)
            results["comparisons"][f"{p}_vs_{base}"] = c
            numerics = (f"; first-token logits max diff {c['first_token_logits']['max_abs_diff']}, greedy tokens "
                        f"agreeing {c['greedy_tokens_agreeing_before_first_difference']}" if "first_token_logits" in c else "")
            print(f"{p} vs {base}: one answer {c['answer_s']['this']} s vs {c['answer_s']['baseline']} s "
                  f"({c['speedup']}x faster), peak RSS x{c['peak_rss_ratio']}{numerics}")
    for r in ok.values():  # long vectors: kept for the comparison, not the report
        for k in ("first_logits", "ids", "video_tokens"):
            if isinstance(r.get(k), list):
                r.pop(k)
    text = json.dumps(results, indent=1)
    print(text)
    if args.out:
        from timechat_core.fileio import write_text_atomic

        write_text_atomic(args.out, text + "\n")
    return 0


def _table(results: dict) -> None:
    stages = list(dict.fromkeys(k for r in results.values() for k in r["stages_s"]))
    cols = list(results)
    print(f"{'stage (s)':<20}" + "".join(f"{c:>12}" for c in cols))
    for s in stages:
        print(f"{s:<20}" + "".join(f"{results[c]['stages_s'].get(s, float('nan')):>12.3f}" for c in cols))
    for key in ("build_s", "peak_rss_gib", "rss_after_build_gib", "machine_busy_ratio", "new_tokens"):
        print(f"{key:<20}" + "".join(f"{str(results[c][key]):>12}" for c in cols))


if __name__ == "__main__":
    sys.exit(main())
