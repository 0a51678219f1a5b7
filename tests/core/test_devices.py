"""The per-device precision rules: memory-aware dtype defaults, refused combinations, CPU instruction checks."""

from __future__ import annotations

import pytest
import torch

from timechat_core import devices
from timechat_core.devices import GiB, precision_note, resolve_dtype
from timechat_core.errors import InputError

CPU, CUDA = torch.device("cpu"), torch.device("cuda", 0)
SEVEN_B = {torch.float32: int(29.7 * GiB), torch.bfloat16: int(17.1 * GiB)}
"""`model_bytes` of TimeChat-7B per LLM dtype (tests/core/model/test_meta.py checks them)."""


@pytest.fixture
def free(monkeypatch):
    def set_free(gib):
        monkeypatch.setattr(devices, "available_memory", lambda device: int(gib * GiB))
    return set_free


def test_auto_on_cpu_is_fp32_when_it_fits_else_bf16(free):
    free(64)
    assert resolve_dtype("auto", CPU, SEVEN_B.__getitem__) == torch.float32
    free(22)  # this machine: fp32 (29.7 GiB) cannot fit, bf16 (17.1 GiB) can
    assert resolve_dtype("auto", CPU, SEVEN_B.__getitem__) == torch.bfloat16
    assert resolve_dtype("auto", CPU, lambda dt: 5 * 2**20) == torch.float32  # a small model stays exact


def test_a_model_that_cannot_fit_is_refused_before_loading_saying_what_it_needs(free):
    free(12)
    with pytest.raises(InputError) as e:
        resolve_dtype("auto", CPU, SEVEN_B.__getitem__)
    msg = str(e.value)
    assert "29.7 GiB in fp32" in msg and "17.1 GiB in bf16" in msg and "12.0 GiB free" in msg and "--quantize int8" in msg
    with pytest.raises(InputError, match="17.1 GiB in bf16"):
        resolve_dtype("bf16", CPU, SEVEN_B.__getitem__)
    assert resolve_dtype("auto", CPU, lambda dt: int(8.7 * GiB), quantize="int8") == torch.float32


def test_cuda_defaults_to_bf16_and_counts_device_memory(free):
    free(80)
    assert resolve_dtype("auto", CUDA, SEVEN_B.__getitem__) == torch.bfloat16
    assert resolve_dtype("auto", CUDA) == torch.bfloat16
    free(10)
    with pytest.raises(InputError, match="cuda:0 has 10.0 GiB free"):
        resolve_dtype("auto", CUDA, SEVEN_B.__getitem__)


@pytest.mark.parametrize("dtype,device,match", [
    ("auto", CUDA, "runs on the CPU only"),
    ("bf16", CPU, "computes in fp32 on the CPU"),
    ("fp16", CPU, "computes in fp32 on the CPU"),
])
def test_int8_combinations_that_are_refused(dtype, device, match):
    with pytest.raises(InputError, match=match):
        resolve_dtype(dtype, device, quantize="int8")


def test_bad_names():
    with pytest.raises(InputError, match="dtype must be"):
        resolve_dtype("int4", CPU)
    with pytest.raises(InputError, match="quantize must be"):
        resolve_dtype("auto", CPU, quantize="int4")


def test_bf16_on_a_cpu_without_bf16_instructions_is_flagged(monkeypatch):
    monkeypatch.setattr(devices, "cpu_has_bf16", lambda: False)
    assert "no bf16 matrix instructions" in precision_note(torch.bfloat16, CPU)
    assert precision_note(torch.float32, CPU) is None and precision_note(torch.bfloat16, CUDA) is None
    monkeypatch.setattr(devices, "cpu_has_bf16", lambda: True)
    assert precision_note(torch.bfloat16, CPU) is None


def test_cpu_instruction_checks_read_the_cpu():
    flags = next((line.split() for line in open("/proc/cpuinfo") if line.startswith("flags")), [])
    assert devices.cpu_has_vnni() == ("avx512_vnni" in flags)
    assert devices.cpu_has_bf16() == ("avx512_bf16" in flags or "amx_tile" in flags)
    assert devices.available_memory(CPU) > 0
