"""The reference TimeChat answer parsers, reproduced quirk for quirk (`parser="timechat"`).

TimeChat turns generated text into predictions with three heuristics
(`utils/format_tvg.py`, `utils/format_dvc.py`, `utils/format_vhd.py` in RenShuhuai-Andy/TimeChat at
a918705f). Its published numbers depend on every quirk of them, so this module re-implements them
exactly, including the bugs (see `docs/metrics.md` §8.2-8.4):

- TVG: the prompt removal is a no-op, only the first window is kept, pairs are swapped when
  end <= start, nothing is clipped, and the hh:mm:ss fallback can never produce a window.
- DVC: `a - b` pairs over the whole paragraph with lower-cased captions, then `start time:` blocks,
  then `start time X, end time Y` (where the reference stops in a leftover `pdb.set_trace()`; run on,
  it keeps the times as the matched strings, and its evaluator compares them as text), then at most
  ONE event from the per-line fallback (±20 s around a single number).
- VHD: every "th" is deleted first, the hh:mm:ss branch never fires, class-2 times must be > 10,
  and a single highlight time counts as a failure although it still scores a clip.

Where the reference would crash, these functions return status "error" with the reason instead; where
it stops in `pdb.set_trace()`, they return what it returns when execution continues. The regexes keep
the reference's Unicode `\\d`/`\\b` semantics.
"""

from __future__ import annotations

import re

# Status values shared with `parsers.py` (the public module re-exports them).
OK = "ok"
NO_TIME = "no-time"
INCOMPLETE = "incomplete"
OUT_OF_RANGE = "out-of-range"
ERROR = "error"

# Seconds added on each side of a lone number by the DVC per-line fallback.
_DVC_RADIUS = 20

# --- regexes of format_tvg.py / format_dvc.py ---------------------------------------------------
# "a - b" with the reference's loose number `\d+\.*\d*` ("1..2" passes, then float() fails).
# The atomic group and `(?<!\d)` only stop cubic backtracking on long digit runs. They cannot
# change the matches: only the longest loose number can be followed by `\s*-`, and a match that
# could start inside a digit run would already have started at the run's first digit.
_TC_PAIR = re.compile(r"(?<!\d)((?>\d+\.*\d*))\s*-\s*(\d+\.*\d*)")
# TVG sentence boundaries: '.' is not one, so a whole prose answer is usually one sentence.
_TC_SENTENCE_BREAK = re.compile(r"[!?\n]")
# TVG pass 2: the first number of a keyword sentence ("18", "18.5").
_TC_FIRST_NUMBER = re.compile(r"\b(\d+\.\d+\b|\b\d+)\b")
# TVG pass 3: h:mm:ss. Two groups, so findall yields tuples: the reason the pass never converts.
_TC_HMS_TUPLE = re.compile(r"\b((\d{1,2}:\d{2}:\d{2}))\b")
# DVC step (b): "start time: 105", "starting time: 3.5s" and the matching end.
_TC_START_TIME = re.compile(r"(?:start(?:ing)? time: (\d+\.*\d*)(?:s| seconds)?)", re.DOTALL | re.IGNORECASE)
_TC_END_TIME = re.compile(r"(?:end(?:ing)? time: (\d+\.*\d*)(?:s| seconds)?)", re.DOTALL | re.IGNORECASE)
# DVC step (b) captions: "description: ...", else the text after a "*" bullet.
_TC_DESCRIPTION = re.compile(r"description: (.*)")
_TC_STAR_ITEM = re.compile(r"\*\s*(.*)")
# DVC step (c): the format whose branch stops in pdb.set_trace() (and then keeps the times as strings).
_TC_PDB_FORMAT = re.compile(r"start time (\d+\.*\d*), end time (\d+\.*\d*)")
# DVC per-line fallback: a loose "m:ss" ("1:09", also "1.5:09", which int() then rejects).
# Atomic and anchored to the start of a digit run for speed only, as `_TC_PAIR`.
_TC_MINSEC = re.compile(r"(?<!\d)(?>\d+\.*\d*):\d+\.*\d*")
# DVC per-line fallback: loose numbers not followed by a dot ("3.5." reads as "3." and "5.").
_TC_LOOSE_NUMBER = re.compile(r"\d+\.*\d*(?!\.)")
TVG_KEYWORDS = ("starts", "ends", "happens in", "start time", "end time", "start", "end", "happen")

# --- regexes of format_vhd.py -------------------------------------------------------------------
# Class 1: the declared count, "There are 10 highlight moments" (case-sensitive).
_TC_MOMENT_COUNT = re.compile(r"There are (\d+) highlight moments")
# Class 1 times: signed decimals or integers ("-.5", "82").
_TC_VHD_NUMBER = re.compile(r"[-+]?\d*\.\d+|\d+")
# Scores: exactly one digit, a dot, one digit ("1.3"), anywhere.
_TC_SCORE = re.compile(r"\b\d\.\d\b")
# Class 2 times: 3-tuples (hh:mm:ss, hh:mm:ss, number); only the last group is ever used.
_TC_VHD_CLASS2 = re.compile(r"\b((\d{1,2}:\d{2}:\d{2}))\b|\b(\d+\.\d+\b|\b\d+)\b")
_TC_LINES = re.compile(r"\n+")


class ReferenceFailure(Exception):
    """The reference code would crash or hang on this input; the message says how."""


def _crash(exc: BaseException, where: str) -> ReferenceFailure:
    return ReferenceFailure(f"the reference {where} would crash: {type(exc).__name__}: {exc}")


# --- TVG -----------------------------------------------------------------------------------------


def _pairs(times: list[float]) -> list[tuple[float, float]]:
    even = times[: len(times) // 2 * 2]
    return [(even[i], even[i + 1]) for i in range(0, len(even), 2)]


def tvg_windows(text: str) -> list[list[float]]:
    """`format_tvg.extract_time`: at most one [start, end] window, unclipped.

    Args:
        text: The generated answer.

    Returns:
        `[]` or `[[start, end]]` with start <= end.

    Raises:
        ReferenceFailure: Where the reference raises (a loose number like "1..2" in an `a - b` pair).
    """
    paragraph = text.lower()
    # The reference calls paragraph.replace(prompt, '') and drops the result: nothing is removed.
    sentences = _TC_SENTENCE_BREAK.split(paragraph)
    candidates = [s for s in sentences if any(k in s for k in TVG_KEYWORDS)]
    try:
        pairs = [(float(a), float(b)) for a, b in _TC_PAIR.findall(paragraph)]
    except ValueError as e:
        raise _crash(e, "TVG parser") from None
    if not pairs:
        times = []
        last = None  # the reference's loop variable, which leaks into pass 3
        for sentence in candidates:
            found = _TC_FIRST_NUMBER.findall(sentence)
            if found:
                last = float(found[0])
                times.append(last)
        pairs = _pairs(times)
    if not pairs:
        times = []
        for sentence in candidates:
            if _TC_HMS_TUPLE.findall(sentence):
                # findall gave a tuple, whose count(':') is 0, so neither conversion runs and the
                # reference appends its stale pass-2 value (or dies if there was none).
                if last is None:
                    raise ReferenceFailure("the reference TVG parser would crash: UnboundLocalError (time_in_sec)")
                times.append(last)
        pairs = _pairs(times)
    return [[s, e] if e > s else [e, s] for s, e in pairs][:1]


# --- DVC -----------------------------------------------------------------------------------------


def _pair_texts(text: str) -> list[str]:
    """Each "a - b" match as written, as the DVC parser cuts it out of the text."""
    return [m.group(0) for m in _TC_PAIR.finditer(text)]


def _dvc_paragraph(text: str) -> tuple[list[list[float]] | list[list[str]], list[str]]:
    """`format_dvc.extract_time_from_para`: steps (a), (b), (c) on the lower-cased paragraph; step (c)'s
    times are the matched strings, as the reference keeps them."""
    paragraph = text.lower()
    timestamps: list[list[float]] = []
    captions: list[str] = []
    pairs = _TC_PAIR.findall(paragraph)
    if pairs:
        timestamps = [[float(a), float(b)] for a, b in pairs]
        rest = paragraph
        # str.replace hits every occurrence, even inside a longer pair: kept, it is the reference.
        for piece in _pair_texts(paragraph):
            rest = rest.replace(piece, "\n")
        captions = rest.replace("seconds", "").split("\n")
    if not timestamps:
        starts = _TC_START_TIME.findall(paragraph)
        ends = _TC_END_TIME.findall(paragraph)
        if starts and ends:
            timestamps = [[float(a), float(b)] for a, b in zip(starts, ends)]
            captions = _TC_DESCRIPTION.findall(paragraph) or _TC_STAR_ITEM.findall(paragraph)
    if not timestamps:
        pdb_pairs = _TC_PDB_FORMAT.findall(paragraph)
        if pdb_pairs:
            # The reference stops in pdb.set_trace() here. Run on, it keeps the string pairs, and its
            # captions are what is left once every "start time X, end time Y" is cut out.
            timestamps = [[a, b] for a, b in pdb_pairs]
            for a, b in pdb_pairs:
                paragraph = paragraph.replace(f"start time {a}, end time {b}", "\n")
            captions = paragraph.split("\n")
    # The length test runs on the raw piece, before stripping.
    captions = [c.strip().strip(", ").rstrip() for c in captions if len(c) > 5]
    n = min(len(timestamps), len(captions))
    return timestamps[:n], captions[:n]


def _dvc_time_part(time_part: str) -> list[str]:
    """`format_dvc.extract_time_part`: "a - b" strings; may raise like the reference does."""
    found = _pair_texts(time_part)
    if not found:
        colons = time_part.count(":")
        if colons == 1:
            minutes, seconds = _TC_MINSEC.findall(time_part)[0].split(":")
            t = int(minutes) * 60 + int(seconds)
            found = [f"{t - _DVC_RADIUS} - {t + _DVC_RADIUS}" if t > _DVC_RADIUS else f"{t} - {t + 2 * _DVC_RADIUS}"]
        elif colons == 2:
            start, end = _TC_MINSEC.findall(time_part)
            s = int(start.split(":")[0]) * 60 + int(start.split(":")[1])
            e = int(end.split(":")[0]) * 60 + int(end.split(":")[1])
            found = [f"{s} - {e}"]
    if not found:
        found = _TC_LOOSE_NUMBER.findall(time_part)
        if len(found) == 1:
            x = float(found[0])
            # Built as text and parsed back, like the reference: "1e-05 - 40.00001" then fails.
            found = [f"{x - _DVC_RADIUS} - {x + _DVC_RADIUS}" if x > _DVC_RADIUS else f"{x} - {x + 2 * _DVC_RADIUS}"]
        elif len(found) == 2:
            found = [f"{found[0]} - {found[1]}"]
    return found


def dvc_events(text: str) -> tuple[list[list[float]], list[str], str]:
    """`format_dvc.format_dvc_output`: type 1 over the paragraph, else one event from type 2.

    Args:
        text: The generated answer.

    Returns:
        `(timestamps, captions, path)`: parallel lists, and "type-1", "type-1c" (the pdb step, whose
        times are strings), "type-2" or "none". Pairs are kept as written, so `b - a` gives a
        reversed event, as in the reference.

    Raises:
        ReferenceFailure: Where the reference crashes (float("1..2")).
    """
    try:
        timestamps, captions = _dvc_paragraph(text)
    except ValueError as e:
        raise _crash(e, "DVC parser") from None
    if timestamps:
        return timestamps, captions, "type-1c" if isinstance(timestamps[0][0], str) else "type-1"
    if "\n" in text:
        lines = [c for c in text.split("\n") if len(c) > 7]
    else:
        lines = [c + "." for c in text.split(".") if len(c) > 7]
    for line in lines:
        # The reference wraps each line in a bare try/except and stops after its first event.
        try:
            parts = [p.strip(",") for p in line.split("seconds")]
            found = _dvc_time_part(parts[0])
            if not found:
                continue
            span = found[0]
            start = round(float(span.split("-")[0].strip()), 2)
            end = round(float(span.split("-")[1].strip()), 2)
        except Exception:
            continue
        return [[start, end]], [parts[-1].strip()], "type-2"
    return [], [], "none"


# --- VHD -----------------------------------------------------------------------------------------


def vhd_highlights(text: str) -> tuple[list[list[float]], list[float], list[float]]:
    """`format_vhd.parse_highlights`: (highlights, times, scores).

    Args:
        text: The generated answer.

    Returns:
        `highlights` as [[t, score], ...] (empty unless there are >= 2 times), and the `times` and
        `scores` lists that the reference zips into clip scores: padded or truncated to the times
        only when there are >= 2 times.

    Raises:
        ReferenceFailure: Where the reference crashes (a declared count too long for int()).
    """
    out = text.replace("th", " ")
    n_second = out.count("second")
    n_score = out.count("score")
    times: list[float] = []
    scores: list[float] = []
    if n_second == 0 or n_score == 0:
        return [], times, scores
    if n_second < 3 and n_score < 3:
        # Class 1: "... in the 82, 84 second. Their saliency scores are 1.3, 1.7".
        for line in out.split("\n"):
            if "second" not in line and "score" not in line:
                continue
            declared = _TC_MOMENT_COUNT.search(line)
            if declared:
                try:
                    limit = int(declared.group(1))
                except ValueError as e:
                    raise _crash(e, "VHD parser") from None
                # Rebuilt from the int, so "There are 010 ..." is not removed and 010 becomes a time.
                line = line.replace(f"There are {limit} highlight moments", "")
            else:
                limit = 100
            pieces = line.split("score")
            time_part = pieces[0]
            score_part = pieces[1] if len(pieces) > 1 else line
            if limit:
                times += [float(x) for x in _TC_VHD_NUMBER.findall(time_part)[:limit]]
                scores += [float(x) for x in _TC_SCORE.findall(score_part)[:limit]]
    else:
        # Class 2: one highlight per line; the last score and the last number > 10 of each line.
        for line in _TC_LINES.split(out):
            if "second" not in line and "score" not in line and ":" not in line:
                continue
            found_scores = _TC_SCORE.findall(line)
            if found_scores:
                scores.append(float(found_scores[-1]))
            # `':' in <tuple>` is never true, so hh:mm:ss (empty last group) is always dropped.
            kept = [g[-1] for g in _TC_VHD_CLASS2.findall(line) if g[-1] != "" and float(g[-1]) > 10.0]
            if kept:
                times.append(float(kept[-1]))
    highlights: list[list[float]] = []
    if len(times) > 1:
        scores = (scores + [0.0] * len(times))[: len(times)]
        highlights = [[t, s] for t, s in zip(times, scores)]
    return highlights, times, scores


def vhd_saliency(times: list[float], scores: list[float], duration: float) -> tuple[list[float], str | None]:
    """`format_vhd.format_vhd_output`: one mean score per 2 s clip, with the reference's clip ids.

    Args:
        times: Highlight times from `vhd_highlights`.
        scores: Their scores (zipped with `times`, so the shorter list wins).
        duration: Video duration in seconds, finite and >= 0.

    Returns:
        `(saliency, failure)`: int(duration/2) clip scores, and None or why the reference would
        crash (a time whose clip id max(0, int((t-1)/2)) is past the last clip, which happens for
        odd durations and durations under 2 s). Such a time is skipped here.
    """
    n_clips = int(duration / 2)
    sums = [0.0] * n_clips
    counts = [0] * n_clips
    failure = None
    for t, s in zip(times, scores):
        if t > duration:
            continue
        try:
            clip = max(0, int((t - 1) / 2))
        except (OverflowError, ValueError) as e:
            failure = failure or f"the reference VHD formatter would crash: {type(e).__name__}: {e}"
            continue
        if clip >= n_clips:
            failure = failure or (
                f"the reference VHD formatter would crash: time {t:g} s maps to clip {clip}, "
                f"past the {n_clips} clips of a {duration:g} s video (IndexError)"
            )
            continue
        sums[clip] += s
        counts[clip] += 1
    return [sums[i] / counts[i] if counts[i] else 0.0 for i in range(n_clips)], failure


# --- results in the public shape (see `parsers.py`) -----------------------------------------------


def make_tvg(windows: list, status: str, reason: str | None) -> dict:
    return {"windows": windows, "status": status, "reason": reason}


def make_dvc(events: list, status: str, reason: str | None) -> dict:
    return {"events": events, "status": status, "reason": reason}


def make_vhd(highlights: list, saliency: list | None, status: str, reason: str | None) -> dict:
    return {"highlights": highlights, "saliency": saliency, "status": status, "reason": reason}


def tvg_result(text: str) -> dict:
    """`tvg_windows` with a status: an empty list is the reference's parse failure."""
    windows = tvg_windows(text)
    if windows:
        return make_tvg(windows, OK, None)
    return make_tvg([], NO_TIME, "the reference found no 'a - b' pair and no two keyword sentences with a number")


def dvc_result(text: str) -> dict:
    """`dvc_events` as event dicts; type-1 captions are lower-cased like the reference's.

    Events of the pdb step carry their times as the reference keeps them, strings, in "text_times"
    (what `timechat eval` hands its evaluator, which compares them as text); "start"/"end" are
    their values.
    """
    timestamps, captions, path = dvc_events(text)
    if not timestamps:
        why = "the reference found no 'a - b' pair with a caption, no start/end time and no line with a time"
        return make_dvc([], NO_TIME, why)
    try:
        events = [{"start": float(s), "end": float(e), "caption": c} for (s, e), c in zip(timestamps, captions)]
    except ValueError as e:  # a step-(c) "5..0": eval_dvc.py's float() fails on it
        raise _crash(e, "DVC evaluator") from None
    notes = []
    if path == "type-1c":
        for event, pair in zip(events, timestamps):
            event["text_times"] = pair
        notes.append("the reference stops in pdb.set_trace() on 'start time X, end time Y'; run on, it keeps "
                     "the times as text, which its evaluator compares as text ('12.0' < '5.0')")
    # The reference keeps "b - a" as written; its evaluator then finds no overlap for the event.
    if any(ev["start"] > ev["end"] for ev in events):
        notes.append("the reference keeps reversed event(s) as written (end < start)")
    return make_dvc(events, OK, "; ".join(notes) or None)


def vhd_result(text: str, duration: float | None) -> dict:
    """`vhd_highlights` plus, when the duration is known, the reference's clip saliency."""
    highlights, times, scores = vhd_highlights(text)
    saliency, failure = (None, None) if duration is None else vhd_saliency(times, scores, duration)
    if failure:
        return make_vhd(highlights, saliency, ERROR, failure)
    if highlights:
        return make_vhd(highlights, saliency, OK, None)
    if len(times) == 1:
        # Still scored above: the reference fills the saliency, then counts the video as a failure.
        return make_vhd([], saliency, INCOMPLETE, "one highlight time only: the reference counts it as a parse failure")
    cleaned = text.replace("th", " ")
    if "second" not in cleaned or "score" not in cleaned:
        return make_vhd([], saliency, NO_TIME, "the reference needs both 'second' and 'score' in the answer")
    return make_vhd([], saliency, NO_TIME, "the reference found no highlight time")
