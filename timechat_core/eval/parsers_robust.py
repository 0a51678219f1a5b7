"""The robust answer parser: generated text -> TVG windows, DVC events, VHD highlights, as a careful reader reads them.

It reads `mm:ss` and `h:mm:ss`, units ("1.5 minutes", "20 s"), "from X to Y", "X - Y", "X–Y", "between X and
Y", "starts at X and ends at Y", several windows, bullet and numbered lists; list numbering and counts are
never taken for times, reversed ranges are swapped, and results are clipped to [0, duration]. Today's video
LLMs' layouts are read first (`parsers_answers.py`): the last `<answer>` block of R1-style answers, Qwen3-VL's
`<3.2 seconds>` stamps, JSON lists of start/end objects.

`tvg_result`, `dvc_result` and `vhd_result` are what `parsers.parse_*(..., parser="robust")` call, after the
duration and the text were checked there; `parsers_timechat.py` is the reference's counterpart.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from timechat_core.eval.parsers_answers import answer_part, json_spans, unbracket_stamps
from timechat_core.eval.parsers_timechat import INCOMPLETE, NO_TIME, OK, OUT_OF_RANGE, make_dvc, make_tvg, make_vhd

# Saliency scores live on TimeChat's 1-5 scale; a highlight time given without a score gets the
# lowest point of that scale, so it still outranks the clips the answer never mentions.
DEFAULT_SCORE = 1.0
# QVHighlights clips are 2 s long (TimeIT writes clip `cid` as the time 2*cid).
CLIP_SECONDS = 2.0
# Bound the work on absurd inputs: "0 - 1e9 s" with no known duration.
MAX_HIGHLIGHTS = 10_000


# --- text preparation -------------------------------------------------------------------
# Unicode spaces become plain spaces (one character each, so offsets stay valid).
_SPACES = str.maketrans({c: " " for c in "\t\r\x0b\x0c\xa0\u2007\u2009\u200a\u202f\u205f\u3000"})
# List markers opening a line: "1.", "2)", "(3)", "#4", "-", "*", "•". Masked so numbering never
# reads as a time and a bullet dash never reads as a range.
_LIST_MARKER = re.compile(r"^([ ]*)(?:[-*•·▪‣]|\(?\d{1,3}[.)]|#\d{1,3}[.:)]?)(?=[ ]|$)", re.M)
# Echoed prompt examples ("For example, ' 90 - 102 seconds, spread margarine ...'", "A specific
# example is : 20.8 - 30.0 seconds'", the VHD "should be like: 'There are 10 ...'"): not answers.
_PROMPT_ECHO = re.compile(
    r"(?:for example|example is|should be like)\s*[:,]?\s*'[^'\n]*'"
    r"|example is\s*:\s*20\.8 - 30\.0 seconds'?"
    r"|the event 'person turn a light on' happens in the 24\.3 - 30\.4 seonds",
    re.I,
)

# --- time expressions -------------------------------------------------------------------
_SEC = r"s(?:ec(?:ond)?s?|e?c?onds?)?"  # s, sec(s), second(s), and the prompt's own typo "seonds"
_MIN = r"min(?:ute)?s?"
_HOUR = r"h(?:rs?|ours?)?"
# One time: h:mm:ss, m:ss, "the 10th second", or a number with an optional unit ("1.5 minutes",
# "20s", "30-second", "1 min 30 s", "1m30s"). The look-arounds keep it out of words, decimals, versions ("1.2.3"),
# clocks with a one-digit second ("1:2"), fractions ("1/4") and percentages; a colon may follow
# ("0:15: Intro"), but not a digit after it.
_ATOM = re.compile(
    rf"""(?<![\w.:/])
    (?:
        (?P<h>\d{{1,2}}):(?P<hm>\d{{2}}):(?P<hs>\d{{2}}(?:\.\d+)?)(?:,\d{{3}})?
      | (?P<m>\d{{1,3}}):(?P<ms>\d{{2}}(?:\.\d+)?)
      | (?P<cm>\d+)m(?P<cs>\d+(?:\.\d+)?)s
      | (?P<o>\d+)(?:st|nd|rd|th)\s+{_SEC}(?![a-z])
      | (?P<n>\d+(?:\.\d+)?|\.\d+)
        (?:(?:\s*|-)(?:(?P<unit>{_HOUR}|{_MIN})|(?P<sunit>{_SEC}))(?![a-z])
           # a compound only after hours or minutes: "12.5s and 18s" is two times, not 30.5 s
           (?(unit)(?:\s*(?:and\s+)?(?P<n2>\d+(?:\.\d+)?)\s*{_SEC}(?![a-z]))?))?
    )
    (?:(?P<cu>\s*(?:{_SEC}|{_MIN}))(?![a-z]))?
    (?![\w%/]|[.:]\d)""",
    re.X | re.I | re.A,
)
# What joins the two times of a range: a dash, "to", "until", "through", "~", an arrow.
_DASH_LINK = re.compile(r"\s*(?:-{1,2}>?|–|—|‒|−|~|→|to|until|till|through|thru)\s*", re.I)
# "between X and Y": the "and", allowed only after "between".
_AND_LINK = re.compile(r"\s*and\s*", re.I)
_BETWEEN_CUE = re.compile(r"\bbetween\s*\Z", re.I)
# "from", "between" or a bracket right before the first time: part of the range's span.
_RANGE_CUE = re.compile(r"(?:\b(?:from|between)\s*|[\[(]\s*)\Z", re.I)
# "cook for 15-20 seconds", "lasts 5 - 7 s": a duration, not a moment of the video.
_DURATION_CUE = re.compile(
    r"\b(?:for|lasts?|lasting|takes?|taking)\s+(?:about\s+|around\s+|approximately\s+|roughly\s+|~\s*)?\Z", re.I
)
# "[X, Y]" / "(X, Y)": the comma, only inside brackets.
_COMMA_LINK = re.compile(r"\s*,\s*")
# "| 0:00 | 0:20 |": adjacent table cells, only between two explicit times.
_PIPE_LINK = re.compile(r"\s*\|\s*")
# "starts at", "start time:", "the start time for this event is", "begins at": before the first time.
_START_CUE = re.compile(r"\b(?:start(?:s|ing|ed)?|begin(?:s|ning)?|began|commence[sd]?)\b[^\d\n]{0,40}\Z", re.I)
# "and ends at", ". End time:", "and lasts until": between the two times, without digits.
_END_CUE = re.compile(
    r"\A[^\d]{0,80}\b(?:end(?:s|ing|ed)?|finish(?:es|ed|ing)?|stops?|stopped|conclude[sd]?|until|till)\b[^\d]{0,40}\Z",
    re.I,
)
# "... mark and lasts until", "... into the video to the": a loose link between two explicit times.
_LOOSE_LINK = re.compile(r"\A[^\d\n]{0,40}\b(?:until|till|to|through)(?:\s+the)?\s*\Z", re.I)
# A word right after "X - Y": unless a function word, the numbers count things ("1-2 eggs").
_NEXT_WORD = re.compile(r"\A[ ]*([a-z]+)", re.I)
_FUNCTION_WORDS = frozenset(
    "a an and as at by during for he her his i in into is it of on or she the their then they this "
    "was we were when where while with you".split()
)
# A label right before "X - Y" makes the numbers indices ("steps 1-3", "scene 2 - 4").
_INDEX_LABEL = re.compile(
    r"\b(?:steps?|events?|scenes?|parts?|no\.?|numbers?|chapters?|items?|versions?|pages?|lines?|rows?|"
    r"clips?|shots?|frames?|segments?|sections?|figures?|options?)\s*#?\s*\Z",
    re.I,
)
# "at 83" / "time: 83": a bare number read as a single time point.
_POINT_CUE = re.compile(r"\b(?:at|time(?:stamp)?s?\s*[:=]?)\s*\Z", re.I)
# Two or more letters: the text around a time holds words (a caption), not just punctuation.
_WORDS = re.compile(r"[^\W\d_]{2,}")
# Labels that open a caption or a line: "Description:", "Event 2:", "Step 3 -".
_LABEL = re.compile(
    r"\A\s*(?:(?:description|caption|event|step|action|activity|scene|segment|timestamps?|time)"
    r"\s*\d*\s*[:.\-–—]\s*)+",
    re.I,
)
# Words left dangling at the end of a caption written before its time ("He grills in the").
_TRAILING_FILLER = re.compile(r"(?:^|\s)(?:in the|in|at|from|during|between|around|the|of|by|for)\s*\Z", re.I)
_SPACE_RUN = re.compile(r"\s+")
_LEAD_PUNCT = " ,;:-–—.)]>*•|'\""
_TRAIL_PUNCT = " ,;:-–—([<*•|'\""

# --- VHD lists and lines ----------------------------------------------------------------
_ITEM = r"(?:\d{1,2}:\d{2}:\d{2}(?:\.\d+)?|\d{1,3}:\d{2}(?:\.\d+)?|\d+(?:\.\d+)?)"
# A comma/"and" list of times or scores; atomic so a failed match never retries shorter lists.
_SEP = r"\s*(?:,|;|&|and)\s*(?:and\s+)?"
_LIST = rf"(?>{_ITEM}(?:{_SEP}{_ITEM})*)"
_LIST2 = rf"(?>{_ITEM}(?:{_SEP}{_ITEM})+)"
_LIST_ITEM = re.compile(_ITEM)
# Times: a list of two or more followed by "second(s)" ("in the 82, 84, 86 second"), or any
# list after a time cue ("moments in the 82, 84", "timestamps are 0:10"). A lone "90 seconds"
# is left to the per-line reading, where "82 - 90 seconds" is a range.
_VHD_TIMES = re.compile(
    rf"(?<![\w.:/])(?P<a>{_LIST2})\s*{_SEC}(?![a-z])"
    rf"|\b(?:timestamps?|times|moments)\s*(?:are|is|:)?\s*(?:in|at)?\s*(?:the\s+)?(?P<b>{_LIST})",
    re.I | re.A,
)
# Scores: the list after "score(s)" ("Their saliency scores are 1.3, 1.7").
_VHD_SCORES = re.compile(rf"\bscores?\s*(?:are|is|of|:|=)?\s*(?P<a>{_LIST})", re.I | re.A)
# A score after a keyword on one line: "score 3.5", "saliency score of 3.5", "rating: 4".
_LINE_SCORE = re.compile(r"\b(?:saliency|score|rating)\b[^\d\n]{0,20}?(?P<s>\d+(?:\.\d+)?)", re.I | re.A)
# "t: score" lines: "82: 1.3", "- 1:22 -> 3.5", "82 s = 2.0".
_TIME_SCORE_LINE = re.compile(
    rf"\A[^\w\n]*(?P<t>{_ITEM})(?![\d.]|:\d)\s*(?:{_SEC}(?![a-z]))?"
    rf"\s*(?::|=|->|→|\|)\s*(?P<s>\d+(?:\.\d+)?)\s*(?:/\s*5)?[^\w\n]*\Z",
    re.I | re.A,
)


@dataclass(frozen=True)
class _Atom:
    start: int
    end: int
    number: float  # seconds for clocks and compounds, else in its own unit
    factor: float | None  # seconds per unit; None for a bare number
    clock: bool  # h:mm:ss, m:ss or a compound such as "1 min 30 s"

    @property
    def explicit(self) -> bool:
        return self.clock or self.factor is not None


@dataclass(frozen=True)
class _Range:
    start: int  # span in the text, cue words included
    end: int
    lo: float
    hi: float


# --- scanning ---------------------------------------------------------------------------


def _prepare(text: str) -> str:
    """Plain spaces; list markers and echoed prompt examples blanked out (offsets kept)."""
    text = text.translate(_SPACES)
    text = _PROMPT_ECHO.sub(lambda m: " " * len(m.group()), text)
    return _LIST_MARKER.sub(lambda m: " " * len(m.group()), text)


def _clock(h: str | None, m: str, s: str) -> float:
    return (int(h) * 3600 if h else 0) + int(m) * 60 + float(s)


def _unit_factor(unit: str) -> float:
    first = unit[0].lower()
    return 3600.0 if first == "h" else 60.0 if first == "m" else 1.0


def _atoms(text: str) -> list[_Atom]:
    atoms = []
    for m in _ATOM.finditer(text):
        g = m.groupdict()
        if g["hm"] is not None:
            atom = _Atom(m.start(), m.end(), _clock(g["h"], g["hm"], g["hs"]), 1.0, True)
        elif g["ms"] is not None:
            atom = _Atom(m.start(), m.end(), _clock(None, g["m"], g["ms"]), 1.0, True)
        elif g["cm"] is not None:
            atom = _Atom(m.start(), m.end(), _clock(None, g["cm"], g["cs"]), 1.0, True)
        elif g["o"] is not None:  # "the 10th second"
            atom = _Atom(m.start(), m.end(), float(g["o"]), 1.0, False)
        elif g["n2"] is not None:  # "1 min 30 s"
            atom = _Atom(m.start(), m.end(), float(g["n"]) * _unit_factor(g["unit"]) + float(g["n2"]), 1.0, True)
        else:
            unit = g["unit"] or g["sunit"] or (g["cu"] or "").strip()
            atom = _Atom(m.start(), m.end(), float(g["n"]), _unit_factor(unit) if unit else None, False)
        # A digit string too long for a float is not a time anyone meant.
        if math.isfinite(atom.number * (atom.factor or 3600.0)):
            atoms.append(atom)
    return atoms


def _seconds(atom: _Atom, partner: _Atom) -> float:
    """A bare number takes its partner's unit: "1 to 2 minutes" is 60-120 s."""
    if atom.factor is not None:
        return atom.number * atom.factor
    return atom.number * (partner.factor if partner.factor is not None and not partner.clock else 1.0)


def _counts_things(text: str, a: _Atom, b: _Atom) -> bool:
    """Two bare numbers that are indices ("steps 1-3") or counts ("1-2 eggs"), not times."""
    if a.explicit or b.explicit:
        return False
    if _INDEX_LABEL.search(text, max(0, a.start - 20), a.start):
        return True
    word = _NEXT_WORD.match(text[b.end : b.end + 30])
    return bool(word) and word.group(1).lower() not in _FUNCTION_WORDS


def _link(text: str, a: _Atom, b: _Atom, prev_end: int) -> int | None:
    """Where the range "a ... b" starts (cue words included), or None if a and b are no range."""
    between = text[a.end : b.start]
    lo = max(prev_end, text.rfind("\n", max(0, a.start - 60), a.start) + 1, a.start - 60)
    before = text[lo : a.start]  # same line, after the previous range, at most 60 characters
    if _DURATION_CUE.search(before):
        return None
    cue = _RANGE_CUE.search(before)
    start = lo + cue.start() if cue else a.start
    # "X - Y", "X to Y", "between X and Y": bare numbers only when they do not count things.
    if len(between) <= 12 and _DASH_LINK.fullmatch(between):
        return None if _counts_things(text, a, b) else start
    if len(between) <= 12 and _AND_LINK.fullmatch(between) and _BETWEEN_CUE.search(before):
        return None if _counts_things(text, a, b) else start
    # "[X, Y]": a comma is a range only inside brackets, or every list of numbers would be one.
    if _COMMA_LINK.fullmatch(between) and before.rstrip().endswith(("[", "(")):
        if text[b.end : b.end + 12].lstrip().startswith(("]", ")")):
            return start
    # "starts at X ... ends at Y": the start cue may sit on the line above the end cue
    # ("Start time: 105\nEnd time: 109"), so this one looks across lines.
    starter = _START_CUE.search(text, max(prev_end, a.start - 60), a.start)
    if starter and len(between) <= 120 and _END_CUE.search(between):
        return starter.start()
    # "0:41 ... until 0:52", "| 0:00 | 0:20 |": loose links, trusted only between explicit times.
    if a.explicit and b.explicit and (_LOOSE_LINK.search(between) or _PIPE_LINK.fullmatch(between)):
        return start
    return None


def _ranges(text: str, atoms: list[_Atom]) -> tuple[list[_Range], list[_Atom]]:
    """Pairs consecutive atoms into ranges, left to right; returns (ranges, unpaired atoms)."""
    ranges, loose = [], []
    i, prev_end = 0, 0
    while i < len(atoms):
        a = atoms[i]
        b = atoms[i + 1] if i + 1 < len(atoms) else None
        start = _link(text, a, b, prev_end) if b else None
        if start is None:
            loose.append(a)
            i += 1
            continue
        lo, hi = _seconds(a, b), _seconds(b, a)
        ranges.append(_Range(start, b.end, min(lo, hi), max(lo, hi)))
        prev_end = b.end
        i += 2
    return ranges, loose


def _points(text: str, loose: list[_Atom]) -> list[_Atom]:
    """Unpaired atoms that are clearly times: explicit, or a bare number after "at"/"time:"."""
    return [a for a in loose if a.explicit or _POINT_CUE.search(text, max(0, a.start - 15), a.start)]


def _clip(lo: float, hi: float, duration: float | None) -> tuple[float, float] | None:
    """The window inside [0, duration], or None when it only touches the video at one point."""
    if duration is None:
        return lo, hi
    if lo > duration:
        return None
    c_lo, c_hi = max(lo, 0.0), min(hi, duration)
    return None if c_hi <= c_lo < hi else (c_lo, c_hi)


def _fmt(seconds: float) -> str:
    return f"{seconds:g} s"


def _nothing_found(atoms: list[_Atom], points: list[_Atom]) -> tuple[str, str]:
    if points:
        shown = ", ".join(_fmt(_seconds(a, a)) for a in points[:5])
        return INCOMPLETE, f"only single time points ({shown}), no start and end"
    if atoms:
        return NO_TIME, "no time expression found (the numbers read as counts or labels)"
    return NO_TIME, "no time expression found"


# --- the three tasks --------------------------------------------------------------------


def _json_pairs(text: str) -> list[tuple[_Range, str]]:
    """(range, caption) of the spans of a JSON answer; a time given as a string is read as the text rules read it."""
    pairs = []
    for span in json_spans(text):
        if span.end is None:  # a key such as "00:23.00 - 00:48.00"
            key = _prepare(span.start)
            found = _ranges(key, _atoms(key))[0]
            pairs += [(found[0], span.caption)] if found else []
            continue
        lo, hi = _json_seconds(span.start), _json_seconds(span.end)
        if lo is not None and hi is not None:
            pairs.append((_Range(0, 0, min(lo, hi), max(lo, hi)), span.caption))
    return pairs


def _json_seconds(value) -> float | None:
    if not isinstance(value, str):
        return float(value)
    atoms = _atoms(_prepare(value))
    return _seconds(atoms[0], atoms[0]) if atoms else None


def _answer_text(text: str) -> str:
    """The part of an answer the rules read: the last `<answer>` block, stamps unbracketed."""
    return unbracket_stamps(answer_part(text))


def tvg_result(text: str, duration: float | None) -> dict:
    text = _answer_text(text)
    json_ranges = [r for r, _ in _json_pairs(text)]
    text = _prepare(text)
    atoms = _atoms(text)
    ranges, loose = (json_ranges, []) if json_ranges else _ranges(text, atoms)
    if not ranges:
        status, reason = _nothing_found(atoms, _points(text, loose))
        return make_tvg([], status, reason)
    windows: list[list[float]] = []
    for r in ranges:
        w = _clip(r.lo, r.hi, duration)
        if w is not None and list(w) not in windows:
            windows.append(list(w))
    if not windows:
        return make_tvg([], OUT_OF_RANGE, f"all {len(ranges)} window(s) fall outside [0, {duration:g}] s")
    return make_tvg(windows, OK, None)


def _line_of(text: str, pos: int) -> tuple[int, int]:
    end = text.find("\n", pos)
    return text.rfind("\n", 0, pos) + 1, len(text) if end < 0 else end


def _has_words(s: str) -> bool:
    return bool(_WORDS.search(_LABEL.sub("", s)))


def _clean_caption(s: str) -> str:
    """Drops labels ("Description:"), edge punctuation and dangling fillers ("in the")."""
    s = _SPACE_RUN.sub(" ", s)
    while True:  # peel until nothing changes: "(from" leaves "(" behind, then "in the"
        before = s
        s = _LABEL.sub("", s.lstrip(_LEAD_PUNCT))
        s = _TRAILING_FILLER.sub("", s.rstrip(_TRAIL_PUNCT))
        if s == before:
            return s


def _paragraph(lines: list[str]) -> list[str]:
    """The first run of non-blank lines (leading blank lines skipped)."""
    taken: list[str] = []
    for line in lines:
        if not line.strip():
            if taken:
                break
            continue
        taken.append(line)
    return taken


def _captions(text: str, ranges: list[_Range]) -> list[str]:
    """One caption per range: the text after each time, or before it, whichever the answer uses."""
    after = before = 0
    for r in ranges:
        ls = _line_of(text, r.start)[0]
        head, tail = text[ls : r.start], text[r.end : _line_of(text, r.end)[1]]
        if not _has_words(head) and _has_words(tail):
            after += 1
        elif _has_words(head) and not _has_words(tail):
            before += 1
    if after == before:  # standalone time lines: is the loose text below the last time or above the first?
        after = int(_has_words(" ".join(_paragraph(text[ranges[-1].end :].split("\n")))))
        before = int(not after and _has_words(text[: ranges[0].start]))
    captions = []
    for i, r in enumerate(ranges):
        if after >= before:
            region = text[r.end : ranges[i + 1].start if i + 1 < len(ranges) else len(text)]
            first, _, rest = region.partition("\n")
            caption = first if _has_words(first) else " ".join(_paragraph(rest.split("\n")))
        else:
            lines = text[ranges[i - 1].end if i else 0 : r.start].split("\n")
            above = _paragraph(lines[-2::-1])  # walking up from the line above the time
            caption = lines[-1] if _has_words(lines[-1]) else " ".join(reversed(above))
        captions.append(_clean_caption(caption))
    return captions


def _chapters(text: str, points: list[_Atom], duration: float | None) -> list[tuple[_Range, str]]:
    """ "0:00 Intro / 0:15 Eggs / 1:02 Whisk": each line-opening time runs to the next one."""
    starts = [a for a in points if not text[_line_of(text, a.start)[0] : a.start].strip()]
    times = [_seconds(a, a) for a in starts]
    if len(starts) < 2 or times != sorted(times):
        return []
    ends = times[1:] + ([duration] if duration is not None and duration > times[-1] else [])
    return [
        (_Range(a.start, a.end, t, e), _clean_caption(text[a.end : _line_of(text, a.end)[1]]))
        for a, t, e in zip(starts, times, ends)
    ]


def dvc_result(text: str, duration: float | None) -> dict:
    text = _answer_text(text)
    json_pairs = _json_pairs(text)
    text = _prepare(text)
    atoms = _atoms(text)
    ranges, loose = _ranges(text, atoms)
    points = _points(text, loose)
    if json_pairs:
        pairs = json_pairs
    else:
        pairs = list(zip(ranges, _captions(text, ranges))) if ranges else _chapters(text, points, duration)
    if not pairs:
        status, reason = _nothing_found(atoms, points)
        return make_dvc([], status, reason)
    events = []
    for r, caption in pairs:
        w = _clip(r.lo, r.hi, duration)
        if w is not None:
            events.append({"start": w[0], "end": w[1], "caption": caption})
    if not events:
        return make_dvc([], OUT_OF_RANGE, f"all {len(pairs)} event(s) fall outside [0, {duration:g}] s")
    return make_dvc(events, OK, None)


def _item_seconds(item: str) -> float:
    """A list item: "82", "82.5", "1:22" or "0:01:22"."""
    parts = item.split(":")
    if len(parts) == 3:
        return _clock(*parts)
    if len(parts) == 2:
        return _clock(None, *parts)
    return float(item)


def _score_near(line: str, ranges: list[_Range], i: int) -> float:
    """The score written after range i (before the next one), else before it, else the default."""
    r = ranges[i]
    after = _LINE_SCORE.search(line, r.end, ranges[i + 1].start if i + 1 < len(ranges) else len(line))
    found = after or _LINE_SCORE.search(line, ranges[i - 1].end if i else 0, r.start)
    return float(found.group("s")) if found else DEFAULT_SCORE


def _vhd_pairs(text: str) -> list[tuple[float | tuple[float, float], float]]:
    """(time or window, score) pairs: the TimeChat two-list answer, else one reading per line."""
    times = [
        _item_seconds(x)
        for m in _VHD_TIMES.finditer(text)
        for x in _LIST_ITEM.findall(m.group("a") or m.group("b"))
    ]
    if times:
        scores = [float(x) for m in _VHD_SCORES.finditer(text) for x in _LIST_ITEM.findall(m.group("a"))]
        return [(t, scores[k] if k < len(scores) else DEFAULT_SCORE) for k, t in enumerate(times)]
    pairs: list[tuple[float | tuple[float, float], float]] = []
    for line in text.split("\n"):
        atoms = _atoms(line)
        ranges, loose = _ranges(line, atoms)
        keywords = list(_LINE_SCORE.finditer(line))
        plain = _TIME_SCORE_LINE.match(line)
        if ranges:
            pairs += [((r.lo, r.hi), _score_near(line, ranges, i)) for i, r in enumerate(ranges)]
        elif plain:
            pairs.append((_item_seconds(plain.group("t")), float(plain.group("s"))))
        elif keywords:
            # "at 10 s (score 3), at 12 s (score 4)": each score goes with the time just before it.
            for k, keyword in enumerate(keywords):
                lo = keywords[k - 1].end() if k else 0
                before = [a for a in atoms if lo <= a.start and a.end <= keyword.start()]
                chosen = [a for a in before if a.explicit] or before
                if chosen:
                    pairs.append((_seconds(chosen[-1], chosen[-1]), float(keyword.group("s"))))
        else:
            pairs += [(_seconds(a, a), DEFAULT_SCORE) for a in _points(line, loose)]
    return pairs


def vhd_result(text: str, duration: float | None) -> dict:
    text = _prepare(_answer_text(text))
    found = _vhd_pairs(text)
    highlights: list[list[float]] = []
    for where, score in found:
        if not math.isfinite(score) or not all(map(math.isfinite, where if isinstance(where, tuple) else [where])):
            continue
        if isinstance(where, tuple):  # a window: one highlight per 2 s clip it covers
            w = _clip(where[0], where[1], duration)
            if w is None:
                continue
            first = int(w[0] // CLIP_SECONDS)
            last = max(first + 1, math.ceil(w[1] / CLIP_SECONDS))
            for k in range(first, min(last, first + MAX_HIGHLIGHTS - len(highlights))):
                highlights.append([max(k * CLIP_SECONDS, w[0]), score])
        elif duration is None or 0.0 <= where <= duration:
            highlights.append([where, score])
        if len(highlights) >= MAX_HIGHLIGHTS:
            break
    saliency = None if duration is None else _saliency(highlights, duration)
    if highlights:
        return make_vhd(highlights, saliency, OK, None)
    if found and duration is not None:
        return make_vhd([], saliency, OUT_OF_RANGE, f"all {len(found)} highlight(s) fall outside [0, {duration:g}] s")
    status, reason = _nothing_found(_atoms(text), [])
    return make_vhd([], saliency, status, reason)


def _saliency(highlights: list[list[float]], duration: float) -> list[float]:
    """Mean score per 2 s clip: clip k covers [2k, 2k+2); the last partial clip joins clip n-1."""
    n = int(duration / CLIP_SECONDS)
    sums, counts = [0.0] * n, [0] * n
    for t, s in highlights:
        if n and 0.0 <= t <= duration:
            k = min(int(t // CLIP_SECONDS), n - 1)
            sums[k] += s
            counts[k] += 1
    return [sums[k] / counts[k] if counts[k] else 0.0 for k in range(n)]
