"""YouCook2 on the real trainval annotations, and its eval GT against TimeIT's own file."""

import json

import pytest

from tests.core.timeit.helpers import build_one
from timechat_core.errors import InputError
from timechat_core.timeit.build import BuildOptions, SourceInput, build
from timechat_core.timeit.eval_format import eval_ground_truth
from timechat_core.timeit.hygiene import Hygiene


@pytest.fixture(scope="module")
def yc2(datadir):
    return datadir / "youcook2"


def test_glD3aX16zBg_sentences(yc2):
    # docs/timeit.md §7: the released TimeIT line of GLd3aX16zBg has these sentences (its trailing
    # space came from an older release without rstrip; the shipped script rstrips).
    records, report = build_one("youcook2", yc2 / "youcookii_annotations_trainval.json")
    rec = next(r for r in records if r["video"] == "youcook2/GLd3aX16zBg.mp4")
    assert rec["QA"][0]["a"] == (
        "90.0 - 102.0 seconds, spread margarine on two slices of white bread.  "
        "114.0 - 127.0 seconds, place a slice of cheese on the bread.  "
        "132.0 - 138.0 seconds, place the bread slices on top of each other and place in a hot pan.  "
        "139.0 - 145.0 seconds, flip the sandwich over and press down.  "
        "173.0 - 174.0 seconds, cut the sandwich in half diagonally.")
    assert report.skipped["not_in_split"] == 457  # docs/timeit.md §8: 457 val videos


def test_splits(yc2):
    val, _ = build_one("youcook2", yc2, split="val")
    both, report = build_one("youcook2", yc2, split="all")
    assert len(val) == 457 and report.read == len(both) and not report.skipped
    with pytest.raises(InputError, match="no 'test' split"):
        build_one("youcook2", yc2, split="test")


def test_eval_ground_truth_matches_timechat_file(yc2, datadir):
    # TimeIT's val GT (415 available videos): pure_cap = ". ".join(sentences), native segments.
    result = build([SourceInput("youcook2", (yc2,), "val")], BuildOptions(), make_records=False)
    gt = {r["image_id"]: r for r in eval_ground_truth("youcook2", result.items["youcook2"], Hygiene())["annotations"]}
    ref = json.loads((datadir / "timechat_metrics" / "dvc" / "example_gt_file.json").read_text())
    for row in ref["annotations"]:
        ours = gt[row["image_id"]]
        assert (ours["pure_cap"], ours["segments"]) == (row["pure_cap"], row["segments"])
    assert len(gt) == 457
