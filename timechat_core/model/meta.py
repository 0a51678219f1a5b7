"""Real-size models without a full-precision detour: built on the meta device, materialised tensor by tensor.

`empty_timechat` builds the whole TimeChat with its parameters on the meta device (accelerate's
`init_empty_weights`: no memory, no random draws; buffers stay real), each already in its target
dtype (LLM weights in the LLM dtype, LoRA fp32 as peft keeps it, visual stack fp32). `materialise`
then allocates one parameter at a time in that dtype and fills it from its own seeded generator, so
the 7B with a bf16 LLM builds in its 17.1 GiB instead of 29.7 GiB of fp32 first, the values do not depend on
the dtype or on the order, and a layer can be converted (e.g. to int8) right after it exists. The
same meta build counts the bytes a configuration needs before anything is loaded (`model_bytes`, and
`load_bytes` for the peak while a folder loads).

Initialisation (not the reference's: it loads pretrained weights): as transformers' `_init_weights`
for LLaMA and BLIP-2, N(0, 0.02) for weights, embeddings and query tokens, ones for norm weights, zeros
for biases and the embedding's padding row; LoRA as peft starts it (B zero, so LoRA adds nothing),
with A drawn N(0, 1/in_features).
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Callable

import torch
from torch import nn

STD = 0.02


def empty_timechat(cfg, llm_dtype: torch.dtype = torch.bfloat16, trainable_lora: bool = False):
    """A `TimeChatModel` of `cfg`'s sizes with every parameter on the meta device (LLM random, no path)."""
    from accelerate import init_empty_weights

    from timechat_core.model.timechat import TimeChatModel, build_language_model

    cfg = cfg.replace(llm=dataclasses.replace(cfg.llm, path=None))
    with init_empty_weights():
        return TimeChatModel(cfg, language_model=build_language_model(cfg, dtype=llm_dtype,
                                                                      trainable_lora=trainable_lora))


def tensor_seed(seed: int, name: str) -> int:
    """The generator seed of the parameter `name`: the same values whatever the dtype, the build order or
    peft's wrapping (its `base_model.model.` and `.base_layer.` are left out of the name)."""
    name = name.replace("base_model.model.", "", 1).replace(".base_layer.", ".")
    return (seed * 1_000_003 + zlib.crc32(name.encode())) % (1 << 63)


def initial_value(name: str, module: nn.Module, param: torch.Tensor, seed: int) -> torch.Tensor:
    """The seeded initial value of `module`'s parameter `name` (full dotted name), drawn in fp32, in its dtype."""
    leaf = name.rsplit(".", 1)[-1]
    is_norm = isinstance(module, nn.LayerNorm) or type(module).__name__.endswith("RMSNorm")
    if leaf == "bias" or ".lora_B." in name:
        return torch.zeros(param.shape, dtype=param.dtype)
    if is_norm:
        return torch.ones(param.shape, dtype=param.dtype)
    std = param.shape[-1] ** -0.5 if ".lora_A." in name else STD
    value = torch.empty(param.shape, dtype=torch.float32)
    value.normal_(0.0, std, generator=torch.Generator().manual_seed(tensor_seed(seed, name)))
    if isinstance(module, nn.Embedding) and module.padding_idx is not None:
        value[module.padding_idx] = 0
    return value.to(param.dtype)


def materialise(model: nn.Module, seed: int = 0,
                convert: Callable[[str, nn.Module], nn.Module | None] | None = None) -> nn.Module:
    """Give every meta parameter of `model` its seeded initial value on the CPU, module by module (in place).

    Args:
        convert: called with each module's name once its own parameters exist; a module it returns
            replaces that module (e.g. an int8 copy of a Linear), so the full-precision one is dropped at once.
    """
    from timechat_core.model.convert_lavis import restore_buffers

    from timechat_core.model.quantize import replace_module

    for name in [n for n, _ in model.named_modules()]:  # names only: a replaced module must be freed at once
        module = model.get_submodule(name)
        for pname, param in list(module.named_parameters(recurse=False)):
            if param.is_meta:
                full = f"{name}.{pname}" if name else pname
                value = initial_value(full, module, param, seed)
                module._parameters[pname] = nn.Parameter(value, requires_grad=param.requires_grad)
        new = convert(name, module) if convert is not None else None
        if new is not None:
            replace_module(model, name, new)
        del module, new
    restore_buffers(model)
    return model


def random_timechat(cfg, llm_dtype: torch.dtype = torch.bfloat16, seed: int = 0, quantize: str | None = None,
                    trainable_lora: bool = False):
    """A real-size TimeChat with seeded random weights, built without a full-precision detour.

    With `quantize="int8"` the LLM and ViT block Linears become int8 as they are materialised (peak
    memory: the int8 model plus one fp32 layer), the LLM computes in fp32, and LoRA is left out: a
    fresh LoRA adds nothing (B is zero), which is exactly what merging it into the weights gives.
    """
    from timechat_core.model.quantize import FRAME_CHUNK, int8_linear, int8_targets, release_heap, wants_int8

    if not wants_int8(quantize):
        return materialise(empty_timechat(cfg, llm_dtype, trainable_lora), seed)
    model = empty_timechat(cfg.replace(lora=None), torch.float32)
    targets = set(int8_targets(model))
    materialise(model, seed, lambda name, m: int8_linear(m.weight, m.bias) if name in targets else None)
    model.frame_chunk = FRAME_CHUNK
    release_heap()
    return model


def model_bytes(cfg, llm_dtype: torch.dtype, quantize: str | None = None, device: str | torch.device = "cpu") -> int:
    """Bytes of the weights of `cfg`'s model as it would be loaded: the LLM in `llm_dtype`, the visual
    stack fp32 (its ViT Linear/Conv fp16 on CUDA, `TimeChatModel.place`), int8 block Linears when quantized."""
    from timechat_core.model.quantize import int8_targets, wants_int8

    int8 = wants_int8(quantize)
    model = empty_timechat(cfg.replace(lora=None) if int8 else cfg, torch.float32 if int8 else llm_dtype)
    targets = set(int8_targets(model)) if int8 else set()
    fp16_vit = torch.device(device).type == "cuda"
    total = 0
    for name, module in model.named_modules():
        for pname, p in module.named_parameters(recurse=False):
            if name in targets and pname == "weight":
                total += p.numel() + 8 * p.shape[0]  # int8 weights, a scale and zero point per row
            elif fp16_vit and name.startswith("vision_model.") and isinstance(module, (nn.Linear, nn.Conv2d)):
                total += p.numel() * 2
            else:
                total += p.numel() * p.element_size()
    return total


def load_bytes(cfg, llm_dtype: torch.dtype, quantize: str | None = None, device: str | torch.device = "cpu") -> int:
    """Bytes a model folder holds at its peak while loading (`folder.load_model_folder`): its weights
    (`model_bytes`), or on the int8 path the larger of the int8 model and the LLM (with its LoRA) as it
    is read, in 16 bits, before its layers are converted (12.6 GiB at 7B, against 8.7 GiB once loaded)."""
    from timechat_core.model.quantize import wants_int8

    final = model_bytes(cfg, llm_dtype, quantize, device)
    if not wants_int8(quantize):
        return final
    llm = empty_timechat(cfg, torch.bfloat16).language_model
    return max(final, sum(p.numel() * p.element_size() for p in llm.parameters()))
