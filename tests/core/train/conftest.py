"""Training-test fixtures: 8 synthetic clips with TimeIT records, and a runner for tiny training runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import DATA

TOKENIZER = DATA / "reference_tiny" / "llama-2-7b-chat-hf"


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory) -> Path:
    """`train.json` of 8 clips (timechat_core.train.demo); the folder is the video root."""
    from timechat_core.train.demo import make_demo_data

    return make_demo_data(tmp_path_factory.mktemp("tiny-data"))


def tiny_overrides(data: Path, out: Path, *extra: str) -> list[str]:
    """Overrides that point the `tiny` preset at the test data and a fresh output folder."""
    return [f"data.train=[{data}]", f"data.video_root={data.parent}", f"out_dir={out}",
            f"model.llama_tokenizer={TOKENIZER}", *extra]


def final_weights(out: Path) -> dict:
    """The trainable weights of a run's latest checkpoint."""
    import torch

    from timechat_core.train.checkpoint import find_latest

    return torch.load(find_latest(out) / "state.pt", weights_only=True)["trainable"]


def max_diff(a: dict, b: dict) -> float:
    assert set(a) == set(b)
    return max(float((a[k] - b[k]).abs().max()) for k in a)


def metrics(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line.strip()]


def train_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "timechat_cli", "train", "--config", "tiny", *args]
