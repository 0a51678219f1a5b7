"""What the adapters hand to the builder, and the TimeIT answer formats.

Every adapter turns its native annotation into one of a few task-shaped items (`Events`,
`Grounding`, `Highlights`, `Summary`, `Speech`, `Conversation`); the builder applies the hygiene
policies (`hygiene.py`), picks a template (`templates.py`) and formats the answer here. The formats
are those of TimeChat's `utils/construct_it_data/*.py` (GitHub `RenShuhuai-Andy/TimeChat` @ c60b332;
`docs/timeit.md` §2-3):

- dense captioning / step localization: per event `f"{round(s, 1)} - {round(e, 1)} seconds, {text}. "`,
  joined with `" "` and right-stripped, so events are separated by two spaces;
- start-time-only dense captioning (ViTT): `f"{round(s, 1)} seconds, {text}. "`, joined likewise;
- grounding: `f"The given query happens in {s} - {e} seconds."` (Charades keeps the raw strings of the
  file, DiDeMo uses 5-s chunk units, the rest round(·, 1)); a zero-length QuerYD window becomes
  `f"The given query happens in {s} seconds."`;
- highlights: `f"There are {N} highlight moments in the {t, ...} second. Their saliency scores are {s, ...}."`;
- summarization: `f"The highlight timestamps are in the {t, ...} seconds. Their saliency scores are {s, ...}."`;
- transcribed speech: `f"Transcribed speech: {asr}"` with the reference ASR string.

The output record is the released TimeIT one, `{"video", "QA": [{"q", "a"}], "source"}`, plus
`"task"` and `"template"` (the template id used, e.g. `"tvg/3"`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from timechat_core.asr.transcript import Segment

TASKS = ("dvc", "dvc_start", "step", "tvg", "vhd", "summarization", "tsg", "conversation")


@dataclass(frozen=True)
class Event:
    """One captioned segment; `end` is None for start-time-only annotations (ViTT)."""

    start: float
    end: float | None
    text: str


@dataclass(frozen=True)
class Events:
    """A video with its captioned segments (dense captioning, step localization)."""

    video: str
    """Video path relative to the source's video folder, e.g. "v_uqiMw7tQ1Cc.mp4"."""
    events: tuple[Event, ...]
    where: str
    """file:line (or file: key) of the native record, for messages."""
    duration: float | None = None
    id: str = ""
    """The native video id (the eval-format `image_id` stem)."""
    captions: tuple[str, ...] | None = None
    """The sentences exactly as in the file, for the evaluation ground truth."""


@dataclass(frozen=True)
class Grounding:
    """One query with its window (temporal video grounding)."""

    video: str
    query: str
    start: float
    end: float
    where: str
    duration: float | None = None
    raw: tuple[str, str] | None = None
    """Charades: the time strings exactly as written in the file (the answer uses them)."""
    units: float | None = None
    """DiDeMo: chunk length in seconds; start/end are chunk indices, the answer is s*5 - (e+1)*5."""
    strip_period: bool = False
    """Charades, QuerYD: the query loses leading/trailing '.' before it is quoted."""
    id: int | str | None = None
    """The eval-format id (Charades: 0-based line index in the source file)."""
    point_if_equal: bool = False
    """QuerYD: a window whose rounded ends are equal is answered as one instant."""
    caption: str | None = None
    """The sentence exactly as in the file, for the evaluation ground truth (default: `query`)."""


@dataclass(frozen=True)
class Highlights:
    """A query with its relevant 2-s clips and per-clip rater scores (QVHighlights)."""

    video: str
    query: str
    clip_ids: tuple[int, ...]
    scores: tuple[tuple[float, ...], ...]
    where: str
    duration: float | None = None
    id: int | str | None = None
    clip_seconds: float = 2.0


@dataclass(frozen=True)
class Summary:
    """Highlight timestamps with 0-1 scores (TVSum, SumMe); the answer maps them to s*4+1."""

    video: str
    dataset: str
    """Fills `<dataset_placeholder>` ("tvsum", "summe")."""
    timestamps: tuple[float, ...]
    scores: tuple[float, ...]
    where: str
    duration: float | None = None


@dataclass(frozen=True)
class Speech:
    """A video and its transcript (transcribed speech generation, YT-Temporal)."""

    video: str
    segments: tuple[Segment, ...] | None
    where: str
    duration: float | None = None


@dataclass(frozen=True)
class Conversation:
    """Instructions already in question/answer form (Valley)."""

    video: str
    qa: tuple[tuple[str, str], ...]
    where: str
    duration: float | None = None


Item = Events | Grounding | Highlights | Summary | Speech | Conversation


@dataclass(frozen=True)
class Record:
    """One TimeIT instruction record."""

    video: str
    qa: tuple[tuple[str, str], ...]
    source: str
    task: str
    template: str
    duration: float | None = field(default=None, compare=False)
    """Not written: kept for `--stats` and the video checks."""
    video_problem: str | None = None
    """Why the video failed its check, for records kept with `flag_bad_videos` (written then)."""

    def to_dict(self) -> dict:
        d = {
            "video": self.video,
            "QA": [{"q": q, "a": a} for q, a in self.qa],
            "source": self.source,
            "task": self.task,
            "template": self.template,
        }
        if self.video_problem is not None:
            d["video_problem"] = self.video_problem
        return d


def r1(x: float) -> float:
    """`round(float(x), 1)` as the reference writes every time and score."""
    return round(float(x), 1)


def events_answer(events: Sequence[Event]) -> str:
    """Dense captioning / step localization answer (start-only when `end` is None)."""
    pieces = []
    for ev in events:
        if ev.end is None:
            pieces.append(f"{r1(ev.start)} seconds, {ev.text}. ")
        else:
            pieces.append(f"{r1(ev.start)} - {r1(ev.end)} seconds, {ev.text}. ")
    return " ".join(pieces).rstrip()


def grounding_times(g: Grounding) -> tuple[str, str]:
    """The two time strings of a grounding answer."""
    if g.raw is not None:
        return g.raw
    if g.units is not None:
        return f"{_num(g.start * g.units)}", f"{_num((g.end + 1) * g.units)}"
    return f"{r1(g.start)}", f"{r1(g.end)}"


def grounding_answer(g: Grounding) -> str:
    s, e = grounding_times(g)
    if g.point_if_equal and r1(g.start) == r1(g.end):
        return f"The given query happens in {s} seconds."
    return f"The given query happens in {s} - {e} seconds."


def quoted_query(text: str, strip_period: bool) -> str:
    """The query as the reference inserts it into `<query_placeholder>`: single-quoted."""
    return "'" + (text.strip(".") if strip_period else text) + "'"


def highlights_answer(h: Highlights) -> str:
    times = ", ".join(str(r1(cid * h.clip_seconds)) for cid in h.clip_ids)
    scores = ", ".join(str(r1(sum(s) / len(s))) for s in h.scores)
    return (f"There are {len(h.scores)} highlight moments in the {times} second. "
            f"Their saliency scores are {scores}.")


def summary_answer(s: Summary) -> str:
    times = ", ".join(str(r1(t)) for t in s.timestamps)
    scores = ", ".join(str(r1(x * 4 + 1)) for x in s.scores)
    return f"The highlight timestamps are in the {times} seconds. Their saliency scores are {scores}."


def speech_answer(s: Speech) -> str:
    from timechat_core.asr.inject import asr_text

    return f"Transcribed speech: {asr_text(s.segments)}"


def _num(x: float) -> str:
    # DiDeMo chunk indices are ints in the release, so the reference prints "15 - 20".
    return str(int(x)) if float(x).is_integer() else str(x)
