"""Training configuration: one frozen dataclass per concern, loaded from YAML with `key=value` overrides.

The shipped presets are `configs/train/*.yaml` (`timechat-7b-timeit`, `youcook2`, `charades`,
`qvhighlights`, `tiny`). The defaults below are the reference's instruction tuning
(`train_configs/stage2_finetune_time104k_valley72k.yaml`, `docs/reference-model.md` §3).
Relative paths are relative to the current directory. Every unknown key and every value of the
wrong type is reported in one error.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from timechat_core.configio import load_config
from timechat_core.errors import InputError

INITS = ("folder", "reference", "random")
PRECISIONS = ("auto", "fp32", "fp16", "bf16")
STRATEGIES = ("ddp", "fsdp")
SCHEDULES = ("linear_warmup_cosine_lr", "constant")


@dataclass(frozen=True)
class ReferenceInit:
    """The official files (`timechat convert`'s options), for `model.init: reference`."""

    vit: str | None = None
    """eva_vit_g.pth."""
    qformer: str | None = None
    """instruct_blip_vicuna7b_trimmed.pth."""
    llm: str | None = None
    """LLaMA-2-7B-chat HF folder."""
    video_llama: str | None = None
    """VL_LLaMA_2_7B_Finetuned.pth: the instruction-tuning start."""
    checkpoint: str | None = None
    """timechat_7b.pth: the fine-tuning start."""
    bert: str | None = None


@dataclass(frozen=True)
class ModelInit:
    """Where the weights start from."""

    init: str = "folder"
    """"folder": a `timechat convert` model folder; "reference": the official checkpoints;
    "random": a freshly initialised model of `config`'s sizes (CPU experiments, tests)."""
    folder: str | None = None
    """The model folder (init: folder)."""
    reference: ReferenceInit = field(default_factory=ReferenceInit)
    config: str = "timechat-7b"
    """Model preset or YAML for init: reference / random (a folder has its own config.yaml)."""
    overrides: dict = field(default_factory=dict)
    """Model config overrides (dotted keys or nested mappings), e.g. {num_frames: 32, lora: {alpha: 20}};
    {train_llm: full} also trains the LLM's own weights (models trained from scratch: a random frozen
    head caps what a tiny model can learn), {train_vision: true} the ViT."""
    llama_tokenizer: str | None = None
    """LLaMA tokenizer folder for init: random (its size must be `llm.vocab_size`)."""
    seed: int = 0
    """Seed of the random initialisation."""
    llm_dtype: str = "auto"
    """LLM base weights: auto (bf16 on CUDA as the reference, fp32 on CPU), fp32, bf16, fp16."""


@dataclass(frozen=True)
class DataConfig:
    """TimeIT records and their videos."""

    train: tuple[str, ...] = ()
    """TimeIT JSON/JSONL files ({"video", "QA": [{"q", "a"}]}) or Valley-style conversation files."""
    video_root: str | None = None
    """Folder the records' `video` paths are relative to."""
    asr_dir: str | None = None
    """Transcripts (<video>.txt) put before each question as the reference's ASR version (None: as the records are)."""
    asr_mode: str = "reference"
    """"reference" (line-0 quirk) or "even" (`timechat_core.asr.inject`)."""
    augment: bool = True
    """The reference's `alpro_video_train`: RandomResizedCrop(scale, ratio, bicubic) + uint8 wrap-around."""
    crop_scale: tuple[float, float] = (0.5, 1.0)
    crop_ratio: tuple[float, float] = (3 / 4, 4 / 3)
    backend: str = "auto"
    """Video decoder: auto, decord, pyav."""
    num_workers: int = 0
    """DataLoader worker processes per rank (the reference uses 6)."""
    cache_frames: bool = False
    """Decode each video once (all its frames, at the model's image size), keep them in memory and draw
    every later sample's frames from there: the same frames as decoding again, for small datasets
    trained for many epochs (the demo model). Memory per worker: the videos' frames x size^2 x 3 bytes."""
    shuffle: bool = True
    group_by_length: int = 0
    """0: batches as shuffled. N > 0: within each run of N optimizer steps' records of the shuffled order,
    records of similar length (characters of their questions and answers) go to the same step and
    micro-batch, and the N steps are shuffled again (as transformers' `group_by_length`, whose
    megabatches hold 50 batches): less padding when lengths vary, e.g. grounding next to dense captions."""
    max_txt_len: int = 2048
    """LLM token truncation of a conversation."""


@dataclass(frozen=True)
class OptimConfig:
    """AdamW and the per-iteration learning-rate schedule (LAVIS `linear_warmup_cosine_lr`)."""

    init_lr: float = 3e-5
    min_lr: float = 1e-5
    warmup_lr: float = 1e-6
    warmup_steps: int = 13200
    """Iterations (micro-batches), as the reference counts them."""
    schedule: str = "linear_warmup_cosine_lr"
    """or "constant" (init_lr after the warmup)."""
    weight_decay: float = 0.05
    """On >= 2-D weights that are not biases or norms; 0 elsewhere."""
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    max_grad_norm: float | None = None
    """Gradient clipping (None: none, as the reference)."""


@dataclass(frozen=True)
class TrainConfig:
    """A whole training run."""

    out_dir: str = "runs/train"
    """Checkpoints, metrics.jsonl, the resolved config.yaml and TensorBoard logs go here."""
    model: ModelInit = field(default_factory=ModelInit)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    batch_size: int = 1
    """Records per micro-batch per process."""
    accum_grad_iters: int = 4
    """Micro-batches per optimizer step."""
    max_epoch: int = 3
    iters_per_epoch: int | None = 22000
    """Iterations (micro-batches per process) in an epoch; None: one pass over the data."""
    max_iters: int | None = None
    """Stop after this many iterations (the schedule still spans max_epoch * iters_per_epoch)."""
    precision: str = "auto"
    """auto (fp16 autocast + GradScaler on CUDA as the reference, fp32 on CPU), fp32, fp16, bf16."""
    gradient_checkpointing: bool = False
    """Recompute LLM and Q-Former activations in the backward pass (the reference's use_grad_checkpoint)."""
    dropout: bool = True
    """False sets every dropout probability to 0: runs that must agree to fp32 precision (DDP vs one process)."""
    freeze: tuple[str, ...] = ()
    """Parameter-name prefixes kept frozen on top of the model's own rule (e.g. [video_qformer, qformer]): a
    frame encoder pretrained apart keeps what it learned while the LLM learns to read it."""
    seed: int = 42
    """Process seed is seed + rank (the reference); data draws depend on (seed, epoch, record) only."""
    strategy: str = "ddp"
    """Multi-process engine: "ddp" or "fsdp" (parameters sharded; for full-size models)."""
    device: str = "auto"
    """auto (cuda:LOCAL_RANK when CUDA is available, else cpu), cpu, cuda."""
    save_every: int = 1000
    """Checkpoint every this many optimizer steps (and always at the end); 0: only at the end."""
    keep_checkpoints: int | None = None
    """Keep the newest N checkpoints (None: all)."""
    save_model_folder: bool = True
    """Also write each checkpoint as a model folder (loadable by every command)."""
    log_every: int = 1
    """Metrics every this many optimizer steps."""
    tensorboard: bool = True
    """Write TensorBoard events when `tensorboard` is installed."""

    def __post_init__(self):
        problems = validate(self)
        if problems:
            raise InputError("invalid training config: " + "; ".join(problems))

    @property
    def global_batch(self) -> int:
        """Records per optimizer step on one process (times the world size when distributed)."""
        return self.batch_size * self.accum_grad_iters

    # -- (de)serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict:
        return _plain(dataclasses.asdict(self))

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    @classmethod
    def from_dict(cls, data: dict, source: str = "config") -> "TrainConfig":
        """Build from nested dicts; unknown keys, wrong types and invalid values are all reported at once."""
        if isinstance(data, dict) and isinstance(data.get("data"), dict) and "num_frames" in data["data"]:
            raise InputError(f"{source}: data.num_frames: the frame count is the model's, set it as "
                             "model.overrides.num_frames (the saved model then records what it was trained on)")
        return load_config(cls, data, source)

    @classmethod
    def from_yaml(cls, path: str | Path, overrides: dict | None = None) -> "TrainConfig":
        """Load a YAML file, then apply dotted `overrides` (`optim.init_lr: 1e-4`)."""
        from timechat_core.configio import read_yaml_mapping, set_dotted

        data = read_yaml_mapping(path, "training config")
        for key, value in (overrides or {}).items():
            set_dotted(data, key, value)
        return cls.from_dict(data, source=str(path))

    def replace(self, **changes: Any) -> "TrainConfig":
        return dataclasses.replace(self, **changes)


def resolve(config: str, overrides: list[str]) -> TrainConfig:
    """A preset name (`configs/train/NAME.yaml`) or a YAML path, then `key=value` overrides (YAML values)."""
    from timechat_core.configio import parse_overrides
    from timechat_core.resources import configs_dir

    parsed = parse_overrides(overrides)
    path = Path(config)
    if path.suffix not in (".yaml", ".yml"):
        path = configs_dir() / "train" / f"{config}.yaml"
        if not path.is_file():
            names = sorted(p.stem for p in (configs_dir() / "train").glob("*.yaml"))
            raise InputError(f"unknown training preset {config!r}; choose from {', '.join(names)} or give a YAML file")
    return TrainConfig.from_yaml(path, parsed)


def validate(cfg: TrainConfig) -> list[str]:
    """Every problem of a config, for one error."""
    p = []
    m, d, o = cfg.model, cfg.data, cfg.optim
    if m.init not in INITS:
        p.append(f"model.init must be one of {', '.join(INITS)}, not {m.init!r}")
    if m.init == "folder" and not m.folder:
        p.append("model.init: folder needs model.folder")
    if m.init == "random" and not m.llama_tokenizer:
        p.append("model.init: random needs model.llama_tokenizer")
    if m.init == "reference":
        missing = [k for k in ("vit", "qformer", "llm") if not getattr(m.reference, k)]
        if missing:
            p.append("model.init: reference needs " + ", ".join(f"model.reference.{k}" for k in missing))
    if m.llm_dtype not in ("auto", "fp32", "bf16", "fp16"):
        p.append(f"model.llm_dtype must be auto, fp32, bf16 or fp16, not {m.llm_dtype!r}")
    if not d.train:
        p.append("data.train: name at least one records file (TimeIT JSON/JSONL or Valley conversations)")
    if d.asr_mode not in ("reference", "even"):
        p.append(f"data.asr_mode must be reference or even, not {d.asr_mode!r}")
    if d.backend not in ("auto", "decord", "pyav"):
        p.append(f"data.backend must be auto, decord or pyav, not {d.backend!r}")
    if not (0 < d.crop_scale[0] <= d.crop_scale[1] <= 1):
        p.append(f"data.crop_scale {list(d.crop_scale)} must satisfy 0 < low <= high <= 1")
    if not (0 < d.crop_ratio[0] <= d.crop_ratio[1]):
        p.append(f"data.crop_ratio {list(d.crop_ratio)} must satisfy 0 < low <= high")
    if d.num_workers < 0:
        p.append("data.num_workers must be >= 0")
    if o.schedule not in SCHEDULES:
        p.append(f"optim.schedule must be one of {', '.join(SCHEDULES)}, not {o.schedule!r}")
    if o.init_lr <= 0 or o.min_lr < 0 or o.warmup_lr < 0 or o.warmup_steps < 0:
        p.append("optim: init_lr must be > 0; min_lr, warmup_lr, warmup_steps >= 0")
    if o.max_grad_norm is not None and o.max_grad_norm <= 0:
        p.append("optim.max_grad_norm must be > 0 (or null)")
    for name in ("batch_size", "accum_grad_iters", "max_epoch", "log_every"):
        if getattr(cfg, name) < 1:
            p.append(f"{name} must be >= 1")
    for name in ("iters_per_epoch", "max_iters", "keep_checkpoints"):
        value = getattr(cfg, name)
        if value is not None and value < 1:
            p.append(f"{name} must be >= 1 (or null)")
    if cfg.save_every < 0:
        p.append("save_every must be >= 0")
    if cfg.precision not in PRECISIONS:
        p.append(f"precision must be one of {', '.join(PRECISIONS)}, not {cfg.precision!r}")
    if cfg.strategy not in STRATEGIES:
        p.append(f"strategy must be ddp or fsdp, not {cfg.strategy!r}")
    if cfg.device not in ("auto", "cpu", "cuda"):
        p.append(f"device must be auto, cpu or cuda, not {cfg.device!r}")
    return p


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def flatten(mapping: dict, prefix: str = "") -> dict:
    """{"lora": {"alpha": 20}} -> {"lora.alpha": 20} (model config overrides)."""
    out = {}
    for key, value in (mapping or {}).items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out
