"""Which Qwen-VL family a model folder is, and loading it with transformers' own classes.

A folder is recognised by the `model_type` of its `config.json` (what transformers' Auto classes key
on): `qwen2_5_vl` (Qwen2.5-VL and its plain fine-tunes: Time-R1, TimeLens-7B's weights, ...),
`qwen3_vl` and `qwen3_vl_moe` (Qwen3-VL dense and mixture-of-experts, TimeLens-8B, ...). Folders
whose `config.json` names `auto_map` (custom code) are refused: nothing from disk executes here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from timechat_core.errors import InputError


@dataclass(frozen=True)
class Family:
    model_type: str
    name: str
    model_class_name: str
    processor_class_name: str
    video_processor_type: str
    patch_size: int
    """Vision patch; qwen-vl-utils' `image_patch_size` (frame sizes are multiples of twice it)."""

    def model_class(self):
        import transformers

        return getattr(transformers, self.model_class_name)

    def processor_class(self):
        import transformers

        return getattr(transformers, self.processor_class_name)


FAMILIES = {f.model_type: f for f in (
    Family("qwen2_5_vl", "Qwen2.5-VL", "Qwen2_5_VLForConditionalGeneration", "Qwen2_5_VLProcessor",
           "Qwen2VLVideoProcessor", 14),
    Family("qwen3_vl", "Qwen3-VL", "Qwen3VLForConditionalGeneration", "Qwen3VLProcessor", "Qwen3VLVideoProcessor", 16),
    Family("qwen3_vl_moe", "Qwen3-VL-MoE", "Qwen3VLMoeForConditionalGeneration", "Qwen3VLProcessor",
           "Qwen3VLVideoProcessor", 16),
)}


def family(model_type: str) -> Family:
    if model_type not in FAMILIES:
        raise InputError(f"model_type {model_type!r} is not a Qwen-VL family ({', '.join(FAMILIES)})")
    return FAMILIES[model_type]


def folder_family(model_dir: str | Path) -> Family | None:
    """The family of a transformers folder, or None when it is not one of them (a TimeChat folder).

    Raises:
        InputError: a Qwen-VL folder that needs custom code (`auto_map`), or an unreadable config.json.
    """
    from timechat_core.fileio import read_json

    path = Path(model_dir) / "config.json"
    if not path.is_file():
        return None
    config = read_json(path)
    model_type = config.get("model_type") if isinstance(config, dict) else None
    if model_type not in FAMILIES:
        return None
    if config.get("auto_map"):
        raise InputError(f"{path}: the folder asks for custom code (auto_map {json.dumps(config['auto_map'])}); "
                         "only plain transformers folders are supported (nothing from disk executes)")
    return FAMILIES[model_type]


def weight_count(model_dir: str | Path) -> int | None:
    """Parameters stored in the folder's safetensors files, read from their headers (nothing is loaded), or
    None when it has none: what `--dtype auto` weighs against the free memory."""
    from safetensors import SafetensorError, safe_open

    files = sorted(Path(model_dir).glob("*.safetensors"))
    if not files:
        return None
    total = 0
    for path in files:
        try:
            with safe_open(str(path), framework="pt") as f:
                for key in f.keys():
                    n = 1
                    for d in f.get_slice(key).get_shape():
                        n *= d
                    total += n
        except (SafetensorError, OSError) as e:
            raise InputError(f"{path}: not a readable safetensors file ({e})") from None
    return total


def load_qwen_model(model_dir: str | Path, fam: Family, dtype, device):
    """The model in eval mode on `device` (safetensors weights only; no progress bar on the console)."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = fam.model_class().from_pretrained(str(model_dir), dtype=dtype, use_safetensors=True,
                                              trust_remote_code=False)
    return model.to(device).eval()
