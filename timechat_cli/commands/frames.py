"""`timechat frames`: show which frames and timestamps the model sees."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from timechat_cli.console import emit, err


class Strategy(str, Enum):
    uniform = "uniform"
    rand = "rand"


class Backend(str, Enum):
    auto = "auto"
    decord = "decord"
    pyav = "pyav"


def frames(
    video: Annotated[Path, typer.Argument(help="A video file.", exists=True, dir_okay=False)],
    num_frames: Annotated[int, typer.Option("--num-frames", "-n", min=1, help="Frames to sample.")] = 96,
    size: Annotated[int, typer.Option(min=1, help="Frames are squashed to size x size.")] = 224,
    strategy: Annotated[Strategy, typer.Option(help="uniform (inference) or rand (training).")] = Strategy.uniform,
    seed: Annotated[int | None, typer.Option(help="Seed of the rand strategy.")] = None,
    backend: Annotated[Backend, typer.Option(help="Decoder: decord (the reference's) or pyav.")] = Backend.auto,
    save: Annotated[Path | None, typer.Option(help="Also write the frames as PNG files into this folder.")] = None,
) -> None:
    """Print the frame sampling of VIDEO as one JSON object: indices, timestamps, fps, message.

    Examples:

      timechat frames video.mp4

      timechat frames video.mp4 -n 8 --save frames/ && ls frames/

      timechat frames video.mp4 --strategy rand --seed 0 | jq .timestamps
    """
    from timechat_core.video.frames import load_frames, save_frames

    sampled = load_frames(video, num_frames=num_frames, size=size, strategy=strategy.value,
                          seed=seed, backend=backend.value)
    record = {"video": str(video), "size": size, "strategy": strategy.value, "seed": seed, **sampled.to_dict()}
    if save is not None:
        record["saved"] = [str(p) for p in save_frames(sampled, save)]
        err.print(f"wrote {len(record['saved'])} frames to {save}")
    emit(record)
