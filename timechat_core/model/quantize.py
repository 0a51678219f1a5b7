"""The int8 inference path (`--quantize int8`): int8 weights, fp32 activations, on the CPU.

Which layers: every `nn.Linear` of the LLM's decoder layers (LoRA merged into them first, in fp32)
and of the ViT's encoder layers. The embeddings, `lm_head`, norms, the ViT's patch embedding, both
Q-Formers and the projection keep their precision (fp32; they are a small share of the time). The
int8 layers are torch's dynamic quantization (`torch.ao.nn.quantized.dynamic.Linear`): weights int8
per output channel, each input token quantized with its own scale on the fly, matrix products in the CPU's int8
kernels (fbgemm / oneDNN with VNNI), results in fp32. Measured against the other libraries and the
unquantized path in README, "The full-size model on a CPU".

Not the reference: TimeChat has no int8 CPU path (its `low_resource` loads the LLM in 8 bits with
bitsandbytes on a GPU). The unquantized path stays the default and stays exact.
"""

from __future__ import annotations

import warnings

import torch
from torch import nn
from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

INT8 = "int8"
FRAME_CHUNK = 16
"""Frames the int8 path's ViT and image Q-Former take at a time (`TimeChatModel.frame_chunk`): at 96 frames the
ViT's fp32 activations take a sixth of the memory, with the same per-frame results."""


class Int8Linear(DynamicLinear):
    """torch's dynamic int8 Linear, with one input scale per token and 8-bit inputs where the CPU has VNNI.

    torch's kernel quantizes a whole input (every token of a prompt) with one scale, so one token with
    large activations (LLaMA's first token has some thousands of times the others') would leave the
    rest a few levels; each row is divided by its largest magnitude before the kernel and multiplied
    back after, which makes the one scale a per-token scale (the bias is added after). The module
    also always uses 7-bit inputs (`reduce_range`), which keeps the int16 accumulation of AVX2/AVX512
    without VNNI from saturating; with VNNI the full 8 bits are safe and halve the input rounding error
    (README, "The full-size model on a CPU").
    """

    full_range = False

    def forward(self, x):
        scale = x.abs().amax(-1, keepdim=True).clamp_min(torch.finfo(torch.float32).tiny)
        y = torch.ops.quantized.linear_dynamic(x / scale, self._packed_params._packed_params,
                                               reduce_range=not self.full_range).mul_(scale)
        return y if self.add_bias is None else y.add_(self.add_bias)

    def _get_name(self):
        return "Int8Linear"


def int8_linear(weight: torch.Tensor, bias: torch.Tensor | None) -> nn.Module:
    """An int8 Linear of `weight` (out, in) and `bias`: weights per output channel, inputs per token
    (dynamic), fp32 in and out."""
    from torch.ao.quantization import per_channel_dynamic_qconfig

    from timechat_core.devices import cpu_has_vnni

    src = nn.Linear(weight.shape[1], weight.shape[0], bias=False, device="meta")
    src.weight = nn.Parameter(weight.detach().float(), requires_grad=False)
    src.qconfig = per_channel_dynamic_qconfig
    with warnings.catch_warnings():  # torch 2.13 points eager-mode users at torchao, whose CPU kernels are slower
        warnings.simplefilter("ignore")
        q = Int8Linear.from_float(src)
    q.full_range = cpu_has_vnni()
    q.register_buffer("add_bias", None if bias is None else bias.detach().float())
    return q


def int8_targets(model) -> list[str]:
    """Names (in `model`) of the Linear layers the int8 path quantizes: the LLM's and the ViT's blocks."""
    names = []
    for name, module in model.named_modules():
        if not isinstance(module, nn.Linear) or ".lora_" in name:
            continue
        if name.startswith("vision_model.encoder.") or (name.startswith("language_model.") and ".layers." in name):
            names.append(name)
    return names


def replace_module(root: nn.Module, name: str, new: nn.Module) -> None:
    """Put `new` at the dotted `name` under `root`."""
    parent, _, child = name.rpartition(".")
    setattr(root.get_submodule(parent) if parent else root, child, new)


def int8_language_model(llm: nn.Module) -> nn.Module:
    """The LLM with its decoder Linears in int8 (in place, one layer at a time, so memory only falls).

    A peft LoRA is merged into each base weight in fp32 first (`get_delta_weight` honours a changed
    scaling), and the plain `LlamaForCausalLM` is returned. Everything else becomes fp32; the reference
    rotary embedding (`numerics.py`) then computes in fp32 too, where the reference numerics are the identity.
    """
    from timechat_core.model.numerics import ReferenceRotaryEmbedding

    lora = _lora_layers(llm)
    base = llm.get_base_model() if hasattr(llm, "get_base_model") else llm
    plain = [n for n, m in base.named_modules() if isinstance(m, nn.Linear) and ".layers." in n
             and not any(n.startswith(w + ".") for w in lora)]
    with torch.no_grad():
        for name in sorted(lora):
            wrapper = base.get_submodule(name)
            layer = wrapper.get_base_layer()
            merged = layer.weight.float() + wrapper.get_delta_weight("default").float()
            replace_module(base, name, int8_linear(merged, layer.bias))
        for name in plain:
            layer = base.get_submodule(name)
            replace_module(base, name, int8_linear(layer.weight, layer.bias))
        base.float()
    if hasattr(base, "peft_config"):  # peft's note on the model it wrapped: nothing of it is left
        del base.peft_config
    for module in base.modules():
        if isinstance(module, ReferenceRotaryEmbedding):
            module.weight_dtype = torch.float32
    return base


def _lora_layers(llm: nn.Module) -> set[str]:
    """Names, relative to the base model, of the peft LoRA wrappers of Linear layers."""
    if not hasattr(llm, "get_base_model"):
        return set()
    from peft.tuners.lora import LoraLayer

    return {n for n, m in llm.get_base_model().named_modules()
            if isinstance(m, LoraLayer) and isinstance(m.get_base_layer(), nn.Linear)}


def int8_vision(model) -> None:
    """The ViT's block Linears in int8, in place, and frames encoded `FRAME_CHUNK` at a time."""
    with torch.no_grad():
        for name in [n for n in int8_targets(model) if n.startswith("vision_model.")]:
            layer = model.get_submodule(name)
            replace_module(model, name, int8_linear(layer.weight, layer.bias))
    model.frame_chunk = FRAME_CHUNK
    release_heap()


def release_heap() -> None:
    """Give the C heap's free pages back to the system (glibc `malloc_trim`): after full-precision layers were
    replaced by int8 ones, their freed memory otherwise stays in the process (measured: about 2.5 GiB at 7B)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        ctypes.CDLL(name).malloc_trim(0)
    except (OSError, AttributeError, TypeError):  # not glibc: nothing to trim this way
        pass


def read_dtype(llm_path: str | None) -> torch.dtype:
    """The dtype a model folder's LLM is read in before `int8_language_model` converts it, layer by layer:
    16 bits, so loading never holds the fp32 LLM (25 GiB at 7B). The LLaMA folder's own dtype when it
    is fp16 or bf16 (`torch_dtype` / `dtype` of its config.json; LLaMA-2's release is fp16, read exactly),
    else bf16 (fp32 weights are rounded to bf16 first: a relative error of at most 2^-9, under half the int8
    step of a row's largest weight and far under it for the rest)."""
    import json
    from pathlib import Path

    stored = None
    config = Path(llm_path) / "config.json" if llm_path else None
    if config is not None and config.is_file():
        try:
            found = json.loads(config.read_text())
        except (OSError, ValueError):
            found = {}
        stored = (found.get("dtype") or found.get("torch_dtype")) if isinstance(found, dict) else None
    return torch.float16 if stored == "float16" else torch.bfloat16


def wants_int8(quantize: str | None) -> bool:
    """Whether a `quantize` setting asks for the int8 path (None and "none" do not); ValueError if unknown."""
    if quantize not in (None, "none", INT8):
        raise ValueError(f"unknown quantization {quantize!r}")
    return quantize == INT8


def quantize_model(model, quantize: str | None):
    """`model` (a loaded `TimeChatModel` on the CPU) on the `quantize` path, in place; None/"none": unchanged."""
    if not wants_int8(quantize):
        return model
    model.language_model = int8_language_model(model.language_model)
    int8_vision(model)
    return model
