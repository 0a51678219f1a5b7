"""Valley instructions, passed through (already question/answer conversations).

A raw record (Valley-Instruct, a JSON list):

    {"id": "...", "source": "jukinmedia", "v_id": "...", "video": "1234567.mp4",
     "conversations": [{"from": "human", "value": "<video>\\nWhat happens in the video?"},
                       {"from": "gpt", "value": "A dog jumps into a pool."}]}

Format: https://huggingface.co/datasets/luoruipu1/Valley-Instruct-73k; TimeChat's
`utils/process_valley.py` (c60b332) pairs human/gpt turns into `{"q", "a"}` with `"<video>\\n"`
and `"\\n<video>"` removed, and names VATEX clips `{v_id}.mp4` and jukinmedia videos by `video`.
Records already in TimeChat's form (`{"video", "QA": [{"q", "a"}]}`, `instruct_valley_72k.json`)
are kept as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from timechat_core.timeit.native import JsonFile, field, find_any
from timechat_core.timeit.record import Conversation

NAME = "valley"
TASK = "conversation"
NAMES = ("instruct_valley_72k.json", "valley_instruct_73k.json", "valley_instruct_65k.json")


def find(folder: Path, split: str) -> list[tuple[Path, str]]:
    return find_any(folder, NAMES, NAME)


def read(path: Path, split: str) -> Iterator[Conversation]:
    """One `Conversation` per record.

    Raises:
        InputError: not a list of records, or turns that do not alternate human / gpt.
    """
    jf = JsonFile(path)
    if not isinstance(jf.data, list):
        raise jf.fail(None, "expected a list of conversation records")
    for i, row in enumerate(jf.data):
        key = f"[{i}]"
        if isinstance(row, dict) and "QA" in row:
            qa = []
            for turn in field(row, "QA", list, jf, key):
                if not isinstance(turn, dict) or not isinstance(turn.get("q"), str) or not isinstance(turn.get("a"), str):
                    raise jf.fail(key, "QA turns need string 'q' and 'a'", needle=f'"video": {_json(row.get("video"))}')
                qa.append((turn["q"], turn["a"]))
            yield Conversation(field(row, "video", str, jf, key), tuple(qa), jf.where(key))
            continue
        turns = field(row, "conversations", list, jf, key)
        needle = f'"id": {_json(row.get("id"))}'
        if len(turns) % 2 or not all(isinstance(t, dict) and isinstance(t.get("value"), str) for t in turns):
            raise jf.fail(key, "conversations must be human/gpt pairs of {'from', 'value'}", needle=needle)
        qa = []
        for human, gpt in zip(turns[::2], turns[1::2]):
            if human.get("from") != "human" or gpt.get("from") != "gpt":
                raise jf.fail(key, "turns must alternate 'human' then 'gpt'", needle=needle)
            q = human["value"].replace("<video>\n", "").replace("\n<video>", "")
            qa.append((q, gpt["value"]))
        if row.get("source") == "VATEX" and isinstance(row.get("v_id"), str):
            video = f"{row['v_id']}.mp4"
        else:
            video = field(row, "video", str, jf, key)
        yield Conversation(video, tuple(qa), jf.where(key))


def _json(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)
