"""The released Qwen2.5-VL and Qwen3-VL sizes, built with random weights and timed stage by stage on one question.

`SIZES` holds each size's architecture (the numbers of its `config.json`; nothing is downloaded here, so
they were read from public copies of those files, `docs/qwen-vl.md` §5 names them and the one value not
confirmed). `build_random(size, dtype, device)` creates the model on the meta device, materialises it with
`to_empty` and transformers' own `initialize_weights` (random weights, rotary buffers recomputed), and
`measure_question(...)` answers one video question through the real pipeline (qwen-vl-utils frames, the
family's processor, `generate`) recording the vision encoder's time, the prefill, the time per decoded
token and peak memory. `benchmarks/full_size.py --family NAME` runs them (the family registry of
real-size benchmarks, next to TimeChat-7B).
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass, field

from timechat_core.qwen.folder import FAMILIES, Family


@dataclass(frozen=True)
class Size:
    name: str
    model_type: str
    text: dict
    vision: dict
    tie_word_embeddings: bool
    note: str = ""

    @property
    def family(self) -> Family:
        return FAMILIES[self.model_type]


_Q25_VISION = dict(depth=32, hidden_size=1280, intermediate_size=3420, num_heads=16, patch_size=14, window_size=112,
                   fullatt_block_indexes=[7, 15, 23, 31], tokens_per_second=2, spatial_merge_size=2,
                   temporal_patch_size=2, hidden_act="silu")
_Q25_ROPE = {"rope_type": "default", "rope_theta": 1e6, "mrope_section": [16, 24, 24]}
_Q3_ROPE = {"rope_type": "default", "rope_theta": 5e6, "mrope_section": [24, 20, 20], "mrope_interleaved": True}
_Q3_SMALL_VISION = dict(depth=24, hidden_size=1024, intermediate_size=4096, num_heads=16, patch_size=16,
                        num_position_embeddings=2304, deepstack_visual_indexes=[5, 11, 17], spatial_merge_size=2,
                        temporal_patch_size=2, hidden_act="gelu_pytorch_tanh")
_Q3_LARGE_VISION = dict(depth=27, hidden_size=1152, intermediate_size=4304, num_heads=16, patch_size=16,
                        num_position_embeddings=2304, deepstack_visual_indexes=[8, 16, 24], spatial_merge_size=2,
                        temporal_patch_size=2, hidden_act="gelu_pytorch_tanh")

SIZES = {s.name: s for s in (
    Size("qwen2.5-vl-3b", "qwen2_5_vl",
         dict(hidden_size=2048, intermediate_size=11008, num_hidden_layers=36, num_attention_heads=16,
              num_key_value_heads=2, vocab_size=151936, rope_parameters=_Q25_ROPE),
         {**_Q25_VISION, "out_hidden_size": 2048}, True),
    Size("qwen2.5-vl-7b", "qwen2_5_vl",
         dict(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
              num_key_value_heads=4, vocab_size=152064, rope_parameters=_Q25_ROPE),
         {**_Q25_VISION, "out_hidden_size": 3584}, False),
    Size("qwen3-vl-2b", "qwen3_vl",
         dict(hidden_size=2048, intermediate_size=6144, num_hidden_layers=28, num_attention_heads=16,
              num_key_value_heads=8, head_dim=128, vocab_size=151936, rope_parameters=_Q3_ROPE),
         {**_Q3_SMALL_VISION, "out_hidden_size": 2048}, True,
         note="text intermediate_size 6144 is Qwen3-1.7B's (the 2B's LLM); not confirmed from its config.json"),
    Size("qwen3-vl-4b", "qwen3_vl",
         dict(hidden_size=2560, intermediate_size=9728, num_hidden_layers=36, num_attention_heads=32,
              num_key_value_heads=8, head_dim=128, vocab_size=151936, rope_parameters=_Q3_ROPE),
         {**_Q3_SMALL_VISION, "out_hidden_size": 2560}, True),
    Size("qwen3-vl-8b", "qwen3_vl",
         dict(hidden_size=4096, intermediate_size=12288, num_hidden_layers=36, num_attention_heads=32,
              num_key_value_heads=8, head_dim=128, vocab_size=151936, rope_parameters=_Q3_ROPE),
         {**_Q3_LARGE_VISION, "out_hidden_size": 4096}, False),
)}


def size_config(size: Size, token_ids: dict):
    """The transformers config of a size; `token_ids`: the tokenizer's image/video/vision start/end and eos ids."""
    from transformers import Qwen2_5_VLConfig, Qwen3VLConfig

    cls = Qwen2_5_VLConfig if size.model_type == "qwen2_5_vl" else Qwen3VLConfig
    special = {k: token_ids[k] for k in ("bos_token_id", "eos_token_id", "pad_token_id")}
    ids = {k: token_ids[k] for k in ("image_token_id", "video_token_id", "vision_start_token_id", "vision_end_token_id")}
    return cls(text_config={**size.text, **special, "max_position_embeddings": 128000}, vision_config=dict(size.vision),
               tie_word_embeddings=size.tie_word_embeddings, **ids)


def token_ids(tokenizer) -> dict:
    """The config's special token ids (vision markers, bos / eos / pad) as the family's tokenizer numbers them."""
    names = {"image_token_id": "<|image_pad|>", "video_token_id": "<|video_pad|>",
             "vision_start_token_id": "<|vision_start|>", "vision_end_token_id": "<|vision_end|>",
             "bos_token_id": "<|endoftext|>", "eos_token_id": "<|im_end|>", "pad_token_id": "<|endoftext|>"}
    return {k: tokenizer.convert_tokens_to_ids(v) for k, v in names.items()}


def build_random(size: Size, config, dtype, device):
    """The model on the meta device, materialised on `device` in `dtype` with random weights (eval mode)."""
    import torch

    with torch.device("meta"):
        model = size.family.model_class()._from_config(config, dtype=dtype)
    model.to_empty(device=device)
    with torch.device(device):
        model.initialize_weights()
    model.tie_weights()
    return model.eval()


def peak_rss_gib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


@dataclass
class StageTimes:
    """Seconds per stage of one question, and memory."""

    vision_s: float = 0.0
    prefill_s: float = 0.0
    """From `generate` to the first token's logits, vision encoder excluded."""
    decode_s_per_token: float = 0.0
    new_tokens: int = 0
    video_tokens: int = 0
    prompt_tokens: int = 0
    frames: int = 0
    frame_size: list = field(default_factory=list)
    peak_rss_gib: float = 0.0
    peak_gpu_gib: float | None = None


def measure_question(model, processor, frames, text: str, max_new_tokens: int = 8) -> StageTimes:
    """Answer one question (greedy, a fixed number of new tokens) and time its stages.

    The vision encoder is timed by hooks on `model.model.visual`; the prefill is the time to the first
    token's logits minus the vision encoder's; each later token's time comes from a logits processor
    called once per step.
    """
    import torch
    from transformers import LogitsProcessor, LogitsProcessorList

    class Clock(LogitsProcessor):
        def __init__(self):
            self.stamps = []

        def __call__(self, input_ids, scores):
            self.stamps.append(time.perf_counter())
            return scores

    vision = {}
    visual = model.model.visual
    hooks = [visual.register_forward_pre_hook(lambda *_: vision.__setitem__("t0", time.perf_counter())),
             visual.register_forward_hook(lambda *_: vision.__setitem__("t1", time.perf_counter()))]
    video = torch.from_numpy(frames.frames).permute(0, 3, 1, 2).to(torch.float32)
    inputs = processor(text=[text], videos=[video], video_metadata=[frames.metadata()], do_resize=False,
                       do_sample_frames=False, return_tensors="pt").to(model.device)
    clock = Clock()
    if model.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
        torch.cuda.synchronize()
    try:
        with torch.inference_mode():
            t0 = time.perf_counter()
            out = model.generate(**inputs, do_sample=False, max_new_tokens=max_new_tokens, min_new_tokens=max_new_tokens,
                                 logits_processor=LogitsProcessorList([clock]))
    finally:
        for h in hooks:
            h.remove()
    vision_s = vision["t1"] - vision["t0"]
    steps = clock.stamps
    decode = (steps[-1] - steps[0]) / (len(steps) - 1) if len(steps) > 1 else 0.0
    grid = inputs["video_grid_thw"][0].tolist()
    return StageTimes(vision_s=vision_s, prefill_s=steps[0] - t0 - vision_s, decode_s_per_token=decode,
                      new_tokens=out.shape[1] - inputs["input_ids"].shape[1],
                      video_tokens=int(grid[0] * grid[1] * grid[2] // 4), prompt_tokens=int(inputs["input_ids"].shape[1]),
                      frames=len(frames.indices), frame_size=list(frames.frames.shape[1:3]),
                      peak_rss_gib=peak_rss_gib(),
                      peak_gpu_gib=torch.cuda.max_memory_allocated() / 2**30 if model.device.type == "cuda" else None)
