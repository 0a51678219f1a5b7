"""`timechat convert`: the official TimeChat checkpoints -> a self-contained timechat model folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from timechat_cli.console import emit, err, say
from timechat_cli.options import Dtype, OverwriteOpt

FileOpt = Annotated[Path, typer.Option(exists=True, dir_okay=False, show_default=False)]


def convert(
    vit: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="eva_vit_g.pth (EVA ViT-g/14).", show_default=False)],
    qformer: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="instruct_blip_vicuna7b_trimmed.pth.", show_default=False)],
    llm: Annotated[Path, typer.Option(exists=True, file_okay=False, help="LLaMA-2-7B-chat HF folder (weights + tokenizer).", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Model folder to write.", show_default=False)],
    checkpoint: Annotated[Path | None, typer.Option(exists=True, dir_okay=False, help="timechat_7b.pth (or a fine-tuned TimeChat checkpoint).", show_default=False)] = None,
    video_llama: Annotated[Path | None, typer.Option(exists=True, dir_okay=False, help="VL_LLaMA_2_7B_Finetuned.pth, loaded before --checkpoint (instruction-tuning start).", show_default=False)] = None,
    bert: Annotated[Path | None, typer.Option(exists=True, file_okay=False, help="bert-base-uncased folder with vocab.txt (default: the copy shipped with timechat).", show_default=False)] = None,
    config: Annotated[str, typer.Option(help="Model config: a preset name (timechat-7b, tiny), a YAML file, or a fixture config.json.")] = "timechat-7b",
    set_: Annotated[list[str] | None, typer.Option("--set", help="Config override KEY=VALUE (dotted keys, YAML values); repeatable.", show_default=False)] = None,
    dtype: Annotated[Dtype, typer.Option(help="LLM dtype while converting (the folder keeps LoRA and the visual stack in fp32); auto = bf16.")] = Dtype.bf16,
    copy_llm: Annotated[bool, typer.Option("--copy-llm", help="Copy the LLaMA base into the folder instead of referencing its path.")] = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Load the official files in the reference's order and write a model folder (config.yaml, model.safetensors, LoRA adapter in peft format, tokenizers).

    Every unmapped, unexpected or missing checkpoint key is reported in one error. Files are read with torch.load(weights_only=True) or safetensors. One JSON record on stdout describes the result.

    Examples:

      timechat convert --vit eva_vit_g.pth --qformer instruct_blip_vicuna7b_trimmed.pth --llm llama-2-7b-chat-hf --checkpoint timechat_7b.pth -o models/timechat-7b

      timechat convert --vit eva_vit_g.pth --qformer instruct_blip_vicuna7b_trimmed.pth --llm llama-2-7b-chat-hf --video-llama VL_LLaMA_2_7B_Finetuned.pth -o models/timechat-init
    """
    import time

    import torch

    from timechat_core.model.convert_lavis import ReferenceFiles, load_reference
    from timechat_core.model.folder import save_model_folder

    cfg = resolve_config(config, set_ or [])
    t0 = time.perf_counter()
    files = ReferenceFiles(vit=vit, qformer=qformer, llm=llm, checkpoint=checkpoint, video_llama=video_llama, bert=bert)
    model, processor, report = load_reference(files, cfg, dtype=torch.float32 if dtype is Dtype.fp32 else torch.bfloat16)
    for note in report.notes:
        say(f"note: {note}")
    provenance = {k: str(v) for k, v in vars(files).items() if v is not None}
    save_model_folder(model, processor, out, copy_llm=copy_llm, overwrite=overwrite, provenance=provenance)
    n_params = sum(p.numel() for p in model.parameters())
    err.print(f"wrote {out} ({n_params:,} parameters) in {time.perf_counter() - t0:.1f} s")
    emit({"model_dir": str(out), "parameters": n_params, "notes": report.notes, "dropped": report.dropped,
          "sources": provenance})


def resolve_config(config: str, overrides: list[str]):
    """A preset name, a YAML file or a fixture config.json, then KEY=VALUE overrides."""
    from timechat_core.configio import parse_overrides
    from timechat_core.model.config import resolve_model_config

    return resolve_model_config(config, parse_overrides(overrides))
