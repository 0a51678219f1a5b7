"""The int8 path (`--quantize int8`) on the conformance fixture, with bounds measured on it, and its building blocks.

Measured on this fixture (`tests/data/reference_tiny`, one thread, torch 2.13.0+cpu, AMD EPYC with
AVX512-VNNI; the expected values are the reference's fp32 outputs, which timechat's fp32 path
reproduces to 3e-6), with 8-bit inputs (VNNI CPUs) / 7-bit inputs (the others):
- video tokens (ViT int8): max |diff| 0.0096 / 0.0119 (tokens up to 2.70 in size);
- logits at all 277 positions of video 0: max |diff| 0.290 / 0.363, mean 0.0176 / 0.0289 (logits up
  to 10.4), argmax agreeing at 95.7% / 95.7% of positions; at the last prompt position max 0.138 / 0.181;
- greedy decoding (2 x 20 tokens): 40 / 28 ids equal to the reference's at their positions (8 bits: all).
Bounds: the measured values plus 30%. The 8-bit mode is checked only on a CPU with VNNI (elsewhere
torch's kernel could saturate, which is why `Int8Linear` uses it only there).
"""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from tests.conftest import one_thread
from timechat_core import devices
from timechat_core.devices import cpu_has_vnni
from timechat_core.model.convert_lavis import load_reference
from timechat_core.model.generate import DecodingSettings, generate_ids
from timechat_core.model.quantize import FRAME_CHUNK, Int8Linear, int8_language_model, int8_linear, quantize_model
from timechat_core.fileio import read_json


@pytest.fixture(scope="module")
def expected(ref_tiny):
    e = ref_tiny / "expected"
    out = {**load_file(str(e / "eval_visual.safetensors")), **load_file(str(e / "eval_context.safetensors")),
           **load_file(str(e / "eval_llm_fp32.safetensors"))}
    out["frames"] = load_file(str(ref_tiny / "inputs" / "frames.safetensors"))["frames_normalized"].permute(0, 2, 1, 3, 4)
    out["greedy"] = [r[1:] for r in read_json(e / "eval_text.json")["llm_variants"]["fp32"]["greedy"]["raw_ids"]]
    return out


MODES = [False] + ([True] if cpu_has_vnni() else [])
"""Int8Linear.full_range: 7-bit inputs everywhere, 8-bit inputs where the CPU has VNNI."""
BOUNDS = {  # measured (module docstring) + 30%
    False: dict(tokens=0.0155, max=0.47, mean=0.038, agree=0.93, last=0.24, greedy=26),
    True: dict(tokens=0.0125, max=0.38, mean=0.023, agree=0.93, last=0.18, greedy=40),
}


def _int8_reference(ref_files, tiny_cfg, full_range: bool):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(devices, "cpu_has_vnni", lambda: full_range)
        model, _, _ = load_reference(ref_files, tiny_cfg, dtype=torch.float32)
        return quantize_model(model.eval(), "int8")


@pytest.fixture(scope="module")
def int8_model(ref_files, tiny_cfg):
    return _int8_reference(ref_files, tiny_cfg, cpu_has_vnni())


def _outputs(m, expected):
    with one_thread(), torch.inference_mode():
        tokens = m.encode_video(expected["frames"], expected["ts_input_ids"], expected["ts_attention_mask"])
        mask = expected["attention_mask"].long()
        logits = m.language_model(inputs_embeds=m.llm_inputs(expected["inputs_embeds"]), attention_mask=mask).logits
        ids = generate_ids(m, expected["inputs_embeds"], mask, DecodingSettings(max_new_tokens=20))
    return tokens, logits, ids


@pytest.fixture(scope="module")
def outputs(int8_model, expected):
    return _outputs(int8_model, expected)


@pytest.mark.parametrize("full_range", MODES)
def test_int8_fixture_outputs_within_measured_bounds(ref_files, tiny_cfg, expected, full_range):
    model = _int8_reference(ref_files, tiny_cfg, full_range)
    assert {m.full_range for m in model.modules() if isinstance(m, Int8Linear)} == {full_range}
    tokens, logits, ids = _outputs(model, expected)
    bound = BOUNDS[full_range]
    assert (tokens - expected["video_tokens"]).abs().max().item() <= bound["tokens"]
    d = (logits[0] - expected["logits_all_video0"]).abs()
    assert d.max().item() <= bound["max"] and d.mean().item() <= bound["mean"]
    agree = (logits[0].argmax(-1) == expected["logits_all_video0"].argmax(-1)).float().mean().item()
    assert agree >= bound["agree"]
    assert (logits[:, -1] - expected["logits_last"]).abs().max().item() <= bound["last"]
    same = sum(a == b for got, want in zip(ids.tolist(), expected["greedy"]) for a, b in zip(got, want))
    assert same >= bound["greedy"]


def test_one_large_token_does_not_coarsen_the_others():
    """Inputs are scaled per token: a token 300x larger (LLaMA's first token is of that kind) leaves the
    others' error exactly as it was (with torch's one input scale, the others' mean error grew 80x in a 4096 x 11008
    layer given one 300x token, measured)."""
    torch.manual_seed(0)
    w, x = torch.randn(256, 512) * 0.02, torch.randn(64, 512)
    q = int8_linear(w, None)
    with torch.inference_mode():
        calm = (q(x) - x @ w.T).abs()[1:].max().item()
        x[0] *= 300
        loud = (q(x) - x @ w.T).abs()[1:].max().item()
    assert loud == pytest.approx(calm, rel=1e-6)


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
    assert m.frame_chunk == FRAME_CHUNK  # the visual activations' memory bounded (same per-frame results)
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


def test_int8_linear_rounds_each_output_channel():
    torch.manual_seed(0)
    w, b, x = torch.randn(24, 48) * torch.linspace(0.01, 3, 24)[:, None], torch.randn(24), torch.randn(5, 48)
    q = int8_linear(w, b)
    step = q.weight().q_per_channel_scales().float()
    assert torch.allclose(step, w.abs().amax(1) / 127.5, rtol=1e-3)  # symmetric, one scale per row
    with torch.inference_mode():
        y = q(x)
    assert y.dtype == torch.float32 and (y - (x @ w.T + b)).abs().max().item() < 0.05 * (x @ w.T).abs().max().item()


def test_a_folder_loads_quantized_as_the_model_quantizes(ref_model, int8_model, expected, tmp_path, monkeypatch):
    """`load_model_folder(quantize="int8")` reads the LLM in 16 bits (the fixture's LLaMA is stored in bf16, so
    exactly) and quantizes it before the visual stack loads: the same model as the fp32 one quantized."""
    from timechat_core.model import timechat
    from timechat_core.model.folder import load_model_folder, save_model_folder

    read = []
    build = timechat.build_language_model
    monkeypatch.setattr(timechat, "build_language_model", lambda cfg, dtype, **kw: read.append(dtype) or build(cfg, dtype, **kw))
    model, proc, _ = ref_model
    loaded, _ = load_model_folder(save_model_folder(model, proc, tmp_path / "m"), dtype=torch.float32, quantize="int8")
    assert read == [torch.bfloat16]  # never the fp32 LLM
    loaded.eval()
    with torch.inference_mode():
        a = loaded.language_model(inputs_embeds=expected["inputs_embeds"], attention_mask=expected["attention_mask"].long())
        b = int8_model.language_model(inputs_embeds=expected["inputs_embeds"], attention_mask=expected["attention_mask"].long())
        va = loaded.encode_video(expected["frames"], expected["ts_input_ids"], expected["ts_attention_mask"])
        vb = int8_model.encode_video(expected["frames"], expected["ts_input_ids"], expected["ts_attention_mask"])
    assert torch.equal(a.logits, b.logits) and torch.equal(va, vb)
    with pytest.raises(ValueError, match="unknown quantization"):
        load_model_folder(tmp_path / "m", dtype=torch.float32, quantize="int4")



def test_the_llm_is_read_in_its_own_16_bits(tmp_path):
    """`read_dtype`: an fp16 or bf16 LLaMA folder is read as stored (LLaMA-2's release is fp16), anything else in bf16."""
    from timechat_core.model.quantize import read_dtype

    for stored, want in (('"torch_dtype": "float16"', torch.float16), ('"dtype": "float16"', torch.float16),
                         ('"torch_dtype": "bfloat16"', torch.bfloat16), ('"torch_dtype": "float32"', torch.bfloat16),
                         ("", torch.bfloat16)):
        (tmp_path / "config.json").write_text("{" + stored + "}")
        assert read_dtype(str(tmp_path)) == want
    (tmp_path / "config.json").write_text("not json")
    assert read_dtype(str(tmp_path)) == torch.bfloat16 and read_dtype(None) == torch.bfloat16
