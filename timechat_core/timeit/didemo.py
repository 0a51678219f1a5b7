"""DiDeMo temporal grounding, from `{train,val,test}_data.json`.

A raw record (a JSON list of these):

    {"annotation_id": 12345, "description": "the cat jumps onto the table",
     "video": "10015567@N08_3655084291_d8b58466fa.mov", "times": [[3, 3], [3, 4], [3, 3], [2, 3]],
     "download_link": "https://...", "num_segments": 6}

Format: https://github.com/LisaAnne/LocalizingMoments/blob/master/data/README.md (17ae517): each
video is cut into 5-s chunks; `times` holds one `[first chunk, last chunk]` pair per annotator, and
(3, 4) means 15 - 25 s.

TimeChat (`process_grounding_data.py`, didemo branch, c60b332) reads a converted file with one
window per description and answers `f"{s * 5} - {(e + 1) * 5} seconds."`; the query is the
description cleaned by `filter_sent` (spaces stripped, "#" removed) and single-quoted. Which of the
annotators' windows it used is not shipped; here it is the most frequent pair (the first one on a
tie), DiDeMo's usual consensus. The video is the file name with its extension replaced by `.mp4`
(the AWS copies are mp4).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from timechat_core.timeit.native import JsonFile, field, strip_ext, window
from timechat_core.timeit.record import Grounding

NAME = "didemo"
TASK = "tvg"
CHUNK_SECONDS = 5
FILES = {"train": ("train_data.json",), "val": ("val_data.json",), "test": ("test_data.json",)}


def read(path: Path, split: str) -> Iterator[Grounding]:
    """One `Grounding` per description (times in chunk units).

    Raises:
        InputError: not a list of DiDeMo records, or a record without description, video or times.
    """
    jf = JsonFile(path)
    if not isinstance(jf.data, list):
        raise jf.fail(None, "expected a list of DiDeMo annotations")
    for i, row in enumerate(jf.data):
        key = row.get("annotation_id", f"[{i}]") if isinstance(row, dict) else f"[{i}]"
        if not isinstance(row, dict) or not all(k in row for k in ("description", "video", "times")):
            raise jf.fail(key, "needs 'description', 'video' and 'times'", needle=f'"annotation_id": {key}')
        desc = field(row, "description", str, jf, key)
        video = field(row, "video", str, jf, key)
        times = field(row, "times", list, jf, key)
        if not times:
            raise jf.fail(key, "'times' is empty")
        pairs = [window(t, lambda m, key=key: jf.fail(key, m)) for t in times]
        counts = Counter(pairs)
        start, end = max(pairs, key=lambda p: (counts[p], -pairs.index(p)))
        yield Grounding(f"{strip_ext(video)}.mp4", desc.strip(" ").replace("#", ""), int(start), int(end),
                        f"{path}: annotation_id {key!r}", units=CHUNK_SECONDS, caption=desc,
                        id=row.get("annotation_id"))
