"""QuerYD from small pickles in the release layout (QuerYD_downloader README)."""

import json
import os
import pickle

import pytest

from tests.core.timeit.helpers import answers, build_one, question
from timechat_core.errors import InputError
from timechat_core.timeit.templates import load_templates


@pytest.fixture()
def queryd(tmp_path):
    caps = {"video-aaa": [["a", "man", "walks", "in."], ["he", "sits"]],
            "video-bbb": [["too", "long"]]}
    times = {"video-aaa": [[1.23, 4.56], [7.0, 7.04]], "video-bbb": [[0.0, 301.0]]}
    (tmp_path / "raw_captions_combined_filtered.pkl").write_bytes(pickle.dumps(caps))
    (tmp_path / "times_captions_combined_filtered.pkl").write_bytes(pickle.dumps(times))
    (tmp_path / "exists_train_list.txt").write_text("video-aaa\nvideo-bbb\n")
    return tmp_path


def test_grounding_rules(queryd):
    records, report = build_one("queryd", queryd)
    assert answers(records) == ["The given query happens in 1.2 - 4.6 seconds.",
                                "The given query happens in 7.0 seconds."]
    assert "'a man walks in'" in question(records[0])
    assert records[0]["video"] == "queryd/video-aaa.mp4"
    # a zero-length window gets a template without "end" (the reference's intent)
    no_end = {t.id for t in load_templates("tvg") if "end" not in t.text}
    assert records[1]["template"] in no_end
    assert report.skipped["video_too_long"] == 1


def test_dvc_variant(queryd):
    records, _ = build_one("queryd_dvc", queryd)
    assert answers(records) == ["1.2 - 4.6 seconds, a man walks in..  7.0 - 7.0 seconds, he sits."]


def test_split_list(queryd):
    (queryd / "exists_val_list.txt").write_text("video-zzz\n")
    records, report = build_one("queryd", queryd, split="val")
    assert records == [] and report.skipped["not_in_split"] == 2


def test_json_copies_work(queryd):
    for name in ("raw_captions", "times_captions"):
        data = pickle.loads((queryd / f"{name}_combined_filtered.pkl").read_bytes())
        (queryd / f"{name}_combined_filtered.json").write_text(json.dumps(data))
        os.remove(queryd / f"{name}_combined_filtered.pkl")
    records, _ = build_one("queryd", queryd)
    assert len(records) == 2


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_pickles_with_objects_are_refused(queryd):
    (queryd / "raw_captions_combined_filtered.pkl").write_bytes(pickle.dumps({"video-aaa": Evil()}))
    with pytest.raises(InputError, match="not a pickle of plain dicts and lists"):
        build_one("queryd", queryd)
