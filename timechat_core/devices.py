"""Where a command runs and in which precision: the one device and dtype resolver of `infer`, `ui` and `train`.

The per-device rules live here and only here: the LLM dtype `auto` picks (bf16 on CUDA as the
reference; on the CPU fp32 when the model fits in memory, else bf16), whether the CPU has bf16
matrix instructions, how much memory a device has free, and which precision combinations are refused
before anything is loaded.

Importing this module imports torch: commands import it inside their function bodies.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path

import torch

from timechat_core.errors import InputError

DEVICES = ("auto", "cpu", "cuda")
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
QUANTIZE = ("none", "int8")
"""`--quantize`: none (the weights' own precision), int8 (the CPU path of `timechat_core.model.quantize`)."""
GiB = 1 << 30
HEADROOM = 1.1
"""A model fits when its weights times this, plus `SPARE` for activations, are free."""
SPARE = 1 * GiB


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


def cpu_has_bf16() -> bool:
    """Whether this CPU has bf16 matrix instructions (x86 AVX512-BF16 or AMX), which oneDNN's bf16 kernels use.

    Without them a bf16 matrix product runs several times slower than fp32; with them about twice as
    fast (README, "The full-size model on a CPU").
    """
    try:  # torch's own probe (private names: read the flags if a later torch drops them)
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:
        return bool(_cpu_flags() & {"avx512_bf16", "amx_tile"})


def cpu_has_vnni() -> bool:
    """Whether this CPU has AVX512-VNNI (int8 products accumulated in int32), read from Linux's /proc/cpuinfo."""
    return "avx512_vnni" in _cpu_flags()


@functools.cache
def _cpu_flags() -> frozenset[str]:
    """The CPU's feature flags from Linux's /proc/cpuinfo (empty elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def available_memory(device: torch.device) -> int | None:
    """Bytes free for a model on `device` (CPU: the kernel's MemAvailable; CUDA: free device memory), or None."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def fits(need: int, device: torch.device) -> bool:
    """Whether weights of `need` bytes (plus headroom for activations) fit in `device`'s free memory."""
    free = available_memory(device)
    return free is None or need * HEADROOM + SPARE <= free


def resolve_dtype(name: str, device: torch.device, footprint: Callable[[torch.dtype], int] | None = None,
                  quantize: str = "none", int8_hint: bool = True) -> torch.dtype:
    """The LLM's weight (and, quantized, compute) dtype, checked against the device before anything loads.

    `auto` is bf16 on CUDA (the reference). On the CPU it is fp32 (exact, and fast on every CPU) when
    the model fits in memory, else bf16 when that fits. With `quantize="int8"` the LLM computes in fp32
    on the CPU (the int8 kernels take fp32 activations); int8 on CUDA is refused.

    Args:
        name: auto, fp32, bf16 or fp16.
        footprint: bytes the model holds at its peak while loading, with the LLM in a dtype (None: no memory check).
        quantize: one of `QUANTIZE`.
        int8_hint: a model too large for the CPU's memory is pointed at `--quantize int8` (TimeChat's).

    Raises:
        InputError: a bad name, a refused combination, or a model that does not fit (saying what it needs).
    """
    if name != "auto" and name not in DTYPES:
        raise InputError(f"dtype must be auto or one of {', '.join(DTYPES)}, not {name!r}")
    if quantize not in QUANTIZE:
        raise InputError(f"quantize must be one of {', '.join(QUANTIZE)}, not {quantize!r}")
    if quantize == "int8":
        if device.type != "cpu":
            raise InputError("--quantize int8 runs on the CPU only (torch's dynamic int8 kernels); on CUDA use the "
                             "default bf16 (--device cpu for int8)")
        if name not in ("auto", "fp32"):
            raise InputError(f"--quantize int8 computes in fp32 on the CPU (its int8 kernels take fp32 inputs): "
                             f"--dtype {name} does not apply (leave it auto)")
        candidates = [torch.float32]
    elif name != "auto":
        candidates = [DTYPES[name]]
    elif device.type == "cuda":
        candidates = [torch.bfloat16]
    else:
        candidates = [torch.float32, torch.bfloat16]
    if footprint is None:
        return candidates[0]
    needs = {dt: footprint(dt) for dt in candidates}
    for dt, need in needs.items():
        if fits(need, device):
            return dt
    free = available_memory(device)
    how = (lambda dt: "with --quantize int8") if quantize == "int8" else (lambda dt: f"in {dtype_name(dt)}")
    wanted = ", ".join(f"{need / GiB:.1f} GiB {how(dt)}" for dt, need in needs.items())
    hint = ""
    if int8_hint and quantize != "int8" and device.type == "cpu":
        hint = "; --quantize int8 needs less: about 3/4 of bf16 while loading (the LLM read in 16 bits), 1/2 after"
    raise InputError(f"the model's weights need {wanted} but {device} has {free / GiB:.1f} GiB free{hint}")


def precision_note(dtype: torch.dtype, device: torch.device) -> str | None:
    """A line for the user when the chosen precision will be slow on this device, else None."""
    if device.type == "cpu" and dtype in (torch.bfloat16, torch.float16) and not cpu_has_bf16():
        return (f"this CPU has no bf16 matrix instructions: {dtype_name(dtype)} matrix products run several times "
                "slower than fp32 (--quantize int8 runs in fp32 with int8 weights)")
    return None


def dtype_name(dtype: torch.dtype) -> str:
    return {v: k for k, v in DTYPES.items()}.get(dtype, str(dtype).replace("torch.", ""))
