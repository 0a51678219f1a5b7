"""The self-contained model folder `timechat convert` writes and every command loads.

Layout:
    config.yaml              the `TimeChatConfig` (llm.path relative to the folder when copied)
    model.safetensors        everything but the LLM: vision tower, Q-Formers, query tokens, frame
                             positions, projection (fp32, timechat names)
    adapter/                 the LoRA in peft's own format (adapter_config.json, adapter_model.safetensors)
    tokenizer/llama/         the LLaMA tokenizer with `<ImageHere>`
    tokenizer/bert/          the Q-Former's WordPiece vocabulary
    llm/                     (optional) a copy of the LLaMA base; otherwise config.yaml points at it
    manifest.json            what it was converted from, load notes, file sizes; `trained_on` (optional):
                             what the model knows, e.g. {"synth_scenes": "static"} for the demo model

Loading builds the visual stack on the meta device and assigns the safetensors tensors, so nothing
is allocated twice. The folder is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from pathlib import Path

import torch

from timechat_core.errors import InputError

CONFIG = "config.yaml"
WEIGHTS = "model.safetensors"
ADAPTER = "adapter"
MANIFEST = "manifest.json"


def save_model_folder(model, processor, out_dir: str | Path, copy_llm: bool = False, overwrite: bool = False,
                      provenance: dict | None = None) -> Path:
    """Write `model` (+ its tokenizers) as a model folder, atomically.

    The LLaMA base is referenced by path unless `copy_llm`; an LLM without a folder, or whose own
    weights train (`train_llm: full`), is always saved from memory.
    """
    from safetensors.torch import save_file

    from timechat_core import __version__

    out_dir = Path(out_dir)
    if out_dir.exists() and not overwrite:
        raise InputError(f"{out_dir}: already exists (use --overwrite to replace it)")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".part", dir=out_dir.parent))
    try:
        cfg = model.config
        llm = model.language_model
        # an LLM whose own weights were trained (or that never had a folder) is saved from memory
        trained = cfg.train_llm == "full" or not cfg.llm.path
        if copy_llm or trained:
            _copy_llm(llm, None if trained else cfg.llm.path, tmp / "llm")
            cfg = cfg.replace(llm=dataclasses.replace(cfg.llm, path="llm"))
        elif cfg.llm.path:
            cfg = cfg.replace(llm=dataclasses.replace(cfg.llm, path=str(Path(cfg.llm.path).resolve())))
        (tmp / CONFIG).write_text(cfg.to_yaml(), encoding="utf-8")
        visual = {k: v.detach().contiguous() for k, v in model.state_dict().items()
                  if not k.startswith("language_model.")}
        save_file(visual, str(tmp / WEIGHTS), metadata={"format": "pt", "timechat": __version__})
        if hasattr(llm, "peft_config"):
            llm.save_pretrained(tmp / ADAPTER)
            (tmp / ADAPTER / "README.md").unlink(missing_ok=True)
        processor.save(tmp / "tokenizer")
        manifest = {"timechat": __version__, "converted_from": provenance or {},
                    "files": {str(p.relative_to(tmp)): p.stat().st_size for p in sorted(tmp.rglob("*")) if p.is_file()}}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(out_dir, old)
            os.replace(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def _copy_llm(llm, source: str | None, dest: Path) -> None:
    """The LLaMA base without LoRA: the source's safetensors files copied as they are, else (no source,
    or weights changed in memory) saved from memory."""
    src = Path(source) if source else None
    if src is not None and any(src.glob("*.safetensors")):
        dest.mkdir(parents=True)
        for f in sorted(src.iterdir()):
            if f.is_file() and (f.suffix == ".safetensors" or f.name in ("config.json", "generation_config.json",
                                                                           "model.safetensors.index.json")):
                shutil.copy2(f, dest / f.name)
        return
    base = llm.get_base_model() if hasattr(llm, "get_base_model") else llm
    clean = {k.replace(".base_layer.", "."): v for k, v in base.state_dict().items() if ".lora_" not in k}
    base.save_pretrained(dest, state_dict=clean)


def read_folder_config(model_dir: str | Path, **overrides):
    """The folder's `TimeChatConfig`, with `llm.path` resolved against the folder."""
    from timechat_core.model.config import TimeChatConfig

    model_dir = Path(model_dir)
    if not (model_dir / CONFIG).is_file() or not (model_dir / WEIGHTS).is_file():
        raise InputError(f"{model_dir}: not a timechat model folder (needs {CONFIG} and {WEIGHTS}; "
                         "make one with `timechat convert`)")
    cfg = TimeChatConfig.from_yaml(model_dir / CONFIG, **overrides)
    if cfg.llm.path and not Path(cfg.llm.path).is_absolute():
        cfg = cfg.replace(llm=dataclasses.replace(cfg.llm, path=str(model_dir / cfg.llm.path)))
    return cfg


def load_model_folder(model_dir: str | Path, dtype: torch.dtype = torch.bfloat16, device: str | torch.device = "cpu",
                      trainable: bool = False, quantize: str | None = None, **overrides):
    """Load a model folder.

    Args:
        model_dir: the folder.
        dtype: LLM weight dtype (the visual stack stays fp32; on CUDA it runs under fp16 autocast).
        device: where to put the model.
        trainable: set `requires_grad` as the reference's instruction tuning does.
        quantize: "int8" for the CPU's int8 path (`quantize.py`): the LLM is read in 16 bits
            (`quantize.read_dtype`) and quantized layer by layer as soon as it is loaded, before the visual
            stack, so the peak is the 16-bit LLM (`meta.load_bytes`), not the whole model.
        overrides: dotted config keys (e.g. `num_frames=32`, `lora.alpha=20`).

    Returns:
        (model, processor).
    """
    from safetensors.torch import load_file

    from timechat_core.model.convert_lavis import restore_buffers, set_trainable
    from timechat_core.model.processor import TimeChatProcessor
    from timechat_core.model.timechat import TimeChatModel, build_language_model, quiet_peft

    model_dir = Path(model_dir)
    cfg = read_folder_config(model_dir, **overrides)
    adapter = model_dir / ADAPTER
    if cfg.lora is not None and not (adapter / "adapter_config.json").is_file():
        raise InputError(f"{adapter}: missing (the config has LoRA)")
    from timechat_core.model.quantize import int8_language_model, int8_vision, read_dtype, wants_int8

    int8 = wants_int8(quantize)
    llm = build_language_model(cfg.replace(lora=None), dtype=read_dtype(cfg.llm.path) if int8 else dtype)
    if cfg.lora is not None:
        from peft import PeftModel

        with quiet_peft():
            llm = PeftModel.from_pretrained(llm, str(adapter), is_trainable=trainable)
        # the reference's lora_alpha is a config knob (MVBench scripts use 20): honour an override
        for module in llm.modules():
            if hasattr(module, "scaling") and isinstance(module.scaling, dict) and "default" in module.scaling:
                module.scaling["default"] = cfg.lora.alpha / cfg.lora.r
    if int8:
        llm = int8_language_model(llm)
    with torch.device("meta"):  # the LLM joins once the visual weights are in (an int8 one loads no state dict)
        model = TimeChatModel(cfg, language_model=torch.nn.Module())
    weights = load_file(str(model_dir / WEIGHTS))
    expected = {k for k in model.state_dict() if not k.startswith("language_model.")}
    missing, extra = sorted(expected - set(weights)), sorted(set(weights) - expected)
    if missing or extra:
        raise InputError(f"{model_dir / WEIGHTS}: does not fit the config: missing {missing[:10]}, unexpected {extra[:10]}")
    model.load_state_dict(weights, assign=True)
    restore_buffers(model)
    model.language_model = llm
    tok = model_dir / "tokenizer"
    processor = TimeChatProcessor(tok / "llama", tok / "bert", max_text_length=cfg.qformer.max_text_length,
                                  train_timestamp_tokenizer=cfg.train_timestamp_tokenizer)
    if int8:
        int8_vision(model)
    model.place(device)
    set_trainable(model, trainable)
    return model, processor


def trained_on(model_dir: str | Path) -> dict:
    """The folder's `manifest.json` `trained_on` ({} when the folder does not say): what its model knows, e.g.
    `{"synth_scenes": "static"}`, the only `timechat synth` scene kind the demo model was trained on."""
    path = Path(model_dir) / MANIFEST
    if not path.is_file():
        return {}
    from timechat_core.fileio import read_json

    found = read_json(path)
    known = found.get("trained_on") if isinstance(found, dict) else None
    return dict(known) if isinstance(known, dict) else {}


def weights_digest(model_dir: str | Path) -> str:
    """A short fingerprint of the weights a model folder loads (its own and an external LLM's).

    `fileio.files_digest` of the folder's weight files, so a 14 GB checkpoint is told apart from a
    retrained or replaced one in milliseconds (`timechat infer` resumes an output only with the same weights).
    """
    from timechat_core.fileio import files_digest

    model_dir = Path(model_dir)
    roots = [model_dir]
    llm_path = read_folder_config(model_dir).llm.path  # resolved against the folder
    if llm_path and not Path(llm_path).resolve().is_relative_to(model_dir.resolve()):
        roots.append(Path(llm_path))
    return files_digest(roots)


def random_model(config, llama_tokenizer: str | Path, bert_dir: str | Path | None = None, seed: int = 0,
                 dtype: torch.dtype = torch.float32, trainable: bool = False):
    """A freshly initialised TimeChat of `config`'s sizes (tests, from-scratch training, benchmarks).

    In fp32 the modules' own initialisation draws the weights from torch's generator seeded with
    `seed` (the values `scripts/demo_model.py` starts from). In another dtype the model is built on the
    meta device and each tensor drawn straight in that dtype (`meta.random_timechat`), so a real-size
    model never passes through fp32 (the 7B with a bf16 LLM needs 17 GiB, not 30).

    Args:
        config: a `TimeChatConfig`; `llm.path` is ignored (the LLM is random too).
        llama_tokenizer: a LLaMA tokenizer folder whose size fits `config.llm.vocab_size`
            (`<ImageHere>` is added on top, as the reference does).
        bert_dir: the Q-Former vocabulary (default: the shipped bert-base-uncased).

    Returns:
        (model, processor).
    """
    from timechat_core.model.convert_lavis import check_vocab, set_trainable
    from timechat_core.model.meta import random_timechat
    from timechat_core.model.processor import TimeChatProcessor
    from timechat_core.model.timechat import TimeChatModel, build_language_model

    config = config.replace(llm=dataclasses.replace(config.llm, path=None))
    processor = TimeChatProcessor(llama_tokenizer, bert_dir, max_text_length=config.qformer.max_text_length,
                                  train_timestamp_tokenizer=config.train_timestamp_tokenizer)
    if processor.image_token_id != config.llm.vocab_size:
        raise InputError(f"{llama_tokenizer}: the tokenizer has {processor.image_token_id} pieces but llm.vocab_size "
                         f"is {config.llm.vocab_size}")
    check_vocab(config, processor)
    if dtype == torch.float32:
        torch.manual_seed(seed)
        model = TimeChatModel(config, language_model=build_language_model(config, dtype=dtype, trainable_lora=trainable))
    else:
        model = random_timechat(config, dtype, seed, trainable_lora=trainable)
    set_trainable(model, trainable)
    return model, processor
