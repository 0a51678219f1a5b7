"""Multi-turn packing on the real Charades-STA train file: every question kept once, per video."""

from collections import Counter

import pytest

from tests.core.timeit.helpers import build_one
from timechat_core.timeit.pack import pack_turns


@pytest.fixture(scope="module")
def charades_records(datadir):
    records, _ = build_one("charades", datadir / "charades_sta" / "charades_sta_train.txt")
    return records


def _turns(records):
    return Counter((r["video"], qa["q"], qa["a"]) for r in records for qa in r["QA"])


def test_every_question_once_in_its_videos_records(charades_records):
    packed = pack_turns(charades_records, max_turns=3, seed=0)
    assert _turns(packed) == _turns(charades_records)
    per_video = Counter(r["video"] for r in charades_records)
    assert max(per_video.values()) > 3  # the file has videos with more queries than one record takes
    for video, n in per_video.items():
        mine = [r for r in packed if r["video"] == video]
        assert len(mine) == -(-n // 3)
        sizes = [len(r["QA"]) for r in mine]
        assert max(sizes) <= 3 and max(sizes) - min(sizes) <= 1
    assert len(packed) < len(charades_records)
    assert all(len(r["template"]) == len(r["QA"]) and r["task"] == "tvg" for r in packed if len(r["QA"]) > 1)


def test_seeded_order_and_passthrough(charades_records):
    a = pack_turns(charades_records, 4, seed=0)
    assert a == pack_turns(charades_records, 4, seed=0)
    b = pack_turns(charades_records, 4, seed=1)
    assert _turns(a) == _turns(b) and [r["QA"] for r in a] != [r["QA"] for r in b]
    # another task named: nothing packed; one turn per record: nothing packed either
    assert pack_turns(charades_records, 4, tasks=("vhd",)) == charades_records
    assert pack_turns(charades_records, 1) == charades_records
    with pytest.raises(ValueError, match="max_turns"):
        pack_turns(charades_records, 0)
