"""Multi-turn packing: a video's single-question records of one task as conversations.

TimeIT holds one question per record for grounding and highlights (Charades-STA has several queries
per video, so several records share a video). Training on a record costs one pass of the frame
encoder per record, whatever its length; packing the questions of one (video, task) into one
conversation of up to `max_turns` turns gives the frame encoder's work to every answer of the video.
The trainer already learns from every answer of a conversation (`preprocess_for_llama_v2` masking),
as the reference does for Valley. The first turn is the one asked as at inference; the turn order is
shuffled with the seed, so each question leads in some record when a set is packed with several seeds.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence


def pack_turns(records: Iterable[dict], max_turns: int, seed: int = 0,
               tasks: Sequence[str] | None = None) -> list[dict]:
    """The records with each (video, task) group's turns packed into records of <= `max_turns` turns.

    Records of other tasks (`tasks` None packs every task) and lone records pass through unchanged.
    A packed record keeps the first record's other fields; its "template" becomes the list of the
    packed records' templates. Groups stay in the order of their first record; a group of n turns
    becomes ceil(n / max_turns) records of near-equal size.
    """
    if max_turns < 1:
        raise ValueError(f"max_turns must be >= 1, not {max_turns}")
    rng = random.Random(f"timechat-pack/{seed}")
    groups: dict[tuple, list[dict]] = defaultdict(list)
    order: list[tuple] = []
    for i, rec in enumerate(records):
        key = (rec["video"], rec.get("task")) if tasks is None or rec.get("task") in tasks else ("", i)
        if key not in groups:
            order.append(key)
        groups[key].append(rec)
    out = []
    for key in order:
        group = groups[key]
        if len(group) == 1 or max_turns == 1:
            out.extend(group)
            continue
        turns = [(qa, rec) for rec in group for qa in rec["QA"]]
        rng.shuffle(turns)
        n = -(-len(turns) // max_turns)
        at = 0
        for k in range(n):
            size = len(turns) // n + (k < len(turns) % n)
            chunk, at = turns[at:at + size], at + size
            if len(chunk) == 1 and len(chunk[0][1]["QA"]) == 1:
                out.append(chunk[0][1])
                continue
            rec = {**group[0], "QA": [qa for qa, _ in chunk]}
            if "template" in group[0]:
                rec["template"] = [r.get("template") for _, r in chunk]
            out.append(rec)
    return out
