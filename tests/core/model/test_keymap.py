"""The checkpoint key map: reference names <-> timechat names, and the 7B structure on the meta device."""

from __future__ import annotations

import re

import pytest
import torch

from timechat_core.model.convert_lavis import (
    interpolate_frame_positions, read_state_dict, to_reference, to_timechat,
)


def test_reference_files_round_trip(ref_files):
    eva = {f"visual_encoder.{k}": v for k, v in read_state_dict(ref_files.vit).items()}
    for sd in (eva, read_state_dict(ref_files.checkpoint)):
        mapped = to_timechat(sd)
        assert not mapped.unmapped
        back = to_reference(mapped.state_dict)
        kept = {k for k in sd if k not in mapped.dropped}
        assert set(back) == kept
        assert all(torch.equal(back[k], sd[k]) for k in kept)
    assert set(to_timechat(read_state_dict(ref_files.checkpoint)).dropped) == {
        "Qformer.bert.embeddings.position_ids", "video_Qformer.bert.embeddings.position_ids"}


def test_qv_bias_fusion():
    sd = {"visual_encoder.blocks.3.attn.q_bias": torch.tensor([1.0, 2.0]),
          "visual_encoder.blocks.3.attn.v_bias": torch.tensor([5.0, 6.0])}
    out = to_timechat(sd).state_dict
    assert out["vision_model.encoder.layers.3.self_attn.qkv.bias"].tolist() == [1, 2, 0, 0, 5, 6]
    lonely = to_timechat({"visual_encoder.blocks.0.attn.q_bias": torch.zeros(2)})
    assert lonely.unmapped == ["visual_encoder.blocks.0.attn.v_bias (needed by fuse_qv_bias, absent)"]


def test_frame_position_interpolation_is_nearest_32_to_96():
    table = torch.arange(32 * 2, dtype=torch.float32).reshape(32, 2)
    out = interpolate_frame_positions(table, 96)
    assert out.shape == (96, 2)
    assert all(torch.equal(out[i], table[i // 3]) for i in range(96))  # docs/reference-model.md §2.3: row i // 3


# docs/checkpoints.md §7 (the reference's full-size state dict, enumerated on the meta device) and
# §2.7 (numel per group): the 7B structure must have exactly these keys and sizes.
APPENDIX_C_NUMEL = {
    "visual_encoder": 985_894_528, "ln_vision": 2_816, "Qformer": 185_660_160, "query_tokens": 24_576,
    "video_frame_position_embedding": 73_728, "video_Qformer": 18_905_088, "video_query_tokens": 24_576,
    "llama_proj": 3_149_824, "llama_model": 6_738_415_616 + 33_554_432,
}
APPENDIX_C_SHAPES = {
    "query_tokens": (1, 32, 768), "video_query_tokens": (1, 32, 768),
    "visual_encoder.cls_token": (1, 1, 1408), "visual_encoder.pos_embed": (1, 257, 1408),
    "visual_encoder.patch_embed.proj.weight": (1408, 3, 14, 14),
    "visual_encoder.blocks.38.attn.qkv.weight": (4224, 1408), "visual_encoder.blocks.38.attn.q_bias": (1408,),
    "visual_encoder.blocks.38.mlp.fc1.weight": (6144, 1408), "ln_vision.weight": (1408,),
    "Qformer.bert.embeddings.word_embeddings.weight": (30523, 768),
    "Qformer.bert.embeddings.position_embeddings.weight": (512, 768),
    "Qformer.bert.encoder.layer.11.intermediate.dense.weight": (3072, 768),
    "Qformer.bert.encoder.layer.10.crossattention.self.key.weight": (768, 1408),
    "llama_model.base_model.model.model.embed_tokens.weight": (32000, 4096),
    "llama_model.base_model.model.model.layers.31.self_attn.q_proj.weight": (4096, 4096),
    "llama_model.base_model.model.model.layers.31.self_attn.o_proj.lora_A.default.weight": (32, 4096),
    "llama_model.base_model.model.model.layers.31.self_attn.o_proj.lora_B.default.weight": (4096, 32),
    "llama_model.base_model.model.model.layers.0.mlp.down_proj.weight": (4096, 11008),
    "llama_model.base_model.model.lm_head.weight": (32000, 4096),
    "llama_proj.weight": (4096, 768), "video_frame_position_embedding.weight": (96, 768),
    "video_Qformer.bert.encoder.layer.1.crossattention.self.key.weight": (768, 768),
}


@pytest.fixture(scope="module")
def meta_7b():
    from timechat_core.model.config import TimeChatConfig
    from timechat_core.model.timechat import TimeChatModel

    with torch.device("meta"):
        model = TimeChatModel(TimeChatConfig.preset("timechat-7b"))
    return model


def test_7b_builds_on_meta_with_the_reference_key_set(meta_7b):
    sd = meta_7b.state_dict()
    assert all(t.is_meta for t in sd.values())  # nothing allocated
    ref = to_reference(sd)
    numel = {}
    for k, v in ref.items():
        numel[k.split(".")[0]] = numel.get(k.split(".")[0], 0) + v.numel()
    assert numel == APPENDIX_C_NUMEL
    for k, shape in APPENDIX_C_SHAPES.items():
        assert tuple(ref[k].shape) == shape, k
    groups = {re.sub(r"\.\d+\.", ".N.", k) for k in ref}
    assert "visual_encoder.blocks.N.attn.k_bias" not in groups
    assert {k for k in groups if k.startswith("video_Qformer") and ".intermediate." in k} == set()  # no text FFN
    assert sum(1 for k in ref if re.match(r"Qformer\.bert\.encoder\.layer\.\d+\.crossattention\.self\.query\.weight", k)) == 6
    assert max(int(m.group(1)) for k in ref if (m := re.match(r"visual_encoder\.blocks\.(\d+)\.", k))) == 38
    # The trainable LoRA key set equals what timechat_7b.pth stores (645 tensors in the full file).
    lora = [k for k in ref if ".lora_" in k]
    assert len(lora) == 32 * 4 * 2


def test_7b_trainable_parameter_count(meta_7b):
    from timechat_core.model.convert_lavis import set_trainable

    set_trainable(meta_7b, True)
    assert sum(p.numel() for p in meta_7b.parameters() if p.requires_grad) == 241_392_384  # docs/reference-model.md §2.7
    set_trainable(meta_7b, False)
    assert not any(p.requires_grad for p in meta_7b.parameters())


def test_a_trained_key_bias_is_dropped_exactly():
    """Softmax is shift-invariant per query row, so EVA (no key bias) computes the same attention."""
    import copy

    from timechat_core.model.config import TimeChatConfig
    from timechat_core.model.timechat import TimeChatModel

    torch.manual_seed(0)
    model = TimeChatModel(TimeChatConfig.preset("tiny")).eval()
    pixels = torch.randn(2, 3, 28, 28)
    with torch.no_grad():
        bias = model.vision_model.encoder.layers[0].self_attn.qkv.bias
        bias.normal_()  # a non-zero key part, as a trained ViT gets
        before = model.vision_model(pixel_values=pixels).last_hidden_state
        ref = to_reference({k: v for k, v in model.state_dict().items() if k.startswith("vision_model.")})
        back = copy.deepcopy(model)
        back.load_state_dict(to_timechat(ref).state_dict, strict=False)
        assert not bool(back.vision_model.encoder.layers[0].self_attn.qkv.bias[48:96].any())
        after = back.vision_model(pixel_values=pixels).last_hidden_state
    assert (after - before).abs().max().item() < 1e-5
