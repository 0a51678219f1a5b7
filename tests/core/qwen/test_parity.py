"""Frames, frame times, sizes and processor inputs equal what qwen-vl-utils 0.0.14 and the transformers 5.24.0
processors (with torchvision) produced for the same real video files (tests/data/README.md, `qwen_parity/`)."""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pytest

from tests.conftest import DATA
from timechat_core.errors import MediaError
from timechat_core.qwen.folder import FAMILIES
from timechat_core.qwen.sampling import VideoSettings, load_video
from timechat_core.video.frames import decord_available

PARITY = DATA / "qwen_parity"
CASES = json.loads((PARITY / "qwen_vl_utils.json").read_text())["cases"]
CALLS = json.loads((PARITY / "processor.json").read_text())["calls"]


def sha(array) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def frames_of(case: dict, backend: str = "decord"):
    return load_video(PARITY / "videos" / case["video"], VideoSettings(**case["settings"]), case["patch"], backend)


def test_the_recorded_cases_cover_several_rates_lengths_and_rules():
    assert len({c["video"] for c in CASES}) == 6 and len({c["case"] for c in CASES}) == 7
    ok = [c for c in CASES if "error" not in c]
    assert {round(c["fps"], 2) for c in ok} == {5.0, 10.0, 24.0, 25.0, 29.97, 30.0}
    assert len({c["total_num_frames"] for c in ok}) == 6 and {c["patch"] for c in ok} == {14, 16}
    assert len({tuple(c["shape"][1:3]) for c in ok}) > 20


@pytest.mark.parametrize("case", CASES, ids=[f"{c['video']}-{c['case']}" for c in CASES])
def test_frames_equal_qwen_vl_utils(case):
    if not decord_available():
        pytest.skip("decord is not installed (x86_64 wheels only): qwen-vl-utils read these files with decord")
    if "error" in case:  # too few frames for nframes: qwen-vl-utils' own message
        with pytest.raises(MediaError, match=r"r5_1s_112x64.mp4: nframes should be in \[2, 6\].*got 8"):
            frames_of(case)
        return
    got = frames_of(case)
    assert got.indices == case["indices"] and got.vlen == case["total_num_frames"]
    assert got.fps == case["fps"] and got.sample_fps == case["sample_fps"]
    assert list(got.frames.shape) == case["shape"]
    assert [round(float(f.mean()), 4) for f in got.frames] == case["frame_means"]
    assert sha(got.frames) == case["frames_sha256"]  # bit for bit
    assert got.timestamps == [i / case["fps"] for i in case["indices"]]


@pytest.mark.parametrize("case", [c for c in CASES if c["case"].startswith("timelens") and "error" not in c],
                         ids=lambda c: f"{c['video']}-{c['case']}")
def test_pyav_samples_the_same_frames_and_sizes(case):
    """Without decord the same frames are chosen and sized; the pixels come from another FFmpeg build."""
    got = frames_of(case, backend="pyav")
    assert got.indices == case["indices"] and got.vlen == case["total_num_frames"] and got.fps == case["fps"]
    assert list(got.frames.shape) == case["shape"] and got.sample_fps == case["sample_fps"]
    diff = np.abs(np.array([f.mean() for f in got.frames]) - case["frame_means"])
    assert diff.max() < 1.5, diff


@pytest.fixture(scope="module")
def processors():
    from timechat_core.qwen.processor import load_processor

    return {family: load_processor(PARITY / "processor" / family, FAMILIES[family]) for family in ("qwen2_5_vl", "qwen3_vl")}


@pytest.mark.parametrize("call", CALLS, ids=[f"{c['family']}-{c['video']}" for c in CALLS])
def test_processor_inputs_equal_the_transformers_processor(call, processors):
    """Chat text, input ids, masks, grids, Qwen2.5-VL's second_per_grid_ts / Qwen3-VL's frame stamps, and
    pixel_values_videos bit for bit, from the torchvision-free video processor."""
    import torch

    if not decord_available():
        pytest.skip("decord is not installed: the reference frames were read with decord")
    proc = processors[call["family"]]
    case = next(c for c in CASES if c["video"] == call["video"] and c["case"] == call["case"])
    frames = frames_of(case)
    messages = [{"role": "user", "content": [{"type": "video"}, {"type": "text", "text": json.loads(
        (PARITY / "processor.json").read_text())["prompt"]}]}]
    chat = proc.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert chat == call["chat"]
    video = torch.from_numpy(frames.frames).permute(0, 3, 1, 2).to(torch.float32)
    got = proc(text=[chat], videos=[video], video_metadata=[frames.metadata()], do_resize=False,
               do_sample_frames=False, return_tensors="pt")
    assert got["input_ids"][0].tolist() == call["input_ids"]
    assert got["attention_mask"][0].tolist() == call["attention_mask"]
    assert got["mm_token_type_ids"][0].tolist() == call["mm_token_type_ids"]
    assert got["video_grid_thw"].tolist() == call["video_grid_thw"]
    assert list(got["pixel_values_videos"].shape) == call["pixel_values_videos_shape"]
    assert sha(got["pixel_values_videos"].numpy()) == call["pixel_values_videos_sha256"]
    if call["family"] == "qwen2_5_vl":
        assert [float(x) for x in got["second_per_grid_ts"]] == call["second_per_grid_ts"]
        assert call["second_per_grid_ts"][0] == pytest.approx(2 / case["sample_fps"])
    else:
        assert "second_per_grid_ts" not in got
        pairs = zip(case["indices"][::2], case["indices"][1::2])
        stamps = [f"<{(a + b) / 2 / case['fps']:.1f} seconds>" for a, b in pairs]
        assert re.findall(r"<[\d.]+ seconds>", proc.tokenizer.decode(got["input_ids"][0])) == stamps


def test_a_size_decord_cannot_read_falls_back_to_pyav(tmp_path, caplog):
    """decord 0.6 cannot read 48x32 frames at full size (dmlc/decord#336): `auto` reads them with PyAV, the
    frames qwen-vl-utils' rules pick; `decord` says so."""
    from timechat_core.video.testsrc import make_test_video

    if not decord_available():
        pytest.skip("decord is not installed")
    clip = make_test_video(tmp_path / "small.mp4", width=48, height=32, fps=10, duration=2, audio=False)
    got = load_video(clip, VideoSettings(nframes=4), 14, backend="auto")
    assert got.backend == "pyav" and got.indices == [0, 6, 13, 19] and "decord cannot read frames" in caplog.text
    with pytest.raises(MediaError, match="decord cannot read frames at this size"):
        load_video(clip, VideoSettings(nframes=4), 14, backend="decord")
