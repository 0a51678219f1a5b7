"""Pieces the demo recipe's stages and its card's measures share (and `research/` reuses).

Not product API: they exist for models/demo/ (`scripts/demo_model.py`, `scripts/demo_stage0.py`) and describe
`timechat synth --scenes static` scenes the way the recipe trains and measures on them.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from timechat_core.synth.scene import COLOURS, SHAPES  # noqa: E402

COMBOS = tuple((c, s) for s in SHAPES for c in COLOURS)
"""Every (colour, shape), colours fastest: the order of `frame_flags`' columns."""


def frame_flags(scene: dict, times) -> list[list[int]]:
    """Per time: 1 for each (colour, shape) of `COMBOS` a scene's JSON (`Scene.to_dict`) shows then, else 0."""
    rows = [[0] * len(COMBOS) for _ in times]
    for o in scene["objects"]:
        for p in o["phases"]:
            for row, t in zip(rows, times):
                if p["start"] <= t < p["end"]:
                    row[COMBOS.index((p["colour"], o["shape"]))] = 1
    return rows


def time_digits(times) -> list[list[int]]:
    """Per time (below 100 s): its tens, units and tenths ("07.3" -> 0, 7, 3)."""
    return [[int(c) for c in f"{t:04.1f}".replace(".", "")] for t in times]


def digit_ids(processor):
    """(LLM vocabulary,) bool tensor: the token ids of `processor`'s LLaMA tokenizer that are digits (a leading
    "▁" aside), to score only the numbers of an answer."""
    import torch

    tok = processor.llama
    return torch.tensor([tok.convert_ids_to_tokens(i).lstrip("▁").isdigit() for i in range(len(tok))])


def next_token_losses(logits, labels):
    """Per-position cross-entropy of the model's `lm_loss`, unreduced: (loss, target, kept), each (B, L-1), where
    position i predicts `labels[:, i + 1]` and `kept` marks the supervised ones (not -100). Scoring one question
    at a time (e.g. `(loss * kept).sum(1) / kept.sum(1)`) is what teacher-forced comparisons need."""
    import torch

    target = labels[:, 1:].to(logits.device)
    loss = torch.nn.functional.cross_entropy(logits[:, :-1].float().transpose(1, 2), target.clamp(min=0),
                                             reduction="none")
    return loss, target, target != -100
