"""The family's transformers processor, with a video processor that needs no torchvision.

transformers 5.24's `Qwen2VLVideoProcessor` / `Qwen3VLVideoProcessor` (and `AutoProcessor` for these
folders) require torchvision, which cannot be installed beside this project's torch. Everything else
of the processor is torchvision-free, so the processor is assembled from its parts: the family's own
`Qwen2_5_VLProcessor` / `Qwen3VLProcessor` class (text expansion of `<|video_pad|>`, Qwen3-VL's
`<t seconds>` frame stamps, Qwen2.5-VL's `second_per_grid_ts`, `mm_token_type_ids`), the folder's
tokenizer and chat template, the PIL image processor, and `FramesVideoProcessor` below, a
`VideoProcessorMixin` that does what the family's video processor does to frames that qwen-vl-utils
already sized (`do_resize=False`, as the Qwen3-VL README asks, and `do_sample_frames=False`):

- rescale and normalize fused as transformers' torchvision backend does it: `(x - mean / s) / (std / s)`
  in float32 with `s` = `rescale_factor` (1/255);
- the family's `patchify`: frames padded to a multiple of `temporal_patch_size` with the last one,
  cut into `(t, h/m, w/m, m, m)` blocks of `C x tps x p x p` values;
- the video metadata passed through (fps, frame indices, frame count), from which the processor
  computes Qwen2.5-VL's `second_per_grid_ts = 2 / (nframes / vlen * fps)` and Qwen3-VL's stamps.

`tests/core/qwen/test_parity.py` checks every tensor against the real processor's output recorded
outside the repository (tests/data/README.md, `qwen_parity/`).
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import BatchFeature
from transformers.video_processing_utils import VideoProcessorMixin
from transformers.video_utils import make_batched_metadata

from timechat_core.errors import InputError
from timechat_core.qwen.folder import Family


class FramesVideoProcessor(VideoProcessorMixin):
    """The family's video processor for frames already sampled and sized by qwen-vl-utils' rules."""

    model_input_names = ["pixel_values_videos", "video_grid_thw"]

    def __init__(self, *, patch_size: int, temporal_patch_size: int = 2, merge_size: int = 2,
                 image_mean=(0.5, 0.5, 0.5), image_std=(0.5, 0.5, 0.5), rescale_factor: float = 1 / 255, **_):
        super().__init__()
        self.patch_size = patch_size
        self.temporal_patch_size = temporal_patch_size
        self.merge_size = merge_size
        self.image_mean = list(image_mean)
        self.image_std = list(image_std)
        self.rescale_factor = rescale_factor

    def preprocess(self, videos, video_metadata=None, return_metadata: bool = False, return_tensors=None,
                   do_resize: bool = False, do_sample_frames: bool = False, **_) -> BatchFeature:
        """Args:
            videos: list of float or uint8 tensors (T, C, H, W), sides multiples of `patch_size * merge_size`.
            video_metadata: one dict (`fps`, `frames_indices`, `total_num_frames`) per video.
        """
        if do_resize or do_sample_frames:
            raise ValueError("FramesVideoProcessor takes frames already sampled and sized (do_resize and "
                             "do_sample_frames must be False)")
        videos = list(videos)
        metadata = make_batched_metadata(videos, video_metadata=video_metadata)
        mean = torch.tensor(self.image_mean) * (1.0 / self.rescale_factor)
        std = torch.tensor(self.image_std) * (1.0 / self.rescale_factor)
        patches, grids = [], []
        for video in videos:
            x = (video.to(torch.float32) - mean.view(-1, 1, 1)) / std.view(-1, 1, 1)
            flat, grid = self.patchify(x)
            patches.append(flat)
            grids.append(grid)
        data = {"pixel_values_videos": torch.cat(patches), "video_grid_thw": torch.tensor(grids)}
        if return_metadata:
            data["video_metadata"] = metadata
        return BatchFeature(data=data, tensor_type=return_tensors)

    def patchify(self, video: torch.Tensor) -> tuple[torch.Tensor, list[int]]:
        """(T, C, H, W) -> (t * h * w, C * tps * p * p) patches and their grid [t, h, w]."""
        p, m, tps = self.patch_size, self.merge_size, self.temporal_patch_size
        frames, channels, height, width = video.shape
        if pad := -frames % tps:
            video = torch.cat((video, video[-1:].expand(pad, -1, -1, -1)))
            frames += pad
        t, h, w = frames // tps, height // p, width // p
        x = video.reshape(t, tps, channels, h // m, m, p, w // m, m, p)
        x = x.permute(0, 3, 6, 4, 7, 2, 1, 5, 8)
        return x.reshape(t * h * w, channels * tps * p * p), [t, h, w]


def load_processor(model_dir: str | Path, fam: Family):
    """The family's processor for a folder: its tokenizer, chat template, the PIL image processor all three
    families map to (`Qwen2VLImageProcessorPil`; released folders name older image processor classes) and
    `FramesVideoProcessor` with the folder's video settings (patch, merge, mean, std)."""
    from transformers import AutoTokenizer, Qwen2VLImageProcessorPil

    cls = _accepting_frames(fam.processor_class())
    config, _ = cls.get_processor_dict(str(model_dir))
    video = dict(config.get("image_processor") or {})
    video.update(config.get("video_processor") or {})
    video = _video_config(Path(model_dir), video)
    return cls(image_processor=Qwen2VLImageProcessorPil.from_pretrained(str(model_dir)),
               tokenizer=AutoTokenizer.from_pretrained(str(model_dir), padding_side="left"),
               video_processor=FramesVideoProcessor(**{k: v for k, v in video.items() if k in _VIDEO_KEYS}),
               chat_template=config.get("chat_template"))


def _accepting_frames(cls):
    """The processor class, whose sub-processor type check also accepts a `FramesVideoProcessor` (without
    torchvision, transformers cannot resolve its `VideoProcessorMixin` base class by name)."""

    def check_argument_for_proper_class(self, argument_name, argument):
        if argument_name == "video_processor" and isinstance(argument, FramesVideoProcessor):
            return FramesVideoProcessor
        return cls.check_argument_for_proper_class(self, argument_name, argument)

    return type(cls.__name__, (cls,), {"check_argument_for_proper_class": check_argument_for_proper_class})


_VIDEO_KEYS = ("patch_size", "temporal_patch_size", "merge_size", "image_mean", "image_std", "rescale_factor")


def _video_config(model_dir: Path, found: dict) -> dict:
    """Video settings: `processor_config.json`'s, else `video_preprocessor_config.json` / `preprocessor_config.json`."""
    from timechat_core.fileio import read_json

    for name in ("video_preprocessor_config.json", "preprocessor_config.json"):
        if "patch_size" in found:
            break
        if (model_dir / name).is_file():
            found = {**read_json(model_dir / name), **found}
    if "patch_size" not in found:
        raise InputError(f"{model_dir}: no video or image processor config with a patch_size")
    return found
