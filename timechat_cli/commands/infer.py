"""`timechat infer`: timestamped answers for one video or a whole benchmark manifest."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from timechat_cli.console import emit, err, say, warn
from timechat_cli.options import (Device, DeviceOpt, Dtype, DtypeOpt, MaxNewTokensOpt, ModelOpt, NumFramesOpt, Quantize,
                                  QuantizeOpt)


class Task(str, Enum):
    grounding = "grounding"
    dvc = "dvc"
    highlight = "highlight"
    summarize = "summarize"
    step = "step"
    speech = "speech"
    ask = "ask"


class Format(str, Enum):
    json = "json"
    jsonl = "jsonl"
    text = "text"
    srt = "srt"
    vtt = "vtt"


HELP = r"""Answer time questions about videos with a TimeChat model, or a Qwen2.5-VL / Qwen3-VL transformers folder (TimeLens-8B, Time-R1, ...): one JSON record per query (raw text, parsed windows / events / highlights, parse status, frames used, decoding settings, timings).

Qwen-VL folders get frames as qwen-vl-utils chooses them and their authors' prompts (templates/infer/qwen.yaml: --variant cookbook, timelens, time-r1, lmms-eval).

Prompts are the reference's evaluation prompts (templates/infer/prompts.yaml; --variant picks another, --prompt gives your own). Decoding is greedy (deterministic) unless --sample, which uses the reference's top_p 0.8, top_k 50, temperature 1 and records the seed.

--manifest runs a benchmark: the Charades-STA / YouCook2 coco ground truth, the QVHighlights JSONL, or a JSONL of {"video", "task", "query"}; the output JSONL is what `timechat eval` reads. Reruns skip answered items; --shard i/N (or torchrun) splits the work and the last shard merges.

Examples, one per task:

  timechat infer video.mp4 --task grounding --query "a person puts a book on a shelf" --model models/timechat-7b

  timechat infer cooking.mp4 --task dvc --format srt > steps.srt

  timechat infer video.mp4 --task highlight --query "the dog catches the ball" --plot saliency.png

  timechat infer video.mp4 --task summarize --dataset TVSum

  timechat infer howto.mp4 --task step --format text

  timechat infer talk.mp4 --task speech

  timechat infer video.mp4 --task ask --query "What happens after the door opens, and when?" --asr auto

  timechat infer --manifest test.caption_coco_format.json --video-root charades/ -o charades_pred.jsonl --batch-size 8

  timechat infer video.mp4 --task grounding --query "a person turns on the light" --model Qwen3-VL-2B-Instruct/
"""


def infer(
    video: Annotated[Path | None, typer.Argument(help="The video (omit with --manifest).", show_default=False)] = None,
    task: Annotated[Task | None, typer.Option(help="What to answer (with --manifest: detected from the rows).", show_default=False)] = None,
    query: Annotated[str | None, typer.Option(help="Sentence for grounding/highlight, question for ask.", show_default=False)] = None,
    prompt: Annotated[str | None, typer.Option(help="Your own instruction ({query} and {dataset} are filled).", show_default=False)] = None,
    variant: Annotated[str | None, typer.Option(help="Prompt variant of the task (see templates/infer/prompts.yaml).", show_default=False)] = None,
    dataset: Annotated[str | None, typer.Option(help="Dataset name the prompt mentions (default: the variant's).", show_default=False)] = None,
    model: ModelOpt = None,
    num_frames: NumFramesOpt = None,
    asr: Annotated[str | None, typer.Option(help="Transcript to inject: a file (start<TAB>end<TAB>text), a folder of <video>.txt, or 'auto' (faster-whisper tiny.en).", show_default=False)] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Single video: json, jsonl, text (answer on stdout, table on stderr), srt/vtt (dense captions).")] = Format.json,
    plot: Annotated[Path | None, typer.Option(help="Single video: write a timeline / saliency PNG.", show_default=False)] = None,
    manifest: Annotated[Path | None, typer.Option(exists=True, dir_okay=False, help="Benchmark manifest (see above).", show_default=False)] = None,
    video_root: Annotated[Path | None, typer.Option(file_okay=False, help="Folder the manifest's video names are relative to (default: the manifest's folder).", show_default=False)] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Manifest mode: the predictions JSONL.", show_default=False)] = None,
    shard: Annotated[str | None, typer.Option(help="i/N: this process answers items i, i+N, ... (default: torchrun's RANK/WORLD_SIZE).", show_default=False)] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Videos per generate call (left-padded).")] = 1,
    prefetch: Annotated[int, typer.Option(min=0, help="Background threads decoding the next videos (0: inline).")] = 2,
    sample: Annotated[bool, typer.Option("--sample", help="Sample as the reference (top_p 0.8, top_k 50, temperature 1).")] = False,
    seed: Annotated[int, typer.Option(help="Seed for --sample.")] = 42,
    max_new_tokens: MaxNewTokensOpt = 512,
    device: DeviceOpt = Device.auto,
    dtype: DtypeOpt = Dtype.auto,
    quantize: QuantizeOpt = Quantize.none,
    backend: Annotated[str, typer.Option(help="Video decoder: auto, decord, pyav.")] = "auto",
    threads: Annotated[int, typer.Option(min=0, help="torch CPU threads (0: torch's default).")] = 0,
) -> None:
    from timechat_core.errors import InputError

    if (video is None) == (manifest is None):
        raise InputError("give a VIDEO or --manifest (not both)")
    if manifest is not None and out is None:
        raise InputError("--manifest needs --out/-o for the predictions")
    if video is not None and task is None:
        raise InputError("--task is required for a single video")
    from timechat_core.infer.load import EngineOptions, load_engine
    from timechat_core.resources import default_model

    model = default_model(model, say=say)
    options = EngineOptions(num_frames=num_frames, batch_size=batch_size, prefetch=prefetch, backend=backend, asr=asr,
                            sample=sample, seed=seed, max_new_tokens=max_new_tokens, device=device.value,
                            dtype=dtype.value, quantize=quantize.value, threads=threads)
    engine = load_engine(model, options, single_video=video is not None, say=say)
    if manifest is not None:
        _run_manifest(engine, manifest, video_root, out, shard, task)
        return
    _run_single(engine, video, task.value, query, prompt, variant, dataset, fmt, plot)


infer.__doc__ = HELP


def _run_single(engine, video, task, query, prompt, variant, dataset, fmt, plot):
    from timechat_core.errors import TimechatError
    from timechat_core.infer.manifest import Item
    from timechat_core.prompts import build_prompt
    from timechat_core.infer.render import plot as draw, to_srt, to_vtt

    # bad task/query/variant: exit 2, not a failed item
    build_prompt(task, query, variant=variant, dataset=dataset, custom=prompt, table=engine.prompt_table)
    item = Item(0, video.name, str(video), video, task, query=query, prompt=prompt, variant=variant, dataset=dataset)
    rec = next(engine.run([item]))
    if rec["status"] != "ok":
        raise TimechatError(f"{video}: {rec['error']}")
    if rec.get("in_domain") is False:
        _out_of_domain(engine, f"{video} is not a {_kind(engine)} video", "its answer is")
    if plot is not None:
        draw(rec, plot)
        say(f"wrote {plot}")
    if fmt is Format.json:
        import json

        print(json.dumps(rec, indent=1, ensure_ascii=False))
    elif fmt is Format.jsonl:
        emit(rec)
    elif fmt is Format.text:
        _table(rec)
        print(rec["text"])
    else:
        print(to_srt(rec) if fmt is Format.srt else to_vtt(rec), end="")


def _table(rec: dict) -> None:
    from rich.table import Table

    parsed = rec.get("parsed") or {}
    table = Table(title=f"{rec['video']} · {rec['task']}" + (f" · {rec['query']}" if rec.get("query") else ""),
                  title_justify="left")
    table.add_column("start", justify="right")
    table.add_column("end", justify="right")
    table.add_column("what")
    for s, e in parsed.get("windows") or []:
        table.add_row(f"{s:.1f}", f"{e:.1f}", rec.get("query") or "")
    for ev in parsed.get("events") or []:
        table.add_row(f"{ev['start']:.1f}", f"{ev['end']:.1f}", ev["caption"])
    for t, score in parsed.get("highlights") or []:
        table.add_row(f"{t:.1f}" if not isinstance(t, list) else f"{t[0]:.1f}", "", f"saliency {score:.1f}")
    err.print(table)
    if rec.get("parse_status") not in (None, "ok"):
        err.print(f"parse status: {rec['parse_status']} ({rec['parsed'].get('reason')})", markup=False)


def _run_manifest(engine, manifest, video_root, out, shard, task):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from timechat_core.infer.batch import run_manifest
    from timechat_core.infer.manifest import parse_shard, read_manifest

    items = read_manifest(manifest, video_root, task.value if task else None)
    i, n = parse_shard(shard)
    count = sum(1 for it in items if it.index % n == i)
    failures, outside = [], []
    with Progress(TextColumn("infer"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err,
                  transient=True) as bar:
        job = bar.add_task("infer", total=count)

        def on_record(rec, reused):
            bar.advance(job)
            outside.append(rec.get("in_domain") is False)
            if rec.get("status") != "ok" and not reused:
                failures.append(rec)
                say(f"failed: {rec.get('error')}")

        summary = run_manifest(items, engine, out, (i, n), on_record)
    err.print(f"{summary['items']} items in shard {i}/{n}: {summary['answered']} answered, {summary['reused']} "
              f"already done, {summary['failed']} failed -> {summary['output']}"
              + (f" (merged into {out})" if n > 1 and summary["merged"] else ""))
    if any(outside):
        _out_of_domain(engine, f"{sum(outside)} of the {len(outside)} answers are about videos that are not "
                               f"{_kind(engine)} videos", "they are")
    emit(summary)
    if summary["failed"]:
        raise typer.Exit(1)


def _kind(engine) -> str:
    return f"`timechat synth --scenes {engine.domain}`"


def _out_of_domain(engine, what: str, answers: str) -> None:
    warn(f"{what}, the only kind the model {engine.model_name} was trained on (see its README.md): {answers} "
         'likely meaningless ("in_domain": false)')
