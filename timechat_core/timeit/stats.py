"""`--stats`: records per task and source, and video-length and answer-length distributions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from timechat_core.timeit.record import Record

QUANTILES = (0.0, 0.1, 0.5, 0.9, 1.0)


def distribution(values: Sequence[float]) -> dict:
    """count, mean and the min / p10 / median / p90 / max (nearest-rank) of `values`."""
    xs = sorted(values)
    if not xs:
        return {"count": 0}
    out = {"count": len(xs), "mean": sum(xs) / len(xs)}
    for q in QUANTILES:
        name = {0.0: "min", 0.5: "median", 1.0: "max"}.get(q, f"p{round(q * 100)}")
        out[name] = xs[min(len(xs) - 1, int(q * len(xs)))]
    return out


def compute_stats(records: Iterable[Record]) -> dict:
    """`{"records": {task: {source: n}}, "video_seconds": dist, "answer_words": {task: dist},
    "answer_chars": {task: dist}}`; video lengths count each video once (annotation or probed
    duration; videos without one are left out)."""
    per = Counter()
    durations: dict[str, float] = {}
    words: dict[str, list[int]] = {}
    chars: dict[str, list[int]] = {}
    for r in records:
        per[(r.task, r.source)] += 1
        if r.duration is not None:
            durations.setdefault(r.video, r.duration)
        for _, a in r.qa:
            words.setdefault(r.task, []).append(len(a.split()))
            chars.setdefault(r.task, []).append(len(a))
    table: dict[str, dict[str, int]] = {}
    for (task, source), n in sorted(per.items()):
        table.setdefault(task, {})[source] = n
    return {
        "records": table,
        "total": sum(per.values()),
        "video_seconds": distribution(list(durations.values())),
        "answer_words": {t: distribution(v) for t, v in sorted(words.items())},
        "answer_chars": {t: distribution(v) for t, v in sorted(chars.items())},
    }
