"""Answer layouts of today's video LLMs, read before the robust parser's text rules (`parsers.py`).

- Tagged answers (Time-R1 and other R1-style models): `<think> ... </think><answer>12.54 to 17.83</answer>`.
  Only the last `<answer>` block is read, as Time-R1's own reward and evaluation code does
  (`main.py`: "Use the content of the *last* <answer> block"); the reasoning's time ranges are not answers.
- Qwen3-VL's frame stamps written back in answers: `<3.2 seconds>`. The angle brackets are blanked
  (offsets kept), so "from <3.2 seconds> to <7.5 seconds>" reads as the range it is.
- JSON answers (the Qwen2.5-VL / Qwen3-VL cookbooks ask for "json format with 'mm:ss.ff'"): a list of
  objects with start / end keys and a caption (`[{"start_time": "00:00.00", "end_time": "00:21.80",
  "description": ...}]`), an object mapping "a - b" to captions (`{"00:23.00 - 00:48.00": "trim ..."}`),
  or one object with start and end; inside a ```json fence or not. (Bare lists such as `[[3.2, 7.5]]`
  are left to the text rules, which already read every pair of them.)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

_ANSWER_BLOCK = re.compile(r"<answer>(.*?)</answer>", re.S | re.I)
_STAMP = re.compile(r"<(\s*\d+(?:\.\d+)?\s*(?:seconds?|secs?|s)\s*)>", re.I)
_FENCE = re.compile(r"```(?:json)?\s*\n(.*?)```", re.S | re.I)
_START_KEYS = frozenset("start start_time starttime start_timestamp start_sec start_second start_seconds begin "
                        "begin_time from".split())
_END_KEYS = frozenset("end end_time endtime end_timestamp end_sec end_second end_seconds finish finish_time to".split())
_CAPTION_KEYS = ("description", "caption", "event", "sentence", "text", "step", "activity", "action", "label",
                 "content", "name")
MAX_JSON_STARTS = 32
"""At most this many `[` / `{` positions are tried as the start of a JSON value."""


@dataclass(frozen=True)
class Span:
    """One span of a JSON answer: `start` and `end` as written (a number or a time string), or, for an
    object keyed by ranges, the key's text in `start` and `end` None."""

    start: float | int | str
    end: float | int | str | None
    caption: str


def answer_part(text: str) -> str:
    """The last `<answer>...</answer>` block's content, else the whole text."""
    blocks = _ANSWER_BLOCK.findall(text)
    return blocks[-1] if blocks else text


def unbracket_stamps(text: str) -> str:
    """`<3.2 seconds>` -> ` 3.2 seconds ` (same length)."""
    return _STAMP.sub(lambda m: f" {m.group(1)} ", text)


def json_spans(text: str) -> list[Span]:
    """The spans of the first JSON value in the text that holds any (a ```json fence is tried first)."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        starts = [i for i, c in enumerate(candidate) if c in "[{"][:MAX_JSON_STARTS]
        for i in starts:
            try:
                value, _ = decoder.raw_decode(candidate, i)
            except ValueError:
                continue
            spans = _spans(value)
            if spans:
                return spans
    return []


def _key(name: str) -> str:
    return re.sub(r"[\s-]+", "_", str(name).strip().lower())


def _caption(obj: dict) -> str:
    keys = {_key(k): v for k, v in obj.items()}
    return next((str(keys[k]).strip() for k in _CAPTION_KEYS if isinstance(keys.get(k), str)), "")


def _is_time(value) -> bool:
    return isinstance(value, (int, float, str)) and not isinstance(value, bool)


def _spans(value) -> list[Span]:
    if isinstance(value, dict):
        keys = {_key(k): v for k, v in value.items()}
        start = next((keys[k] for k in keys if k in _START_KEYS), None)
        end = next((keys[k] for k in keys if k in _END_KEYS), None)
        if _is_time(start) and _is_time(end):
            return [Span(start, end, _caption(value))]
        if value and all(isinstance(v, str) and any(c.isdigit() for c in k) for k, v in value.items()):
            return [Span(k, None, v.strip()) for k, v in value.items()]  # {"00:23.00 - 00:48.00": "caption"}
        return [s for v in value.values() if isinstance(v, (dict, list)) for s in _spans(v)]
    if isinstance(value, list):
        return [s for v in value if isinstance(v, (dict, list)) for s in _spans(v)]
    return []
