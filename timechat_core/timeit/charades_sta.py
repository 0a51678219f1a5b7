"""Charades-STA temporal grounding, from `charades_sta_{train,test}.txt`.

A raw record (`charades_sta_train.txt`, line 1), `VID start end##sentence`:

    AO8RW 0.0 6.9##a person is putting a book on a shelf.

Format: https://github.com/jiyanggao/TALL#charades-sta-anno-download (TimeChat reads it in
`utils/construct_it_data/process_grounding_data.py::read_txt`, c60b332). Video durations are the
`length` column of Charades' `Charades_v1_{train,test}.csv`
(https://prior.allenai.org/projects/charades), read from beside the .txt when present.

Reference rules kept: the times are the raw strings of the file (`0.0 - 6.9`, never reformatted);
the sentence is `line.split("##")[-1]` with spaces stripped and "#" removed; the query loses
leading/trailing "." before it is single-quoted; the eval id is the 0-based line index over all
lines, skipped ones included (`utils/get_coco_format.py`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from timechat_core.errors import InputError
from timechat_core.fileio import read_text
from timechat_core.timeit.native import Skip, seconds
from timechat_core.timeit.record import Grounding

NAME = "charades"
TASK = "tvg"
FILES = {"train": ("charades_sta_train.txt",), "test": ("charades_sta_test.txt",)}


def read(path: Path, split: str) -> Iterator[Grounding | Skip]:
    """One `Grounding` per line (a `Skip` for blank lines).

    Raises:
        InputError: a line that is not `VID start end##sentence` (file and line named).
    """
    durations = load_durations(_csv_beside(path))
    text = read_text(path)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for i, line in enumerate(lines):
        where = f"{path}:{i + 1}"
        if not line.strip():
            yield Skip("blank_line", where)
            continue
        head, sep, cap = line.rpartition("##")
        terms = head.split(" ")
        if not sep or len(terms) != 3:
            raise InputError(f"{where}: expected 'VID start end##sentence', got {line[:60]!r}")
        vid, s, e = terms

        def fail(msg, where=where):
            return InputError(f"{where}: {msg}")

        start, end = seconds(s, fail), seconds(e, fail)
        yield Grounding(video=f"{vid}.mp4", query=cap.strip(" ").replace("#", ""), start=start, end=end,
                        where=where, duration=durations.get(vid), raw=(s, e), strip_period=True, id=i,
                        caption=cap)


def load_durations(path: Path | None) -> dict[str, float]:
    """`{video id: length}` from a Charades_v1_*.csv (empty when there is none)."""
    if path is None:
        return {}
    out = {}
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or "id" not in reader.fieldnames or "length" not in reader.fieldnames:
            raise InputError(f"{path}:1: expected a Charades CSV with 'id' and 'length' columns")
        for row in reader:
            try:
                out[row["id"]] = float(row["length"])
            except (TypeError, ValueError):
                raise InputError(f"{path}:{reader.line_num}: length {row['length']!r} is not a number") from None
    return out


def _csv_beside(path: Path) -> Path | None:
    m = re.fullmatch(r"charades_sta_(\w+)\.txt", path.name)
    if not m:
        return None
    csv_path = path.with_name(f"Charades_v1_{m.group(1)}.csv")
    return csv_path if csv_path.is_file() else None
