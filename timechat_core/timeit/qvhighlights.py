"""QVHighlights highlight detection, from `highlight_{train,val}_release.jsonl`.

A raw record (moment_detr format, one JSON object per line):

    {"qid": 9769, "query": "some military patriots takes us through their safety procedures and measures.",
     "duration": 150, "vid": "j7rJstUseKg_360.0_510.0", "relevant_clip_ids": [36, 37, ...],
     "saliency_scores": [[4, 3, 2], [4, 1, 3], ...], "relevant_windows": [[72, 82], ...]}

Format: https://github.com/jayleicn/moment_detr/blob/main/data/README.md. TimeChat's
`process_highlight_data.py` (c60b332): clip `cid` is at `round(cid * 2.0, 1)` s, its score is the
mean of the three raters rounded to 1 decimal, the query is single-quoted as is. The video is
`{vid}.mp4` (the moment_detr video release; TimeIT's own copies are named `v_{vid}.mp4`). Rows
without labels (the public test release) are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from timechat_core.errors import InputError
from timechat_core.fileio import read_jsonl_located
from timechat_core.timeit.native import Skip, seconds
from timechat_core.timeit.record import Highlights

NAME = "qvhighlights"
TASK = "vhd"
FILES = {"train": ("highlight_train_release.jsonl",), "val": ("highlight_val_release.jsonl",),
         "test": ("highlight_test_with_gt.jsonl",)}


def read(path: Path, split: str) -> Iterator[Highlights | Skip]:
    """One `Highlights` per query.

    Raises:
        InputError: a line that is not a moment_detr row (file and line named).
    """
    for where, row in read_jsonl_located(path):
        def fail(m, where=where):
            return InputError(f"{where}: {m}")

        if not isinstance(row, dict) or not all(k in row for k in ("qid", "query", "vid")):
            raise fail("expected a moment_detr row with qid, query, vid")
        if "saliency_scores" not in row or "relevant_clip_ids" not in row:
            yield Skip("no_labels", where)
            continue
        clip_ids, scores = row["relevant_clip_ids"], row["saliency_scores"]
        if not isinstance(clip_ids, list) or not isinstance(scores, list) or len(clip_ids) != len(scores):
            raise fail("relevant_clip_ids and saliency_scores must be lists of the same length")
        if not all(isinstance(c, int) and c >= 0 for c in clip_ids):
            raise fail("relevant_clip_ids must be non-negative integers")
        if not all(isinstance(s, list) and s and all(isinstance(x, (int, float)) for x in s) for s in scores):
            raise fail("saliency_scores must be non-empty lists of numbers")
        if not isinstance(row["query"], str):
            raise fail("query must be a string")
        duration = seconds(row["duration"], fail) if "duration" in row else None
        yield Highlights(f"{row['vid']}.mp4", row["query"], tuple(clip_ids), tuple(tuple(s) for s in scores),
                         where, duration, id=row["qid"])
