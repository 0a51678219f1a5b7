"""Data hygiene: the explicit policy for every known data problem, and the per-source report.

| problem | example | default policy | option |
|---|---|---|---|
| start > end | 4 Charades-STA train rows (`LEOL6 8.0 7.0`, `IOL8Q 20.9 12.0`, `AKKWU 38.0 13.0` x2) | swap the two times, count `swapped` | `reversed="drop"` skips (`reversed`), `"keep"` writes as is (counted) |
| end past the video duration | 562 Charades test / 1805 train rows, 134 + 111 ActivityNet val segments | keep as the reference does, count `end_past_duration` | `clamp=True`: end := duration (`clamped`); a window starting at or after the end is skipped (`starts_past_end`) |
| empty or one-character caption / query | (reference: `len(sent) < 2` is skipped) | skip the event or query, count `short_caption` | `min_chars` |
| duplicates | the same query and answer twice for one video, or the same event twice in one video (none in the shared Charades-STA, ActivityNet, YouCook2, QVHighlights files; a guard for merged or hand-made inputs) | keep the first, skip the rest, count `duplicate` | `dedup=False` keeps them (the reference does) |
| a video with no usable event left | | skip the record, count `no_events` | |

Durations come from the annotation when it has them (ActivityNet, YouCook2, COIN, QVHighlights,
Charades with its `Charades_v1_*.csv`), otherwise from `--check-videos`; without either the
duration checks are not made. Malformed input is never a hygiene matter: adapters raise
`InputError` naming the file and line.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

REVERSED_POLICIES = ("swap", "drop", "keep")


@dataclass(frozen=True)
class Hygiene:
    """How known data problems are handled (see the module table)."""

    reversed: str = "swap"
    """start > end: "swap" (default), "drop" or "keep"."""
    clamp: bool = False
    """Clamp ends past the video duration to it (default: keep them, as the reference)."""
    min_chars: int = 2
    """Captions and queries shorter than this after stripping spaces are skipped."""
    dedup: bool = True
    """Skip repeated queries (same video, query and window) and repeated events in a video."""

    def __post_init__(self):
        if self.reversed not in REVERSED_POLICIES:
            raise ValueError(f"reversed must be one of {', '.join(REVERSED_POLICIES)}, not {self.reversed!r}")


@dataclass
class SourceReport:
    """What happened to one source: records read and written, skipped / fixed / flagged by reason."""

    source: str
    read: int = 0
    written: int = 0
    skipped: Counter = field(default_factory=Counter)
    fixed: Counter = field(default_factory=Counter)
    flagged: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)
    """reason -> the first file:line it happened at."""

    def skip(self, reason: str, where: str = "") -> None:
        self.skipped[reason] += 1
        self.examples.setdefault(reason, where)

    def fix(self, reason: str, where: str = "") -> None:
        self.fixed[reason] += 1
        self.examples.setdefault(reason, where)

    def flag(self, reason: str, where: str = "") -> None:
        self.flagged[reason] += 1
        self.examples.setdefault(reason, where)

    def to_dict(self) -> dict:
        return {"source": self.source, "read": self.read, "written": self.written,
                "skipped": dict(sorted(self.skipped.items())), "fixed": dict(sorted(self.fixed.items())),
                "flagged": dict(sorted(self.flagged.items()))}


def check_window(start: float, end: float, duration: float | None, policy: Hygiene, report: SourceReport,
                 where: str) -> tuple[float, float, bool, bool] | None:
    """Apply the start > end and end > duration policies to one window.

    Returns:
        `(start, end, swapped, clamped)`, or None when the window is skipped (already counted).
    """
    swapped = clamped = False
    if start > end:
        if policy.reversed == "drop":
            report.skip("reversed", where)
            return None
        if policy.reversed == "swap":
            start, end, swapped = end, start, True
            report.fix("swapped", where)
        else:
            report.flag("reversed", where)
    if duration is not None and max(start, end) > duration:
        if not policy.clamp:
            report.flag("end_past_duration", where)
        elif min(start, end) >= duration:
            report.skip("starts_past_end", where)
            return None
        else:
            start, end, clamped = min(start, duration), min(end, duration), True
            report.fix("clamped", where)
    return start, end, swapped, clamped


def short(text: str, policy: Hygiene) -> bool:
    return len(text.strip(" ")) < policy.min_chars
