"""scripts/demo_stage0.py (the demo recipe's stage 0): its frame labels match the pixels of `timechat synth` videos, and a stage-0 run
trains the frame encoder only and writes a loadable model folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import load_script, synth_static

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def readout():
    return load_script("demo_stage0")


@pytest.fixture(scope="module")
def parts():
    return load_script("demo_parts")


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    return synth_static(tmp_path_factory.mktemp("readout"), 6, 7)


def test_flags_are_the_colours_the_decoded_frames_show(readout, parts, scenes):
    from timechat_core.synth.scene import COLOURS
    from timechat_core.video.sampling import frame_timestamps, sample_indices

    names = list(COLOURS)
    checked = 0
    for scene, full in readout.load_videos(scenes, None, 64):
        idx = [int(i) for i in sample_indices(full.vlen, 32, "rand", 3)]
        y = torch.tensor(parts.frame_flags(scene, frame_timestamps(idx, full.fps))).unflatten(-1, (3, 4)).any(-2)
        for k, i in enumerate(idx):
            frame = full.frames[i].astype(np.int32)
            seen = [int((np.abs(frame - np.array(rgb)).max(-1) < 40).sum()) for rgb in COLOURS.values()]
            shown = {names[c] for c in range(4) if y[k, c]}
            # a shape is >= 12 % of the side across: hundreds of pixels at 64 px; none of a colour not shown
            assert {n for n, s in zip(names, seen) if s > 40} == shown, (scene["video"], i, seen, shown)
            checked += bool(shown)
    assert checked >= 20  # frames that show a shape, not only empty ones


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


def test_fold_turns_the_projection_into_the_readout_at_the_asked_norm(readout, scenes, tmp_path, capsys):
    from timechat_core.model.folder import load_model_folder

    out = tmp_path / "folded"
    readout.main(["--model", str(REPO / "models" / "demo"), "--train", str(scenes), "--val", str(scenes),
                  "--num-val", "3", "--steps", "2", "--eval-every", "2", "--fold", "2.5", "--save", str(out)])
    capsys.readouterr()
    before, _ = load_model_folder(REPO / "models" / "demo", dtype=torch.float32)
    after, proc = load_model_folder(out, dtype=torch.float32)
    a, b = dict(before.named_parameters()), dict(after.named_parameters())
    assert {n for n in a if not torch.equal(a[n], b[n])} == {"language_projection.weight", "language_projection.bias"}
    # the LLM sees a map of the 12 flag logits only: the projection's rank drops from 64 to at most 12
    assert torch.linalg.matrix_rank(a["language_projection.weight"]).item() == 64
    assert torch.linalg.matrix_rank(b["language_projection.weight"]).item() <= 12
    # the held-out videos' tokens (the same frames --fold measured: seeds 0, 1, 2) have the asked mean norm
    from timechat_core.model.processor import normalize_frames
    from timechat_core.video.sampling import frame_texts, sample_indices, timestamp_message

    frames, texts = [], []
    for seed, (_, full) in enumerate(readout.load_videos(scenes, 3, 32)):
        idx = [int(i) for i in sample_indices(full.vlen, 32, "rand", seed)]
        frames.append(torch.from_numpy(full.frames[idx]))
        texts.append(frame_texts(timestamp_message(idx, full.fps)))
    enc = proc.eval_batch(["<ImageHere>"] * 3, texts)
    cfg = after.config
    with torch.no_grad():
        tokens = after.encode_video(normalize_frames(torch.stack(frames), cfg.image_mean, cfg.image_std),
                                    enc.qformer_input_ids, enc.qformer_attention_mask)
    assert tokens.norm(dim=-1).mean().item() == pytest.approx(2.5, rel=1e-3)
