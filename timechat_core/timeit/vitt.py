"""ViTT (Video Timeline Tags) start-time-only dense captioning, from `ViTT-annotations.json`.

A raw record (one JSON object per line; timestamps are the section starts in milliseconds):

    {"id": "FmTp", "annotations": [{"timestamp": 260, "tag": "Opening"},
                                   {"timestamp": 16000, "tag": "Displaying technique"}, ...]}

Format: https://github.com/google-research-datasets/Video-Timeline-Tags-ViTT (README at a649b68),
with the split lists `train_id.txt`, `dev_id.txt`, `test_id.txt` (val = dev). `id` is the
YouTube-8M id; the video is `{id}.mp4`.

TimeChat's `process_dvc_data.py` (vitt branch, c60b332) reads a converted file of
`[start seconds, caption]` pairs and answers `f"{round(s, 1)} seconds, {tag}. "` per tag, tags
cleaned by `filter_sent` ("#" removed, shorter than 2 characters skipped). A video annotated by
several raters (dev/test) gives one record per rater; identical annotations are duplicates.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from timechat_core.errors import InputError
from timechat_core.fileio import read_json, read_jsonl_located
from timechat_core.timeit.native import Skip, find_any, label_text, read_ids, seconds
from timechat_core.timeit.record import Event, Events

NAME = "vitt"
TASK = "dvc_start"
ANNOTATIONS = "ViTT-annotations.json"
SPLIT_LISTS = {"train": "train_id.txt", "val": "dev_id.txt", "test": "test_id.txt"}


def find(folder: Path, split: str) -> list[tuple[Path, str]]:
    return [(p, split) for p, _ in find_any(folder, (ANNOTATIONS,), NAME)]


def read(path: Path, split: str) -> Iterator[Events | Skip]:
    """One `Events` per annotation of a video in `split` (the split lists beside the file decide;
    without them every annotation is used).

    Raises:
        InputError: a record without `id` and a list of `{timestamp, tag}` annotations.
    """
    ids = _split_ids(path.parent, split)
    for where, row in _rows(path):

        def fail(m, where=where):
            return InputError(f"{where}: {m}")

        if not isinstance(row, dict) or not isinstance(row.get("id"), str) or not isinstance(row.get("annotations"), list):
            raise fail("expected {'id': str, 'annotations': [{'timestamp': ms, 'tag': str}, ...]}")
        if ids is not None and row["id"] not in ids:
            yield Skip("not_in_split", where)
            continue
        events = []
        for a in row["annotations"]:
            if not isinstance(a, dict) or not isinstance(a.get("tag"), str) or "timestamp" not in a:
                raise fail(f"annotation {a!r:.60} needs 'timestamp' (ms) and 'tag'")
            events.append(Event(seconds(a["timestamp"], fail) / 1000, None, label_text(a["tag"])))
        yield Events(f"{row['id']}.mp4", tuple(events), where, id=row["id"])


def _rows(path: Path) -> list[tuple[str, object]]:
    """`(where, record)` for a JSON-lines file (the release) or a JSON list."""
    try:
        data = read_json(path)
    except InputError:
        return read_jsonl_located(path)
    data = data if isinstance(data, list) else [data]
    return [(f"{path}: [{i}]", row) for i, row in enumerate(data)]


def _split_ids(folder: Path, split: str) -> set[str] | None:
    if split == "all":
        return None
    name = SPLIT_LISTS.get(split)
    if name is None or not (folder / name).is_file():
        return None
    return read_ids(folder / name)
