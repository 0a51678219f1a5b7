"""Official TimeChat checkpoints (LAVIS layout) <-> timechat_core names, and the reference load chain.

The reference loads, in this order, each with `strict=False` so later files overwrite earlier ones
(`docs/checkpoints.md` §2):

1. `eva_vit_g.pth` (raw dict, unprefixed) -> `visual_encoder`;
2. `instruct_blip_vicuna7b_trimmed.pth` `["model"]` -> Q-Former, `query_tokens`, `ln_vision`;
3. the LLaMA-2 HF folder (bf16), then peft LoRA;
4. a Video-LLaMA checkpoint `["model"]` (instruction-tuning start; frame positions 32 -> 96 by
   nearest interpolation) and/or `timechat_7b.pth` `["model"]`.

`replay_reference_chain` replays that order over plain dicts; `to_timechat` renames with the table
in `lavis_keys.yaml` (one lookup with a `{}` layer template, plus named tensor operations), and
`to_reference` is its inverse (for checkpoints reference tools can read). Files are read with
`torch.load(weights_only=True)` or safetensors: no arbitrary unpickling (objects pickled beside
the weights, such as LAVIS's config and optimizer, become inert stubs; their code never runs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import torch

from timechat_core.errors import InputError, TimechatError

_INDEX = re.compile(r"\.(\d+)(?=\.|$)")


class CheckpointError(TimechatError):
    """Checkpoint keys that do not fit the model: every problem is listed in one message."""


class CheckpointMismatch(CheckpointError, InputError):
    """The files given do not fit the model config (bad input: the CLI exits 2)."""


@lru_cache(maxsize=1)
def key_table() -> dict:
    import yaml

    return yaml.safe_load((Path(__file__).with_name("lavis_keys.yaml")).read_text(encoding="utf-8"))


def read_state_dict(path: str | Path, unwrap: bool = True) -> dict[str, torch.Tensor]:
    """Tensors of a `.pth`/`.pt`/`.bin` (weights only) or `.safetensors` file; `{"model": ...}` unwrapped."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: checkpoint file not found")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            sd = load_file(str(path))
        else:
            sd = _torch_load(path)
    except Exception as e:  # noqa: BLE001 - any reader failure is a bad input file
        raise InputError(f"{path}: cannot read checkpoint ({type(e).__name__}: {str(e).splitlines()[0][:200]})") from None
    if unwrap and isinstance(sd, dict) and isinstance(sd.get("model"), dict):
        sd = sd["model"]
    if isinstance(sd, dict):
        sd = {k: v for k, v in sd.items() if not isinstance(v, _Opaque)}
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise InputError(f"{path}: not a state dict of tensors (or {{'model': state dict}})")
    return sd


class _Opaque:
    """Stands in for any non-allowlisted object in a checkpoint (LAVIS saves its config and optimizer
    beside the weights): built without running its code, then ignored."""

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        pass


def _torch_load(path: Path):
    """torch.load with weights_only; if the file also pickles other objects (an OmegaConf config, an
    optimizer), load it again with every global outside torch's weights-only allowlist replaced by an
    inert stub, so no code from the file runs."""
    import pickle
    import types

    try:
        return torch.load(str(path), map_location="cpu", weights_only=True, mmap=True)
    except pickle.UnpicklingError:
        pass
    from torch._weights_only_unpickler import _get_allowed_globals

    allowed = _get_allowed_globals()

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            found = allowed.get(f"{module}.{name}")
            return found if found is not None else _Opaque

    stub = types.SimpleNamespace(Unpickler=Unpickler, load=lambda f, **kw: Unpickler(f, **kw).load(),
                                 __name__="timechat_stub_pickle")
    return torch.load(str(path), map_location="cpu", weights_only=False, pickle_module=stub, mmap=True)


def _template(key: str) -> tuple[str, list[str]]:
    return _INDEX.sub(".{}", key), _INDEX.findall(key)


def _fill(template: str, indices: list[str]) -> str:
    for i in indices:
        template = template.replace("{}", i, 1)
    return template


@dataclass
class Mapped:
    """Result of a rename: the new dict, what was dropped on purpose, and what no rule covers."""

    state_dict: dict[str, torch.Tensor] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)


def _lookup(key: str, table: dict) -> tuple[bool, str | None]:
    """(found, target) for a reference key: whole name first, then its module path + suffix."""
    tpl, idx = _template(key)
    if tpl in table:
        target = table[tpl]
        return True, None if target is None else _fill(target, idx)
    parts = tpl.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        head = ".".join(parts[:cut])
        if head in table:
            target = table[head]
            return True, None if target is None else _fill(target + "." + ".".join(parts[cut:]), idx)
    return False, None


def to_timechat(ref: dict[str, torch.Tensor]) -> Mapped:
    """Rename a reference-layout state dict to timechat_core names."""
    t = key_table()
    table, ops, prefixes = t["keys"], t["operations"], t["prefixes"]
    out = Mapped()
    op_inputs = {}
    for name, op in ops.items():
        for pos, tpl in enumerate(op["inputs"]):
            op_inputs[tpl] = (name, pos)
    pending: dict[tuple[str, str], dict[int, torch.Tensor]] = {}
    for key, value in ref.items():
        tpl, idx = _template(key)
        if tpl in op_inputs:
            name, pos = op_inputs[tpl]
            pending.setdefault((name, ".".join(idx)), {})[pos] = value
            continue
        prefix = next((p for p in prefixes if key.startswith(p)), None)
        if prefix is not None:
            out.state_dict[prefixes[prefix] + key[len(prefix):]] = value
            continue
        found, target = _lookup(key, table)
        if not found:
            out.unmapped.append(key)
        elif target is None:
            out.dropped.append(key)
        else:
            out.state_dict[target] = value
    for (name, idx), parts in pending.items():
        op = ops[name]
        indices = idx.split(".") if idx else []
        if len(parts) != len(op["inputs"]):
            missing = [_fill(op["inputs"][i], indices) for i in range(len(op["inputs"])) if i not in parts]
            out.unmapped.extend(f"{m} (needed by {name}, absent)" for m in missing)
            continue
        out.state_dict[_fill(op["output"], indices)] = OPERATIONS[name](*(parts[i] for i in range(len(parts))))
    return out


def to_reference(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """timechat_core names -> the reference's (the layout `timechat_7b.pth["model"]` uses)."""
    t = key_table()
    inverse = {v: k for k, v in t["keys"].items() if v is not None}
    op_outputs = {op["output"]: (name, op) for name, op in t["operations"].items()}
    prefixes = {v: k for k, v in t["prefixes"].items()}
    out = {}
    for key, value in sd.items():
        tpl, idx = _template(key)
        if tpl in op_outputs:
            name, op = op_outputs[tpl]
            for part_tpl, part in zip(op["inputs"], INVERSE_OPERATIONS[name](value)):
                out[_fill(part_tpl, idx)] = part
            continue
        prefix = next((p for p in prefixes if key.startswith(p)), None)
        if prefix is not None:
            # peft >= 0.7 keeps a wrapped layer's base weight under `.base_layer.`; peft 0.5 did not
            out[prefixes[prefix] + key[len(prefix):].replace(".base_layer.", ".")] = value
            continue
        found, target = _lookup(key, inverse)
        if not found or target is None:
            raise CheckpointError(f"no reference name for {key}")
        out[target] = value
    return out


def fuse_qv_bias(q_bias: torch.Tensor, v_bias: torch.Tensor) -> torch.Tensor:
    """EVA's separate q/v biases -> one qkv bias with a zero key bias."""
    return torch.cat([q_bias, torch.zeros_like(v_bias), v_bias])


def split_qv_bias(qkv_bias: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The inverse of `fuse_qv_bias`. A key bias that training made non-zero is dropped: it adds
    q . b_k to every score of a query's row, which softmax ignores, so the attention is unchanged."""
    q, _, v = qkv_bias.chunk(3)
    return q.clone(), v.clone()


OPERATIONS = {"fuse_qv_bias": fuse_qv_bias}
INVERSE_OPERATIONS = {"fuse_qv_bias": split_qv_bias}


def interpolate_frame_positions(table: torch.Tensor, rows: int) -> torch.Tensor:
    """The reference's resize of a frame-position table (Video-LLaMA 32 -> 96): torch nearest, row i <- floor(i*n/rows)."""
    if table.shape[0] == rows:
        return table
    x = table.detach().float().T[None]  # (1, D, n)
    return torch.nn.functional.interpolate(x, size=rows, mode="nearest")[0].T.to(table.dtype).contiguous()


# -------------------------------------------------------------------------------------------
# The reference load chain
# -------------------------------------------------------------------------------------------
FRAME_POS_KEY = "video_frame_position_embedding.weight"


@dataclass
class ReferenceFiles:
    """The official files, as the reference's eval/train yaml names them."""

    vit: str | Path
    """`eva_vit_g.pth`."""
    qformer: str | Path
    """`instruct_blip_vicuna7b_trimmed.pth`."""
    llm: str | Path
    """LLaMA-2-7B-chat HF folder (weights + tokenizer)."""
    checkpoint: str | Path | None = None
    """`timechat_7b.pth` (or a fine-tuned TimeChat checkpoint)."""
    video_llama: str | Path | None = None
    """`VL_LLaMA_2_7B_Finetuned.pth`: the instruction-tuning start; loaded before `checkpoint`."""
    bert: str | Path | None = None
    """bert-base-uncased folder with vocab.txt (default: the copy shipped in the package)."""


@dataclass
class LoadReport:
    """What each file contributed, for the user and for tests."""

    provenance: dict[str, str] = field(default_factory=dict)
    """reference key -> the file its final value came from."""
    dropped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def replay_reference_chain(files: ReferenceFiles, max_frame_pos: int) -> tuple[dict[str, torch.Tensor], LoadReport]:
    """The reference-layout state dict after all files are loaded in the reference's order."""
    report = LoadReport()
    merged: dict[str, torch.Tensor] = {}
    sources = [(files.vit, "visual_encoder."), (files.qformer, ""), (files.video_llama, ""), (files.checkpoint, "")]
    for path, prefix in sources:
        if path is None:
            continue
        sd = read_state_dict(path)
        if prefix:
            sd = {k if k.startswith(prefix) else prefix + k: v for k, v in sd.items()}
        if FRAME_POS_KEY in sd and sd[FRAME_POS_KEY].shape[0] != max_frame_pos:
            report.notes.append(f"{path}: frame positions interpolated {sd[FRAME_POS_KEY].shape[0]} -> {max_frame_pos}")
            sd[FRAME_POS_KEY] = interpolate_frame_positions(sd[FRAME_POS_KEY], max_frame_pos)
        merged.update(sd)
        report.provenance.update(dict.fromkeys(sd, str(path)))
    return merged, report


def load_reference(files: ReferenceFiles, config, dtype: torch.dtype = torch.bfloat16, device: str = "cpu",
                   trainable: bool = False):
    """Build TimeChat from the official files, replaying the reference's load order.

    Args:
        files: the checkpoint paths.
        config: a `TimeChatConfig` (its `llm.path` is replaced by `files.llm`).
        dtype: LLM weight dtype (bf16 as the reference; fp32 for exact CPU checks).
        trainable: LoRA and the trainable parts get `requires_grad` (training start).

    Returns:
        (model, processor, report).

    Raises:
        CheckpointError: listing every unmapped, unexpected and missing key at once.
    """
    import dataclasses

    from timechat_core.model.processor import TimeChatProcessor
    from timechat_core.model.timechat import TimeChatModel, build_language_model

    config = config.replace(llm=dataclasses.replace(config.llm, path=str(files.llm)))
    processor = TimeChatProcessor(files.llm, files.bert, max_text_length=config.qformer.max_text_length,
                                  train_timestamp_tokenizer=config.train_timestamp_tokenizer)
    ref, report = replay_reference_chain(files, config.max_frame_pos)
    mapped = to_timechat(ref)
    report.dropped = mapped.dropped
    llm = build_language_model(config, dtype=dtype, trainable_lora=trainable)
    with torch.device("meta"):
        model = TimeChatModel(config, language_model=llm)
    check_vocab(config, processor)
    load_into(model, mapped, report, source=", ".join(str(p) for p in (files.vit, files.qformer, files.video_llama,
                                                                       files.checkpoint) if p))
    model.place(device)
    set_trainable(model, trainable)
    return model, processor, report


def load_into(model, mapped: Mapped, report: LoadReport, source: str) -> None:
    """Load a renamed state dict into a model whose visual stack is on the meta device.

    Raises:
        CheckpointMismatch: the files do not fit the model's config: a few lines, one per kind of problem
            (`mismatch.summarise`), and the shipped preset they fit or come closer to (`mismatch.likely_config`).
    """
    from timechat_core.model.mismatch import beyond_vision_layers, likely_config, natural, summarise

    own = model.state_dict()
    visual_expected = {k for k in own if not k.startswith("language_model.")}
    lora_expected = {k for k in own if k.startswith("language_model.") and ".lora_" in k}
    given = mapped.state_dict
    visual = {k: v for k, v in given.items() if not k.startswith("language_model.")}
    llm_part = {k: v for k, v in given.items() if k.startswith("language_model.")}
    llm_part = {_peft_base_name(k, own): v for k, v in llm_part.items()}
    # Extra layers (e.g. a 40th EVA block; LAVIS drops the last one) are ignored, as strict=False does.
    n_vision = model.config.vision.num_hidden_layers
    extra = [k for k in visual if k not in visual_expected]
    beyond = beyond_vision_layers(extra, n_vision)
    if beyond:
        report.notes.append(f"{len(beyond)} tensors of vision layers >= {n_vision} ignored (LAVIS drops the last EVA block)")
    lora_given = lora_expected & set(llm_part)
    files = {**visual, **llm_part}
    shape = sorted((k for k, v in files.items() if k in own and tuple(v.shape) != tuple(own[k].shape)), key=natural)
    found = {"keys no rule maps": sorted(mapped.unmapped, key=natural),
             "keys the model does not have": sorted(set(extra) - set(beyond), key=natural)
             + sorted((k for k in llm_part if k not in own), key=natural),
             "model keys no file provides": sorted(visual_expected - set(visual), key=natural),
             "LoRA keys missing": sorted(lora_expected - lora_given, key=natural) if lora_given else [],
             "shape mismatches": shape}
    shown = {"shape mismatches": [f"{k}: file {tuple(files[k].shape)} vs model {tuple(own[k].shape)}" for k in shape]}
    if any(found.values()):
        lines = [summarise(label, shown.get(label, keys), keys) for label, keys in found.items() if keys]
        suggestion = likely_config({k: tuple(v.shape) for k, v in visual.items()}, model.config,
                                   sum(map(len, found.values())))
        raise CheckpointMismatch("\n  ".join([f"{source}: the files do not fit the model config", *lines, suggestion]))
    if not lora_given and lora_expected:
        report.notes.append("no LoRA weights in the files: LoRA freshly initialised (instruction-tuning start)")
    visual = {k: v.to(torch.float32) if v.is_floating_point() else v for k, v in visual.items() if k in visual_expected}
    model.load_state_dict(visual, strict=False, assign=True)
    restore_buffers(model)
    if llm_part:
        with torch.no_grad():
            for k, v in llm_part.items():
                own[k].copy_(v.to(own[k].dtype))


def _peft_base_name(key: str, own: dict) -> str:
    """peft >= 0.7 keeps a wrapped layer's base weight under `.base_layer.`."""
    if key in own:
        return key
    alt = re.sub(r"\.(weight|bias)$", r".base_layer.\1", key)
    return alt if alt in own else key


def restore_buffers(model) -> None:
    """Materialise the non-persistent buffers of modules built on the meta device."""
    for name, module in model.named_modules():
        for buf in list(module._non_persistent_buffers_set):
            tensor = getattr(module, buf)
            if tensor is None or not tensor.is_meta:
                continue
            if buf == "position_ids":
                setattr(module, buf, torch.arange(tensor.shape[-1]).expand(tensor.shape).contiguous())
            else:
                raise TimechatError(f"cannot materialise buffer {name}.{buf} built on the meta device")
    left = [n for n, t in list(model.named_parameters()) + list(model.named_buffers()) if t.is_meta]
    if left:
        raise CheckpointError(f"{len(left)} tensors still unloaded: {', '.join(left[:20])}")


def set_trainable(model, trainable: bool) -> None:
    """As the reference's instruction tuning (`docs/reference-model.md` §2.7): ViT and LLM base
    frozen; Q-Formers, query tokens, frame positions, projection and LoRA trained. `train_vision` and
    `train_llm` (config) widen or narrow that for models trained from scratch."""
    cfg = model.config
    for name, p in model.named_parameters():
        if name.startswith("vision_model."):
            p.requires_grad_(trainable and cfg.train_vision)
        elif name.startswith("language_model."):
            wanted = {"lora": ".lora_" in name, "full": True, "frozen": False}[cfg.train_llm]
            p.requires_grad_(trainable and wanted)
        else:
            p.requires_grad_(trainable)


def check_vocab(config, processor) -> None:
    if config.timestamp_text and len(processor.bert) != config.qformer.vocab_size:
        raise InputError(f"the Q-Former tokenizer has {len(processor.bert)} tokens but qformer.vocab_size is "
                         f"{config.qformer.vocab_size}")
