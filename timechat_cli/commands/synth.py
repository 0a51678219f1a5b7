"""`timechat synth`: a synthetic time-grounding set (videos + Charades-STA / YouCook2 / QVHighlights annotations)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from timechat_cli.options import OverwriteOpt, WorkersOpt, default_workers


class SynthScenes(str, Enum):
    full = "full"
    static = "static"


class SynthSplit(str, Enum):
    train = "train"
    val = "val"
    test = "test"


def _pair(text: str, what: str, sep: str) -> tuple[float, float]:
    parts = text.lower().split(sep)
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) == 1 and what == "--size":
        values *= 2
    if len(values) != 2:
        raise typer.BadParameter(f"expected {'W[xH]' if what == '--size' else 'MIN,MAX'}, got {text!r}", param_hint=what)
    return values[0], values[1]


def synth(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (one per seed and split).", file_okay=False)],
    num_videos: Annotated[int, typer.Option("--num-videos", "-n", min=1, max=99_999, help="Videos to generate.")] = 200,
    seed: Annotated[int, typer.Option(min=0, help="Scenes depend only on (seed, index): one seed per split.")] = 0,
    duration_range: Annotated[str, typer.Option(help="Video length in whole seconds, MIN,MAX.", metavar="MIN,MAX")] = "20,60",
    size: Annotated[str, typer.Option(help="Frame size W or WxH (even).", metavar="W[xH]")] = "128",
    fps: Annotated[float, typer.Option(min=1, max=60, help="Frame rate.")] = 8,
    split: Annotated[SynthSplit, typer.Option(help="Names the annotation files and the YouCook2 subset.")] = SynthSplit.train,
    scenes: Annotated[SynthScenes, typer.Option(help="static: a grey background and shapes that only appear and vanish (what the demo model was trained on); full: every event kind, also moves, colour changes, flashes and cuts (harder).")] = SynthScenes.static,
    workers: WorkersOpt = default_workers(),
    overwrite: OverwriteOpt = False,
) -> None:
    """Render synthetic videos of coloured shapes that appear and vanish (--scenes full: that also move and change colour, with flashes and scene cuts), and write their exact annotations in the native formats of Charades-STA (grounding), YouCook2 (dense captions) and QVHighlights (highlights, saliency 0-4 per 2 s clip).

    One JSON record per video on stdout; progress and a summary on stderr; the annotation files, sources.yaml (for build-timeit --config) and blind_baselines.json (the best video-blind scores on the set) are written when every video is done. Each mp4 carries its scene kind, seed and index in its comment tag. The same seed gives the same files; a rerun skips finished videos.

    Examples:

      timechat synth -o data/synth_train --num-videos 2000 --seed 0

      timechat synth -o data/synth_test --num-videos 200 --seed 1000 --split test

      timechat synth -o data/synth_full --num-videos 200 --seed 2 --scenes full

      timechat build-timeit --config data/synth_train/sources.yaml -o data/synth_train/timeit.json
    """
    from timechat_cli.batch_view import show_batch
    from timechat_cli.console import err
    from timechat_core.synth.run import SynthConfig, finish, generate

    lo, hi = _pair(duration_range, "--duration-range", ",")
    width, height = _pair(size, "--size", "x")
    if not (width.is_integer() and height.is_integer()):
        raise typer.BadParameter(f"expected whole pixels, got {size!r}", param_hint="--size")
    config = SynthConfig(seed=seed, num_videos=num_videos, duration_range=(lo, hi), width=int(width),
                         height=int(height), fps=fps, split=split.value, scenes_kind=scenes.value)
    try:
        show_batch(generate(out, config, workers=workers, overwrite=overwrite), num_videos, "synth")
    except typer.Exit:
        err.print("annotations not written: some videos failed (rerun to retry them)", markup=False)
        raise
    result = finish(out, config)
    g = result["blind"]["grounding"]["fixed_window"]
    h = result["blind"]["highlights"]["HL-min-VeryGood"]
    d = result["blind"]["dense_captioning"]
    err.print(f"wrote the annotations of {num_videos} videos to {out}; blind baselines: grounding R1@0.5 "
              f"{g['R1@0.5']:.1f} (window {g['window'][0]:g}-{g['window'][1]:g} of the video), highlights "
              f"HIT@1 (very good) {h['HL-Hit1']:.1f}, dense captioning F1 {d['F1_Score']:.1f}", markup=False,
              soft_wrap=True)
