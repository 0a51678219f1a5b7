"""TimeChat on stock transformers modules: EVA ViT + timestamp-aware Q-Former + sliding video Q-Former + LLaMA/LoRA.

Reference: `timechat/models/timechat.py` (TimeChat c60b332), described exactly in
`docs/reference-model.md` §2. The parts are transformers' own classes:

| part | class | reference name |
|---|---|---|
| `vision_model` (+ `post_layernorm` = `ln_vision`) | `InstructBlipVisionModel` | `visual_encoder`, `ln_vision` |
| `qformer` | `InstructBlipQFormerModel` (`Blip2QFormerModel` when `timestamp_text: false`) | `Qformer.bert` |
| `query_tokens` | parameter (1, Nq, D) | `query_tokens` |
| `frame_position_embedding` | `nn.Embedding(max_frame_pos, D)` | `video_frame_position_embedding` |
| `video_qformer` | `Blip2QFormerModel` (cross-attention every layer) | `video_Qformer.bert` |
| `video_query_tokens` | parameter (1, Nvq, D) | `video_query_tokens` |
| `language_projection` | `nn.Linear(D, D_llm)` | `llama_proj` |
| `language_model` | peft LoRA on `LlamaForCausalLM` | `llama_model` |

Reference behaviours kept on purpose (each decides the numbers of the official weights): the image
Q-Former output keeps the timestamp-text positions and their unmasked padding; the frame position
embedding is added with global frame indices before windowing; windows of `window_size` frames with
a shorter last window; fp32 `inputs_embeds` into the LLM with the reference RMSNorm/RoPE casts.
"""

from __future__ import annotations

import contextlib
import warnings

import torch
from torch import nn

from timechat_core.model.config import TimeChatConfig


def _vision_config(cfg: TimeChatConfig):
    from transformers import InstructBlipVisionConfig

    v = cfg.vision
    return InstructBlipVisionConfig(
        hidden_size=v.hidden_size, intermediate_size=v.intermediate_size, num_hidden_layers=v.num_hidden_layers,
        num_attention_heads=v.num_attention_heads, image_size=v.image_size, patch_size=v.patch_size,
        layer_norm_eps=v.layer_norm_eps, qkv_bias=True, hidden_act="gelu", attention_dropout=0.0,
        # transformers' default for this config is 1e-10 (BLIP-2 always loads a pretrained ViT): a ViT trained
        # from scratch would start with all-zero weights and barely learn; EVA/ViT's usual 0.02 instead
        initializer_range=0.02,
    )


def _qformer_config(cfg: TimeChatConfig):
    from transformers import Blip2QFormerConfig, InstructBlipQFormerConfig

    q = cfg.qformer
    common = dict(
        hidden_size=q.hidden_size, num_hidden_layers=q.num_hidden_layers, num_attention_heads=q.num_attention_heads,
        intermediate_size=q.intermediate_size, hidden_act="gelu", cross_attention_frequency=q.cross_attention_frequency,
        encoder_hidden_size=cfg.vision.hidden_size, layer_norm_eps=q.layer_norm_eps,
        hidden_dropout_prob=q.hidden_dropout_prob, attention_probs_dropout_prob=q.attention_probs_dropout_prob,
        max_position_embeddings=q.max_position_embeddings, pad_token_id=q.pad_token_id,
        initializer_range=q.initializer_range,
    )
    if cfg.timestamp_text:
        return InstructBlipQFormerConfig(vocab_size=q.vocab_size, **common)
    return Blip2QFormerConfig(vocab_size=q.vocab_size, use_qformer_text_input=False, **common)


def _video_qformer_config(cfg: TimeChatConfig):
    from transformers import Blip2QFormerConfig

    vq = cfg.video_qformer
    return Blip2QFormerConfig(
        hidden_size=vq.hidden_size, num_hidden_layers=vq.num_hidden_layers, num_attention_heads=vq.num_attention_heads,
        intermediate_size=vq.intermediate_size, hidden_act="gelu", cross_attention_frequency=vq.cross_attention_frequency,
        encoder_hidden_size=cfg.qformer.hidden_size, layer_norm_eps=vq.layer_norm_eps,
        hidden_dropout_prob=vq.hidden_dropout_prob, attention_probs_dropout_prob=vq.attention_probs_dropout_prob,
        use_qformer_text_input=False, initializer_range=vq.initializer_range,
    )


def llama_config(cfg: TimeChatConfig, attn_implementation: str | None = None):
    """The `LlamaConfig` of a randomly initialised LLM with the configured sizes."""
    from transformers import LlamaConfig

    m = cfg.llm
    lc = LlamaConfig(
        vocab_size=m.vocab_size, hidden_size=m.hidden_size, intermediate_size=m.intermediate_size,
        num_hidden_layers=m.num_hidden_layers, num_attention_heads=m.num_attention_heads,
        num_key_value_heads=m.num_key_value_heads, rms_norm_eps=m.rms_norm_eps, rope_theta=m.rope_theta,
        max_position_embeddings=m.max_position_embeddings, bos_token_id=m.bos_token_id,
        eos_token_id=m.eos_token_id, pad_token_id=m.pad_token_id, tie_word_embeddings=m.tie_word_embeddings,
        hidden_act="silu", attention_bias=False,
    )
    lc._attn_implementation = attn_implementation or cfg.attn_implementation
    return lc


def build_language_model(cfg: TimeChatConfig, dtype: torch.dtype = torch.float32, trainable_lora: bool = False,
                         path: str | None = None):
    """LLaMA (from `path`/`cfg.llm.path`, else random) with the reference numerics and the LoRA wrapper."""
    from transformers import LlamaForCausalLM
    from transformers.utils import logging as hf_logging

    from timechat_core.model.numerics import apply_reference_numerics

    hf_logging.disable_progress_bar()  # stderr belongs to our own progress and logs

    path = path or cfg.llm.path
    if path:
        from timechat_core.errors import InputError

        try:
            llm = LlamaForCausalLM.from_pretrained(path, dtype=dtype, attn_implementation=cfg.attn_implementation)
        except OSError as e:
            raise InputError(f"{path}: cannot load the LLaMA folder: {e}") from None
    else:
        llm = LlamaForCausalLM(llama_config(cfg)).to(dtype)
    if cfg.llm_numerics == "reference":
        apply_reference_numerics(llm)
    for p in llm.parameters():
        p.requires_grad_(False)
    if cfg.lora is None:
        return llm
    from peft import LoraConfig, get_peft_model

    lora = LoraConfig(
        task_type="CAUSAL_LM", inference_mode=not trainable_lora, r=cfg.lora.r, lora_alpha=cfg.lora.alpha,
        lora_dropout=cfg.lora.dropout, target_modules=list(cfg.lora.target_modules), bias="none",
    )
    with quiet_peft():
        return get_peft_model(llm, lora)


@contextlib.contextmanager
def quiet_peft():
    """peft 0.21 calls a transformers API that 5.x deprecates; the warning says nothing to users."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*")
        yield


class TimeChatModel(nn.Module):
    """The TimeChat network. Tensors use transformers' names; see the module docstring for parts.

    Args:
        config: sizes and behaviour switches.
        language_model: the (peft-wrapped) LLaMA; built with random weights from `config` when None.
    """

    def __init__(self, config: TimeChatConfig, language_model: nn.Module | None = None):
        super().__init__()
        from transformers import Blip2QFormerModel, InstructBlipQFormerModel, InstructBlipVisionModel

        self.config = config
        self.vision_model = InstructBlipVisionModel(_attn(_vision_config(config)))
        self.vision_model.post_layernorm.eps = config.vision.post_layernorm_eps
        qcfg = _attn(_qformer_config(config))
        self.qformer = InstructBlipQFormerModel(qcfg) if config.timestamp_text else Blip2QFormerModel(qcfg)
        d = config.qformer.hidden_size
        # BLIP-2 draws the query tokens from N(0, 0.02); zeros would make every query identical
        self.query_tokens = nn.Parameter(torch.empty(1, config.qformer.num_query_tokens, d).normal_(0.0, 0.02))
        self.frame_position_embedding = nn.Embedding(config.max_frame_pos, d)
        self.video_qformer = Blip2QFormerModel(_attn(_video_qformer_config(config)))
        self.video_query_tokens = nn.Parameter(torch.empty(1, config.video_qformer.num_query_tokens, d).normal_(0.0, 0.02))
        self.language_projection = nn.Linear(d, config.llm.hidden_size)
        if language_model is None:
            language_model = build_language_model(config)
        self.language_model = language_model
        self.autocast_visual = None
        """Autocast for the visual stack: fp16 on CUDA (the reference on GPU), bf16 on the CPU (the only
        low precision CPU autocast takes); None = on when running on CUDA."""
        self.frame_chunk: int | None = None
        """Frames the ViT and the image Q-Former take at a time (None: all of a batch at once). Frames are
        independent there, so a chunk only bounds the activations' memory (the int8 path takes 16)."""

    # ---------------------------------------------------------------------------------------
    # visual path
    # ---------------------------------------------------------------------------------------
    def encode_frames(self, pixel_values: torch.Tensor, qformer_input_ids: torch.Tensor | None = None,
                      qformer_attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Per-frame Q-Former states.

        Args:
            pixel_values: (N, C, H, W) normalised frames, N = B*T in video order.
            qformer_input_ids, qformer_attention_mask: (N, L) timestamp text (ignored when
                `timestamp_text` is off).

        Returns:
            (N, Nq + L, D) with the text positions (reference), or (N, Nq, D).
        """
        c = self.frame_chunk
        if c and pixel_values.shape[0] > c:
            rows = [slice(i, i + c) for i in range(0, pixel_values.shape[0], c)]
            return torch.cat([self.encode_frames(pixel_values[r], None if qformer_input_ids is None else qformer_input_ids[r],
                                                 None if qformer_attention_mask is None else qformer_attention_mask[r])
                              for r in rows])
        image_embeds = self.vision_model(pixel_values=pixel_values).last_hidden_state  # (N, S, Dv)
        n = image_embeds.shape[0]
        image_mask = torch.ones(image_embeds.shape[:-1], dtype=torch.long, device=image_embeds.device)
        queries = self.query_tokens.expand(n, -1, -1)
        if not self.config.timestamp_text:
            return self.qformer(query_embeds=queries, encoder_hidden_states=image_embeds,
                                encoder_attention_mask=image_mask).last_hidden_state
        if qformer_input_ids is None or qformer_attention_mask is None:
            raise ValueError("timestamp_text is on: qformer_input_ids and qformer_attention_mask are required")
        nq = queries.shape[1]
        mask = torch.cat([torch.ones(n, nq, dtype=qformer_attention_mask.dtype, device=queries.device),
                          qformer_attention_mask], dim=1)
        states = self.qformer(input_ids=qformer_input_ids, attention_mask=mask, query_embeds=queries,
                              encoder_hidden_states=image_embeds, encoder_attention_mask=image_mask).last_hidden_state
        return states if self.config.keep_text_positions else states[:, :nq]

    def add_frame_positions(self, frame_states: torch.Tensor) -> torch.Tensor:
        """(B, T, N, D) + position embedding of the global frame index t, on every token of frame t."""
        t = frame_states.shape[1]
        if t > self.config.max_frame_pos:
            raise ValueError(f"{t} frames but max_frame_pos is {self.config.max_frame_pos}")
        pos = self.frame_position_embedding(torch.arange(t, device=frame_states.device))  # (T, D)
        return frame_states + pos[None, :, None, :]

    def _window(self, t: int) -> int:
        return self.config.window_size or t

    def video_qformer_windows(self, frame_states: torch.Tensor) -> torch.Tensor:
        """All windows of all videos through the video Q-Former in one batched call.

        When T is a multiple of the window (96 frames, windows of 32) that is a single call; a
        shorter last window goes through a second call of its own rather than being padded, because
        padding changes the length of the attention reductions and with it the last ulps (2e-6 at
        hidden 768), while equal-length batches reproduce the reference's per-window loop exactly.

        Args:
            frame_states: (B, T, N, D), frame positions already added.

        Returns:
            (B, n_windows, Nvq, D), before the projection.
        """
        b, t, n, d = frame_states.shape
        w = self._window(t)
        full, rest = divmod(t, w)
        outs = []
        if full:
            clips = frame_states[:, : full * w].reshape(b * full, w * n, d)  # video-major, window order kept
            outs.append(self._video_qformer(clips).reshape(b, full, -1, d))
        if rest:
            outs.append(self._video_qformer(frame_states[:, full * w:].reshape(b, rest * n, d))[:, None])
        return torch.cat(outs, dim=1) if len(outs) > 1 else outs[0]

    def _video_qformer(self, clips: torch.Tensor) -> torch.Tensor:
        """(N, L, D) encoder states -> (N, Nvq, D) video-query states."""
        mask = torch.ones(clips.shape[:-1], dtype=torch.long, device=clips.device)
        return self.video_qformer(query_embeds=self.video_query_tokens.expand(clips.shape[0], -1, -1),
                                  encoder_hidden_states=clips, encoder_attention_mask=mask).last_hidden_state

    def video_qformer_loop(self, frame_states: torch.Tensor) -> torch.Tensor:
        """The reference's per-window loop (`timechat.py` L328); kept as the oracle for the batched path."""
        b, t, n, d = frame_states.shape
        w = self._window(t)
        outs = [self._video_qformer(frame_states[:, i:i + w].reshape(b, -1, d)) for i in range(0, t, w)]
        return torch.stack(outs, dim=1)

    def encode_video(self, pixel_values: torch.Tensor, qformer_input_ids: torch.Tensor | None = None,
                     qformer_attention_mask: torch.Tensor | None = None, return_stages: bool = False):
        """Video tokens for the LLM.

        Args:
            pixel_values: (B, T, C, H, W) normalised frames; every video of the batch has T frames.
            qformer_input_ids, qformer_attention_mask: (B*T, L) timestamp text, frames in video order.
            return_stages: also return the intermediate tensors (for conformance checks).

        Returns:
            (B, Nvq * n_windows, D_llm), or (tokens, stages dict).
        """
        b, t = pixel_values.shape[:2]
        autocast = self.autocast_visual
        if autocast is None:
            autocast = pixel_values.device.type == "cuda"
        low = torch.float16 if pixel_values.device.type == "cuda" else torch.bfloat16
        with torch.autocast(device_type=pixel_values.device.type, dtype=low, enabled=bool(autocast)):
            frames = self.encode_frames(pixel_values.flatten(0, 1), qformer_input_ids, qformer_attention_mask)
            states = self.add_frame_positions(frames.reshape(b, t, *frames.shape[1:]))
            windows = self.video_qformer_windows(states)  # (B, W, Nvq, D)
            tokens = self.language_projection(windows).flatten(1, 2)  # (B, W*Nvq, D_llm)
        if return_stages:
            return tokens, {"qformer_last_hidden_state": frames, "video_qformer_last_hidden_state": windows}
        return tokens

    def vision_to_fp16(self) -> None:
        """The reference's `vit_precision: fp16` (`convert_weights_to_fp16`): only the ViT's Conv/Linear
        weights and biases become fp16; norms, `class_embedding` and `position_embedding` stay fp32.
        For CUDA, where the visual stack runs under fp16 autocast."""
        for module in self.vision_model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                module.half()

    def place(self, device: str | torch.device) -> "TimeChatModel":
        """Move to `device`; on CUDA also apply the reference's fp16 ViT weights."""
        self.to(device)
        if torch.device(device).type == "cuda":
            self.vision_to_fp16()
        return self

    # ---------------------------------------------------------------------------------------
    # LLM side
    # ---------------------------------------------------------------------------------------
    @property
    def llm_dtype(self) -> torch.dtype:
        return self.language_model.get_input_embeddings().weight.dtype

    @property
    def embeds_dtype(self) -> torch.dtype:
        """fp32 under the reference numerics (the batched Chat's buffer), else the LLM dtype."""
        return torch.float32 if self.config.llm_numerics == "reference" else self.llm_dtype

    def embed_tokens(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.language_model.get_input_embeddings()(input_ids)

    def splice_video(self, input_ids: torch.Tensor, video_tokens: torch.Tensor, image_token_id: int) -> torch.Tensor:
        """Training-path `inputs_embeds`: placeholder ids become 0, then the contiguous placeholder block
        of each row is replaced by that row's video tokens (`timechat.py` L378-449)."""
        is_video = input_ids == image_token_id
        embeds = self.embed_tokens(input_ids.masked_fill(is_video, 0)).to(self.embeds_dtype)
        n = video_tokens.shape[1]
        counts = is_video.sum(1)
        if not bool((counts == n).all()):
            raise ValueError(f"each row needs {n} video placeholders, found {counts.tolist()}")
        starts = is_video.int().argmax(1)
        out = embeds.clone()
        for row, start in enumerate(starts.tolist()):
            if not bool(is_video[row, start:start + n].all()):
                raise ValueError(f"row {row}: the video placeholders are not contiguous")
            out[row, start:start + n] = video_tokens[row].to(out.dtype)
        return out

    def context_embeds(self, segments: list[tuple[torch.Tensor, torch.Tensor]], video_tokens: torch.Tensor):
        """Eval-path `inputs_embeds`: `[seg0, video, seg1]` per row, left-padded with the pad embedding.

        Args:
            segments: per row, the token ids (1-D) before and after the `<ImageHere>` placeholder.
            video_tokens: (B, Nv, D_llm).

        Returns:
            (inputs_embeds (B, L, D_llm), attention_mask (B, L) long), as `Chat.get_context_emb`.
        """
        dev = video_tokens.device
        rows = []
        for (seg0, seg1), video in zip(segments, video_tokens):
            rows.append(torch.cat([self.embed_tokens(seg0.to(dev)).to(self.embeds_dtype), video.to(self.embeds_dtype),
                                   self.embed_tokens(seg1.to(dev)).to(self.embeds_dtype)]))
        length = max(r.shape[0] for r in rows)
        pad_id = self.config.llm.pad_token_id
        pad = self.embed_tokens(torch.tensor([pad_id], device=dev)).to(self.embeds_dtype)[0]
        embeds = torch.zeros(len(rows), length, rows[0].shape[-1], dtype=self.embeds_dtype, device=dev)
        mask = torch.zeros(len(rows), length, dtype=torch.long, device=dev)
        for i, r in enumerate(rows):
            embeds[i, : length - r.shape[0]] = pad
            embeds[i, length - r.shape[0]:] = r
            mask[i, length - r.shape[0]:] = 1
        return embeds, mask

    def llm_inputs(self, inputs_embeds: torch.Tensor) -> torch.Tensor:
        """What the LLM receives: fp32 under the reference numerics, else cast to its dtype."""
        return inputs_embeds if self.config.llm_numerics == "reference" else inputs_embeds.to(self.llm_dtype)

    def forward(self, pixel_values, qformer_input_ids, qformer_attention_mask, input_ids, attention_mask, labels,
                image_token_id: int):
        """Training forward: the mean token cross-entropy over the supervised labels (-100 = ignored).

        Under the reference numerics the cross-entropy runs on the logits' own dtype (bf16 for a bf16
        LLM), as TimeChat's `modeling_llama.py` does; else on fp32 logits.

        Returns:
            dict with `loss` and `logits`.
        """
        video_tokens = self.encode_video(pixel_values, qformer_input_ids, qformer_attention_mask)
        return self.lm_loss(self.splice_video(input_ids, video_tokens, image_token_id), attention_mask, labels)

    def lm_loss(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor) -> dict:
        """The LLM's next-token cross-entropy on spliced `inputs_embeds` (see `forward`)."""
        logits = self.language_model(inputs_embeds=self.llm_inputs(inputs_embeds), attention_mask=attention_mask).logits
        if self.config.llm_numerics != "reference":
            logits = logits.float()
        shift_logits = logits[:, :-1].reshape(-1, logits.shape[-1])
        shift_labels = labels[:, 1:].reshape(-1).to(shift_logits.device)
        loss = nn.functional.cross_entropy(shift_logits, shift_labels, ignore_index=-100)
        return {"loss": loss, "logits": logits}


def _attn(hf_config):
    """Eager attention in the visual stack: the reference's math, and masks with exact zeros."""
    hf_config._attn_implementation = "eager"
    return hf_config
