"""COIN from a file in the release format (the README example of coin-dataset/annotations)."""

import json

from tests.core.timeit.helpers import answers, build_one

ENTRY = {"duration": 131.0309, "class": "ReplaceCDDriveWithSSD", "video_url": "https://www.youtube.com/embed/LtRSn-ntcLY",
         "start": 56.640895694775196, "subset": "training", "end": 85.714362947023, "recipe_type": 131,
         "annotation": [{"id": "212", "segment": [60.0, 69.0], "label": "take out the laptop CD drive"},
                        {"id": "216", "segment": [71.0, 82.0],
                         "label": "insert the hard disk tray into the position of the CD drive"}]}


def test_steps_and_class_folders(tmp_path):
    test_entry = dict(ENTRY, subset="testing")
    (tmp_path / "COIN.json").write_text(json.dumps({"database": {"LtRSn-ntcLY": ENTRY, "other": test_entry}}))
    records, report = build_one("coin", tmp_path)
    assert records[0]["video"] == "coin/131/LtRSn-ntcLY.mp4"
    assert answers(records) == ["60.0 - 69.0 seconds, take out the laptop CD drive.  71.0 - 82.0 seconds, "
                                "insert the hard disk tray into the position of the CD drive."]
    assert records[0]["task"] == "step" and report.skipped["not_in_split"] == 1
    test_records, _ = build_one("coin", tmp_path, split="test")
    assert [r["video"] for r in test_records] == ["coin/131/other.mp4"]
