"""The whole conformance fixture through the real loading chain: every stage within tolerance."""

from __future__ import annotations

import shutil

import pytest
import torch

from timechat_core.model.convert_lavis import CheckpointError, load_reference
from tests.conftest import one_thread
from timechat_core.model.reference_check import check_reference


@pytest.fixture(scope="module")
def report(ref_tiny):
    with one_thread():
        return check_reference(ref_tiny)


def test_every_required_stage_within_tolerance(report):
    bad = [s for s in report["stages"] if s["required"] and not s["ok"]]
    assert not bad, bad
    assert report["ok"] is True


def test_stage_coverage(report):
    names = " | ".join(s["stage"] for s in report["stages"])
    for needed in ("timestamp token ids (BERT)", "image Q-Former output", "video tokens after the projection",
                   "fp32: spliced inputs_embeds", "fp32: logits at every position", "fp32: greedy token ids",
                   "fp32: greedy answer text", "fp32: sampled token ids", "training: labels",
                   "fp32: training-path loss", "bf16: training-path loss", "Video-LLaMA chain: video tokens"):
        assert needed in names
    exact = {s["stage"]: s for s in report["stages"]}
    # The fp32 path is bit-exact where docs/conformance-fixture.md §8 says transformers 5.x can be.
    assert exact["fp32: training-path loss"]["max_abs_diff"] == 0.0
    assert exact["bf16: training-path loss"]["max_abs_diff"] == 0.0  # CE on bf16 logits, as the reference


def test_a_broken_fixture_is_reported_not_ok(ref_tiny, tmp_path):
    broken = tmp_path / "fixture"
    shutil.copytree(ref_tiny, broken)
    from safetensors.torch import load_file, save_file

    exp = load_file(str(broken / "expected" / "eval_visual.safetensors"))
    exp["video_tokens"] = exp["video_tokens"] + 1e-3
    save_file(exp, str(broken / "expected" / "eval_visual.safetensors"))
    r = check_reference(broken, variants=("fp32",))
    assert r["ok"] is False
    bad = [s["stage"] for s in r["stages"] if not s["ok"]]
    assert bad == ["video tokens after the projection"]


def test_load_order_matters(ref_files, tiny_cfg, ref_model):
    """Skipping timechat_7b.pth leaves the InstructBLIP Q-Former values (a different random draw)."""
    import dataclasses

    with pytest.raises(CheckpointError, match="video_query_tokens"):  # nothing provides the video Q-Former
        load_reference(dataclasses.replace(ref_files, checkpoint=None), tiny_cfg, dtype=torch.float32)
    files = dataclasses.replace(ref_files, checkpoint=None,
                                video_llama=ref_files.vit.parent / "VL_LLaMA_2_7B_Finetuned.pth")
    model, _, report = load_reference(files, tiny_cfg, dtype=torch.float32)
    assert any("LoRA freshly initialised" in n for n in report.notes)
    assert not torch.equal(model.query_tokens, ref_model[0].query_tokens)
    # ln_vision exists only in the InstructBLIP file; loaded either way
    assert report.provenance["ln_vision.weight"].endswith("instruct_blip_vicuna7b_trimmed.pth")
    assert torch.equal(model.vision_model.post_layernorm.weight, ref_model[0].vision_model.post_layernorm.weight)


def test_missing_and_unmapped_keys_are_reported_together(ref_files, tiny_cfg, tmp_path):
    import dataclasses

    sd = torch.load(ref_files.checkpoint, weights_only=True)["model"]
    del sd["video_query_tokens"]
    del sd["llama_proj.bias"]
    sd["some.unknown.tensor"] = torch.zeros(2)
    sd["llama_model.base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight"] = torch.zeros(3, 3)
    bad = tmp_path / "timechat_bad.pth"
    torch.save({"model": sd}, bad)
    with pytest.raises(CheckpointError) as e:
        load_reference(dataclasses.replace(ref_files, checkpoint=bad), tiny_cfg, dtype=torch.float32)
    msg = str(e.value)
    for part in ("some.unknown.tensor", "video_query_tokens", "language_projection.bias", "shape mismatches"):
        assert part in msg


class _Boom:
    """Unpickling this runs a shell command: a checkpoint must never get to execute it."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def test_objects_beside_the_weights_never_run(ref_files, tiny_cfg, tmp_path, ref_model):
    """LAVIS saves config/optimizer objects next to "model": the weights load, the objects stay inert."""
    import argparse
    import dataclasses

    marker = tmp_path / "PWNED"
    sd = torch.load(ref_files.checkpoint, weights_only=True)
    sd["config"] = argparse.Namespace(lr=1.0)
    sd["boom"] = _Boom(marker)
    path = tmp_path / "timechat_with_objects.pth"
    torch.save(sd, path)
    model, _, _ = load_reference(dataclasses.replace(ref_files, checkpoint=path), tiny_cfg, dtype=torch.float32)
    assert not marker.exists()
    assert torch.equal(model.video_query_tokens, ref_model[0].video_query_tokens)


def test_unreadable_checkpoint_names_the_file(ref_files, tiny_cfg, tmp_path):
    import dataclasses

    bad = tmp_path / "truncated.pth"
    bad.write_bytes(ref_files.checkpoint.read_bytes()[:1000])
    with pytest.raises(Exception) as e:
        load_reference(dataclasses.replace(ref_files, checkpoint=bad), tiny_cfg, dtype=torch.float32)
    assert str(bad) in str(e.value) and "cannot read checkpoint" in str(e.value)


def test_extra_vit_block_is_ignored_like_lavis(ref_files, tiny_cfg, tmp_path, ref_model):
    """EVA-CLIP-g has one more block than LAVIS builds; the reference's strict=False ignores it."""
    import dataclasses

    vit = torch.load(ref_files.vit, weights_only=True)
    n = tiny_cfg.vision.num_hidden_layers
    for k in [k for k in vit if k.startswith(f"blocks.{n - 1}.")]:
        vit[k.replace(f"blocks.{n - 1}.", f"blocks.{n}.")] = vit[k].clone()
    path = tmp_path / "eva_extra.pth"
    torch.save(vit, path)
    model, _, report = load_reference(dataclasses.replace(ref_files, vit=path), tiny_cfg, dtype=torch.float32)
    assert any("vision layers" in n for n in report.notes)
    assert torch.equal(model.vision_model.embeddings.class_embedding, ref_model[0].vision_model.embeddings.class_embedding)


def test_the_likely_config_is_the_preset_the_files_fit(tiny_cfg):
    """Files with exactly a preset's visual stack (frame positions interpolated to any length, one extra EVA
    block as LAVIS leaves it) are named as that preset; the config that failed is never suggested back."""
    from timechat_core.model.config import TimeChatConfig
    from timechat_core.model.mismatch import likely_config, preset_differences
    from timechat_core.model.timechat import TimeChatModel

    tiny = TimeChatConfig.preset("tiny")
    with torch.device("meta"):
        model = TimeChatModel(tiny, language_model=torch.nn.Identity())
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    shapes["frame_position_embedding.weight"] = (96, shapes["frame_position_embedding.weight"][1])
    n = tiny.vision.num_hidden_layers
    shapes.update({k.replace(f"layers.{n - 1}.", f"layers.{n}."): s for k, s in shapes.items()
                   if k.startswith(f"vision_model.encoder.layers.{n - 1}.")})
    assert preset_differences(shapes)["tiny"] == []
    assert likely_config(shapes, TimeChatConfig.preset("timechat-7b"), 600) == (
        "likely --config: tiny (the files fit its visual stack)")
    assert "tiny" not in preset_differences(shapes, besides=tiny)
    assert likely_config(shapes, tiny, 1).startswith("no shipped preset fits the files better")
