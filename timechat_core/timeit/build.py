"""Build TimeIT records from native annotations: read, clean, check videos, template, inject ASR.

    from timechat_core.timeit.build import BuildOptions, SourceInput, build
    result = build([SourceInput("charades", (Path("charades_sta"),), split="train")], BuildOptions(seed=0))
    result.records[0].to_dict()   # {"video": "charades/AO8RW.mp4", "QA": [...], "source": "charades", ...}

Steps, per source in the order given:
1. the adapter reads each native file into task items (`record.py`); folders are resolved to the
   split's native files (`--split all`: every split found);
2. with `video_root`, every distinct video is checked: it must exist, and with `check_videos` it
   must open, have a video stream, decode its first frame and report a duration (a probed duration
   stands in where the annotation has none); failing videos are dropped (or kept and flagged) and
   counted by reason;
3. the hygiene policies (`hygiene.py`) fix, skip or flag known data problems;
4. a template is drawn with the source's own seeded generator (`templates.py`), the answer is
   formatted (`record.py`), and with `asr_dir` the instruction gets the reference ASR prefix
   (`timechat_core.asr.inject`).

Core code never prints: `on_source(report)` is called after each source, and `log` (a
`logging.Logger`) gets the details.
"""

from __future__ import annotations

import logging
import posixpath
import random
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from timechat_core.asr.transcript import TranscriptFolder
from timechat_core.errors import InputError
from timechat_core.timeit import record as R
from timechat_core.timeit.hygiene import Hygiene, SourceReport, check_window, short
from timechat_core.timeit.native import SPLITS, Skip, pick_files
from timechat_core.timeit.sources import Source, get_source
from timechat_core.timeit.templates import TemplatePicker

log = logging.getLogger(__name__)

VIDEO_PROBLEMS = ("video_missing", "video_unreadable", "no_video_stream", "no_duration")


@dataclass(frozen=True)
class SourceInput:
    """One source to build and where its annotations are."""

    source: str
    paths: tuple[Path, ...]
    """Native annotation files, or folders holding them under their release names."""
    split: str = "train"
    """train, val, test or all."""
    video_dir: str | None = None
    """Folder of this source's videos relative to `video_root`, also the prefix of the written
    `video` paths (default: the source name; "" for none)."""


@dataclass(frozen=True)
class BuildOptions:
    seed: int = 0
    hygiene: Hygiene = field(default_factory=Hygiene)
    video_root: Path | None = None
    """Videos are looked up here (missing ones are dropped); None: no video check."""
    check_videos: bool = False
    """Also open and decode each video (needs `video_root`)."""
    flag_bad_videos: bool = False
    """Keep records whose video failed its check (counted under `flagged`) instead of dropping them."""
    asr_dir: Path | None = None
    """Folder of transcripts (`<video stem>.txt`, the reference format) to inject into instructions."""
    shuffle: bool = False
    """Shuffle the merged records with the seed (the reference's merge.py shuffles unseeded)."""
    eval_prompts: bool = False
    """Also write each grounding / dense-captioning / highlight / step / summary record once more with
    `timechat infer`'s evaluation prompt as the instruction (template id `eval/<variant>`), so a model
    trained on it answers the prompts inference uses."""
    workers: int = 4
    """Threads that probe videos."""
    on_video: Callable[[int], None] | None = None
    """Called with the number of distinct videos of a source before they are checked, then with
    0 after each one (progress display; called from the probing threads)."""


@dataclass
class BuildResult:
    records: list[R.Record]
    reports: list[SourceReport]
    items: dict[str, list] = field(default_factory=dict)
    """source name -> the items kept after the video checks (for the evaluation ground truth)."""


def resolve_files(source: Source, paths: Iterable[Path], split: str) -> list[tuple[Path, str]]:
    """The `(file, split)` pairs to read: files as given, folders resolved to release file names."""
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}; choose from {', '.join(SPLITS)}")
    adapter = source.adapter()
    out = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            finder = getattr(adapter, "find", None)
            out.extend(finder(p, split) if finder else pick_files(p, split, adapter.FILES, source.name))
        elif p.exists():
            out.append((p, split))
        else:
            raise InputError(f"{p}: no such file or folder (annotations of {source.name})")
    return out


def read_items(source: Source, files: Iterable[tuple[Path, str]], report: SourceReport) -> list:
    """Every item the adapter yields for these `(file, split)` pairs; adapter-level skips are counted."""
    adapter = source.adapter()
    items = []
    for path, file_split in files:
        log.info("%s: reading %s (%s)", source.name, path, file_split)
        for item in adapter.read(path, file_split, **source.kwargs):
            if isinstance(item, Skip):
                report.skip(item.reason, item.where)
            else:
                items.append(item)
    report.read += len(items) + sum(report.skipped.values())
    return items


def build(inputs: Iterable[SourceInput], options: BuildOptions,
          on_source: Callable[[SourceReport], None] | None = None, *, make_records: bool = True) -> BuildResult:
    """Build the records of every input (see the module docstring).

    `make_records=False` stops after the video checks (the items are what the evaluation ground
    truth is made from; the reports then count only reading and video problems).

    Raises:
        InputError: unknown source or split, missing or malformed annotations (file and line named).
    """
    inputs = list(inputs)
    sources = [get_source(i.source) for i in inputs]
    problems, files = [], []  # every input problem, reported together before any work
    for inp, src in zip(inputs, sources):
        try:
            files.append(resolve_files(src, inp.paths, inp.split))
        except InputError as e:
            problems.append(str(e))
    if options.check_videos and options.video_root is None:
        problems.append("--check-videos needs --video-root (the folder the videos are in)")
    if problems:
        raise InputError("; ".join(problems))
    result = BuildResult([], [])
    asr = TranscriptFolder(options.asr_dir) if options.asr_dir else None
    for inp, src, src_files in zip(inputs, sources, files):
        report = SourceReport(src.name)
        items = read_items(src, src_files, report)
        video_dir = src.name if inp.video_dir is None else inp.video_dir
        items, problems = _check_videos(items, video_dir, options, report)
        result.items[src.name] = items
        if not make_records:
            result.reports.append(report)
            continue
        picker = TemplatePicker(options.seed, src.name)
        seen: set = set()
        for item in items:
            rec = _to_record(item, src, picker, options.hygiene, report, seen)
            if rec is None:
                continue
            rec = replace(rec, video=posixpath.join(video_dir, item.video) if video_dir else item.video,
                          video_problem=problems.get(item.video))
            extra = _eval_prompt_record(rec, item) if options.eval_prompts else None
            for r in (rec, extra) if extra is not None else (rec,):
                if asr is not None and src.asr:
                    r = _inject(r, item, video_dir, asr, report)
                result.records.append(r)
                report.written += 1
        result.reports.append(report)
        if on_source is not None:
            on_source(report)
    if options.shuffle:
        random.Random(options.seed).shuffle(result.records)
    return result


# --- items -> records ---------------------------------------------------------------------------

def _to_record(item, src: Source, picker: TemplatePicker, policy: Hygiene, report: SourceReport,
               seen: set) -> R.Record | None:
    if isinstance(item, R.Events):
        return _events_record(item, src, picker, policy, report, seen)
    if isinstance(item, R.Grounding):
        return _grounding_record(item, src, picker, policy, report, seen)
    if isinstance(item, R.Highlights):
        if not item.clip_ids:
            report.skip("no_events", item.where)
            return None
        if short(item.query, policy):
            report.skip("short_caption", item.where)
            return None
        key = ("vhd", item.video, item.query, item.clip_ids, item.scores)
        if _duplicate(key, seen, policy, report, item.where):
            return None
        t = picker.pick("vhd", query=R.quoted_query(item.query, False))
        return _record(item, src, t, R.highlights_answer(item))
    if isinstance(item, R.Summary):
        if not item.timestamps:
            report.skip("no_events", item.where)
            return None
        t = picker.pick("summarization", dataset=item.dataset)
        return _record(item, src, t, R.summary_answer(item))
    if isinstance(item, R.Speech):
        if item.segments is None:
            report.flag("asr_missing", item.where)
        t = picker.pick("tsg")
        return _record(item, src, t, R.speech_answer(item))
    if isinstance(item, R.Conversation):
        if not item.qa:
            report.skip("no_events", item.where)
            return None
        return R.Record(item.video, item.qa, src.label, "conversation", "conversation/native", item.duration)
    raise TypeError(f"unknown item {type(item).__name__}")


# TimeIT task -> the `timechat infer` task whose evaluation prompt asks for the same answer
_INFER_TASK = {"tvg": "grounding", "dvc": "dvc", "vhd": "highlight", "step": "step", "summarization": "summarize"}


def _eval_prompt_record(rec: R.Record, item) -> R.Record | None:
    from timechat_core.prompts import build_prompt

    task = _INFER_TASK.get(rec.task)
    if task is None or len(rec.qa) != 1:
        return None
    query = getattr(item, "query", None)
    dataset = getattr(item, "dataset", None) if task == "summarize" else None
    p = build_prompt(task, query, dataset=dataset)
    return replace(rec, qa=((p.text, rec.qa[0][1]),), template=f"eval/{p.variant}")


def _record(item, src: Source, t, answer: str) -> R.Record:
    return R.Record(item.video, ((t.text, answer),), src.label, src.task, t.id, item.duration)


def clean_events(item: R.Events, policy: Hygiene, report: SourceReport) -> list[R.Event]:
    """The events of a video after the caption, window and duplicate policies."""
    kept, seen = [], set()
    for ev in item.events:
        if short(ev.text, policy):
            report.skip("short_caption", item.where)
            continue
        if ev.end is not None:
            fixed = check_window(ev.start, ev.end, item.duration, policy, report, item.where)
            if fixed is None:
                continue
            ev = R.Event(fixed[0], fixed[1], ev.text)
        elif item.duration is not None and ev.start > item.duration:
            report.flag("end_past_duration", item.where)
        key = (ev.start, ev.end, ev.text)
        if policy.dedup and key in seen:
            report.skip("duplicate", item.where)
            continue
        seen.add(key)
        kept.append(ev)
    return kept


def _events_record(item: R.Events, src, picker, policy, report, seen) -> R.Record | None:
    events = clean_events(item, policy, report)
    if not events:
        report.skip("no_events", item.where)
        return None
    if _duplicate((src.task, item.video, tuple(events)), seen, policy, report, item.where):
        return None
    t = picker.pick(src.task)
    return _record(item, src, t, R.events_answer(events))


def clean_grounding(item: R.Grounding, policy: Hygiene, report: SourceReport) -> R.Grounding | None:
    """The query after the window policies (raw Charades strings follow a swap or clamp)."""
    if item.units is not None:
        return _clean_chunks(item, policy, report)
    fixed = check_window(item.start, item.end, item.duration, policy, report, item.where)
    if fixed is None:
        return None
    start, end, swapped, clamped = fixed
    raw = item.raw
    if raw is not None and swapped:
        raw = (raw[1], raw[0])
    if raw is not None and clamped:
        raw = tuple(r if float(r) == v else str(R.r1(v)) for r, v in zip(raw, (start, end)))
    return replace(item, start=start, end=end, raw=raw)


def _clean_chunks(item: R.Grounding, policy: Hygiene, report: SourceReport) -> R.Grounding | None:
    # DiDeMo: chunk s starts at s*5 s, chunk e ends at (e+1)*5 s. The order is checked on the
    # chunk indices, the duration in seconds; a clamped window is written in seconds.
    order = check_window(item.start, item.end, None, policy, report, item.where)
    if order is None:
        return None
    s, e = order[:2]
    fixed = check_window(s * item.units, (e + 1) * item.units, item.duration, policy, report, item.where)
    if fixed is None:
        return None
    if fixed[3]:
        return replace(item, start=fixed[0], end=fixed[1], units=None)
    return replace(item, start=s, end=e)


def _grounding_record(item: R.Grounding, src, picker, policy, report, seen) -> R.Record | None:
    if short(item.query, policy):
        report.skip("short_caption", item.where)
        return None
    g = clean_grounding(item, policy, report)
    if g is None:
        return None
    answer = R.grounding_answer(g)
    if _duplicate(("tvg", g.video, g.query, answer), seen, policy, report, item.where):
        return None
    point = answer.endswith(" seconds.") and " - " not in answer
    t = picker.pick("tvg", query=R.quoted_query(g.query, g.strip_period), exclude_word="end" if point else None)
    return _record(g, src, t, answer)


def _duplicate(key, seen: set, policy: Hygiene, report: SourceReport, where: str) -> bool:
    if not policy.dedup:
        return False
    if key in seen:
        report.skip("duplicate", where)
        return True
    seen.add(key)
    return False


# --- videos -------------------------------------------------------------------------------------

def _check_videos(items: list, video_dir: str, options: BuildOptions,
                  report: SourceReport) -> tuple[list, dict[str, str]]:
    """The items whose video passed (all of them, flagged, with `flag_bad_videos`), and
    `{video: problem}` for the flagged ones."""
    if options.video_root is None:
        return items, {}
    root = Path(options.video_root) / video_dir if video_dir else Path(options.video_root)
    videos = sorted({item.video for item in items})
    check = _probe_video if options.check_videos else _exists
    tick = options.on_video
    if tick is not None:
        tick(len(videos))

    def one(video: str):
        out = check(root / video)
        if tick is not None:
            tick(0)
        return out

    with ThreadPoolExecutor(max_workers=max(1, options.workers)) as pool:
        status = dict(zip(videos, pool.map(one, videos)))
    kept = []
    for item in items:
        problem, duration = status[item.video]
        if problem is not None:
            if not options.flag_bad_videos:
                report.skip(problem, f"{root / item.video}")
                continue
            report.flag(problem, f"{root / item.video}")
        if item.duration is None and duration is not None:
            item = replace(item, duration=duration)
        kept.append(item)
    flagged = {v: p for v, (p, _) in status.items() if p is not None} if options.flag_bad_videos else {}
    return kept, flagged


def _exists(path: Path) -> tuple[str | None, float | None]:
    return (None if path.is_file() else "video_missing"), None


def _probe_video(path: Path) -> tuple[str | None, float | None]:
    """`(problem or None, duration)`: the file exists, opens, has a video stream that decodes."""
    import av

    from timechat_core.errors import MediaError
    from timechat_core.video.probe import open_container

    if not path.is_file():
        return "video_missing", None
    try:
        with open_container(path) as container:
            if not container.streams.video:
                return "no_video_stream", None
            stream = container.streams.video[0]
            next(container.decode(stream))
            duration = None
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration:
                duration = container.duration / 1_000_000
    except (MediaError, av.error.FFmpegError, StopIteration, OSError):
        return "video_unreadable", None
    if not duration or duration <= 0:
        return "no_duration", None
    return None, duration


# --- ASR ----------------------------------------------------------------------------------------

def _inject(rec: R.Record, item, video_dir: str, asr: TranscriptFolder, report: SourceReport) -> R.Record:
    from timechat_core.asr.inject import inject_asr

    segments = asr.segments(item.video, video_dir)
    if segments is None:
        report.flag("asr_missing", item.where)
    return replace(rec, qa=tuple((inject_asr(q, segments), a) for q, a in rec.qa))


def write_records(path: Path, records: Iterable[R.Record | dict]) -> Path:
    """Write records (or their dicts) atomically: a JSON list for `.json` (as the released TimeIT), JSON lines otherwise."""
    import json

    from timechat_core.fileio import write_text_atomic

    rows = [r if isinstance(r, dict) else r.to_dict() for r in records]
    if Path(path).suffix.lower() == ".json":
        return write_text_atomic(path, json.dumps(rows, ensure_ascii=False) + "\n")
    return write_text_atomic(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
