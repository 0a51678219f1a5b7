"""ViTT from a small file in the release format (README example of google-research-datasets/ViTT)."""

import json

import pytest

from tests.core.timeit.helpers import answers, build_one
from timechat_core.errors import InputError
from timechat_core.timeit.templates import load_templates

README_RECORD = {"id": "FmTp", "annotations": [
    {"timestamp": 260, "tag": "Opening"}, {"timestamp": 16000, "tag": "Displaying technique"},
    {"timestamp": 23990, "tag": "Showing foot positioning"}, {"timestamp": 55530, "tag": "Demonstrating crossover"},
    {"timestamp": 114100, "tag": "Closing"}]}


@pytest.fixture()
def vitt(tmp_path):
    other = {"id": "jEUD", "annotations": [{"timestamp": 0, "tag": "Intro"}, {"timestamp": 5000, "tag": "x"}]}
    (tmp_path / "ViTT-annotations.json").write_text(json.dumps(README_RECORD) + "\n" + json.dumps(other) + "\n")
    (tmp_path / "train_id.txt").write_text("FmTp\n")
    (tmp_path / "test_id.txt").write_text("jEUD\n")
    return tmp_path


def test_start_time_only_answer(vitt):
    records, report = build_one("vitt", vitt)
    assert answers(records) == ["0.3 seconds, Opening.  16.0 seconds, Displaying technique.  24.0 seconds, "
                                "Showing foot positioning.  55.5 seconds, Demonstrating crossover.  "
                                "114.1 seconds, Closing."]
    assert records[0]["video"] == "vitt/FmTp.mp4" and records[0]["task"] == "dvc_start"
    assert records[0]["template"].startswith("dvc_start/")
    assert records[0]["QA"][0]["q"] in {t.text.rstrip() for t in load_templates("dvc_start")}
    assert report.skipped["not_in_split"] == 1


def test_one_character_tags_are_skipped(vitt):
    records, report = build_one("vitt", vitt, split="test")
    assert answers(records) == ["0.0 seconds, Intro."] and report.skipped["short_caption"] == 1


def test_bad_record_names_the_line(tmp_path):
    (tmp_path / "ViTT-annotations.json").write_text(json.dumps(README_RECORD) + '\n{"id": "x"}\n')
    with pytest.raises(InputError, match=r"ViTT-annotations.json:2: expected"):
        build_one("vitt", tmp_path, split="all")
