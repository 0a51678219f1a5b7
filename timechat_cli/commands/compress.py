"""`timechat compress`: re-encode videos to the fps and size the model uses."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from timechat_cli.batch_view import show_batch
from timechat_cli.options import InputsArg, OutDirOpt, OverwriteOpt, RootOpt, WorkersOpt, default_workers


class ResizeMode(str, Enum):
    short_side = "short-side"
    reference = "reference"


class FileType(str, Enum):
    video = "video"
    image = "image"


def compress(
    inputs: InputsArg,
    out: OutDirOpt,
    fps: Annotated[float, typer.Option(min=0.01, help="Output frame rate (ffmpeg -r).")] = 6,
    size: Annotated[int, typer.Option(min=2, help="Shorter side in pixels (even).")] = 224,
    workers: WorkersOpt = default_workers(),
    resize_mode: Annotated[
        ResizeMode, typer.Option(help="short-side: shorter side = size for every orientation; "
                                 "reference: TimeChat's filter, portrait bug included.")
    ] = ResizeMode.short_side,
    file_type: Annotated[FileType, typer.Option(help="Compress videos, or resize images as the reference does.")] = FileType.video,
    threads: Annotated[int, typer.Option(min=0, help="ffmpeg threads per item (0: cores / workers).")] = 0,
    preset: Annotated[str, typer.Option(help="x264 preset.")] = "medium",
    crf: Annotated[int, typer.Option(min=0, max=51, help="x264 constant rate factor.")] = 23,
    root: RootOpt = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Re-encode videos to H.264 at --fps with the shorter side --size, no audio.

    One JSON record per input on stdout; progress and a summary on stderr. Finished outputs are skipped on a rerun; exit status 1 when any input failed.

    Examples:

      timechat compress raw_videos/ -o videos_6fps_224 --fps 6 --size 224

      timechat compress @video_filenames.txt --root raw_videos -o out --workers 8

      find raw -name '*.mkv' | timechat compress - -o out --resize-mode reference
    """
    from timechat_core.batch import IMAGE_EXTS, VIDEO_EXTS, expand_inputs, run_batch
    from timechat_core.video import compress as core

    if size % 2:
        raise typer.BadParameter("must be even (H.264 4:2:0 needs even dimensions)", param_hint="--size")
    mode = resize_mode.value
    if file_type is FileType.image:
        items = expand_inputs(inputs, IMAGE_EXTS, root)
        records = run_batch(
            items, out,
            lambda src, dst: core.compress_image(src, dst, size=size),
            is_done=lambda p: core.is_image_done(p, size=size),
            workers=workers, overwrite=overwrite,
        )
    else:
        items = expand_inputs(inputs, VIDEO_EXTS, root)
        per_item_threads = threads or core.default_threads(workers)
        records = run_batch(
            items, out,
            lambda src, dst: core.compress_video(
                src, dst, fps=fps, size=size, mode=mode, threads=per_item_threads, preset=preset, crf=crf
            ),
            output_rel=core.output_rel,
            is_done=lambda p: core.is_compressed(p, fps=fps, size=size, mode=mode),
            workers=workers, overwrite=overwrite,
        )
    show_batch(records, len(items), "compress")
