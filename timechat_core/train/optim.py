"""AdamW parameter groups and the learning-rate schedule of the reference (LAVIS `runner_base.py`,
`optims.py`; `docs/reference-model.md` §3)."""

from __future__ import annotations

import math

import torch

NO_DECAY_MARKERS = ("bias", "norm")
"""The reference decays params with ndim >= 2 whose name has none of "bias", "ln", "bn"; its norms are
`LayerNorm`/`ln_vision` and all 1-D. Our norm names are `layernorm`, `LayerNorm`, `post_layernorm`,
`*_layernorm`, so "norm" (case-insensitive) plays the part of "ln"/"bn"; the resulting split of the
trainable set is identical (checked in tests on the reference names)."""


def decays(name: str, param: torch.Tensor) -> bool:
    """Whether weight decay applies to `param` (called `name`)."""
    lowered = name.lower()
    return param.ndim >= 2 and not any(m in lowered for m in NO_DECAY_MARKERS)


def param_groups(named_params, weight_decay: float) -> list[dict]:
    """Two AdamW groups over the trainable parameters: decayed and not decayed."""
    decay, no_decay = [], []
    for name, p in named_params:
        if p.requires_grad:
            (decay if decays(name, p) else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def make_optimizer(named_params, optim) -> torch.optim.AdamW:
    """AdamW with the reference's betas and decay split (`optim` is an `OptimConfig`)."""
    return torch.optim.AdamW(param_groups(named_params, optim.weight_decay), lr=optim.warmup_lr or optim.init_lr,
                             betas=(optim.beta1, optim.beta2), eps=optim.eps)


def learning_rate(iteration: int, optim, total_iters: int) -> float:
    """The lr of global iteration `iteration` (micro-batches, counted as the reference does).

    `linear_warmup_cosine_lr`: `min(init, warmup_lr + (init - warmup_lr) * it / warmup_steps)` while
    `it < warmup_steps`, then `(init - min) * 0.5 * (1 + cos(pi * it / total_iters)) + min`, with
    `total_iters = max_epoch * iters_per_epoch`; the cosine starts at its value for it = warmup_steps,
    so the lr drops slightly at the switch (as in the reference).
    """
    if iteration < optim.warmup_steps:
        return min(optim.init_lr,
                   optim.warmup_lr + (optim.init_lr - optim.warmup_lr) * iteration / max(optim.warmup_steps, 1))
    if optim.schedule == "constant":
        return optim.init_lr
    return (optim.init_lr - optim.min_lr) * 0.5 * (1.0 + math.cos(math.pi * iteration / total_iters)) + optim.min_lr


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr
