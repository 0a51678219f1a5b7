"""Predicted windows and rows the reference evaluators take as they are, counted for the `warnings` block.

TimeChat's `eval_tvg.py` and `eval_dvc.py` and moment_detr's `standalone_eval` compute their IoU on
every predicted window as written: a window may start before 0, end past the video, or end before it
starts, and each formula then gives what it gives (`docs/metrics.md` §6.1). The evaluators here do the
same, and count each such window by kind, with the prediction rows dropped because their query is not in
the ground truth, so that a score is never silently made of them. `strict=True` instead refuses a
negative time, as this project did before it scored them.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from timechat_core.fileio import check_time

# kind -> what was counted; the JSON block lists the kinds in this order, only those that occurred.
KINDS = {
    "negative": "predicted window(s) start or end before 0 s",
    "past_end": "predicted window(s) end after the video does (its duration in the ground truth)",
    "reversed": "predicted window(s) end before they start",
    "text_times": "predicted window(s) have their times as text, which eval_dvc.py compares as text",
    "outside_gt": "prediction row(s) are for queries or videos outside the ground truth and were dropped",
}


def read_time(value: Any, where: str, *, strict: bool) -> float:
    """A predicted time in seconds: any finite number, or with `strict` a non-negative one."""
    return check_time(value, where, signed=not strict)


class Warnings:
    """Counts of the windows and rows described in `KINDS`."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()

    def add(self, kind: str, n: int = 1) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown warning kind {kind!r}")
        self._counts[kind] += n

    def window(self, start: float, end: float, duration: float | None = None) -> None:
        """Count one window the evaluator reads; `duration` None when the ground truth gives none."""
        if min(start, end) < 0:
            self.add("negative")
        if duration is not None and max(start, end) > duration:
            self.add("past_end")
        if start > end:
            self.add("reversed")

    def report(self) -> dict[str, int]:
        """`{kind: count}` for the kinds that occurred, in the order of `KINDS`."""
        return {kind: self._counts[kind] for kind in KINDS if self._counts[kind]}

    def attach(self, metrics: dict) -> dict:
        """`metrics` with a final "warnings" block when anything was counted (otherwise unchanged)."""
        report = self.report()
        return {**metrics, "warnings": report} if report else metrics
