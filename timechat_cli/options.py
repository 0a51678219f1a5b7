"""Options shared by several commands, defined once."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

InputsArg = Annotated[
    list[str],
    typer.Argument(
        help="Files, folders (searched recursively), @list.txt (one path per line) or - (paths on stdin).",
        metavar="INPUT...",
        show_default=False,
    ),
]
OutDirOpt = Annotated[Path, typer.Option("--out", "-o", help="Output folder; the input layout is mirrored in it.")]
WorkersOpt = Annotated[int, typer.Option("--workers", "-j", min=1, help="Items processed in parallel.")]
RootOpt = Annotated[
    Path | None,
    typer.Option(help="Folder that relative paths in @list / stdin are resolved against and mirrored from."),
]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="Redo outputs that already exist.")]


def default_workers() -> int:
    import os

    return os.cpu_count() or 1


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


class Dtype(str, Enum):
    auto = "auto"
    bf16 = "bf16"
    fp32 = "fp32"


class Quantize(str, Enum):
    none = "none"
    int8 = "int8"


# Options of the commands that load a model folder (`infer`, `ui`).
ModelOpt = Annotated[
    Path | None,
    typer.Option(help="Model folder: TimeChat (from `timechat convert` or `timechat train`) or a Qwen2.5-VL / Qwen3-VL "
                      "transformers folder; default: the shipped demo model.", show_default=False),
]
NumFramesOpt = Annotated[
    int | None,
    typer.Option(min=1, help="Frames sampled uniformly per video (default: the model's num_frames, 96 for TimeChat-7B; "
                              "Qwen-VL: qwen-vl-utils' nframes, default 2 a second).", show_default=False),
]
MaxNewTokensOpt = Annotated[int, typer.Option(min=1, help="Longest answer, in tokens.")]
DeviceOpt = Annotated[Device, typer.Option(help="auto: CUDA when available (cuda:LOCAL_RANK under torchrun).")]
DtypeOpt = Annotated[Dtype, typer.Option(help="LLM weights: auto = bf16 on CUDA (the reference); on CPU fp32, or bf16 when fp32 does not fit in memory.")]
QuantizeOpt = Annotated[Quantize, typer.Option(help="int8: LLM and ViT block weights in int8, fp32 activations (CPU only; faster, half the memory of bf16, not exact).")]
