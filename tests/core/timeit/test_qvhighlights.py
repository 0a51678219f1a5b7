"""QVHighlights on the real moment_detr files: qid 9769, the TimeIT line docs/timeit.md §7 checks."""

import json

import pytest

from tests.core.timeit.helpers import build_one, question
from timechat_core.errors import InputError


@pytest.fixture(scope="module")
def train(datadir):
    return datadir / "qvhighlights" / "highlight_train_release.jsonl"


def _row(path, qid):
    for line in path.read_text().splitlines():
        row = json.loads(line)
        if row["qid"] == qid:
            return row
    raise AssertionError(qid)


def test_qid_9769_answer(train):
    # metrics.md §4: the 29-moment answer of qid 9769 is reproduced byte for byte by the rule
    # "times = str(round(cid * 2.0, 1)), scores = str(round(mean of the 3 raters, 1))".
    records, report = build_one("qvhighlights", train)
    rec = next(r for r in records if r["video"] == "qvhighlights/j7rJstUseKg_360.0_510.0.mp4"
               and "military patriots" in question(r))
    row = _row(train, 9769)
    times = ", ".join(str(round(c * 2.0, 1)) for c in row["relevant_clip_ids"])
    scores = ", ".join(str(round(sum(s) / len(s), 1)) for s in row["saliency_scores"])
    expected = f"There are 29 highlight moments in the {times} second. Their saliency scores are {scores}."
    assert rec["QA"][0]["a"] == expected
    assert expected.startswith("There are 29 highlight moments in the 72.0, 74.0, 76.0, 78.0, 80.0, 84.0,")
    assert expected.endswith("144.0 second. Their saliency scores are 3.0, 2.7, 3.7, 2.3, 2.7, 2.7, 2.7, 2.7, "
                             "2.3, 2.7, 3.7, 3.3, 3.3, 3.7, 3.0, 2.3, 3.0, 2.3, 2.3, 2.3, 2.3, 3.0, 3.7, 2.7, "
                             "2.3, 2.3, 2.3, 2.3, 2.3.")
    assert "'some military patriots takes us through their safety procedures and measures.'" in question(rec)
    assert report.read == len(records) == 7218


def test_test_release_without_labels_is_skipped(tmp_path):
    f = tmp_path / "highlight_test_release.jsonl"
    f.write_text('{"qid": 1, "query": "a dog runs.", "duration": 150, "vid": "abc_0.0_150.0"}\n')
    records, report = build_one("qvhighlights", f)
    assert records == [] and report.skipped["no_labels"] == 1


def test_mismatched_lists_name_the_line(tmp_path):
    f = tmp_path / "q.jsonl"
    f.write_text('{"qid": 1, "query": "q", "duration": 150, "vid": "v", "relevant_clip_ids": [1, 2],'
                 ' "saliency_scores": [[1, 2, 3]]}\n')
    with pytest.raises(InputError, match=r"q.jsonl:1: relevant_clip_ids and saliency_scores"):
        build_one("qvhighlights", f)
