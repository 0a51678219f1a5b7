"""`timechat build-timeit`: the TimeIT instruction set from the native annotations of its sources."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from timechat_cli.console import err


class Split(str, Enum):
    train = "train"
    val = "val"
    test = "test"
    all = "all"


class Reversed(str, Enum):
    swap = "swap"
    drop = "drop"
    keep = "keep"


HELP = r"""Build TimeIT records {"video", "QA": \[{"q", "a"}], "source", "task", "template"} from the native annotation files of its sources; a summary per source (written, skipped / fixed / flagged by reason) goes to stderr.

Sources: youcook2, activitynet, vitt, charades, didemo, queryd, hirest, hirest_step, coin, qvhighlights, tvsum, summe, yttemporal, valley (and the variants activitynet_tvg, queryd_dvc). --ann NAME=PATH gives a native file or a folder holding the release files (repeat it for several files); --data-root DIR finds folders named like the datasets (charades_sta, activitynet_captions, youcook2, qvhighlights, tvsum, ...).

Answers are byte-exact with TimeChat's construction scripts; the instruction template is drawn with --seed, so the same seed gives the same file. Data problems follow explicit policies: start > end swapped (--reversed), ends past the duration kept and counted (--clamp clamps), captions under 2 characters and duplicates skipped.

Examples:

  timechat build-timeit --data-root tests/data --split all -o timeit.json --stats

  timechat build-timeit --sources charades --ann charades=charades_sta --split test --eval-format -o test.caption_coco_format.json

  timechat build-timeit --config sources.yaml --video-root /data --check-videos --asr-dir asr/tiny.en.cleaned -o timeit_asr.jsonl
"""


def build_timeit(
    output: Annotated[Path, typer.Option("--output", "-o", help="Output file: .json (a list, as the released TimeIT) or .jsonl.", dir_okay=False)],
    sources: Annotated[str, typer.Option(help="'all' (every source with an input) or NAME,NAME,...", metavar="all|NAME,...")] = "all",
    ann: Annotated[list[str] | None, typer.Option(help="Annotation file or folder of a source (repeatable).", metavar="NAME=PATH", show_default=False)] = None,
    data_root: Annotated[Path | None, typer.Option(help="Folder of dataset folders (charades_sta/, youcook2/, ...).", file_okay=False)] = None,
    config: Annotated[Path | None, typer.Option(help="sources.yaml: annotations, video folders and settings per source.", exists=True, dir_okay=False)] = None,
    split: Annotated[Split | None, typer.Option(help="Which split to build (default train; all: every split found).", show_default=False)] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the template choice (default 0).", show_default=False)] = None,
    video_root: Annotated[Path | None, typer.Option(help="Folder of the videos: records whose video is missing are dropped.", file_okay=False)] = None,
    video_dir: Annotated[list[str] | None, typer.Option(help="A source's video folder under --video-root and prefix of its 'video' paths (default: the source name).", metavar="NAME=DIR", show_default=False)] = None,
    check_videos: Annotated[bool, typer.Option("--check-videos", help="Open and decode every video (needs --video-root); drop failures, counted per reason.")] = False,
    flag_bad_videos: Annotated[bool, typer.Option("--flag-bad-videos", help="Keep records whose video failed its check, with a video_problem field (counted as flagged).")] = False,
    asr_dir: Annotated[Path | None, typer.Option(help="Transcripts (<video>.txt) to put before each instruction, as the reference's ASR version.", exists=True, file_okay=False)] = None,
    extra: Annotated[list[Path] | None, typer.Option(help="Valley-style conversation JSON to pass through (repeatable).", metavar="FILE", exists=True, dir_okay=False, show_default=False)] = None,
    clamp: Annotated[bool, typer.Option("--clamp", help="Clamp ends past the video duration (default: keep, as the reference).")] = False,
    reversed_: Annotated[Reversed | None, typer.Option("--reversed", help="start > end: swap (default), drop or keep.", show_default=False)] = None,
    keep_duplicates: Annotated[bool, typer.Option("--keep-duplicates", help="Keep repeated queries and events (the reference does).")] = False,
    shuffle: Annotated[bool, typer.Option("--shuffle", help="Shuffle the merged records with the seed (as merge.py).")] = False,
    pack_turns: Annotated[list[str] | None, typer.Option("--pack-turns", help="Pack a task's questions about one video into conversations of up to N turns (e.g. tvg=6; repeatable): one frame-encoder pass trains every answer.", metavar="TASK=N", show_default=False)] = None,
    eval_prompts: Annotated[bool, typer.Option("--eval-prompts", help="Also write each record with timechat infer's evaluation prompt as the instruction (for models that will be queried with it).")] = False,
    eval_format: Annotated[bool, typer.Option("--eval-format", help="Write the coco-format evaluation ground truth of one source instead.")] = False,
    stats: Annotated[bool, typer.Option("--stats", help="Print records per task and source, video and answer lengths.")] = False,
    workers: Annotated[int, typer.Option("--workers", "-j", min=1, help="Threads probing videos.")] = 4,
) -> None:
    import json

    from timechat_core.errors import InputError
    from timechat_core.fileio import write_text_atomic
    from timechat_core.timeit.build import BuildOptions, write_records
    from timechat_core.timeit.config import BuildConfig
    from timechat_core.timeit.hygiene import Hygiene

    cfg = BuildConfig.from_yaml(config) if config else BuildConfig()
    s = cfg.settings

    def pick(cli, key, default):
        return cli if cli is not None else s.get(key, default)

    inputs = _inputs(sources, ann or [], extra or [], video_dir or [], pick(data_root, "data_root", None), cfg,
                     pick(split.value if split else None, "split", "train"))
    policy = Hygiene(reversed=pick(reversed_.value if reversed_ else None, "reversed", "swap"),
                     clamp=clamp or s.get("clamp", False), dedup=not keep_duplicates and s.get("dedup", True),
                     min_chars=s.get("min_chars", 2))
    options = BuildOptions(seed=pick(seed, "seed", 0), hygiene=policy, video_root=pick(video_root, "video_root", None),
                           check_videos=check_videos or s.get("check_videos", False), flag_bad_videos=flag_bad_videos,
                           asr_dir=pick(asr_dir, "asr_dir", None), shuffle=shuffle or s.get("shuffle", False),
                           eval_prompts=eval_prompts or s.get("eval_prompts", False), workers=workers)
    packing = _packing(pack_turns or [])
    if eval_format:
        if packing:
            raise InputError("--eval-format takes no --pack-turns")
        if len(inputs) != 1:
            raise InputError(f"--eval-format writes one source's ground truth; got {len(inputs)} sources "
                             f"({', '.join(i.source for i in inputs)}): name one with --sources")
        if options.asr_dir is not None or options.shuffle:
            raise InputError("--eval-format takes no --asr-dir or --shuffle")
    result = _run(inputs, options, make_records=not eval_format)
    if eval_format:
        from timechat_core.timeit.eval_format import eval_ground_truth

        report = result.reports[0]
        gt = eval_ground_truth(inputs[0].source, result.items[inputs[0].source], policy, report)
        write_text_atomic(output, json.dumps(gt, ensure_ascii=False) + "\n")
        _summary(result.reports, "evaluation ground truth")
        err.print(f"wrote {len(gt['annotations'])} annotations to {output}", markup=False)
        return
    records = result.records
    if packing:
        from timechat_core.timeit.pack import pack_turns as pack

        records = [r.to_dict() for r in records]
        for task, n in packing.items():
            records = pack(records, n, seed=options.seed, tasks=(task,))
    write_records(output, records)
    _summary(result.reports, "build-timeit")
    packed = f" ({len(result.records)} before packing)" if packing else ""
    err.print(f"wrote {len(records)} records{packed} to {output}", markup=False)
    if stats:
        from timechat_core.timeit.stats import compute_stats

        _print_stats(compute_stats(result.records))


build_timeit.__doc__ = HELP


def _run(inputs, options, make_records: bool):
    """`build` with a progress bar over the videos being checked (stderr, transient)."""
    from dataclasses import replace

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from timechat_core.timeit.build import build

    if options.video_root is None:
        with err.status("building TimeIT", spinner="dots"):
            return build(inputs, options, make_records=make_records)
    with Progress(TextColumn("checking videos"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task("videos", total=0)

        def tick(n: int) -> None:
            if n:
                bar.update(task, total=(bar.tasks[0].total or 0) + n)
            else:
                bar.advance(task)

        return build(inputs, replace(options, on_video=tick), make_records=make_records)


def _packing(values: list[str]) -> dict[str, int]:
    from timechat_core.errors import InputError
    from timechat_core.timeit.record import TASKS

    out = {}
    for v in values:
        task, _, n = (x.strip() for x in v.partition("="))
        if task not in TASKS:
            raise InputError(f"--pack-turns {task}={n}: unknown task {task!r} (one of {', '.join(TASKS)})")
        if not n.isdigit() or int(n) < 1:
            raise InputError(f"--pack-turns {task}={n}: N must be a whole number >= 1")
        out[task] = int(n)
    return out


def _pairs(values: list[str], what: str) -> list[tuple[str, str]]:
    from timechat_core.errors import InputError

    out = []
    for v in values:
        name, sep, rest = v.partition("=")
        if not sep or not name.strip() or not rest:
            raise InputError(f"{what} {v!r}: expected NAME=PATH")
        out.append((name.strip(), rest))
    return out


def _inputs(sources: str, ann: list[str], extra: list[Path], video_dirs: list[str], data_root: Path | None,
            cfg, split: str):
    from timechat_core.errors import InputError
    from timechat_core.timeit.build import SourceInput
    from timechat_core.timeit.sources import SOURCES, get_source

    paths: dict[str, list[Path]] = {get_source(n).name: list(c.ann) for n, c in cfg.sources.items() if c.ann}
    cli: dict[str, list[Path]] = {}
    for name, p in _pairs(ann, "--ann"):
        cli.setdefault(get_source(name).name, []).append(Path(p))
    paths.update(cli)  # the command line replaces the config's files of a source
    if extra:
        paths.setdefault("valley", []).extend(extra)
    dirs = {get_source(n).name: c.video_dir for n, c in cfg.sources.items() if c.video_dir is not None}
    dirs.update({get_source(n).name: d for n, d in _pairs(video_dirs, "--video-dir")})
    splits = {get_source(n).name: c.split for n, c in cfg.sources.items() if c.split}
    if data_root is not None:
        if not data_root.is_dir():
            raise InputError(f"{data_root}: --data-root is not a folder")
        for src in SOURCES.values():
            if src.name not in paths and (src.primary or sources != "all"):
                found = next((data_root / f for f in src.folders if (data_root / f).is_dir()), None)
                if found is not None:
                    paths[src.name] = [found]
    if sources.strip() == "all":
        names = [n for n, src in SOURCES.items() if n in paths and (src.primary or n in cli or n in cfg.sources)]
        if not names:
            raise InputError("no source has annotations: give --ann NAME=PATH, --data-root or --config")
    else:
        names = [get_source(n).name for n in sources.split(",") if n.strip()]
        missing = [n for n in names if n not in paths]
        if missing:
            raise InputError(f"no annotations for {', '.join(missing)}: give --ann NAME=PATH (or --data-root)")
    return [SourceInput(n, tuple(paths[n]), splits.get(n, split), dirs.get(n)) for n in dict.fromkeys(names)]


def _summary(reports, title: str) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for col in ("source", "read", "written", "skipped", "fixed", "flagged"):
        table.add_column(col, justify="right" if col in ("read", "written") else "left")

    def fmt(counter):
        return ", ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "-"

    for r in reports:
        table.add_row(r.source, str(r.read), str(r.written), fmt(r.skipped), fmt(r.fixed), fmt(r.flagged))
    err.print(table)


def _print_stats(st: dict) -> None:
    from rich.table import Table

    table = Table(title=f"records per task and source ({st['total']} in all)", title_justify="left")
    for col in ("task", "source", "records"):
        table.add_column(col, justify="right" if col == "records" else "left")
    for task, per in st["records"].items():
        for source, n in per.items():
            table.add_row(task, source, str(n))
    err.print(table)
    dist = Table(title="distributions", title_justify="left")
    for col in ("what", "count", "mean", "min", "p10", "median", "p90", "max"):
        dist.add_column(col, justify="left" if col == "what" else "right")

    def row(name, d):
        if d.get("count"):
            dist.add_row(name, str(d["count"]), *(f"{d[k]:.1f}" for k in ("mean", "min", "p10", "median", "p90", "max")))

    row("video length (s)", st["video_seconds"])
    for task, d in st["answer_words"].items():
        row(f"answer words, {task}", d)
    for task, d in st["answer_chars"].items():
        row(f"answer chars, {task}", d)
    err.print(dist)
