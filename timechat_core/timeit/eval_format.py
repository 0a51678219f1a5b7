"""Evaluation ground truth in TimeChat's coco format, so `timechat eval` runs on any dataset.

Formats (`utils/get_coco_format.py`, c60b332; `docs/timeit.md` §6):

- grounding: `{"annotations": [{"image_id": "AO8RW.mp4", "caption": "a person is putting a book on a shelf.",
  "timestamp": [0.0, 6.9], "id": 0}, ...]}`; Charades ids are the 0-based line index of the
  source file (skipped lines included) and captions shorter than 2 characters are left out, as the
  reference numbers them; other sources number their queries 0, 1, ...;
- ActivityNet dense captioning: `{"image_id": "v_x.mp4", "caption": "".join(sentences),
  "segments": timestamps, "duration", "id"}`;
- YouCook2 and other dense captioning / step sources: `{"image_id", "pure_cap": ". ".join(sentences),
  "segments", "duration", "id"}` (the layout of TimeIT's YouCook2 `val.caption_coco_format.json`;
  `duration` is the annotation's, while TimeIT's file has the re-encoded videos' durations, 0.1-0.3 s
  apart; the dense-captioning metrics do not use it);
- highlights (QVHighlights): `{"image_id": "{vid}.mp4", "caption": query, "id": qid, "duration"}`
  (what `timechat infer` needs; `timechat eval --task vhd` reads the native JSONL itself).

Sentences are written as in the file. Windows follow the hygiene policy (start > end swapped by
default, `clamp`); videos that failed `--check-videos` are left out, as the reference drops
unreadable videos.
"""

from __future__ import annotations

from timechat_core.errors import InputError
from timechat_core.timeit import record as R
from timechat_core.timeit.build import clean_grounding
from timechat_core.timeit.hygiene import Hygiene, SourceReport, check_window, short


def eval_ground_truth(source: str, items: list, policy: Hygiene, report: SourceReport | None = None) -> dict:
    """The coco-format ground truth of one source's items.

    Raises:
        InputError: the task has no evaluation format (summarization, transcribed speech, conversations).
    """
    report = report or SourceReport(source)
    rows: list[dict] = []
    for item in items:
        if isinstance(item, R.Grounding):
            row = _grounding_row(item, policy, report, len(rows))
        elif isinstance(item, R.Events):
            row = _events_row(source, item, policy, report, len(rows))
        elif isinstance(item, R.Highlights):
            row = {"image_id": item.video, "caption": item.query, "id": item.id, "duration": item.duration}
        else:
            raise InputError(f"{source}: no evaluation ground-truth format for {type(item).__name__} items "
                             "(timechat eval reads TVSum's .mat directly)")
        if row is not None:
            rows.append(row)
            report.written += 1
    return {"annotations": rows}


def _grounding_row(item: R.Grounding, policy: Hygiene, report: SourceReport, n: int) -> dict | None:
    caption = item.caption if item.caption is not None else item.query
    if len(caption) < policy.min_chars:
        report.skip("short_caption", item.where)
        return None
    g = clean_grounding(item, policy, report)
    if g is None:
        return None
    s, e = (float(t) for t in R.grounding_times(g))
    return {"image_id": item.video, "caption": caption, "timestamp": [s, e],
            "id": item.id if isinstance(item.id, int) else n}


def _events_row(source: str, item: R.Events, policy: Hygiene, report: SourceReport, n: int) -> dict | None:
    sentences = item.captions if item.captions is not None else tuple(ev.text for ev in item.events)
    segments = []
    for ev in item.events:
        fixed = check_window(ev.start, ev.end if ev.end is not None else ev.start, item.duration, policy,
                             report, item.where)
        segments.append(list(fixed[:2]) if fixed else [ev.start, ev.end])
    if not segments or all(short(s, policy) for s in sentences):
        report.skip("no_events", item.where)
        return None
    row = {"image_id": item.video}
    if source.startswith("activitynet"):
        row["caption"] = "".join(sentences)
    else:
        row["pure_cap"] = ". ".join(sentences)
    row.update(segments=[[_int_if_whole(x) for x in seg] for seg in segments], duration=item.duration, id=n)
    return row


def _int_if_whole(x: float):
    # YouCook2 segments are integers in the release and in TimeIT's GT; keep them so.
    return int(x) if float(x).is_integer() else x
