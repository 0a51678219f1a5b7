"""Renderings of one result for people: subtitles (SRT/VTT) of dense captions and a timeline plot."""

from __future__ import annotations

from pathlib import Path


def events_of(record: dict) -> list[dict]:
    """`[{"start", "end", "caption"}]` of a result (dense captions, steps, speech), else []."""
    parsed = record.get("parsed") or {}
    return list(parsed.get("events") or [])


def _stamp(seconds: float, sep: str) -> str:
    ms = int(round(max(0.0, seconds) * 1000))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def to_srt(record: dict) -> str:
    out = []
    for n, ev in enumerate(events_of(record), 1):
        out.append(f"{n}\n{_stamp(ev['start'], ',')} --> {_stamp(ev['end'], ',')}\n{ev['caption']}\n")
    return "\n".join(out)


def to_vtt(record: dict) -> str:
    body = "\n".join(f"{_stamp(ev['start'], '.')} --> {_stamp(ev['end'], '.')}\n{ev['caption']}\n"
                     for ev in events_of(record))
    return "WEBVTT\n\n" + body


def plot(record: dict, path: str | Path, ground_truth: list | None = None) -> Path:
    """A PNG timeline: predicted windows or events as bars, or the saliency curve, over the video's duration.

    Args:
        record: one result record of `timechat infer`.
        path: the PNG to write.
        ground_truth: optional `[[start, end], ...]` windows drawn under the prediction.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    parsed = record.get("parsed") or {}
    duration = float(record.get("duration") or 0.0)
    fig, ax = plt.subplots(figsize=(10, 2.8), dpi=100)
    title = f"{Path(str(record.get('video'))).name} · {record.get('task')}"
    if record.get("query"):
        title += f" · {record['query']}"
    ax.set_title(title, fontsize=9, loc="left")
    if ground_truth:
        for s, e in ground_truth:
            ax.barh(0.25, e - s, left=s, height=0.3, color="#2ca02c", alpha=0.7)
        ax.text(0, 0.25, " ground truth", va="center", fontsize=8)
    if parsed.get("saliency") is not None:
        sal = parsed["saliency"]
        xs = [2 * k + 1 for k in range(len(sal))]
        ax.plot(xs, [0.6 + 0.08 * v for v in sal], color="#d62728", lw=1.2)
        for t, score in parsed.get("highlights") or []:
            ax.plot([t], [0.6 + 0.08 * score], "o", color="#d62728", ms=3)
        ax.text(0, 1.05, " saliency (1-5)", va="center", fontsize=8)
    windows = [(w[0], w[1], "") for w in parsed.get("windows") or []]
    windows += [(ev["start"], ev["end"], ev.get("caption", "")) for ev in parsed.get("events") or []]
    for k, (s, e, label) in enumerate(windows):
        y = 0.75 if parsed.get("events") is None else 0.6 + 0.12 * (k % 3)
        ax.barh(y, max(e - s, duration * 0.003), left=s, height=0.1, color="#1f77b4")
        if label:
            ax.text(s, y + 0.07, label[:40], fontsize=7)
    ax.set_xlim(0, max(duration, max((w[1] for w in windows), default=1.0)))
    ax.set_ylim(0, 1.3)
    ax.set_yticks([])
    ax.set_xlabel("seconds")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
