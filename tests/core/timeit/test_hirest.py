"""HiREST grounding and steps from a file in the release format (j-min/HiREST all_data_val.json)."""

import json

import pytest

from tests.core.timeit.helpers import answers, build_one, question

# From all_data_val.json (e8d6e2f): one video with a clip and steps, one without a clip, one without steps.
DATA = {
    "Make Oatmeal Pancake Mix": {"5V3dI2zp1xA.mp4": {
        "relevant": True, "clip": True, "v_duration": 207.08, "bounds": [50, 121],
        "steps": [{"index": 0, "heading": "take grinned oats flour", "absolute_bounds": [50, 58]},
                  {"index": 1, "heading": "add carrot and chopped spinach", "absolute_bounds": [58, 67]},
                  {"index": 2, "heading": "add coriander and green chilly ", "absolute_bounds": [67, 80]}]}},
    "Make a Plastic Bag Explode": {
        "RF_DxOYGxL8.mp4": {"relevant": True, "clip": False, "v_duration": 356.06, "bounds": [0, 0], "steps": []},
        "UM1OUc60YIU.mp4": {"relevant": True, "clip": True, "v_duration": 295.03, "bounds": [60, 191], "steps": []}},
}


@pytest.fixture()
def hirest(tmp_path):
    (tmp_path / "all_data_val.json").write_text(json.dumps(DATA))
    return tmp_path


def test_grounding(hirest):
    records, report = build_one("hirest", hirest, split="val")
    assert answers(records) == ["The given query happens in 50.0 - 121.0 seconds."]
    assert records[0]["video"] == "hirest/5V3dI2zp1xA.mp4"
    assert "'Make Oatmeal Pancake Mix'" in question(records[0])
    assert report.skipped == {"not_relevant_or_no_clip": 1, "no_steps": 1}


def test_steps_are_relative_to_the_clip(hirest):
    records, _ = build_one("hirest_step", hirest, split="val")
    # process_hirest.py: clip {stem}_{b0}_{b1}.mp4, steps at absolute_bounds - b0; headings keep their spaces.
    assert records[0]["video"] == "hirest_step/5V3dI2zp1xA_50_121.mp4"
    assert answers(records) == ["0.0 - 8.0 seconds, take grinned oats flour.  8.0 - 17.0 seconds, add carrot "
                                "and chopped spinach.  17.0 - 30.0 seconds, add coriander and green chilly ."]
    assert records[0]["source"] == "hirest_step" and records[0]["task"] == "step"
