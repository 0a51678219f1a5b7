"""Batched greedy inference on the conformance fixture's weights reproduces the reference's answers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from tests.conftest import one_thread
from timechat_core.infer.engine import Engine, Prepared
from timechat_core.infer.manifest import Item
from timechat_core.model.generate import DecodingSettings
from timechat_core.model.processor import eval_prompt
from timechat_core.video.frames import SampledFrames


@pytest.fixture(scope="module")
def prepared(ref_tiny, fixture_inputs):
    from safetensors.torch import load_file

    frames = load_file(str(ref_tiny / "inputs" / "frames.safetensors"))["frames_uint8"].numpy()
    ev = fixture_inputs["eval"]
    out = []
    for i, v in enumerate(fixture_inputs["videos"]):
        from timechat_core.prompts import build_prompt

        item = Item(i, i, v["name"], ref_tiny / v["name"], "grounding", query=v["query"], dataset=ev["dataset"])
        text = build_prompt("grounding", v["query"], dataset=ev["dataset"]).text
        sf = SampledFrames(np.ascontiguousarray(frames[i]), v["frame_indices"], v["timestamps_sec"], v["fps"], v["vlen"],
                           v["msg"], "fixture")
        out.append(Prepared(item, sf, text, eval_prompt(v["msg"], text)))
    return out


@pytest.mark.parametrize("mode", ["greedy", "sampled"])
def test_batched_answers_equal_the_reference(ref_model, prepared, fixture_inputs, mode, datadir):
    import json

    model, processor, _ = ref_model
    expected = json.loads((datadir / "reference_tiny" / "expected" / "eval_text.json").read_text())
    settings = DecodingSettings(max_new_tokens=20, do_sample=mode == "sampled", seed=42)
    engine = Engine(model, processor, settings, num_frames=8, batch_size=2)
    assert [p.prompt for p in prepared] == [v["final_prompt_string"] for v in fixture_inputs["videos"]]
    with one_thread():
        answers = engine.generate(prepared)
    assert answers == expected["llm_variants"]["fp32"][mode]["answer_texts"]


def test_record_fields(ref_model, prepared):
    model, processor, _ = ref_model
    engine = Engine(model, processor, DecodingSettings(max_new_tokens=5), num_frames=8, model_name="fixture")
    rec = engine.record(prepared[0], "The given query happens in 24.3 - 30.4 seconds.", 0.5, 2)
    assert rec["parsed"]["windows"] == [[24.3, 30.4]] and rec["parse_status"] == "ok"
    assert rec["duration"] == round(2995 / 29.97, 3) and rec["frames"]["timestamps"][1] == 12.5
    assert rec["decoding"] == DecodingSettings(max_new_tokens=5).to_dict() and rec["model"] == "fixture"


def test_a_model_is_asked_the_way_its_config_says(media):
    """The demo model's `prompts` (no frame message, system " ", `timeit` variants, the question before the
    video) shape the prompt; a request naming a variant still gets it."""
    from timechat_core.prompts import build_prompt
    from timechat_core.model.folder import load_model_folder
    from timechat_core.resources import demo_model_dir

    model, processor = load_model_folder(demo_model_dir(), dtype=torch.float32)
    engine = Engine(model, processor, DecodingSettings(max_new_tokens=5), num_frames=model.config.num_frames)
    video = media.video("engine_prompts.mp4", width=64, height=64, duration=3, audio=False)
    p = engine.prepare(Item(0, 0, video.name, video, "highlight", query="the red circle is visible"))
    assert p.error is None and p.frames.message.startswith("The video contains")
    text = build_prompt("highlight", "the red circle is visible", variant="timeit").text
    assert p.instruction == text and p.prompt == eval_prompt("", text, " ", video_last=True)
    assert p.prompt.index(text) < p.prompt.index("<Video>")
    p = engine.prepare(Item(0, 0, video.name, video, "highlight", query="a dog", variant="qvhighlights"))
    assert p.instruction == build_prompt("highlight", "a dog").text
    engine.prompts = dataclasses.replace(engine.prompts, video_after_instruction=False)
    p = engine.prepare(Item(0, 0, video.name, video, "highlight", query="the red circle is visible"))
    assert p.prompt == eval_prompt("", text, " ") and p.prompt.index("<Video>") < p.prompt.index(text)
