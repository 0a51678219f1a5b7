"""Which frames a Qwen-VL model sees, at what size and with which times: `qwen-vl-utils` 0.0.14, exactly.

Reference: `qwen_vl_utils/vision_process.py` of PyPI `qwen-vl-utils==0.0.14` (`smart_nframes`,
`smart_resize`, `fetch_video`, `_read_video_decord`), described in `docs/qwen-vl.md` §2. That module
imports torchvision, which cannot be installed beside this project's torch, so its rules are
re-stated here; `tests/core/qwen/test_parity.py` compares them with its outputs on real files.

- Frame count: `nframes` (rounded to an even number) or `duration * fps` (default fps 2) bounded by
  `min_frames` (4) and `max_frames` (min(768, vlen)), floored to even; never more than vlen.
- Indices: `torch.linspace(0, vlen - 1, nframes).round()`; `sample_fps = nframes / vlen * fps`.
- Size: `smart_resize` to multiples of `factor` = patch size x 2 (28 for Qwen2.5-VL, 32 for
  Qwen3-VL) between `min_pixels` (128 tokens) and `max_pixels` = max(min(768 tokens,
  total_pixels / nframes * 2), 1.05 * min_pixels), `total_pixels` defaulting to 0.9 x 128000 tokens.
- Resampling: torchvision's `resize(BICUBIC, antialias=True)` on uint8 frames is `interpolate(bicubic,
  antialias)` in float32, clamped to [0, 255] and rounded back to uint8 (skipped at equal size).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np

SPATIAL_MERGE_SIZE = 2
VIDEO_MIN_TOKEN_NUM = 128
VIDEO_MAX_TOKEN_NUM = 768
FPS = 2.0
FRAME_FACTOR = 2
FPS_MIN_FRAMES = 4
FPS_MAX_FRAMES = 768
MAX_RATIO = 200
MODEL_SEQ_LEN = 128000


@dataclass(frozen=True)
class VideoSettings:
    """The per-video options of qwen-vl-utils' `fetch_video` (None: its default)."""

    fps: float | None = None
    nframes: int | None = None
    min_frames: int | None = None
    max_frames: int | None = None
    min_pixels: int | None = None
    max_pixels: int | None = None
    total_pixels: int | None = None

    @classmethod
    def in_tokens(cls, factor: int, *, min_tokens: int | None = None, max_tokens: int | None = None,
                  total_tokens: int | None = None, **rest) -> "VideoSettings":
        """Pixel limits given in merged tokens (`tokens * factor**2`, how the authors' scripts write them)."""
        px = {k: None if v is None else v * factor * factor
              for k, v in (("min_pixels", min_tokens), ("max_pixels", max_tokens), ("total_pixels", total_tokens))}
        return cls(**px, **rest)


@dataclass(frozen=True)
class QwenFrames:
    """The frames a Qwen-VL processor is given, and their times."""

    frames: np.ndarray = field(repr=False)
    """uint8 (T, H, W, 3) after the resize: the values qwen-vl-utils hands over (as float)."""
    indices: list[int]
    timestamps: list[float]
    """`index / fps` of each frame, seconds."""
    fps: float
    vlen: int
    sample_fps: float
    """`nframes / vlen * fps`: what Qwen2.5-VL's `second_per_grid_ts` is made from."""
    backend: str

    def metadata(self) -> dict:
        """The video metadata qwen-vl-utils returns (`return_video_metadata=True`) for the processor."""
        return {"fps": self.fps, "frames_indices": list(self.indices), "total_num_frames": self.vlen}


def round_by_factor(number: float, factor: int) -> int:
    return round(number / factor) * factor


def ceil_by_factor(number: float, factor: int) -> int:
    return math.ceil(number / factor) * factor


def floor_by_factor(number: float, factor: int) -> int:
    return math.floor(number / factor) * factor


def smart_nframes(settings: VideoSettings, total_frames: int, video_fps: float) -> int:
    """How many frames are sampled (raises ValueError outside [2, total_frames])."""
    if settings.nframes is not None and settings.fps is not None:
        raise ValueError("give either nframes or fps, not both")
    if settings.nframes is not None:
        nframes = round_by_factor(settings.nframes, FRAME_FACTOR)
    else:
        fps = FPS if settings.fps is None else settings.fps
        min_frames = ceil_by_factor(FPS_MIN_FRAMES if settings.min_frames is None else settings.min_frames,
                                    FRAME_FACTOR)
        max_frames = floor_by_factor(min(FPS_MAX_FRAMES, total_frames) if settings.max_frames is None
                                     else settings.max_frames, FRAME_FACTOR)
        nframes = total_frames / video_fps * fps
        nframes = min(min(max(nframes, min_frames), max_frames), total_frames)
        nframes = floor_by_factor(nframes, FRAME_FACTOR)
    if not FRAME_FACTOR <= nframes <= total_frames:
        raise ValueError(f"nframes should be in [{FRAME_FACTOR}, {total_frames}] (the video's frames), got {nframes}")
    return nframes


def frame_indices(total_frames: int, nframes: int) -> list[int]:
    """`torch.linspace(0, total_frames - 1, nframes).round().long()` (float32 steps, half to even)."""
    import torch

    return torch.linspace(0, total_frames - 1, nframes).round().long().tolist()


def smart_resize(height: int, width: int, factor: int, min_pixels: int, max_pixels: int) -> tuple[int, int]:
    """Multiples of `factor` with a pixel count in [min_pixels, max_pixels], keeping the aspect ratio."""
    if max_pixels < min_pixels:
        raise ValueError(f"max_pixels {max_pixels} is below min_pixels {min_pixels}")
    if max(height, width) / min(height, width) > MAX_RATIO:
        raise ValueError(f"aspect ratio must be below {MAX_RATIO}, got {max(height, width) / min(height, width)}")
    h_bar = max(factor, round_by_factor(height, factor))
    w_bar = max(factor, round_by_factor(width, factor))
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = floor_by_factor(height / beta, factor)
        w_bar = floor_by_factor(width / beta, factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = ceil_by_factor(height * beta, factor)
        w_bar = ceil_by_factor(width * beta, factor)
    return h_bar, w_bar


def frame_size(settings: VideoSettings, nframes: int, height: int, width: int, factor: int) -> tuple[int, int]:
    """The (height, width) every sampled frame is resized to."""
    min_pixels = VIDEO_MIN_TOKEN_NUM * factor * factor if settings.min_pixels is None else settings.min_pixels
    total_pixels = MODEL_SEQ_LEN * factor * factor * 0.9 if settings.total_pixels is None else settings.total_pixels
    max_pixels = max(min(VIDEO_MAX_TOKEN_NUM * factor * factor, total_pixels / nframes * FRAME_FACTOR),
                     int(min_pixels * 1.05))
    if settings.max_pixels is not None:
        max_pixels = min(settings.max_pixels, max_pixels)
    return smart_resize(height, width, factor, min_pixels, max_pixels)


def resize_frames(frames: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """uint8 (T, H, W, 3) -> uint8 (T, h, w, 3) as torchvision's bicubic antialiased tensor resize does it."""
    import torch

    if tuple(frames.shape[1:3]) == tuple(size):
        return frames
    video = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).to(torch.float32)
    out = torch.nn.functional.interpolate(video, size=list(size), mode="bicubic", align_corners=False, antialias=True)
    out = out.clamp(min=0, max=255).round().to(torch.uint8)
    return out.permute(0, 2, 3, 1).contiguous().numpy()


def load_video(path: str | os.PathLike, settings: VideoSettings, patch_size: int, backend: str = "auto") -> QwenFrames:
    """The frames qwen-vl-utils' `fetch_video` gives the processor for a video file.

    Args:
        settings: fps / nframes / frame-count and pixel limits.
        patch_size: the vision encoder's patch (14: Qwen2.5-VL, 16: Qwen3-VL); sizes are multiples of twice it.
        backend: the decoder ("auto" is decord when installed, as qwen-vl-utils prefers it to torchvision).

    Raises:
        MediaError: unreadable video, a video too short for the frames asked, or settings out of range.
    """
    from timechat_core.errors import MediaError
    from timechat_core.video.frames import decode_frames

    factor = patch_size * SPATIAL_MERGE_SIZE
    try:
        decoded = decode_frames(path, lambda vlen, fps: frame_indices(vlen, smart_nframes(settings, vlen, fps)),
                                None, backend)
        nframes, height, width = decoded.frames.shape[:3]
        size = frame_size(settings, nframes, height, width, factor)
    except ValueError as e:
        raise MediaError(path, str(e)) from None
    return QwenFrames(frames=resize_frames(decoded.frames, size), indices=list(decoded.indices),
                      timestamps=[i / decoded.fps for i in decoded.indices], fps=decoded.fps, vlen=decoded.vlen,
                      sample_fps=nframes / max(decoded.vlen, 1e-6) * decoded.fps, backend=decoded.backend)
