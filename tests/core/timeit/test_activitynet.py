"""ActivityNet Captions on the real val_1 / val_2 files."""

import json

import pytest

from tests.core.timeit.helpers import build_one
from timechat_core.errors import InputError
from timechat_core.eval.dvc import load_dvc_gt
from timechat_core.timeit.build import BuildOptions, SourceInput, build
from timechat_core.timeit.eval_format import eval_ground_truth
from timechat_core.timeit.hygiene import Hygiene


@pytest.fixture(scope="module")
def anet(datadir):
    return datadir / "activitynet_captions"


def test_dvc_answer_format(anet):
    # docs/timeit.md §3 (DVC): f"{round(s,1)} - {round(e,1)} seconds, {sent}. " joined by " " and
    # rstripped; sentences lose their period and surrounding spaces.
    records, report = build_one("activitynet", anet / "val_1.json", split="val")
    first = records[0]
    assert first["video"] == "activitynet/v_uqiMw7tQ1Cc.mp4" and first["source"] == "anet"
    assert first["QA"][0]["a"] == ("0.3 - 55.1 seconds, A weight lifting tutorial is given.  "
                                   "13.8 - 54.3 seconds, The coach helps the guy in red with the proper body "
                                   "placement and lifting technique.")
    assert report.read == len(json.loads((anet / "val_1.json").read_text()))


def test_segments_past_the_duration(anet):
    # docs/timeit.md §8: 134 (val_1) and 111 (val_2) segments end after `duration`.
    _, r1 = build_one("activitynet", anet / "val_1.json", split="val")
    _, r2 = build_one("activitynet", anet / "val_2.json", split="test")
    assert (r1.flagged["end_past_duration"], r2.flagged["end_past_duration"]) == (134, 111)
    _, clamped = build_one("activitynet", anet / "val_1.json", split="val", hygiene=Hygiene(clamp=True))
    assert clamped.fixed["clamped"] + clamped.skipped.get("starts_past_end", 0) == 134


def test_folder_resolves_the_split_files(anet):
    records, _ = build_one("activitynet", anet, split="test")
    direct, _ = build_one("activitynet", anet / "val_2.json", split="test")
    assert records == direct
    with pytest.raises(InputError, match="no activitynet train file"):
        build_one("activitynet", anet, split="train")


def test_grounding_variant(anet):
    records, _ = build_one("activitynet_tvg", anet / "val_1.json", split="val")
    assert records[0]["QA"][0]["a"] == "The given query happens in 0.3 - 55.1 seconds."
    assert "'A weight lifting tutorial is given'" in records[0]["QA"][0]["q"]


def test_eval_ground_truth_is_read_by_the_evaluator(anet, tmp_path):
    # docs/timeit.md §6: caption = "".join(sentences), segments = timestamps.
    result = build([SourceInput("activitynet", (anet / "val_1.json",), "val")], BuildOptions(), make_records=False)
    gt = eval_ground_truth("activitynet", result.items["activitynet"], Hygiene())
    raw = json.loads((anet / "val_1.json").read_text())
    row = gt["annotations"][0]
    assert row["image_id"] == "v_uqiMw7tQ1Cc.mp4"
    assert row["caption"] == "".join(raw["v_uqiMw7tQ1Cc"]["sentences"])
    assert row["segments"] == raw["v_uqiMw7tQ1Cc"]["timestamps"] and row["duration"] == 55.15
    path = tmp_path / "val.caption_coco_format.json"
    path.write_text(json.dumps(gt))
    assert len(load_dvc_gt(path)) == len(raw)


def test_malformed_video_names_the_line(tmp_path):
    f = tmp_path / "val_1.json"
    f.write_text('{\n "v_a": {"duration": 10, "timestamps": [[0, 1]], "sentences": ["A."]},\n'
                 ' "v_b": {"duration": 10, "timestamps": [[0, 1], [1, 2]], "sentences": ["B."]}\n}\n')
    with pytest.raises(InputError, match=r"val_1.json:3: 'v_b': 2 timestamps for 1 sentences"):
        build_one("activitynet", f, split="val")
