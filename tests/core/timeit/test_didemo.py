"""DiDeMo from a small file in the LocalizingMoments release format."""

import json

import pytest

from tests.core.timeit.helpers import answers, build_one, question
from timechat_core.errors import InputError


def test_five_second_units_and_consensus(tmp_path):
    rows = [
        # README: (3, 4) is 15 - 25 s; the most frequent annotator pair wins.
        {"annotation_id": 1, "description": "the cat jumps onto the table ", "video": "1234@N0_567_abc.mov",
         "times": [[3, 4], [3, 3], [3, 4], [2, 4]], "download_link": "", "num_segments": 6},
        {"annotation_id": 2, "description": "a # dog", "video": "1234@N0_567_abc.mov",
         "times": [[0, 0], [1, 1]], "download_link": "", "num_segments": 6},
    ]
    (tmp_path / "train_data.json").write_text(json.dumps(rows))
    records, _ = build_one("didemo", tmp_path)
    assert answers(records) == ["The given query happens in 15 - 25 seconds.",
                                "The given query happens in 0 - 5 seconds."]
    assert records[0]["video"] == "didemo/1234@N0_567_abc.mp4"
    assert "'the cat jumps onto the table'" in question(records[0])
    assert "'a  dog'" in question(records[1])


def test_missing_times_names_the_line(tmp_path):
    (tmp_path / "val_data.json").write_text('[\n {"annotation_id": 7, "description": "x y", "video": "a.mov",\n'
                                             '  "times": [[1, 2]]},\n {"annotation_id": 8, "video": "b.mov"}\n]\n')
    with pytest.raises(InputError, match=r"val_data.json:4: 8: needs 'description', 'video' and 'times'"):
        build_one("didemo", tmp_path, split="val")


def test_chunk_windows_against_the_duration():
    # README: for a 28.2-s video, (5, 5) is 25 s to min(30, 28.2) s.
    from timechat_core.timeit.build import clean_grounding
    from timechat_core.timeit.hygiene import Hygiene, SourceReport
    from timechat_core.timeit.record import Grounding, grounding_answer

    g = Grounding("v.mp4", "q", 5, 5, "here", duration=28.2, units=5)
    report = SourceReport("didemo")
    kept = clean_grounding(g, Hygiene(), report)
    assert grounding_answer(kept) == "The given query happens in 25 - 30 seconds."
    assert report.flagged["end_past_duration"] == 1
    clamped = clean_grounding(g, Hygiene(clamp=True), report)
    assert grounding_answer(clamped) == "The given query happens in 25.0 - 28.2 seconds."
    swapped = clean_grounding(Grounding("v.mp4", "q", 3, 1, "here", units=5), Hygiene(), report)
    assert grounding_answer(swapped) == "The given query happens in 5 - 20 seconds."
