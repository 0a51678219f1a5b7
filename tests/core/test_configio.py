"""The one config loader: the model, training and TimeIT-sources configs are checked the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from timechat_core.errors import InputError
from timechat_core.model.config import TimeChatConfig
from timechat_core.timeit.config import BuildConfig
from timechat_core.train.config import TrainConfig, resolve


def _message(call) -> str:
    with pytest.raises(InputError) as e:
        call()
    return str(e.value)


def test_model_config_checks_types_and_reports_every_problem_at_once():
    msg = _message(lambda: TimeChatConfig.from_dict(
        {"num_frames": 8.5, "vision": 3, "llm": {"hidden_size": "big", "vocab": 5}, "lora": {"r": True},
         "prompts": {"variants": {"grounding": ["a"]}}, "image_mean": [0.5, 0.5]}, source="m.yaml"))
    assert msg.startswith("m.yaml: ")
    for part in ("num_frames: expected int, got 8.5", "vision: expected a mapping, got 3",
                 "llm.hidden_size: expected int, got 'big'", "unknown key 'llm.vocab'", "lora.r: expected int, got True",
                 "prompts.variants: expected dict[str, str]", "image_mean: expected tuple[float, float, float]"):
        assert part in msg, part


def test_model_config_still_reports_its_own_value_checks_with_the_type_problems():
    msg = _message(lambda: TimeChatConfig.from_dict({"num_frames": 200, "window_size": 7, "llm_numerics": "fast",
                                                     "qformer": {"num_hidden_layers": "x"}}))
    assert "qformer.num_hidden_layers: expected int" in msg
    # the nested problem stops the outer dataclass from being built, so its own checks wait for a clean config
    msg = _message(lambda: TimeChatConfig.from_dict({"num_frames": 200, "llm_numerics": "fast"}))
    assert "num_frames 200 > max_frame_pos 96" in msg and "llm_numerics must be reference or stock" in msg


def test_model_config_round_trips_and_keeps_optional_lora():
    cfg = TimeChatConfig.preset("tiny")
    assert TimeChatConfig.from_dict(cfg.to_dict()) == cfg
    assert TimeChatConfig.from_dict({**cfg.to_dict(), "lora": None}).lora is None


def test_train_config_uses_the_same_loader_and_num_frames_lives_in_the_model():
    msg = _message(lambda: resolve("tiny", ["batch_size=2.5", "optim.warmup_steps=x", "model.seed=[1]"]))
    for part in ("batch_size: expected int, got 2.5", "optim.warmup_steps: expected int, got 'x'",
                 "model.seed: expected int, got [1]"):
        assert part in msg, part
    msg = _message(lambda: TrainConfig.from_dict({"data": {"train": ["a.json"], "num_frames": 32}}, source="t.yaml"))
    assert msg.startswith("t.yaml: data.num_frames:") and "model.overrides.num_frames" in msg
    assert resolve("tiny", ["model.overrides.num_frames=4"]).model.overrides["num_frames"] == 4


def test_sources_file_is_typed_and_its_paths_are_relative_to_it(tmp_path):
    f = tmp_path / "sources.yaml"
    f.write_text("seed: 3\nvideo_root: videos\nsources:\n  charades: ann/charades_sta\n"
                 "  youcook2: {ann: [a.json, /abs/b.json], split: val, video_dir: yc2}\n")
    cfg = BuildConfig.from_yaml(f)
    assert cfg.settings == {"seed": 3, "video_root": tmp_path / "videos"}
    assert cfg.sources["charades"].ann == (tmp_path / "ann" / "charades_sta",)
    assert cfg.sources["youcook2"].ann == (tmp_path / "a.json", Path("/abs/b.json"))
    assert (cfg.sources["youcook2"].split, cfg.sources["youcook2"].video_dir) == ("val", "yc2")
    f.write_text("seed: two\nclamp: 1\nsources:\n  charades: {ann: x, split: [1]}\n  qvh: 5\n")
    msg = _message(lambda: BuildConfig.from_yaml(f))
    for part in (f"{f}: ", "seed: expected int", "clamp: expected bool", "sources.charades.split: expected str",
                 "sources.qvh: expected a mapping"):
        assert part in msg, part


def test_a_mapping_left_empty_is_an_empty_mapping(tmp_path):
    """A YAML key whose lines are all commented out reads as None: for a mapping field that is {} (as before the
    one loader), not a type error."""
    cfg = TrainConfig.from_dict({"data": {"train": ["a.json"]}, "model": {"folder": "m", "overrides": None}},
                                source="t.yaml")
    assert cfg.model.overrides == {}
    f = tmp_path / "sources.yaml"
    f.write_text("seed: 3\nsources:\n#  charades: ann/charades_sta\n")
    assert BuildConfig.from_yaml(f).sources == {}
