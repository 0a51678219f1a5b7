"""`compress`: re-encode videos to the frame rate and size TimeChat is trained and evaluated on.

Reference: `utils/compress_video_data.py` (TimeChat c60b332), `docs/data-pipeline.md` §1:
`ffmpeg -i IN -filter:v "scale='if(gt(a,1),trunc(oh*a/2)*2,S)':'if(gt(a,1),S,trunc(ow*a/2)*2)'"
-map 0:v -r FPS OUT`. That filter is kept verbatim as `--resize-mode reference`, including its
portrait behaviour (a 360x640 input becomes 224x126). The default `short-side` mode scales the
shorter side to `size` for every orientation, keeping the aspect ratio with even dimensions.

Unlike the reference, every output is H.264 (yuv420p, CRF 23) without audio, checked after
encoding (it must decode, with a duration close to the input's), and a failure is reported,
never replaced by a copy of the raw input.
"""

from __future__ import annotations

import os
from pathlib import Path

from timechat_core.errors import MediaError
from timechat_core.video import ffmpeg as ff
from timechat_core.video.probe import probe

RESIZE_MODES = ("short-side", "reference")
FILE_TYPES = ("video", "image")
# Containers that can hold H.264; other inputs (.webm, .ogv, ...) get an .mp4 output.
H264_SUFFIXES = frozenset(".mp4 .m4v .mov .mkv .avi .flv .ts .3gp".split())
_MOV_SUFFIXES = frozenset(".mp4 .m4v .mov .3gp".split())


def output_rel(rel: Path) -> Path:
    """Output name for an input: the same, or `.mp4` when its container cannot hold H.264."""
    return rel if rel.suffix.lower() in H264_SUFFIXES else rel.with_suffix(".mp4")


def scale_expr(mode: str, size: int) -> tuple[str, str]:
    """Width and height expressions of ffmpeg's `scale` filter."""
    if mode == "reference":
        return (f"if(gt(a,1),trunc(oh*a/2)*2,{size})", f"if(gt(a,1),{size},trunc(ow*a/2)*2)")
    if mode == "short-side":
        return (
            f"if(gte(iw,ih),max(2,2*round({size}*iw/ih/2)),{size})",
            f"if(gte(iw,ih),{size},max(2,2*round({size}*ih/iw/2)))",
        )
    raise ValueError(f"unknown resize mode {mode!r}; choose from {', '.join(RESIZE_MODES)}")


def expected_size(mode: str, size: int, width: int, height: int) -> tuple[int, int]:
    """Output (width, height) for a `width` x `height` input, as the filter computes it."""
    if mode == "reference":
        a = width / height
        if a > 1:
            return int(size * a / 2) * 2, size
        return size, int(size * a / 2) * 2
    if width >= height:
        return max(2, 2 * round(size * width / height / 2)), size
    return size, max(2, 2 * round(size * height / width / 2))


def size_matches(mode: str, size: int, width: int, height: int) -> bool:
    """Whether an existing output's dimensions are what `mode` produces (for resuming)."""
    if mode == "reference":
        return height == size if width > height else width == size
    return min(width, height) == size


def default_threads(workers: int) -> int:
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def compress_video(src: Path, dst: Path, *, fps: float = 6, size: int = 224, mode: str = "short-side",
                   threads: int = 0, preset: str = "medium", crf: int = 23) -> dict:
    """Re-encode `src` into `dst` (H.264, no audio). Returns facts about the output.

    Raises:
        MediaError: unreadable input, no video stream, ffmpeg failure, or an output that is
            much shorter than the input (a truncated or corrupt input).
    """
    import ffmpeg

    info = probe(src)
    if info.video is None:
        raise MediaError(src, "no video stream" + (" (audio-only file)" if info.audio else ""))
    w_expr, h_expr = scale_expr(mode, size)
    out_opts = dict(vcodec="libx264", preset=preset, crf=crf, pix_fmt="yuv420p", r=fps, an=None)
    if threads:
        out_opts["threads"] = threads
    if dst.suffix.lower() in _MOV_SUFFIXES:
        out_opts["movflags"] = "+faststart"
    in_opts = {"threads": threads} if threads else {}
    graph = (
        ffmpeg.input(str(src), **in_opts)
        .video.filter("scale", w_expr, h_expr)
        .output(str(dst), **out_opts)
        .overwrite_output()
    )
    ff.run(graph, path=src)
    out = probe(dst)
    duration = _video_seconds(out)
    if out.video is None or not (out.video.frames or duration):
        raise MediaError(src, "ffmpeg produced no video frames (corrupt input?)")
    _check_not_truncated(src, info.video.duration, duration)
    return {
        "width": out.video.width,
        "height": out.video.height,
        "fps": out.video.fps,
        "frames": out.video.frames,
        "duration": _round(duration),
    }


def _video_seconds(out) -> float | None:
    """An output's video duration: the stream's, else the container's (outputs have no audio; Matroska and WebM
    store neither a stream duration nor a frame count)."""
    return out.video.duration or out.duration if out.video is not None else None


def _round(x: float | None) -> float | None:
    return round(x, 3) if x else None


def _check_not_truncated(src: Path, d_in: float | None, d_out: float | None) -> None:
    # Only stream durations are compared: a container's can include a longer audio track.
    if d_in and d_out is not None and d_out < 0.9 * d_in - 0.5:
        raise MediaError(
            src, f"output has {d_out:.1f} s of the {d_in:.1f} s the input declares (truncated or corrupt input)"
        )


def is_compressed(path: Path, *, fps: float, size: int, mode: str) -> bool:
    """Whether an existing output was made with these settings (a rerun then skips it)."""
    info = probe(path)
    v = info.video
    return (
        v is not None
        and v.codec == "h264"
        and (v.frames > 0 or bool(_video_seconds(info)))
        and abs(v.fps - fps) < 0.01
        and size_matches(mode, size, v.width, v.height)
    )


def compress_image(src: Path, dst: Path, *, size: int = 224) -> dict:
    """The reference's image mode: shorter side to `size` with PIL's default resampling."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(src) as img:
            w, h = img.width, img.height
            r = w / h
            new = (int(r * size), size) if w > h else (size, int(size / r))
            img.resize(new).save(dst, format=img.format)
    except UnidentifiedImageError:
        raise MediaError(src, "not an image file, or corrupt") from None
    except OSError as e:
        if isinstance(e, (FileNotFoundError, PermissionError)) and e.filename != str(src):
            raise
        raise MediaError(src, f"cannot read image: {e}") from None
    return {"width": new[0], "height": new[1]}


def is_image_done(path: Path, *, size: int) -> bool:
    from PIL import Image

    with Image.open(path) as img:
        return min(img.width, img.height) == size or max(img.width, img.height) <= size
