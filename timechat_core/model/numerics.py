"""The reference's LLM numerics on stock transformers LLaMA, applied to one model instance.

TimeChat feeds the LLM fp32 `inputs_embeds` while its weights are bf16, and its copy of
transformers-4.34 `modeling_llama.py` keeps the residual stream fp32 while every matmul runs in
bf16 (`docs/reference-model.md` §0 item 6; `docs/checkpoints.md` §6; `docs/conformance-fixture.md`
§8). Stock transformers 5.x raises a dtype error on that input. Two module swaps reproduce the
reference bit for bit:

1. RMSNorm: variance in fp32, `h * rsqrt(var + eps)` in the input dtype, then cast to the weight
   dtype when the weight is fp16/bf16, then multiply by the weight (no cast back).
2. Rotary embedding: cos/sin in the weight dtype (the reference casts them to the dtype of the
   bf16 value states; 5.x casts them to the fp32 hidden states).

With fp32 weights both are the identity. Nothing is patched globally: only the given model's
modules change class.
"""

from __future__ import annotations

import torch
from transformers.models.llama.modeling_llama import LlamaRMSNorm, LlamaRotaryEmbedding


class ReferenceRMSNorm(LlamaRMSNorm):
    """`LlamaRMSNorm` as in TimeChat's `modeling_llama.py` L57-74."""

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        variance = hidden_states.to(torch.float32).pow(2).mean(-1, keepdim=True)
        hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
        if self.weight.dtype in (torch.float16, torch.bfloat16):
            hidden_states = hidden_states.to(self.weight.dtype)
        return self.weight * hidden_states


class ReferenceRotaryEmbedding(LlamaRotaryEmbedding):
    """cos/sin in the LLM's weight dtype, whatever the dtype of the hidden states."""

    weight_dtype: torch.dtype = torch.float32

    def forward(self, x, position_ids):
        cos, sin = super().forward(x, position_ids)
        return cos.to(self.weight_dtype), sin.to(self.weight_dtype)


def apply_reference_numerics(llm: torch.nn.Module) -> torch.nn.Module:
    """Swap the RMSNorm and rotary modules of a LLaMA model for the reference behaviour (in place)."""
    weight_dtype = llm.get_input_embeddings().weight.dtype
    for module in llm.modules():
        if type(module) is LlamaRMSNorm:
            module.__class__ = ReferenceRMSNorm
        elif type(module) is LlamaRotaryEmbedding:
            module.__class__ = ReferenceRotaryEmbedding
            module.weight_dtype = weight_dtype
    return llm
