"""Valley pass-through from Valley-Instruct records and TimeChat's converted form."""

import json

import pytest

from tests.core.timeit.helpers import build_one
from timechat_core.errors import InputError


def test_conversations_become_qa(tmp_path):
    rows = [{"id": "1", "source": "jukinmedia", "v_id": "x", "video": "1234.mp4",
             "conversations": [{"from": "human", "value": "<video>\nWhat happens?"},
                               {"from": "gpt", "value": "A dog jumps."},
                               {"from": "human", "value": "Why?\n<video>"}, {"from": "gpt", "value": "Fun."}]},
            {"id": "2", "source": "VATEX", "v_id": "abc_000010_000020", "video": "abc.mp4",
             "conversations": [{"from": "human", "value": "Describe."}, {"from": "gpt", "value": "A cat."}]},
            {"video": "done.mp4", "QA": [{"q": "q?", "a": "a."}]}]
    f = tmp_path / "valley.json"
    f.write_text(json.dumps(rows))
    records, _ = build_one("valley", f, video_dir="")
    assert records[0]["QA"] == [{"q": "What happens?", "a": "A dog jumps."}, {"q": "Why?", "a": "Fun."}]
    assert [r["video"] for r in records] == ["1234.mp4", "abc_000010_000020.mp4", "done.mp4"]
    assert records[0]["source"] == "valley" and records[0]["template"] == "conversation/native"


def test_bad_turn_order(tmp_path):
    f = tmp_path / "valley.json"
    f.write_text(json.dumps([{"id": "9", "video": "v.mp4", "conversations": [
        {"from": "gpt", "value": "a"}, {"from": "human", "value": "q"}]}]))
    with pytest.raises(InputError, match="valley.json:1: '\\[0\\]': turns must alternate"):
        build_one("valley", f)
