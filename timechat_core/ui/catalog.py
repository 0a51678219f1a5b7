"""What the data folder holds: videos, and JSON/JSONL files sorted into predictions, ground truth
and per-item evaluation rows, with the ground truth indexed by video.

Files are classified by their first row; ground-truth files are read with `read_ground_truth` and
cached by modification time, so a page reload after `timechat synth` or `timechat infer` sees
new files without a restart.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from timechat_core.errors import InputError
from timechat_core.infer.manifest import VIDEO_SUFFIXES
from timechat_core.ui.ground_truth import read_ground_truth
from timechat_core.ui.paths import Roots

log = logging.getLogger(__name__)

MAX_JSON_BYTES = 256 * 1024 * 1024
"""Larger JSON files are not opened (a benchmark's predictions are a few MB)."""
PER_ITEM_KEYS = ("iou", "r1_iou", "mr_ap", "hit1_fair", "CIDER", "F1_0.5", "top5_mAP")
"""Fields of `timechat eval --per-item` rows (tvg, mr, vhd, dvc, summarization)."""
GT_KEYS = (("qid", "vid"), ("image_id", "timestamp"), ("image_id", "segments"))


def first_row(path: Path) -> dict | None:
    """The first object of a JSON list / coco file / JSONL file, or None."""
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            return None
        with open(path, encoding="utf-8") as f:
            head = f.readline()
            try:
                row = json.loads(head)
            except json.JSONDecodeError:
                row = None
            if isinstance(row, dict) and not path.suffix.lower() == ".json":
                return row
            f.seek(0)
            try:
                data = json.load(f)
            except json.JSONDecodeError:  # JSON lines in a .json file
                return row if isinstance(row, dict) else None
    except (OSError, UnicodeDecodeError):
        return None
    if isinstance(data, dict) and "database" in data:
        return data
    rows = data.get("annotations", data) if isinstance(data, dict) else data
    if isinstance(rows, list) and rows and isinstance(rows[0], dict):
        return rows[0]
    return None


def classify(path: Path) -> str | None:
    """"predictions", "per_item", "ground_truth", or None for any other file."""
    if path.suffix.lower() == ".txt":
        try:
            with open(path, encoding="utf-8") as f:
                line = f.readline()
        except (OSError, UnicodeDecodeError):
            return None
        head, sep, _ = line.rpartition("##")
        return "ground_truth" if sep and len(head.split(" ")) == 3 else None
    row = first_row(path)
    if row is None:
        return None
    if "database" in row and isinstance(row["database"], dict):
        return "ground_truth"
        return None
    if "text" in row and "task" in row:
        return "predictions"
    if any(k in row for k in PER_ITEM_KEYS):
        return "per_item"
    if any(all(k in row for k in keys) for keys in GT_KEYS) or (
            "video" in row and any(k in row for k in ("windows", "events", "saliency"))):
        return "ground_truth"
    return None


class Catalog:
    """Videos and annotation files of the served folders."""

    def __init__(self, roots: Roots):
        self.roots = roots
        self._gt: dict[Path, tuple[float, list[dict]]] = {}
        self._kinds: dict[Path, tuple[float, str | None]] = {}

    def videos(self) -> list[str]:
        return self.roots.walk(VIDEO_SUFFIXES)

    def files(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {"predictions": [], "ground_truth": [], "per_item": []}
        for ref in self.roots.walk((".json", ".jsonl", ".txt")):
            path = self.roots.resolve(ref)
            mtime = path.stat().st_mtime
            if self._kinds.get(path, (None,))[0] != mtime:
                self._kinds[path] = (mtime, classify(path))
            kind = self._kinds[path][1]
            if kind:
                out[kind].append(ref)
        return out

    def ground_truth(self, path: Path) -> list[dict]:
        """Entries of one GT file (cached by mtime)."""
        mtime = path.stat().st_mtime
        cached = self._gt.get(path)
        if cached is None or cached[0] != mtime:
            cached = (mtime, read_ground_truth(path, self.roots.roots["data"]))
            self._gt[path] = cached
        return cached[1]

    def ground_truth_of(self, video: Path) -> list[dict]:
        """Every GT entry of the served folders whose video is this file."""
        video = video.resolve()
        found = []
        for ref in self.files()["ground_truth"]:
            try:
                entries = self.ground_truth(self.roots.resolve(ref))
            except InputError as e:
                log.warning("skipping %s: %s", ref, e)
                continue
            found += [{**public(e), "source": ref} for e in entries if Path(e["path"]).resolve() == video]
        return found


def public(entry: dict) -> dict:
    """A GT entry without its file system path (the page only sees references)."""
    return {k: v for k, v in entry.items() if k != "path"}
