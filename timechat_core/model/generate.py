"""Decoding: greedy by default, or the reference's sampling settings, on spliced `inputs_embeds`.

Reference (`conversation_video_batch.py` L197-256, `evaluate.py`; `docs/reference-model.md` §2.9):
`do_sample=True, top_p=0.8, temperature=1.0, top_k=50 (HF default), num_beams=1, min_length=1,
repetition_penalty=1.0, length_penalty=1, max_new_tokens=512`, torch seed 42, stop when every row
has emitted `</s>` (rows that finished are padded with id 0). transformers 5.x returns only the
new tokens when given `inputs_embeds` (4.34 prepended a BOS placeholder that the reference strips).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class DecodingSettings:
    """What `generate` is called with; recorded next to every answer."""

    do_sample: bool = False
    top_p: float = 0.8
    top_k: int = 50
    temperature: float = 1.0
    seed: int | None = 42
    """torch seed set immediately before sampling (ignored when greedy)."""
    max_new_tokens: int = 512
    num_beams: int = 1
    min_length: int = 1
    repetition_penalty: float = 1.0
    length_penalty: float = 1.0

    @classmethod
    def reference_sampling(cls, **changes) -> "DecodingSettings":
        """The reference evaluation's sampled decoding (numbers vary with the seed)."""
        return cls(do_sample=True, **changes)

    def generate_kwargs(self) -> dict:
        kw = dict(max_new_tokens=self.max_new_tokens, num_beams=self.num_beams, min_length=self.min_length,
                  repetition_penalty=self.repetition_penalty, length_penalty=self.length_penalty,
                  do_sample=self.do_sample)
        if self.do_sample:
            kw.update(top_p=self.top_p, top_k=self.top_k, temperature=self.temperature)
        return kw

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        if not self.do_sample:
            for k in ("top_p", "top_k", "temperature", "seed"):
                d.pop(k)
        return d


@torch.inference_mode()
def generate_ids(model, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor,
                 settings: DecodingSettings = DecodingSettings()) -> torch.Tensor:
    """New token ids (B, <= max_new_tokens); rows that stopped are padded with the pad id.

    Args:
        model: a `TimeChatModel`.
        inputs_embeds: (B, L, D) from `TimeChatModel.context_embeds` (left-padded).
        attention_mask: (B, L), 0 on the left padding.
    """
    llm_cfg = model.config.llm
    if inputs_embeds.shape[1] + settings.max_new_tokens > llm_cfg.max_position_embeddings:
        raise ValueError(f"prompt of {inputs_embeds.shape[1]} tokens + {settings.max_new_tokens} new tokens exceeds "
                         f"the LLM's {llm_cfg.max_position_embeddings} positions")
    if settings.do_sample and settings.seed is not None:
        torch.manual_seed(settings.seed)
    return model.language_model.generate(
        inputs_embeds=model.llm_inputs(inputs_embeds), attention_mask=attention_mask,
        pad_token_id=llm_cfg.pad_token_id, eos_token_id=llm_cfg.eos_token_id, bos_token_id=llm_cfg.bos_token_id,
        **settings.generate_kwargs(),
    )
