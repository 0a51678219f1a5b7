from __future__ import annotations

import pytest

from timechat_core.errors import InputError
from timechat_core.model.config import TimeChatConfig


def test_7b_preset_spells_out_the_defaults():
    cfg = TimeChatConfig.preset("timechat-7b")
    assert cfg == TimeChatConfig()
    assert (cfg.vision.num_hidden_layers, cfg.qformer.vocab_size, cfg.max_frame_pos, cfg.window_size) == (39, 30523, 96, 32)
    assert cfg.num_video_tokens(96) == 96 and cfg.num_video_tokens(70) == 96 and cfg.num_video_tokens(8) == 32


def test_tiny_preset_and_overrides():
    cfg = TimeChatConfig.preset("tiny", num_frames=12, **{"lora.alpha": 20, "llm.path": "/x"})
    assert cfg.num_frames == 12 and cfg.lora.alpha == 20 and cfg.llm.path == "/x"
    assert cfg.lora.target_modules == ("q_proj", "k_proj", "v_proj", "o_proj")


def test_round_trip_through_yaml(tmp_path):
    cfg = TimeChatConfig.preset("tiny").replace(window_size=0, timestamp_text=False)
    path = tmp_path / "c.yaml"
    path.write_text(cfg.to_yaml())
    assert TimeChatConfig.from_yaml(path) == cfg


def test_unknown_keys_are_all_reported(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("num_frame: 8\nvision:\n  hiden_size: 3\nllm:\n  vocab: 5\n")
    with pytest.raises(InputError) as e:
        TimeChatConfig.from_yaml(path)
    assert str(path) in str(e.value)
    for key in ("num_frame", "vision.hiden_size", "llm.vocab"):
        assert key in str(e.value)


def test_invalid_values_are_refused():
    with pytest.raises(InputError, match="num_frames 100 > max_frame_pos 96"):
        TimeChatConfig(num_frames=100)
    with pytest.raises(InputError, match="llm_numerics"):
        TimeChatConfig(llm_numerics="fast")
    with pytest.raises(InputError, match="overlapping"):
        TimeChatConfig(window_size=32, window_stride=16)
    with pytest.raises(InputError, match="unknown model preset"):
        TimeChatConfig.preset("nope")


def test_prompt_settings_round_trip_and_are_checked(tmp_path):
    from timechat_core.model.config import PromptSettings

    cfg = TimeChatConfig.preset("demo")
    assert cfg.prompts == PromptSettings(frame_time_message=False, eval_system=" ", video_after_instruction=True,
                                         variants={"grounding": "timeit", "dvc": "timeit", "highlight": "timeit"})
    assert TimeChatConfig().prompts == PromptSettings()  # TimeChat's: the frame message, the eval system prompt
    path = tmp_path / "c.yaml"
    path.write_text(cfg.to_yaml())
    assert TimeChatConfig.from_yaml(path) == cfg
    with pytest.raises(InputError, match="task 'dvc' has no variant 'short'"):
        TimeChatConfig(prompts=PromptSettings(variants={"dvc": "short"}))
