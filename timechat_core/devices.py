"""Where a command runs and in which precision: the one device and dtype resolver of `infer`, `ui` and `train`.

Importing this module imports torch: commands import it inside their function bodies.
"""

from __future__ import annotations

import os

import torch

from timechat_core.errors import InputError

DEVICES = ("auto", "cpu", "cuda")
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_device(name: str = "auto") -> torch.device:
    """`auto`: CUDA when available, else the CPU; `cuda`: CUDA or an InputError. Under torchrun a CUDA
    device is the process's `LOCAL_RANK`."""
    if name not in DEVICES:
        raise InputError(f"device must be one of {', '.join(DEVICES)}, not {name!r}")
    use_cuda = name == "cuda" or (name == "auto" and torch.cuda.is_available())
    if use_cuda and not torch.cuda.is_available():
        raise InputError("device cuda: CUDA is not available on this machine (device auto or cpu runs on the CPU)")
    if use_cuda:
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return torch.device("cpu")


def resolve_dtype(name: str, device: torch.device) -> torch.dtype:
    """LLM weight dtype: `auto` is bf16 on CUDA (the reference) and fp32 on the CPU; or fp32, bf16, fp16."""
    if name == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    if name not in DTYPES:
        raise InputError(f"dtype must be auto or one of {', '.join(DTYPES)}, not {name!r}")
    return DTYPES[name]


def dtype_name(dtype: torch.dtype) -> str:
    return {v: k for k, v in DTYPES.items()}.get(dtype, str(dtype).replace("torch.", ""))
