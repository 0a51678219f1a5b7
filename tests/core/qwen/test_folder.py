"""Folder detection and processor loading in both layouts: transformers 5's `processor_config.json` + `chat_template.jinja`
(what `save_tiny_folder` writes) and the released folders' `preprocessor_config.json` + `chat_template.json` naming
an older image processor class (`Qwen2_5_VLImageProcessor`)."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from timechat_core.errors import InputError
from timechat_core.qwen.folder import FAMILIES, folder_family
from timechat_core.qwen.processor import load_processor


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    from timechat_core.qwen.tiny import save_tiny_folder

    root = tmp_path_factory.mktemp("folders")
    new = save_tiny_folder("qwen2_5_vl", root / "new")
    old = root / "released"
    shutil.copytree(new, old)
    processor = json.loads((old / "processor_config.json").read_text())
    image = {k: v for k, v in processor["image_processor"].items() if k != "image_processor_type"}
    (old / "preprocessor_config.json").write_text(json.dumps({
        **image, "min_pixels": 3136, "max_pixels": 12845056, "image_processor_type": "Qwen2_5_VLImageProcessor",
        "processor_class": "Qwen2_5_VLProcessor"}))
    (old / "chat_template.json").write_text(json.dumps({"chat_template": (old / "chat_template.jinja").read_text()}))
    (old / "processor_config.json").unlink()
    (old / "chat_template.jinja").unlink()
    return new, old


def test_both_layouts_give_the_same_inputs(folders):
    fam = FAMILIES["qwen2_5_vl"]
    got = []
    for folder in folders:
        proc = load_processor(folder, fam)
        chat = proc.apply_chat_template([{"role": "user", "content": [{"type": "video"}, {"type": "text", "text": "When?"}]}],
                                        tokenize=False, add_generation_prompt=True)
        video = torch.arange(4 * 3 * 56 * 84, dtype=torch.float32).reshape(4, 3, 56, 84) % 256
        got.append(proc(text=[chat], videos=[video], video_metadata=[{"fps": 10.0, "frames_indices": [0, 3, 6, 9],
                                                                      "total_num_frames": 10}],
                        do_resize=False, do_sample_frames=False, return_tensors="pt"))
    a, b = got
    assert a["input_ids"].tolist() == b["input_ids"].tolist() and torch.equal(a["pixel_values_videos"], b["pixel_values_videos"])
    assert a["second_per_grid_ts"].tolist() == b["second_per_grid_ts"].tolist() == [2 / (4 / 10 * 10.0)]


def test_which_folders_are_qwen(folders, tmp_path, datadir):
    assert folder_family(folders[0]).name == "Qwen2.5-VL" and folder_family(folders[1]).model_type == "qwen2_5_vl"
    assert folder_family(datadir / "reference_tiny") is None  # no config.json: a TimeChat folder
    (tmp_path / "llama").mkdir()
    (tmp_path / "llama" / "config.json").write_text(json.dumps({"model_type": "llama"}))
    assert folder_family(tmp_path / "llama") is None
    (tmp_path / "custom").mkdir()
    (tmp_path / "custom" / "config.json").write_text(json.dumps({"model_type": "qwen3_vl", "auto_map": {"AutoModel": "x.Y"}}))
    with pytest.raises(InputError, match="custom code"):
        folder_family(tmp_path / "custom")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text("{")
    with pytest.raises(InputError, match=r"config.json:1: invalid JSON"):
        folder_family(tmp_path / "broken")


def test_weight_count_reads_the_safetensors_headers(folders, tmp_path):
    from timechat_core.qwen.folder import load_qwen_model, weight_count

    model = load_qwen_model(folders[0], FAMILIES["qwen2_5_vl"], torch.float32, "cpu")
    assert weight_count(folders[0]) == sum(p.numel() for p in model.parameters()) > 0
    assert weight_count(tmp_path) is None
    (tmp_path / "model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not a header}")
    with pytest.raises(InputError, match="model.safetensors: not a readable safetensors file"):
        weight_count(tmp_path)


def test_dtype_auto_weighs_a_qwen_folder_against_free_memory(folders, monkeypatch):
    """`--dtype auto` on the CPU: fp32 when the folder's weights fit, bf16 when only that fits, else one line saying
    what each needs (and no int8 hint: the int8 path is TimeChat's); --num-frames below 2 is refused before loading."""
    from timechat_core import devices
    from timechat_core.infer.load import EngineOptions, load_engine
    from timechat_core.qwen.folder import weight_count

    count = weight_count(folders[0])
    opts = EngineOptions(device="cpu")
    for free, want in ((count * 4 * devices.HEADROOM + devices.SPARE + 1, torch.float32),
                       (count * 2 * devices.HEADROOM + devices.SPARE + 1, torch.bfloat16)):
        monkeypatch.setattr(devices, "available_memory", lambda device, free=free: int(free))
        assert load_engine(folders[0], opts).model.dtype == want
    monkeypatch.setattr(devices, "available_memory", lambda device: count)
    with pytest.raises(InputError, match=r"need .* GiB in fp32, .* GiB in bf16 but cpu has .* GiB free$"):
        load_engine(folders[0], opts)
    with pytest.raises(InputError, match="--num-frames 1: a Qwen2.5-VL folder takes at least 2 frames"):
        load_engine(folders[0], EngineOptions(device="cpu", num_frames=1))
