"""YouCook2 dense captioning, from `youcookii_annotations_trainval.json`.

A raw record (`database`):

    "GLd3aX16zBg": {"duration": 241.62, "subset": "training", "recipe_type": "113",
                    "annotations": [{"segment": [90, 102], "id": 0,
                                     "sentence": "spread margarine on two slices of white bread"}, ...],
                    "video_url": "https://www.youtube.com/watch?v=GLd3aX16zBg"}

Format: http://youcook2.eecs.umich.edu/download (`youcookii_annotations_trainval.tar.gz`, its
README). `subset` is "training" or "validation"; the test annotations are not public. TimeChat
reads the same sentences through its coco file (`pure_cap` = sentences joined by ". ",
`process_dvc_data.py`, c60b332), so each sentence becomes one event, video `{id}.mp4`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from timechat_core.timeit.native import Skip, database_entries, field, seconds, sentence_text, window
from timechat_core.timeit.record import Event, Events

NAME = "youcook2"
TASK = "dvc"
FILES = {"train": ("youcookii_annotations_trainval.json",), "val": ("youcookii_annotations_trainval.json",)}
SUBSETS = {"train": ("training",), "val": ("validation",), "all": ("training", "validation"),
           "test": ("testing",)}


def read(path: Path, split: str) -> Iterator[Events | Skip]:
    """One `Events` per video of `split` (a `Skip` for videos of other subsets).

    Raises:
        InputError: no `database` object, or a malformed video entry.
    """
    return database_entries(path, SUBSETS[split], _video)


def _video(jf, vid: str, ann: dict, fail) -> Events:
    duration = seconds(field(ann, "duration", (int, float), jf, vid), fail)
    events, sentences = [], []
    for seg in field(ann, "annotations", list, jf, vid):
        s, e = window(field(seg, "segment", list, jf, vid), fail)
        sentence = field(seg, "sentence", str, jf, vid)
        sentences.append(sentence)
        events.append(Event(s, e, sentence_text(sentence)))
    return Events(f"{vid}.mp4", tuple(events), jf.where(vid), duration, id=vid, captions=tuple(sentences))
