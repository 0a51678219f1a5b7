"""Shared fixtures: real data from ../shared, and small media files made with ffmpeg's lavfi sources."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    return Path(os.environ.get("TIMECHAT_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def shared() -> Path:
    path = shared_dir()
    if not path.is_dir():
        pytest.skip(f"shared data folder {path} is absent (set TIMECHAT_SHARED)")
    return path


@pytest.fixture(scope="session")
def jfk(shared) -> Path:
    return shared / "data" / "videos" / "jfk.mp4"


@pytest.fixture(scope="session")
def fixture_inputs(shared) -> dict:
    """Inputs of the reference conformance fixture (produced by the reference code)."""
    return json.loads((shared / "fixtures" / "reference_tiny" / "inputs" / "inputs.json").read_text())


class Media:
    """Makes small test media once per session and hands out paths to them."""

    def __init__(self, root: Path):
        self.root = root

    def video(self, name: str = "clip.mp4", **kwargs) -> Path:
        from timechat_core.video.testsrc import make_test_video

        path = self.root / name
        if not path.exists():
            make_test_video(path, **kwargs)
        return path

    def audio(self, name: str = "tone.wav", **kwargs) -> Path:
        from timechat_core.video.testsrc import make_test_audio

        path = self.root / name
        if not path.exists():
            make_test_audio(path, **kwargs)
        return path


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> Media:
    return Media(tmp_path_factory.mktemp("media"))


def run_cli(*args: str, input: str | None = None, cwd=None, env=None) -> subprocess.CompletedProcess:
    """Run `python -m timechat_cli ARGS` in a subprocess (the real exit-code mapping of main())."""
    return subprocess.run(
        [sys.executable, "-m", "timechat_cli", *args],
        input=input, capture_output=True, text=True, cwd=cwd, env=env, timeout=600,
    )


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@contextlib.contextmanager
def one_thread():
    """torch on 1 thread (as the conformance fixture was made), the previous count restored after."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
