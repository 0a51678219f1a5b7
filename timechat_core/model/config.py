"""TimeChat model configuration: one frozen dataclass per part, loadable from YAML.

The defaults are the paper's TimeChat-7B sizes (`docs/reference-model.md` §2); the presets
`timechat-7b` and `tiny` live in `configs/model/*.yaml` with every dimension spelled out.
Reference-compatible behaviour is the default everywhere; corrected behaviour is an explicit option.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from timechat_core.configio import load_config, set_dotted
from timechat_core.errors import InputError
from timechat_core.prompts import prompt_table

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


@dataclass(frozen=True)
class VisionConfig:
    """EVA ViT-g/14 as LAVIS builds it (39 blocks, no final norm) followed by `ln_vision`."""

    image_size: int = 224
    patch_size: int = 14
    hidden_size: int = 1408
    """Width of the ViT."""
    intermediate_size: int = 6144
    """MLP width: int(hidden_size * 4.3637) in the reference."""
    num_hidden_layers: int = 39
    num_attention_heads: int = 16
    layer_norm_eps: float = 1e-6
    """eps of the norms inside the blocks."""
    post_layernorm_eps: float = 1e-5
    """eps of `ln_vision` (torch's default; HF's InstructBLIP uses 1e-6 here)."""


@dataclass(frozen=True)
class QFormerConfig:
    """The image Q-Former (LAVIS `BertLMHeadModel.bert`, InstructBLIP style with text input)."""

    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    vocab_size: int = 30523
    """bert-base-uncased (30522) plus `[DEC]`."""
    max_position_embeddings: int = 512
    cross_attention_frequency: int = 2
    layer_norm_eps: float = 1e-12
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    num_query_tokens: int = 32
    pad_token_id: int = 0
    max_text_length: int = 32
    initializer_range: float = 0.02
    """Std of the random initialisation (BERT's 0.02, sized for hidden 768; pretrained weights replace it)."""
    """Timestamp strings are truncated to this many tokens (the reference's `max_length=32`)."""


@dataclass(frozen=True)
class VideoQFormerConfig:
    """The video Q-Former: a BERT stack without word embeddings, cross-attention in every layer."""

    hidden_size: int = 768
    num_hidden_layers: int = 2
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    cross_attention_frequency: int = 1
    layer_norm_eps: float = 1e-12
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    num_query_tokens: int = 32
    initializer_range: float = 0.02
    """Std of the random initialisation, as the image Q-Former's."""


@dataclass(frozen=True)
class LLMConfig:
    """The LLaMA-2 language model (LLaMA-2-7B-chat). `path` is a local HF folder, or None."""

    hidden_size: int = 4096
    intermediate_size: int = 11008
    num_hidden_layers: int = 32
    num_attention_heads: int = 32
    num_key_value_heads: int = 32
    vocab_size: int = 32000
    """Embedding rows. `<ImageHere>` gets id `vocab_size` in the tokenizer; the matrix is not resized."""
    rms_norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    max_position_embeddings: int = 4096
    bos_token_id: int = 1
    eos_token_id: int = 2
    pad_token_id: int = 0
    tie_word_embeddings: bool = False
    path: str | None = None
    """Folder with the HF weights and tokenizer; None builds random weights (tests, meta device)."""


@dataclass(frozen=True)
class PromptSettings:
    """How the LLM prompt is built around the instruction, in training and in `timechat infer`.

    The defaults are TimeChat's; a model trained otherwise (the demo model) records its own here, so
    that inference asks it the way it was trained.
    """

    frame_time_message: bool = True
    """TimeChat's "The video contains N frames sampled at t1, ..., tN seconds." before the instruction.
    False: the frame times reach the LLM only through the image Q-Former's timestamp text."""
    video_after_instruction: bool = False
    """False: TimeChat's `<Video>...</Video> {instruction}`. True: `{instruction} <Video>...</Video>`, so
    that the video tokens attend to the question (the demo model: its small LLM, trained from scratch, does
    not learn to match a question asked after the video: models/demo/README.md says how that was measured)."""
    eval_system: str | None = None
    """System prompt at inference; None: TimeChat's evaluation system prompt (training always uses " ")."""
    variants: dict[str, str] = field(default_factory=dict)
    """Prompt variant per task at inference (`templates/infer/prompts.yaml`) when the request names
    none; a task not listed uses the table's default."""


@dataclass(frozen=True)
class LoraSettings:
    """peft LoRA on the LLM's attention projections (the reference hard-codes r and dropout)."""

    r: int = 32
    alpha: float = 32
    """The benchmark scripts of the reference (MVBench etc.) use 20."""
    dropout: float = 0.1
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")


@dataclass(frozen=True)
class TimeChatConfig:
    """Everything that shapes the model and its numerics."""

    vision: VisionConfig = field(default_factory=VisionConfig)
    qformer: QFormerConfig = field(default_factory=QFormerConfig)
    video_qformer: VideoQFormerConfig = field(default_factory=VideoQFormerConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    lora: LoraSettings | None = field(default_factory=LoraSettings)
    """None: no LoRA (the LLM runs as loaded)."""
    num_frames: int = 96
    """Frames sampled per video."""
    max_frame_pos: int = 96
    """Rows of the frame position embedding; a video may not have more frames."""
    window_size: int = 32
    """Frames per video Q-Former window; 0 = one Q-Former over all frames (Video-LLaMA style)."""
    window_stride: int = 32
    timestamp_text: bool = True
    """Condition the image Q-Former on "This frame is sampled at {t} second."; False = plain Q-Former."""
    keep_text_positions: bool = True
    """Reference: the image Q-Former output keeps the (unmasked) text positions; False keeps queries only."""
    train_timestamp_tokenizer: str = "llama"
    """Reference: training tokenizes the timestamp strings with the LLaMA tokenizer; "bert" = as inference."""
    llm_numerics: str = "reference"
    """"reference": fp32 inputs_embeds into the LLM with the reference RMSNorm/RoPE casts (bit-exact with
    TimeChat); "stock": inputs_embeds cast to the LLM dtype, stock transformers numerics."""
    train_vision: bool = False
    """Train the ViT too (the reference freezes it; a model trained from scratch needs it)."""
    train_llm: str = "lora"
    """What of the LLM trains: "lora" (the reference: base frozen; nothing without LoRA), "full"
    (every weight, LoRA included: models trained from scratch), "frozen"."""
    attn_implementation: str = "eager"
    """LLM attention kernel: "eager" (bit-exact with the reference in bf16) or "sdpa"."""
    image_mean: tuple[float, float, float] = CLIP_MEAN
    image_std: tuple[float, float, float] = CLIP_STD
    prompts: PromptSettings = field(default_factory=PromptSettings)

    def __post_init__(self):
        problems = []
        if self.window_size < 0 or (self.window_size > 0 and self.window_stride < 1):
            problems.append(f"window_size {self.window_size} / window_stride {self.window_stride}")
        if self.window_size > 0 and self.window_stride != self.window_size:
            problems.append("window_stride must equal window_size (overlapping windows are not supported)")
        if self.num_frames > self.max_frame_pos:
            problems.append(f"num_frames {self.num_frames} > max_frame_pos {self.max_frame_pos}")
        if self.train_timestamp_tokenizer not in ("llama", "bert"):
            problems.append(f"train_timestamp_tokenizer must be llama or bert, not {self.train_timestamp_tokenizer!r}")
        if self.llm_numerics not in ("reference", "stock"):
            problems.append(f"llm_numerics must be reference or stock, not {self.llm_numerics!r}")
        if self.train_llm not in ("lora", "full", "frozen"):
            problems.append(f"train_llm must be lora, full or frozen, not {self.train_llm!r}")
        if self.attn_implementation not in ("eager", "sdpa"):
            problems.append(f"attn_implementation must be eager or sdpa, not {self.attn_implementation!r}")
        if self.video_qformer.hidden_size != self.qformer.hidden_size:
            problems.append("video_qformer.hidden_size must equal qformer.hidden_size")
        if self.prompts.variants:
            table = prompt_table()["tasks"]
            problems += [f"prompts.variants: task {t!r} has no variant {v!r}" for t, v in self.prompts.variants.items()
                         if v not in table.get(t, {}).get("variants", {})]
        if problems:
            raise InputError("invalid model config: " + "; ".join(problems))

    # -- derived ---------------------------------------------------------------------------
    def num_video_tokens(self, num_frames: int) -> int:
        """LLM tokens for a video of `num_frames` frames: 32 * ceil(T / 32) in the reference."""
        if self.window_size == 0:
            return self.video_qformer.num_query_tokens
        windows = -(-num_frames // self.window_stride)
        return windows * self.video_qformer.num_query_tokens

    # -- (de)serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        if d["lora"] is not None:
            d["lora"]["target_modules"] = list(d["lora"]["target_modules"])
        d["image_mean"], d["image_std"] = list(self.image_mean), list(self.image_std)
        return d

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    @classmethod
    def from_dict(cls, data: dict, source: str = "config") -> "TimeChatConfig":
        """Build from nested dicts; unknown keys, wrong types and invalid values are all reported at once."""
        return load_config(cls, data, source)

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides: Any) -> "TimeChatConfig":
        """Load a YAML file; `overrides` are dotted keys (`llm.path=...`, `num_frames=32`)."""
        from timechat_core.configio import read_yaml_mapping

        data = read_yaml_mapping(path, "model config")
        for key, value in overrides.items():
            set_dotted(data, key, value)
        return cls.from_dict(data, source=str(path))

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> "TimeChatConfig":
        """A shipped preset: `timechat-7b` or `tiny` (files in `configs/model/`)."""
        from timechat_core.resources import configs_dir

        path = configs_dir() / "model" / f"{name}.yaml"
        if not path.is_file():
            names = sorted(p.stem for p in (configs_dir() / "model").glob("*.yaml"))
            raise InputError(f"unknown model preset {name!r}; choose from {', '.join(names)}")
        return cls.from_yaml(path, **overrides)

    def replace(self, **changes: Any) -> "TimeChatConfig":
        return dataclasses.replace(self, **changes)


def resolve_model_config(name: str, overrides: dict | None = None) -> TimeChatConfig:
    """A preset name, a YAML file or a conformance fixture's `config.json`, with dotted overrides."""
    overrides = overrides or {}
    if Path(name).suffix == ".json":
        data = config_from_fixture(Path(name).parent).to_dict()
        for key, value in overrides.items():
            set_dotted(data, key, value)
        return TimeChatConfig.from_dict(data, source=name)
    if Path(name).suffix in (".yaml", ".yml"):
        return TimeChatConfig.from_yaml(name, **overrides)
    return TimeChatConfig.preset(name, **overrides)


def config_from_fixture(fixture_dir: str | Path) -> TimeChatConfig:
    """The model config of a conformance fixture (`config.json` in `reference_tiny`'s format)."""
    fixture_dir = Path(fixture_dir)
    path = fixture_dir / "config.json"
    try:
        c = json.loads(path.read_text(encoding="utf-8"))
        v, q, vq, llm, lora = c["vision"], c["qformer"], c["video_qformer"], c["llm"], c["lora"]
        return TimeChatConfig(
            vision=VisionConfig(
                image_size=v["image_size"], patch_size=v["patch_size"], hidden_size=v["hidden_size"],
                intermediate_size=v["intermediate_size"], num_hidden_layers=v["num_hidden_layers"],
                num_attention_heads=v["num_attention_heads"], layer_norm_eps=v["layer_norm_eps"],
                post_layernorm_eps=c["ln_vision"]["eps"],
            ),
            qformer=QFormerConfig(
                hidden_size=q["hidden_size"], num_hidden_layers=q["num_hidden_layers"],
                num_attention_heads=q["num_attention_heads"], intermediate_size=q["intermediate_size"],
                vocab_size=q["vocab_size"], max_position_embeddings=q["max_position_embeddings"],
                cross_attention_frequency=q["cross_attention_freq"], layer_norm_eps=q["layer_norm_eps"],
                hidden_dropout_prob=q["hidden_dropout_prob"],
                attention_probs_dropout_prob=q["attention_probs_dropout_prob"],
                num_query_tokens=q["num_query_tokens"], pad_token_id=q["pad_token_id"],
            ),
            video_qformer=VideoQFormerConfig(
                hidden_size=vq["hidden_size"], num_hidden_layers=vq["num_hidden_layers"],
                num_attention_heads=vq["num_attention_heads"], intermediate_size=vq["intermediate_size"],
                cross_attention_frequency=vq["cross_attention_freq"], layer_norm_eps=vq["layer_norm_eps"],
                num_query_tokens=vq["num_query_tokens"],
            ),
            llm=LLMConfig(
                hidden_size=llm["hidden_size"], intermediate_size=llm["intermediate_size"],
                num_hidden_layers=llm["num_hidden_layers"], num_attention_heads=llm["num_attention_heads"],
                num_key_value_heads=llm["num_key_value_heads"], vocab_size=llm["vocab_size"],
                rms_norm_eps=llm["rms_norm_eps"], rope_theta=llm["rope_theta"],
                max_position_embeddings=llm["max_position_embeddings"],
                tie_word_embeddings=llm["tie_word_embeddings"],
                path=str(fixture_dir / c["files"]["llama_dir"]),
            ),
            lora=LoraSettings(r=lora["r"], alpha=lora["lora_alpha"], dropout=lora["lora_dropout"],
                              target_modules=tuple(lora["target_modules"])),
            num_frames=c["num_frames"], max_frame_pos=c["max_frame_pos"],
            window_size=c["window_size"], window_stride=c["stride"],
            image_mean=tuple(c["image_normalization"]["mean"]), image_std=tuple(c["image_normalization"]["std"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise InputError(f"{path}: not a conformance fixture config ({type(e).__name__}: {e})") from None
