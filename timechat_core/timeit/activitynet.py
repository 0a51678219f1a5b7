"""ActivityNet Captions dense captioning (and grounding), from `train.json` / `val_1.json` / `val_2.json`.

A raw record (`val_1.json`):

    "v_uqiMw7tQ1Cc": {"duration": 55.15, "timestamps": [[0.28, 55.15], [13.79, 54.32]],
                      "sentences": ["A weight lifting tutorial is given.",
                                    "  The coach helps the guy in red with the proper body placement and lifting technique."]}

Format: https://cs.stanford.edu/people/ranjaykrishna/densevid/ (the release's `captions.zip`);
TimeChat maps train/val/test to train.json/val_1.json/val_2.json (`utils/get_coco_format.py`,
c60b332). The same layout is used by `youcook2/yc2_{train,val}.json`, which this adapter also reads.

Reference rules kept: each sentence loses its period and surrounding spaces, empty ones are skipped;
the video is `{id}.mp4`. Grounding (`activitynet_tvg`) makes one query per sentence.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from timechat_core.timeit.native import JsonFile, field, seconds, sentence_text, window
from timechat_core.timeit.record import Event, Events, Grounding

NAME = "activitynet"
TASK = "dvc"
FILES = {"train": ("train.json",), "val": ("val_1.json",), "test": ("val_2.json",)}


def read(path: Path, split: str, task: str = "dvc") -> Iterator[Events | Grounding]:
    """One `Events` per video (`task="dvc"`), or one `Grounding` per sentence (`task="tvg"`).

    Raises:
        InputError: not an object of videos, or a video without matching timestamps and sentences.
    """
    jf = JsonFile(path)
    if not isinstance(jf.data, dict):
        raise jf.fail(None, "expected an object mapping video ids to annotations")
    for vid, ann in jf.data.items():
        duration = seconds(field(ann, "duration", (int, float), jf, vid), lambda m, vid=vid: jf.fail(vid, m))
        stamps = field(ann, "timestamps", list, jf, vid)
        sentences = field(ann, "sentences", list, jf, vid)
        if len(stamps) != len(sentences):
            raise jf.fail(vid, f"{len(stamps)} timestamps for {len(sentences)} sentences")
        events = []
        for stamp, sentence in zip(stamps, sentences):
            if not isinstance(sentence, str):
                raise jf.fail(vid, f"sentence {sentence!r:.40} is not a string")
            s, e = window(stamp, lambda m, vid=vid: jf.fail(vid, m))
            events.append(Event(s, e, sentence_text(sentence)))
        where = jf.where(vid)
        if task == "tvg":
            for ev, sentence in zip(events, sentences):
                yield Grounding(f"{vid}.mp4", ev.text.replace("#", ""), ev.start, ev.end, where, duration,
                                caption=sentence, id=vid)
        else:
            yield Events(f"{vid}.mp4", tuple(events), where, duration, id=vid,
                         captions=tuple(sentences))
