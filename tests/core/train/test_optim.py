"""AdamW groups and the per-iteration warmup + cosine schedule, against the reference's formulas."""

from __future__ import annotations

import math

import pytest
import torch

from timechat_core.train.config import OptimConfig
from timechat_core.train.optim import learning_rate, make_optimizer


def test_paper_schedule_values():
    o = OptimConfig()  # 3e-5 -> 1e-5, warmup 1e-6 over 13200 iterations
    total = 3 * 22000
    assert learning_rate(0, o, total) == pytest.approx(1e-6)
    assert learning_rate(6600, o, total) == pytest.approx(1e-6 + (3e-5 - 1e-6) * 0.5)
    last_warm = learning_rate(13199, o, total)
    first_cos = learning_rate(13200, o, total)
    assert first_cos == pytest.approx((3e-5 - 1e-5) * 0.5 * (1 + math.cos(math.pi * 13200 / total)) + 1e-5)
    assert first_cos == pytest.approx(2.809e-5, abs=1e-8)  # the small drop at the switch (docs/reference-model.md §3)
    assert last_warm > first_cos
    assert learning_rate(total, o, total) == pytest.approx(1e-5)


def test_constant_schedule_and_no_warmup():
    o = OptimConfig(warmup_steps=0, schedule="constant", init_lr=1e-3)
    assert {learning_rate(i, o, 100) for i in (0, 50, 99)} == {1e-3}


def test_decay_split_is_the_reference_rule_on_reference_names(datadir):
    """ndim >= 2 and no "bias"/"ln"/"bn" in the reference's name <=> decayed here."""
    from tests.core.train.conftest import TOKENIZER
    from timechat_core.model.config import TimeChatConfig
    from timechat_core.model.convert_lavis import to_reference
    from timechat_core.model.folder import random_model

    model, _ = random_model(TimeChatConfig.preset("tiny"), TOKENIZER, trainable=True)
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    opt = make_optimizer(named, OptimConfig())
    decayed = {id(p) for p in opt.param_groups[0]["params"]}
    assert opt.param_groups[0]["weight_decay"] == 0.05 and opt.param_groups[1]["weight_decay"] == 0.0
    assert opt.defaults["betas"] == (0.9, 0.999)
    ref_names = list(to_reference({n: p for n, p in named}))
    for (name, p), ref in zip(named, ref_names):
        reference_rule = p.ndim >= 2 and not any(s in ref for s in ("bias", "ln", "bn"))
        assert (id(p) in decayed) == reference_rule, (name, ref)
    assert any("query_tokens" == n for n, p in named if id(p) in decayed)  # 3-D: decayed, as the reference
    assert sum(len(g["params"]) for g in opt.param_groups) == len(named)
    assert all(p.dtype == torch.float32 for _, p in named)
