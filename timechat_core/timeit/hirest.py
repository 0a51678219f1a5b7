"""HiREST grounding (`hirest`) and step localization (`hirest_step`), from `all_data_{split}.json`.

A raw record (query -> video -> annotation):

    "Make Oatmeal Pancake Mix": {"5V3dI2zp1xA.mp4": {"relevant": true, "clip": true, "v_duration": 207.08,
        "bounds": [50, 121],
        "steps": [{"index": 0, "heading": "take grinned oats flour", "absolute_bounds": [50, 58]}, ...]}}

Format: https://github.com/j-min/HiREST (`data/splits/all_data_val.json` at e8d6e2f). TimeChat's
`utils/process_hirest.py` (c60b332) keeps videos with `relevant`, `clip` and at least one step;
grounding: the query is the key (single-quoted), the window is `bounds`, video `{video}`;
steps: the clip `{stem}_{b0}_{b1}.mp4` (cut from the video by `-ss b0 -to b1`), each step at
`absolute_bounds - b0`, its text the heading with "#" removed and spaces kept
(`process_action_data.py`'s `filter_sent`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from timechat_core.timeit.native import JsonFile, Skip, field, label_text, seconds, strip_ext, window
from timechat_core.timeit.record import Event, Events, Grounding

NAME = "hirest"
TASK = "tvg"
FILES = {"train": ("all_data_train.json",), "val": ("all_data_val.json",), "test": ("all_data_test.json",)}


def read(path: Path, split: str, task: str = "tvg") -> Iterator[Grounding | Events | Skip]:
    """One item per (query, video) pair with a clip and steps.

    Raises:
        InputError: not a query -> video -> annotation mapping, or a malformed annotation.
    """
    jf = JsonFile(path)
    if not isinstance(jf.data, dict):
        raise jf.fail(None, "expected {query: {video: annotation}}")
    for query, videos in jf.data.items():
        if not isinstance(videos, dict):
            raise jf.fail(query, "expected {video: annotation}")
        for video, ann in videos.items():
            where = jf.where(f"{query} / {video}")

            def fail(m, video=video):
                return jf.fail(video, m)

            if not field(ann, "relevant", bool, jf, video) or not field(ann, "clip", bool, jf, video):
                yield Skip("not_relevant_or_no_clip", where)
                continue
            steps = field(ann, "steps", list, jf, video)
            if not steps:
                yield Skip("no_steps", where)
                continue
            b0, b1 = window(field(ann, "bounds", list, jf, video), fail)
            duration = seconds(field(ann, "v_duration", (int, float), jf, video), fail)
            if task == "tvg":
                yield Grounding(video, query, b0, b1, where, duration, id=None)
                continue
            raw = ann["bounds"]
            events = []
            for step in steps:
                s, e = window(field(step, "absolute_bounds", list, jf, video), fail)
                events.append(Event(s - b0, e - b0, label_text(field(step, "heading", str, jf, video))))
            yield Events(f"{strip_ext(video)}_{raw[0]}_{raw[1]}.mp4", tuple(events), where, b1 - b0,
                         id=f"{strip_ext(video)}_{raw[0]}_{raw[1]}")
