"""Batched greedy inference on the conformance fixture's weights reproduces the reference's answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

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
        from timechat_core.infer.prompts import build_prompt

        item = Item(i, i, v["name"], ref_tiny / v["name"], "grounding", query=v["query"], dataset=ev["dataset"])
        text = build_prompt("grounding", v["query"], dataset=ev["dataset"]).text
        sf = SampledFrames(np.ascontiguousarray(frames[i]), v["frame_indices"], v["timestamps_sec"], v["fps"], v["vlen"],
                           v["msg"], "fixture")
        out.append(Prepared(item, sf, text, eval_prompt(v["msg"], text)))
    return out


@pytest.mark.parametrize("mode", ["greedy", "sampled"])
def test_batched_answers_equal_the_reference(ref_model, prepared, fixture_inputs, mode, shared):
    import json

    model, processor, _ = ref_model
    expected = json.loads((shared / "fixtures" / "reference_tiny" / "expected" / "eval_text.json").read_text())
    settings = DecodingSettings(max_new_tokens=20, do_sample=mode == "sampled", seed=42)
    engine = Engine(model, processor, settings, num_frames=8, batch_size=2)
    assert [p.prompt for p in prepared] == [v["final_prompt_string"] for v in fixture_inputs["videos"]]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the fixture was made; restored for the tests after this one
    try:
        answers = engine.generate(prepared)
    finally:
        torch.set_num_threads(threads)
    assert answers == expected["llm_variants"]["fp32"][mode]["answer_texts"]


def test_record_fields(ref_model, prepared):
    model, processor, _ = ref_model
    engine = Engine(model, processor, DecodingSettings(max_new_tokens=5), num_frames=8, model_name="fixture")
    rec = engine.record(prepared[0], "The given query happens in 24.3 - 30.4 seconds.", 0.5, 2)
    assert rec["parsed"]["windows"] == [[24.3, 30.4]] and rec["parse_status"] == "ok"
    assert rec["duration"] == round(2995 / 29.97, 3) and rec["frames"]["timestamps"][1] == 12.5
    assert rec["decoding"] == DecodingSettings(max_new_tokens=5).to_dict() and rec["model"] == "fixture"
