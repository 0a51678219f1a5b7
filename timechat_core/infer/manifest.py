"""What to run: one video, or a manifest in the ground-truth formats `timechat eval` reads.

Accepted manifests (detected from their rows):

- Charades-STA coco (`{"annotations": [{"image_id", "caption", "timestamp", "id"}]}`): one
  grounding query per row, id = the coco id (what `eval --task tvg` keys on);
- YouCook2 / ActivityNet coco (`rows with "segments"`): one dense-captioning query per video,
  id = `image_id` (what `eval --task dvc` keys on);
- QVHighlights JSONL (`{"qid", "query", "vid", "duration", ...}`): one highlight query per row,
  id = qid, video `{vid}.mp4`;
- JSONL of `{"video", "task", "query"?, "id"?, "prompt"?, "variant"?, "dataset"?}`.

Each item keeps the manifest's own video name (so predictions match the ground truth) and the
resolved path separately.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from timechat_core.errors import InputError
from timechat_core.prompts import TASKS

VIDEO_SUFFIXES = (".mp4", ".mkv", ".webm", ".avi", ".mov")


@dataclass(frozen=True)
class Item:
    """One query to answer."""

    index: int
    """Position in the manifest (outputs are merged in this order)."""
    id: str | int
    video: str
    """The video as the manifest names it."""
    path: Path
    """Where the file is."""
    task: str
    query: str | None = None
    prompt: str | None = None
    variant: str | None = None
    dataset: str | None = None
    duration: float | None = None
    extra: dict = field(default_factory=dict)
    """Ids the evaluators key on (`qid`), carried into the record."""

    @property
    def key(self) -> str:
        return f"{self.task}:{self.id}"


def resolve_video(name: str, root: Path | None) -> Path:
    """The file for a manifest's video name: as given, under `root`, or with a video suffix added."""
    base = Path(name) if root is None or Path(name).is_absolute() else root / name
    if base.exists() or base.suffix.lower() in VIDEO_SUFFIXES:
        return base
    for suffix in VIDEO_SUFFIXES:
        if base.with_name(base.name + suffix).exists():
            return base.with_name(base.name + suffix)
    return base


def read_manifest(path: str | Path, video_root: str | Path | None = None, task: str | None = None) -> list[Item]:
    """Items of a manifest file.

    Args:
        path: the manifest.
        video_root: folder the video names are relative to (default: the manifest's folder).
        task: overrides the detected task (e.g. `step` for a COIN coco file).

    Raises:
        InputError: unreadable file, or rows of no known format (named by file and row).
    """
    from timechat_core.fileio import read_json_or_jsonl

    path = Path(path)
    root = Path(video_root) if video_root else path.parent
    data = read_json_or_jsonl(path)
    rows = data.get("annotations") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not rows:
        raise InputError(f"{path}: expected a non-empty list of rows (or a coco file with 'annotations')")
    items: list[Item] = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        where = f"{path}: row {i + 1}"
        if not isinstance(row, dict):
            raise InputError(f"{where}: not an object")
        item = _item(row, i, root, where, task)
        if item.key in seen:
            if item.task in ("dvc", "step"):  # several coco rows per video: one query each video
                continue
            raise InputError(f"{where}: duplicate id {item.id} for task {item.task}")
        seen.add(item.key)
        items.append(item)
    return [Item(**{**it.__dict__, "index": n}) for n, it in enumerate(items)]


def _item(row: dict, i: int, root: Path, where: str, task: str | None) -> Item:
    def need(key):
        if row.get(key) in (None, ""):
            raise InputError(f"{where}: missing '{key}'")
        return row[key]

    if "qid" in row and "vid" in row:  # QVHighlights
        vid = str(need("vid"))
        return Item(i, int(need("qid")), f"{vid}.mp4", resolve_video(f"{vid}.mp4", root), task or "highlight",
                    query=str(need("query")), duration=_float(row.get("duration"), where),
                    extra={"qid": int(row["qid"])})
    if "image_id" in row and "timestamp" in row:  # Charades-STA coco
        return Item(i, need("id"), str(need("image_id")), resolve_video(str(row["image_id"]), root),
                    task or "grounding", query=str(need("caption")), duration=_float(row.get("duration"), where))
    if "image_id" in row and "segments" in row:  # YouCook2 / ActivityNet coco
        name = str(need("image_id"))
        return Item(i, name, name, resolve_video(name, root), task or "dvc", duration=_float(row.get("duration"), where))
    if "video" in row:
        t = task or row.get("task")
        if t not in TASKS:
            raise InputError(f"{where}: 'task' must be one of {', '.join(TASKS)}, not {t!r}")
        name = str(row["video"])
        return Item(i, row.get("id", i), name, resolve_video(name, root), t, query=row.get("query"),
                    prompt=row.get("prompt"), variant=row.get("variant"), dataset=row.get("dataset"),
                    duration=_float(row.get("duration"), where))
    raise InputError(f"{where}: not a known manifest row (Charades/YouCook2 coco, QVHighlights, or {{video, task}})")


def _float(value, where: str) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: duration {value!r} is not a number") from None


def parse_shard(text: str | None) -> tuple[int, int]:
    """`i/N` -> (i, N); None -> from torchrun's RANK/WORLD_SIZE, else (0, 1)."""
    import os

    if text is None:
        return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise InputError(f"--shard {text!r}: expected i/N, e.g. 0/4") from None
    if n < 1 or not 0 <= i < n:
        raise InputError(f"--shard {text!r}: need 0 <= i < N")
    return i, n
