"""scripts/demo_frame_readout.py: its frame labels match the pixels of `timechat synth` videos, and a stage-0 run
trains the frame encoder only and writes a loadable model folder."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import run_cli

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def readout():
    spec = importlib.util.spec_from_file_location("demo_frame_readout", REPO / "scripts" / "demo_frame_readout.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    root = tmp_path_factory.mktemp("readout")
    r = run_cli("synth", "-o", str(root), "-n", "6", "--seed", "7", "--split", "train", "--size", "64",
                "--scenes", "static")
    assert r.returncode == 0, r.stderr[-1500:]
    return root


def test_flags_are_the_colours_the_decoded_frames_show(readout, scenes):
    from timechat_core.synth.scene import COLOURS, frame_flags
    from timechat_core.video.sampling import frame_timestamps, sample_indices

    names = list(COLOURS)
    checked = 0
    for scene, full in readout.load_videos(scenes, None, 64):
        idx = [int(i) for i in sample_indices(full.vlen, 32, "rand", 3)]
        y = torch.tensor(frame_flags(scene, frame_timestamps(idx, full.fps))).unflatten(-1, (3, 4)).any(-2)
        for k, i in enumerate(idx):
            frame = full.frames[i].astype(np.int32)
            seen = [int((np.abs(frame - np.array(rgb)).max(-1) < 40).sum()) for rgb in COLOURS.values()]
            shown = {names[c] for c in range(4) if y[k, c]}
            # a shape is >= 12 % of the side across: hundreds of pixels at 64 px; none of a colour not shown
            assert {n for n, s in zip(names, seen) if s > 40} == shown, (scene["video"], i, seen, shown)
            checked += bool(shown)
    assert checked >= 20  # frames that show a shape, not only empty ones


def test_time_digits():
    from timechat_core.synth.scene import time_digits

    assert time_digits([7.3, 12.0, 0.45, 99.9]) == [[0, 7, 3], [1, 2, 0], [0, 0, 5], [9, 9, 9]]


def test_stage_0_trains_the_frame_encoder_only_and_saves_it(readout, scenes, tmp_path, capsys):
    from timechat_core.model.folder import load_model_folder

    out = tmp_path / "pre"
    readout.main(["--model", str(REPO / "models" / "demo"), "--train", str(scenes), "--val", str(scenes),
                  "--num-val", "2", "--steps", "3", "--eval-every", "3", "--train-encoder", "--time", "--save", str(out)])
    row = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert row["step"] == 3 and 0 <= row["colour"] <= 1 and 0 <= row["time"] <= 1 and row["loss"] > 0
    before, _ = load_model_folder(REPO / "models" / "demo", dtype=torch.float32)
    after, _ = load_model_folder(out, dtype=torch.float32)
    a, b = dict(before.named_parameters()), dict(after.named_parameters())
    moved = {n.split(".")[0] for n in a if not torch.equal(a[n], b[n])}
    assert "language_model" not in moved
    assert moved >= {"vision_model", "qformer", "video_qformer", "language_projection"}
