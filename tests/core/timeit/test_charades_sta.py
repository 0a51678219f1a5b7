"""Charades-STA on the real annotation files: the known TimeIT line, the data problems, eval GT."""

import json

import pytest

from tests.core.timeit.helpers import build_one, question
from timechat_core.errors import InputError
from timechat_core.timeit.build import BuildOptions, SourceInput, build
from timechat_core.timeit.eval_format import eval_ground_truth
from timechat_core.timeit.hygiene import Hygiene
from timechat_core.timeit.templates import load_templates


@pytest.fixture(scope="module")
def charades(datadir):
    return datadir / "charades_sta"


def test_known_timeit_line_ao8rw(charades):
    # docs/timeit.md §7 (checks against released lines): Charades AO8RW, line 1 of train.
    records, _ = build_one("charades", charades / "charades_sta_train.txt")
    first = records[0]
    assert first["video"] == "charades/AO8RW.mp4"
    assert first["QA"][0]["a"] == "The given query happens in 0.0 - 6.9 seconds."
    assert "'a person is putting a book on a shelf'" in question(first)
    assert first["source"] == "charades" and first["task"] == "tvg"
    filled = {t.text.replace("<query_placeholder>", "'a person is putting a book on a shelf'").rstrip()
              for t in load_templates("tvg")}
    assert question(first) in filled
    assert first["template"] in {t.id for t in load_templates("tvg")}


def test_times_are_the_raw_strings(charades):
    records, _ = build_one("charades", charades / "charades_sta_train.txt")
    lines = (charades / "charades_sta_train.txt").read_text().splitlines()
    # Line 2, "Y6R7T 20.8 30.0##person begins to play on a phone.": raw strings, period stripped.
    assert lines[1].startswith("Y6R7T 20.8 30.0##")
    assert records[1]["QA"][0]["a"] == "The given query happens in 20.8 - 30.0 seconds."
    assert "'person begins to play on a phone'" in question(records[1])


def test_data_problems_are_counted(charades):
    # tests/data/README.md: 4 train rows with start > end; ends past `length`: 1805 train, 562 test.
    records, report = build_one("charades", charades / "charades_sta_train.txt")
    assert report.fixed["swapped"] == 4
    assert report.flagged["end_past_duration"] == 1805
    assert report.read == 12408 and report.written == len(records)
    leol6 = [r for r in records if r["video"].endswith("LEOL6.mp4")]
    assert any(r["QA"][0]["a"] == "The given query happens in 7.0 - 8.0 seconds." for r in leol6)
    _, test_report = build_one("charades", charades / "charades_sta_test.txt", split="test")
    assert test_report.flagged["end_past_duration"] == 562


def test_reversed_policies(charades):
    train = charades / "charades_sta_train.txt"
    _, dropped = build_one("charades", train, hygiene=Hygiene(reversed="drop"))
    assert dropped.skipped["reversed"] == 4
    kept, report = build_one("charades", train, hygiene=Hygiene(reversed="keep"))
    assert report.flagged["reversed"] == 4
    assert any(r["QA"][0]["a"] == "The given query happens in 8.0 - 7.0 seconds." for r in kept)


def test_clamp_rewrites_the_end_to_the_duration(charades):
    records, report = build_one("charades", charades / "charades_sta_test.txt", split="test",
                                hygiene=Hygiene(clamp=True))
    assert report.fixed["clamped"] + report.skipped.get("starts_past_end", 0) == 562
    assert "end_past_duration" not in report.flagged


def test_eval_ground_truth_equals_timechat_file(charades, datadir):
    # TimeChat's coco GT of Charades-STA test (ids = 0-based line index), reproduced exactly.
    result = build([SourceInput("charades", (charades,), "test")], BuildOptions(), make_records=False)
    gt = eval_ground_truth("charades", result.items["charades"], Hygiene())
    expected = json.loads((datadir / "timechat_metrics" / "tvg" / "example_gt_file.json").read_text())
    assert gt == expected


def test_malformed_line_names_file_and_line(tmp_path):
    bad = tmp_path / "charades_sta_train.txt"
    bad.write_text("AO8RW 0.0 6.9##a person is putting a book on a shelf.\nY6R7T 20.8##no end time\n")
    with pytest.raises(InputError, match=r"charades_sta_train.txt:2: expected 'VID start end##sentence'"):
        build_one("charades", bad)
    bad.write_text("AO8RW 0.0 x##a person.\n")
    with pytest.raises(InputError, match=r"charades_sta_train.txt:1: time 'x' is not a number"):
        build_one("charades", bad)


def test_short_captions_and_duplicates(tmp_path):
    f = tmp_path / "charades_sta_train.txt"
    f.write_text("AAAAA 1.0 2.0##a\nAAAAA 1.0 2.0##person opens a door.\nAAAAA 1.0 2.0##person opens a door.\n")
    records, report = build_one("charades", f)
    assert len(records) == 1
    assert report.skipped == {"short_caption": 1, "duplicate": 1}
    kept, _ = build_one("charades", f, hygiene=Hygiene(dedup=False))
    assert len(kept) == 2
