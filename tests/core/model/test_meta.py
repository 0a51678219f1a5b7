"""Real-size builds without a full-precision detour: meta device, then each tensor in its own dtype."""

from __future__ import annotations

import torch

from timechat_core.model.config import TimeChatConfig
from timechat_core.model.meta import empty_timechat, load_bytes, model_bytes, random_timechat
from timechat_core.model.quantize import FRAME_CHUNK, Int8Linear, int8_linear, int8_targets

TINY = TimeChatConfig.preset("tiny")


def _params(model) -> dict[str, torch.Tensor]:
    """Parameters by name without peft's wrapping, as `meta.tensor_seed` names them."""
    return {n.replace("base_model.model.", "", 1).replace(".base_layer.", "."): p for n, p in model.named_parameters()}


def test_the_meta_build_allocates_nothing():
    model = empty_timechat(TimeChatConfig.preset("timechat-7b"))
    params = list(model.parameters())
    assert all(p.is_meta for p in params)
    llm = {p.dtype for n, p in model.named_parameters() if n.startswith("language_model.") and ".lora_" not in n}
    assert llm == {torch.bfloat16}
    assert sum(p.numel() for p in params) > 7.9e9  # LLaMA-2-7B (6.74e9) + LoRA + EVA ViT-g + Q-Formers
    assert not any(b.is_meta for b in model.buffers())  # rotary frequencies, position ids: real


def test_values_depend_on_the_seed_only_not_on_the_dtype():
    bf16, fp32 = _params(random_timechat(TINY, torch.bfloat16, seed=5)), _params(random_timechat(TINY, torch.float32, seed=5))
    assert set(bf16) == set(fp32)
    for name, p in bf16.items():
        assert not p.is_meta
        assert torch.equal(p, fp32[name].to(p.dtype)), name
    assert bf16["language_model.model.layers.0.mlp.up_proj.weight"].dtype == torch.bfloat16
    assert bf16["vision_model.encoder.layers.0.mlp.fc1.weight"].dtype == torch.float32
    other = _params(random_timechat(TINY, torch.float32, seed=6))
    assert not torch.equal(other["qformer.encoder.layer.0.attention.attention.query.weight"],
                           fp32["qformer.encoder.layer.0.attention.attention.query.weight"])


def test_initialisation_rules():
    p = _params(random_timechat(TINY, torch.float32, seed=1))
    w = p["language_model.model.layers.1.self_attn.q_proj.weight"]
    assert abs(w.std().item() - 0.02) < 0.002 and abs(w.mean().item()) < 0.002
    assert torch.equal(p["language_model.model.norm.weight"], torch.ones(64))
    assert torch.equal(p["vision_model.encoder.layers.0.layer_norm1.bias"], torch.zeros(48))
    assert not p["language_model.model.embed_tokens.weight"][0].any()  # the padding row
    assert not p["language_model.model.layers.0.self_attn.q_proj.lora_B.default.weight"].any()  # LoRA starts at zero
    assert p["language_model.model.layers.0.self_attn.q_proj.lora_A.default.weight"].std() > 0.05


def test_an_int8_build_quantizes_each_layer_as_it_is_drawn():
    """Equal to drawing the fp32 model and quantizing it afterwards, without ever holding it."""
    direct = random_timechat(TINY, torch.float32, seed=2, quantize="int8").eval()
    full = random_timechat(TINY.replace(lora=None), torch.float32, seed=2).eval()
    targets = int8_targets(full)
    assert len(targets) == 7 * 2 + 4 * 2
    for name in targets:
        got = direct.get_submodule(name)
        assert isinstance(got, Int8Linear)
        want = int8_linear(full.get_submodule(name).weight, full.get_submodule(name).bias)
        assert torch.equal(got.weight().int_repr(), want.weight().int_repr()), name
    x = torch.randn(1, 8, 3, 28, 28)
    ids, mask = torch.randint(1000, 2000, (8, 6)), torch.ones(8, 6, dtype=torch.long)
    with torch.inference_mode():
        a, b = direct.encode_video(x, ids, mask), full.encode_video(x, ids, mask)
    assert 0 < (a - b).abs().max().item() < 0.05 * b.abs().max().item()
    assert direct.frame_chunk == FRAME_CHUNK and full.frame_chunk is None


def test_each_full_precision_layer_is_freed_as_soon_as_it_is_converted():
    """What keeps an int8 build of the 7B at its int8 size: no reference to a converted layer survives it."""
    import gc
    import weakref

    from timechat_core.model.meta import materialise

    model = empty_timechat(TINY.replace(lora=None), torch.float32)
    targets, dropped, alive = set(int8_targets(model)), [], []

    def convert(name, module):
        if name not in targets:
            return None
        gc.collect()
        alive.append(sum(ref() is not None for ref in dropped))
        dropped.append(weakref.ref(module))
        return int8_linear(module.weight, module.bias)

    materialise(model, 0, convert)
    assert len(dropped) == len(targets) and alive and max(alive) == 0


def test_model_bytes_match_the_built_model():
    for dtype in (torch.float32, torch.bfloat16):
        model = random_timechat(TINY, dtype)
        assert model_bytes(TINY, dtype) == sum(p.numel() * p.element_size() for p in model.parameters())
    model = random_timechat(TINY, torch.bfloat16)
    model.vision_to_fp16()  # what `place` does on CUDA
    assert model_bytes(TINY, torch.bfloat16, device="cuda") == sum(p.numel() * p.element_size() for p in model.parameters())
    int8 = random_timechat(TINY, torch.float32, quantize="int8")
    layers = [m for m in int8.modules() if isinstance(m, Int8Linear)]
    packed = sum(m.weight().numel() + 8 * m.weight().shape[0] + (4 * m.add_bias.numel() if m.add_bias is not None else 0)
                 for m in layers)  # int8 weights, a scale and zero point per row, fp32 bias
    assert model_bytes(TINY, torch.float32, "int8") == packed + sum(p.numel() * 4 for p in int8.parameters())


def test_full_size_bytes_per_precision():
    """TimeChat-7B: LLaMA-2-7B's 6.74e9 parameters at 4 / 2 / 1 bytes, plus LoRA and a ~1.2e9-parameter fp32 visual stack."""
    cfg = TimeChatConfig.preset("timechat-7b")
    gib = {q or dt: model_bytes(cfg, dt, q) / 2**30 for dt, q in ((torch.float32, None), (torch.bfloat16, None),
                                                                  (torch.float32, "int8"))}
    assert 29 < gib[torch.float32] < 30.5 and 16.5 < gib[torch.bfloat16] < 17.5 and 8 < gib["int8"] < 9.5


def test_an_int8_load_peaks_at_the_16_bit_llm():
    """A folder on the int8 path holds its LLM in 16 bits before converting it (`folder.load_model_folder`): at 7B
    that read (12.6 GiB) is the peak, above the 8.7 GiB of the int8 model, and the memory check uses it."""
    cfg = TimeChatConfig.preset("timechat-7b")
    llm16 = sum(p.numel() * p.element_size() for p in empty_timechat(cfg, torch.bfloat16).language_model.parameters())
    assert load_bytes(cfg, torch.float32, "int8") == llm16 > model_bytes(cfg, torch.float32, "int8")
    assert 12 < llm16 / 2**30 < 13
    for dtype in (torch.float32, torch.bfloat16):  # unquantized: the weights are the peak
        assert load_bytes(cfg, dtype) == model_bytes(cfg, dtype)
