"""COIN step localization, from `COIN.json`.

A raw record (`database`):

    "LtRSn-ntcLY": {"duration": 131.0309, "class": "ReplaceCDDriveWithSSD", "recipe_type": 131,
                    "subset": "training", "start": 56.64, "end": 85.71,
                    "video_url": "https://www.youtube.com/embed/LtRSn-ntcLY",
                    "annotation": [{"id": "212", "segment": [60.0, 69.0], "label": "take out the laptop CD drive"}, ...]}

Format: https://github.com/coin-dataset/annotations (README, 4450e37); its `download_videos.py`
saves videos as `{recipe_type}/{id}.mp4`, which is the video path here (TimeChat's ASR looks for
the same class folders). `subset` is "training" or "testing" ("validation" is read as test).
Answers as TimeChat's `process_action_data.py` (c60b332): one step per annotation, its label with
"#" removed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from timechat_core.timeit.native import Skip, database_entries, field, label_text, seconds, window
from timechat_core.timeit.record import Event, Events

NAME = "coin"
TASK = "step"
FILES = {"train": ("COIN.json",), "val": ("COIN.json",), "test": ("COIN.json",)}
SUBSETS = {"train": ("training",), "val": ("validation",), "test": ("testing", "validation"),
           "all": ("training", "testing", "validation")}


def read(path: Path, split: str) -> Iterator[Events | Skip]:
    """One `Events` per video of `split`.

    Raises:
        InputError: no `database` object, or a malformed video entry.
    """
    return database_entries(path, SUBSETS[split], _video)


def _video(jf, vid: str, ann: dict, fail) -> Events:
    events = []
    for step in field(ann, "annotation", list, jf, vid):
        s, e = window(field(step, "segment", list, jf, vid), fail)
        events.append(Event(s, e, label_text(field(step, "label", str, jf, vid))))
    duration = seconds(ann["duration"], fail) if "duration" in ann else None
    return Events(f"{field(ann, 'recipe_type', (int, str), jf, vid)}/{vid}.mp4", tuple(events), jf.where(vid),
                  duration, id=vid)
