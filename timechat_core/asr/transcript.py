"""Timestamped transcripts in the reference's text format, and the reference's cleaning rules.

Format (`utils/asr/asr.py`, TimeChat c60b332; `docs/data-pipeline.md` §3): one file per
video, one line per Whisper segment, `f"{start:.2f}\\t{end:.2f}\\t{text}"`.

Cleaning (`utils/asr/clean_asr.py`, `docs/data-pipeline.md` §4): drop segments with fewer than 3
whitespace-separated words, and drop a segment whose text equals the text of the last *kept* segment.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from timechat_core.errors import InputError


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str
    probability: float

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "text": self.text, "probability": self.probability}


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] | None = None

    def to_dict(self) -> dict:
        d = {"start": self.start, "end": self.end, "text": self.text}
        if self.words is not None:
            d["words"] = [w.to_dict() for w in self.words]
        return d


def format_transcript(segments: Iterable[Segment]) -> str:
    """The reference's file content: `start\\tend\\ttext` per line, times with 2 decimals."""
    return "".join(f"{s.start:.2f}\t{s.end:.2f}\t{s.text.strip()}\n" for s in segments)


def parse_transcript(text: str, source: str | os.PathLike = "<transcript>") -> list[Segment]:
    """Read the reference format; blank lines are ignored.

    Raises:
        InputError: a line is not `start<TAB>end<TAB>text` with numeric times (file and line named).
    """
    segments = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t", 2)
        try:
            if len(parts) < 2:
                raise ValueError
            start, end = float(parts[0]), float(parts[1])
        except ValueError:
            raise InputError(f"{source}:{lineno}: expected 'start<TAB>end<TAB>text', got {line[:60]!r}") from None
        segments.append(Segment(start, end, parts[2].strip() if len(parts) > 2 else ""))
    return segments


def read_transcript(path: str | os.PathLike) -> list[Segment]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read transcript: {getattr(e, 'strerror', None) or e}") from None
    return parse_transcript(text, path)


def clean_segments(segments: Sequence[Segment], *, min_words: int = 3, dedup: bool = True) -> list[Segment]:
    """The reference's cleaning; applying it twice gives the same result."""
    kept: list[Segment] = []
    last_text = ""
    for seg in segments:
        text = seg.text.strip()
        if len(text.split()) < min_words:
            continue
        if dedup and text == last_text:
            continue
        last_text = text
        kept.append(Segment(seg.start, seg.end, text, seg.words))
    return kept


class TranscriptFolder:
    """A folder of transcripts (`timechat asr`'s output) and the lookup every command uses to find a video's:
    `<dir>/<video_dir>/<rel stem>.txt`, `<dir>/<rel stem>.txt`, `<dir>/<stem>.txt`, or the reference's
    `<dir>/<name up to its first dot>.txt`, never a file outside `<dir>` (an absolute or `../` video path
    falls back to its name). Lookups are cached (several queries share a video)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise InputError(f"{self.folder}: not a folder of transcripts")
        self._cache: dict[tuple[str, str], list | None] = {}

    def segments(self, video: str, video_dir: str = "") -> "list[Segment] | None":
        """The transcript of `video` (a path relative to the video root), or None when there is none."""
        key = (video, video_dir)
        if key not in self._cache:  # several queries share a video (Charades, QVHighlights)
            self._cache[key] = self._find(video, video_dir)
        return self._cache[key]

    def _find(self, video: str, video_dir: str):
        rel = posixpath.splitext(video)[0]
        name = posixpath.basename(video)
        for cand in (posixpath.join(video_dir, rel) if video_dir else None, rel,
                     posixpath.splitext(name)[0], name.split(".")[0]):
            if not cand or posixpath.isabs(cand) or ".." in cand.split("/"):  # only files inside the folder
                continue
            if (self.folder / f"{cand}.txt").is_file():
                return read_transcript(self.folder / f"{cand}.txt")
        return None
