"""The int8 path (`--quantize int8`) on the conformance fixture, with bounds measured on it, and its building blocks.

Measured on this fixture (`tests/data/reference_tiny`, one thread, torch 2.13.0+cpu, AVX512-VNNI CPU
so 8-bit inputs; the expected values are the reference's fp32 outputs, which timechat's fp32 path
reproduces to 3e-6):
- video tokens (ViT int8): max |diff| 0.0108 (tokens up to 2.7 in size);
- logits at all 277 positions of video 0: max |diff| 0.344, mean 0.0287 (logits up to 10.4),
  argmax agreeing at 95.3% of positions; at the last prompt position of both videos max 0.208;
- greedy decoding: all 2 x 20 token ids identical to the reference's.
The bounds below leave about 30% above those values (7-bit inputs on a CPU without VNNI double the
input rounding error; the greedy ids and argmax bound hold there too on this fixture).
"""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from tests.conftest import one_thread
from timechat_core.model.convert_lavis import load_reference
from timechat_core.model.generate import DecodingSettings, generate_ids
from timechat_core.model.quantize import Int8Linear, int8_language_model, int8_linear, quantize_model
from timechat_core.fileio import read_json


@pytest.fixture(scope="module")
def expected(ref_tiny):
    e = ref_tiny / "expected"
    out = {**load_file(str(e / "eval_visual.safetensors")), **load_file(str(e / "eval_context.safetensors")),
           **load_file(str(e / "eval_llm_fp32.safetensors"))}
    out["frames"] = load_file(str(ref_tiny / "inputs" / "frames.safetensors"))["frames_normalized"].permute(0, 2, 1, 3, 4)
    out["greedy"] = [r[1:] for r in read_json(e / "eval_text.json")["llm_variants"]["fp32"]["greedy"]["raw_ids"]]
    return out


@pytest.fixture(scope="module")
def int8_model(ref_files, tiny_cfg):
    model, processor, _ = load_reference(ref_files, tiny_cfg, dtype=torch.float32)
    return quantize_model(model.eval(), "int8")


@pytest.fixture(scope="module")
def outputs(int8_model, expected):
    m = int8_model
    with one_thread(), torch.inference_mode():
        tokens = m.encode_video(expected["frames"], expected["ts_input_ids"], expected["ts_attention_mask"])
        mask = expected["attention_mask"].long()
        logits = m.language_model(inputs_embeds=m.llm_inputs(expected["inputs_embeds"]), attention_mask=mask).logits
        ids = generate_ids(m, expected["inputs_embeds"], mask, DecodingSettings(max_new_tokens=20))
    return tokens, logits, ids


def test_int8_fixture_outputs_within_measured_bounds(outputs, expected):
    tokens, logits, ids = outputs
    assert (tokens - expected["video_tokens"]).abs().max().item() <= 0.014
    d = (logits[0] - expected["logits_all_video0"]).abs()
    assert d.max().item() <= 0.45 and d.mean().item() <= 0.037
    agree = (logits[0].argmax(-1) == expected["logits_all_video0"].argmax(-1)).float().mean().item()
    assert agree >= 0.93
    assert (logits[:, -1] - expected["logits_last"]).abs().max().item() <= 0.27
    assert ids.tolist() == expected["greedy"]


def test_int8_is_not_the_exact_path(outputs, expected):
    """The int8 path changes the numbers (it is a different path, not the fp32 one by mistake)."""
    tokens, logits, _ = outputs
    assert (tokens - expected["video_tokens"]).abs().max().item() > 1e-4
    assert (logits[0] - expected["logits_all_video0"]).abs().max().item() > 1e-2


def test_which_layers_are_int8(int8_model):
    m = int8_model
    int8 = {n for n, mod in m.named_modules() if isinstance(mod, Int8Linear)}
    n_llm, n_vit = m.config.llm.num_hidden_layers, m.config.vision.num_hidden_layers
    assert len([n for n in int8 if n.startswith("language_model.")]) == 7 * n_llm  # q k v o gate up down
    assert len([n for n in int8 if n.startswith("vision_model.")]) == 4 * n_vit  # qkv projection fc1 fc2
    assert not hasattr(m.language_model, "peft_config")  # LoRA merged, peft gone
    assert not any(".lora_" in n for n, _ in m.named_parameters())
    assert all(p.dtype == torch.float32 for p in m.parameters())
    for kept in ("language_model.lm_head", "qformer.encoder.layer.0.attention.attention.query", "language_projection"):
        assert isinstance(m.get_submodule(kept), torch.nn.Linear)


def test_lora_is_merged_in_fp32_before_quantizing(ref_files, tiny_cfg):
    """Each int8 q/k/v/o weight is W + B A * scaling rounded per output channel, not W alone."""
    model, _, _ = load_reference(ref_files, tiny_cfg, dtype=torch.float32)
    wrapper = model.language_model.get_base_model().model.layers[0].self_attn.q_proj
    merged = wrapper.base_layer.weight.detach() + wrapper.get_delta_weight("default").detach()
    base = wrapper.base_layer.weight.detach().clone()
    llm = int8_language_model(model.language_model)
    q = llm.model.layers[0].self_attn.q_proj.weight()
    step = q.q_per_channel_scales().float()[:, None]
    assert ((q.dequantize() - merged).abs() <= step / 2 + 1e-7).all()
    assert ((q.dequantize() - base).abs() > step).any()


def test_int8_linear_rounds_each_output_channel(ref_files):
    torch.manual_seed(0)
    w, b, x = torch.randn(24, 48) * torch.linspace(0.01, 3, 24)[:, None], torch.randn(24), torch.randn(5, 48)
    q = int8_linear(w, b)
    step = q.weight().q_per_channel_scales().float()
    assert torch.allclose(step, w.abs().amax(1) / 127.5, rtol=1e-3)  # symmetric, one scale per row
    with torch.inference_mode():
        y = q(x)
    assert y.dtype == torch.float32 and (y - (x @ w.T + b)).abs().max().item() < 0.05 * (x @ w.T).abs().max().item()


def test_a_folder_loads_quantized_as_the_model_quantizes(ref_model, int8_model, expected, tmp_path):
    """`load_model_folder(quantize="int8")` (LLM quantized before the visual stack loads) gives the same model."""
    from timechat_core.model.folder import load_model_folder, save_model_folder

    model, proc, _ = ref_model
    loaded, _ = load_model_folder(save_model_folder(model, proc, tmp_path / "m"), dtype=torch.float32, quantize="int8")
    loaded.eval()
    with torch.inference_mode():
        a = loaded.language_model(inputs_embeds=expected["inputs_embeds"], attention_mask=expected["attention_mask"].long())
        b = int8_model.language_model(inputs_embeds=expected["inputs_embeds"], attention_mask=expected["attention_mask"].long())
        va = loaded.encode_video(expected["frames"], expected["ts_input_ids"], expected["ts_attention_mask"])
        vb = int8_model.encode_video(expected["frames"], expected["ts_input_ids"], expected["ts_attention_mask"])
    assert torch.equal(a.logits, b.logits) and torch.equal(va, vb)
    with pytest.raises(ValueError, match="unknown quantization"):
        load_model_folder(tmp_path / "m", dtype=torch.float32, quantize="int4")
