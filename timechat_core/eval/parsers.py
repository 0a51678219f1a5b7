"""Answer parsers: generated text -> TVG windows, DVC events, VHD highlights and clip saliency.

Each task has two parsers, picked with `parser=`:

- "robust" (default) reads what a careful human reader would (`parsers_robust.py`): `mm:ss`, units,
  "from X to Y", "between X and Y", lists, today's video LLMs' `<answer>` blocks, stamps and JSON;
  counts are never taken for times, results are clipped to [0, duration].
- "timechat" reproduces the reference heuristics exactly, bugs included (`parsers_timechat.py`),
  so that the reference numbers can be recomputed.

Every function returns a dict with a `status` and never raises on any text:

    >>> parse_tvg("The event happens from 10.5 to 20 seconds.")
    {'windows': [[10.5, 20.0]], 'status': 'ok', 'reason': None}
    >>> parse_tvg("1:23 - 1:45", parser="timechat")["windows"]
    [[1.0, 23.0]]

Statuses: "ok"; "no-time" (nothing read as a time); "incomplete" (times found but no usable
window, e.g. a single point, or one VHD time that the reference counts as a failure);
"out-of-range" (everything fell outside the duration); "error" (the reference would crash or hang,
a bad duration, or, as a last resort, a bug here). `reason` says why whenever status is not "ok";
with "ok" it is None, except to flag a kept reference quirk (a reversed timechat DVC event).
"""

from __future__ import annotations

import math
import warnings

from timechat_core.eval import parsers_robust as robust
from timechat_core.eval import parsers_timechat as tc
from timechat_core.eval.parsers_timechat import (
    ERROR,
    INCOMPLETE,
    NO_TIME,
    OK,
    OUT_OF_RANGE,
    ReferenceFailure,
    make_dvc,
    make_tvg,
    make_vhd,
)

PARSERS = ("robust", "timechat")
STATUSES = (OK, NO_TIME, INCOMPLETE, OUT_OF_RANGE, ERROR)


class ParserBugWarning(RuntimeWarning):
    """A parser caught an exception of its own (a bug here): the caller still gets status "error", and this
    warning says so. Under `warnings.simplefilter("error", ParserBugWarning)` it raises instead, with the
    bug's exception as its context: the "never raises" property tests run that way, so a bug fails them."""


MAX_VHD_DURATION = 1e6
"""The longest duration whose per-clip saliency vector is built (a 1e12 s video's would not fit in memory)."""


def _check_duration(duration, task: str) -> tuple[float | None, str | None]:
    """(seconds, None), or (None, why the duration is unusable)."""
    if duration is None:
        return None, None
    try:
        value = float(duration)
    except (TypeError, ValueError, OverflowError):
        return None, f"duration must be a number of seconds, got {duration!r}"
    if not math.isfinite(value) or value < 0:
        return None, f"duration must be finite and >= 0, got {duration!r}"
    if task == "vhd" and value > MAX_VHD_DURATION:
        return None, f"duration {value:g} s is too long for a per-clip saliency vector (max {MAX_VHD_DURATION:g} s)"
    return value, None


def _numbers(item) -> tuple:
    return (item["start"], item["end"]) if isinstance(item, dict) else tuple(item)


def _finite(result: dict) -> dict:
    """Drops items holding a non-finite number (the reference reads "9"*400 as inf) and says so."""
    key = "windows" if "windows" in result else "events" if "events" in result else "highlights"
    items = result[key]
    kept = [x for x in items if all(map(math.isfinite, _numbers(x)))]
    saliency = result.get("saliency")
    bad_saliency = saliency is not None and not all(map(math.isfinite, saliency))
    if len(kept) == len(items) and not bad_saliency:
        return result
    if bad_saliency:
        result["saliency"] = [v if math.isfinite(v) else 0.0 for v in saliency]
    why = "a time or score is too large to be a number (non-finite)"
    result.update({key: kept, "status": ERROR, "reason": "; ".join(filter(None, [why, result["reason"]]))})
    return result


_IMPLEMENTATIONS = {
    ("tvg", "robust"): robust.tvg_result,
    ("tvg", "timechat"): lambda text, duration: tc.tvg_result(text),
    ("dvc", "robust"): robust.dvc_result,
    ("dvc", "timechat"): lambda text, duration: tc.dvc_result(text),
    ("vhd", "robust"): robust.vhd_result,
    ("vhd", "timechat"): tc.vhd_result,
}


def _failed(task: str, duration: float | None, reason: str) -> dict:
    if task == "tvg":
        return make_tvg([], ERROR, reason)
    if task == "dvc":
        return make_dvc([], ERROR, reason)
    return make_vhd([], None if duration is None else [0.0] * int(duration / robust.CLIP_SECONDS), ERROR, reason)


def _parse(task: str, text, duration, parser: str) -> dict:
    if parser not in PARSERS:
        raise ValueError(f"unknown parser {parser!r}; choose one of {', '.join(PARSERS)}")
    value, bad_duration = _check_duration(duration, task)
    if bad_duration:
        return _failed(task, None, bad_duration)
    if not isinstance(text, str):
        return _failed(task, value, f"the answer must be a str, got {type(text).__name__}")
    try:
        return _finite(_IMPLEMENTATIONS[task, parser](text, value))
    except ReferenceFailure as e:
        return _failed(task, value, str(e))
    except Exception as e:  # the promise is "never raises": report a bug here as a status, not a crash
        reason = f"internal parser error: {type(e).__name__}: {e}"
        warnings.warn(reason, ParserBugWarning, stacklevel=3)
        return _failed(task, value, reason)


def parse_tvg(text: str, *, duration: float | None = None, parser: str = "robust") -> dict:
    """Reads temporal-grounding windows from a generated answer.

    Args:
        text: The model's answer.
        duration: Video length in seconds; robust windows are clipped to [0, duration]. The
            timechat parser ignores it, like the reference.
        parser: "robust" or "timechat" (the reference: first window only, no clipping).

    Returns:
        `{"windows": [[start, end], ...], "status": str, "reason": str | None}`.

    Raises:
        ValueError: Only for an unknown `parser`; never because of the text.
    """
    return _parse("tvg", text, duration, parser)


def parse_dvc(text: str, *, duration: float | None = None, parser: str = "robust") -> dict:
    """Reads dense-captioning events from a generated answer.

    Args:
        text: The model's answer.
        duration: Video length in seconds; robust events are clipped to [0, duration]. The
            timechat parser ignores it, like the reference.
        parser: "robust" or "timechat" (the reference, whose type-1 captions are lower-cased).

    Returns:
        `{"events": [{"start", "end", "caption"}, ...], "status": str, "reason": str | None}`.

    Raises:
        ValueError: Only for an unknown `parser`; never because of the text.
    """
    return _parse("dvc", text, duration, parser)


def parse_vhd(text: str, *, duration: float | None = None, parser: str = "robust") -> dict:
    """Reads highlight (time, saliency score) pairs and the per-clip saliency vector.

    Args:
        text: The model's answer.
        duration: Video length in seconds. Without it `saliency` is None.
        parser: "robust" (clip k = [2k, 2k+2)) or "timechat" (the reference's clip ids
            max(0, int((t-1)/2)) and its failure rule: fewer than 2 times is a failure).
            A duration over MAX_VHD_DURATION is refused (status "error"), as its vector would
            not fit in memory.

    Returns:
        `{"highlights": [[t, score], ...], "saliency": [one mean score per 2 s clip] | None,
        "status": str, "reason": str | None}`; `saliency` has int(duration/2) entries.

    Raises:
        ValueError: Only for an unknown `parser`; never because of the text.
    """
    return _parse("vhd", text, duration, parser)
