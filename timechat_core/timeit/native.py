"""Helpers the source adapters share: reading native JSON with errors that name file and line.

JSON records are addressed by key or index while reading (`"val_1.json: 'v_uqiMw7tQ1Cc'"`); only
when something is wrong is the file searched for that key, so the error names the line without
slowing down the normal path.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from timechat_core.errors import InputError
from timechat_core.fileio import check_time, read_json, read_text

SPLITS = ("train", "val", "test", "all")


@dataclass(frozen=True)
class Skip:
    """An adapter's verdict that a native record is not used (counted under `reason`)."""

    reason: str
    where: str


class JsonFile:
    """A parsed JSON file that can point at the line of a key when something is wrong."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.data = read_json(self.path)

    def where(self, key: Any) -> str:
        return f"{self.path}: {key!r}"

    def fail(self, key: Any, message: str, needle: str | None = None) -> InputError:
        """An error at the line where `needle` (default: the key as a JSON string) first occurs."""
        return InputError(f"{self.path}:{self._line(key, needle)}: {key!r}: {message}")

    def _line(self, key: Any, needle: str | None) -> int:
        text = self.path.read_text(encoding="utf-8", errors="replace")
        if needle is None and isinstance(key, str):
            needle = json.dumps(key, ensure_ascii=False)
        at = text.find(needle) if needle else -1
        return text.count("\n", 0, at) + 1 if at >= 0 else 1


def field(obj: Any, name: str, kind: type | tuple[type, ...], jf: JsonFile, key: Any) -> Any:
    """`obj[name]`, checked to be of `kind`."""
    if not isinstance(obj, dict):
        raise jf.fail(key, f"expected an object, got {type(obj).__name__}")
    if name not in obj:
        raise jf.fail(key, f"missing field {name!r}")
    value = obj[name]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise jf.fail(key, f"field {name!r} should be {names}, got {value!r:.60}")
    return value


def seconds(value: Any, fail) -> float:
    """A finite, non-negative time in seconds; `fail(message)` builds the error (it can find the line)."""
    try:
        return check_time(value, "")
    except InputError as e:
        raise fail(str(e).removeprefix(": ")) from None


def window(value: Any, fail) -> tuple[float, float]:
    """A `[start, end]` pair of times."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise fail(f"expected a [start, end] pair, got {value!r:.60}")
    return seconds(value[0], fail), seconds(value[1], fail)


def pick_files(folder: Path, split: str, names: dict[str, tuple[str, ...]], source: str) -> list[tuple[Path, str]]:
    """The native files of `split` in `folder` (`names`: split -> candidate file names, first found wins).

    With `split="all"` every split that has a file is returned.

    Raises:
        InputError: the split has no file there (the candidates are named).
    """
    wanted = [s for s in names if split in ("all", s)]
    if not wanted:
        raise InputError(f"{source}: no {split!r} split (it has {', '.join(names)})")
    found = []
    for s in wanted:
        for name in names[s]:
            if (folder / name).is_file():
                found.append((folder / name, s))
                break
        else:
            if split != "all":
                raise InputError(f"{folder}: no {source} {s} file (looked for {', '.join(names[s])})")
    if not found:
        raise InputError(f"{folder}: no {source} annotation file found")
    paths = [p for p, _ in found]
    # One file holding several splits (YouCook2 trainval) is read once, for all of them.
    return [(p, "all" if paths.count(p) > 1 else s) for i, (p, s) in enumerate(found) if p not in paths[:i]]


def strip_ext(name: str) -> str:
    """`name` without its last extension (`a.b.mov` -> `a.b`)."""
    stem, dot, ext = name.rpartition(".")
    return stem if dot and "/" not in ext else name


def sentence_text(sentence: str) -> str:
    """A caption as the reference's `cap.split(".")` + `strip(" ")` leaves it: no trailing period.

    Unlike the reference, a period inside a sentence does not split it into two events (which
    would misalign every later segment); none of the released files has one.
    """
    return sentence.strip(" ").rstrip(".").strip(" ")


def label_text(label: str) -> str:
    """A step label as the reference's `filter_sent` leaves it: "#" removed, spaces kept."""
    return label.replace("#", "")


def find_any(folder: Path, names: tuple[str, ...], source: str) -> list[tuple[Path, str]]:
    """For sources without splits: the first of `names` found in `folder` (relative paths allowed)."""
    for name in names:
        if (folder / name).is_file():
            return [(folder / name, "all")]
    raise InputError(f"{folder}: no {source} annotation file (looked for {', '.join(names)})")


SUMMARY_FRACTION = 0.15
"""Share of a video's clips kept as highlights when summaries are built from frame scores: the 15%
summary budget of the TVSum / SumMe evaluation protocols (Song et al. 2015, Gygli et al. 2014)."""


def top_clips(scores: list[float], fraction: float = SUMMARY_FRACTION) -> list[int]:
    """Indices of the `ceil(fraction * n)` best clips (ties: the earlier clip), in time order."""
    k = math.ceil(fraction * len(scores)) if scores else 0
    best = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:k]
    return sorted(best)


def read_summary_coco(path: Path, dataset: str):
    """TimeIT's own `all.caption_coco_format.json` for TVSum / SumMe (not public; format from
    TimeChat's `process_highlight_data.py`): `{"annotations": [{"image_id", "timestamps", "scores"}]}`,
    scores in 0-1."""
    from timechat_core.timeit.record import Summary

    jf = JsonFile(path)
    rows = jf.data.get("annotations") if isinstance(jf.data, dict) else None
    if not isinstance(rows, list):
        raise jf.fail("annotations", "expected {'annotations': [...]}")
    for i, row in enumerate(rows):
        key = f"annotations[{i}]"
        image_id = field(row, "image_id", str, jf, key)
        times = field(row, "timestamps", list, jf, key)
        scores = field(row, "scores", list, jf, key)
        if len(times) != len(scores):
            raise jf.fail(key, f"{len(times)} timestamps for {len(scores)} scores")

        def fail(m, key=key):
            return jf.fail(key, m)

        yield Summary(image_id.split("/")[-1], dataset, tuple(seconds(t, fail) for t in times),
                      tuple(seconds(s, fail) for s in scores), f"{path}: {key}")


def read_ids(path: Path) -> set[str]:
    """The non-blank lines of a split list (one video id per line)."""
    return {line.strip() for line in read_text(path).splitlines() if line.strip()}


def database_entries(path: Path, subsets: tuple[str, ...], make):
    """ActivityNet-style `{"database": {id: {..., "subset"}}}` files (YouCook2, COIN): yields
    `make(jf, id, entry, fail)` for the wanted subsets and a `Skip("not_in_split")` for the others;
    `fail(message)` builds an error at the entry's line."""
    jf = JsonFile(path)
    db = jf.data.get("database") if isinstance(jf.data, dict) else None
    if not isinstance(db, dict):
        raise jf.fail("database", "expected {'database': {video id: annotation}}")
    for vid, ann in db.items():
        if field(ann, "subset", str, jf, vid) not in subsets:
            yield Skip("not_in_split", jf.where(vid))
        else:
            yield make(jf, vid, ann, lambda m, vid=vid: jf.fail(vid, m))
