"""Reference outputs of qwen-vl-utils 0.0.14 and the transformers 5.24.0 processors (with torchvision) for
tests/data/qwen_parity/. Run in /work/exp/qwen36/venv (torch 2.13.0+cu130 on the CPU, torchvision 0.28.0,
decord 0.6.0, transformers 5.24.0, qwen-vl-utils 0.0.14):

    FORCE_QWENVL_VIDEO_READER=decord venv/bin/python make_parity.py OUT_DIR
"""

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import torch
import qwen_vl_utils
import torchvision
import transformers
from qwen_vl_utils import fetch_video
from transformers import AutoProcessor

HERE = Path(__file__).resolve().parent
VIDEOS = sorted((HERE / "videos").glob("*.mp4"))
# (name, patch, settings): qwen-vl-utils `ele` keys
CASES = [
    ("default-14", 14, {}),
    ("default-16", 16, {}),
    ("timelens-14", 14, {"fps": 2, "min_pixels": 16 * 28 * 28, "total_pixels": 3584 * 28 * 28}),
    ("timelens-16", 16, {"fps": 2, "min_pixels": 16 * 32 * 32, "total_pixels": 3584 * 32 * 32}),
    ("small-nframes7-14", 14, {"nframes": 7, "min_pixels": 4 * 28 * 28, "max_pixels": 12 * 28 * 28}),
    ("small-fps4-max6-16", 16, {"fps": 4.0, "max_frames": 6, "min_pixels": 4 * 32 * 32, "max_pixels": 16 * 32 * 32}),
    ("small-fps1-min-14", 14, {"fps": 1.0, "min_frames": 2, "min_pixels": 2 * 28 * 28, "max_pixels": 8 * 28 * 28}),
]
PROCESSOR_CASES = {"qwen2_5_vl": "small-nframes7-14", "qwen3_vl": "small-fps4-max6-16"}
PROMPT = "Please find the visual event described by the sentence 'the pattern moves', determining its starting and ending times."


def sha(a) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def main(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    videos_out = {}
    for video in VIDEOS:
        for name, patch, settings in CASES:
            ele = {"video": str(video), **settings}
            try:
                (tensor, meta), sample_fps = fetch_video(ele, image_patch_size=patch, return_video_sample_fps=True,
                                                         return_video_metadata=True)
            except AttributeError as e:  # the decord reader raised; torchvision 0.28, its fallback, has no read_video
                rows.append({"video": video.name, "case": name, "patch": patch, "settings": settings,
                             "error": str(e.__context__)})
                continue
            assert torch.equal(tensor, tensor.round()) and tensor.min() >= 0 and tensor.max() <= 255
            u8 = tensor.to(torch.uint8).permute(0, 2, 3, 1).contiguous().numpy()
            key = f"{video.stem}/{name}"
            row = {"video": video.name, "case": name, "patch": patch, "settings": settings,
                   "indices": [int(i) for i in meta["frames_indices"]], "fps": float(meta["fps"]),
                   "total_num_frames": int(meta["total_num_frames"]), "sample_fps": float(sample_fps),
                   "shape": list(u8.shape), "frames_sha256": sha(u8),
                   "frame_means": [round(float(f.mean()), 4) for f in u8]}
            rows.append(row)
            videos_out[key] = (tensor, meta, sample_fps)

    processors = []
    for family, case in PROCESSOR_CASES.items():
        proc = AutoProcessor.from_pretrained(str(HERE / "folders" / family))
        for video in VIDEOS:
            if f"{video.stem}/{case}" not in videos_out:
                continue
            tensor, meta, sample_fps = videos_out[f"{video.stem}/{case}"]
            messages = [{"role": "user", "content": [{"type": "video"}, {"type": "text", "text": PROMPT}]}]
            text = proc.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            for do_resize in (False,):
                inputs = proc(text=[text], videos=[tensor], video_metadata=[meta], do_resize=do_resize,
                              do_sample_frames=False, return_tensors="pt")
                row = {"family": family, "video": video.name, "case": case, "do_resize": do_resize, "chat": text,
                       "input_ids": inputs["input_ids"][0].tolist(),
                       "attention_mask": inputs["attention_mask"][0].tolist(),
                       "mm_token_type_ids": inputs["mm_token_type_ids"][0].tolist(),
                       "video_grid_thw": inputs["video_grid_thw"].tolist(),
                       "pixel_values_videos_shape": list(inputs["pixel_values_videos"].shape),
                       "pixel_values_videos_sha256": sha(inputs["pixel_values_videos"].numpy())}
                if "second_per_grid_ts" in inputs:
                    row["second_per_grid_ts"] = [float(x) for x in inputs["second_per_grid_ts"]]
                processors.append(row)
            if family == "qwen2_5_vl":  # the same call without metadata: transformers 5.24 assumes 24 fps
                bare = proc(text=[text], videos=[tensor], do_resize=False, do_sample_frames=False, return_tensors="pt")
                processors[-1]["second_per_grid_ts_without_metadata"] = [float(x) for x in bare["second_per_grid_ts"]]
    versions = {"torch": torch.__version__, "torchvision": torchvision.__version__,
                "transformers": transformers.__version__, "qwen_vl_utils": "0.0.14",
                "reader": qwen_vl_utils.vision_process.get_video_reader_backend()}
    (out / "qwen_vl_utils.json").write_text(json.dumps({"versions": versions, "cases": rows}, indent=1) + "\n")
    (out / "processor.json").write_text(json.dumps({"versions": versions, "prompt": PROMPT, "calls": processors},
                                                   indent=None) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
