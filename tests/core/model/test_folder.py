"""The model folder `timechat convert` writes: exact round trip, atomic writes, clear errors."""

from __future__ import annotations

import pytest
import torch

from timechat_core.errors import InputError
from timechat_core.model.folder import load_model_folder, save_model_folder


@pytest.mark.parametrize("copy_llm", [False, True])
def test_round_trip_is_exact(ref_model, tmp_path, copy_llm):
    model, proc, _ = ref_model
    out = save_model_folder(model, proc, tmp_path / "m", copy_llm=copy_llm)
    loaded, proc2 = load_model_folder(out, dtype=torch.float32)
    a, b = model.state_dict(), loaded.state_dict()
    assert set(a) == set(b)
    assert all(torch.equal(a[k], b[k]) and a[k].dtype == b[k].dtype for k in a)
    assert loaded.config == model.config.replace(llm=loaded.config.llm)
    text = "[INST] <<SYS>>\n \n<</SYS>>\n\n<Video><ImageHere></Video> The video contains 2 frames. [/INST] ok </s>"
    assert proc2.llama(text).input_ids == proc.llama(text).input_ids
    assert proc2.bert("This frame is sampled at 12.5 second.").input_ids == proc.bert(
        "This frame is sampled at 12.5 second.").input_ids
    assert (out / "adapter" / "adapter_config.json").is_file()
    assert (out / "llm" / "model.safetensors").is_file() == copy_llm
    assert not list(tmp_path.glob(".m.*"))  # no temporary folder left


def test_existing_folder_needs_overwrite(ref_model, tmp_path):
    model, proc, _ = ref_model
    save_model_folder(model, proc, tmp_path / "m")
    with pytest.raises(InputError, match="already exists"):
        save_model_folder(model, proc, tmp_path / "m")
    save_model_folder(model, proc, tmp_path / "m", overwrite=True)


def test_not_a_model_folder(tmp_path):
    with pytest.raises(InputError, match="not a timechat model folder"):
        load_model_folder(tmp_path)


def test_lora_alpha_override_scales_the_adapter(ref_model, tmp_path):
    model, proc, _ = ref_model
    out = save_model_folder(model, proc, tmp_path / "m")
    loaded, _ = load_model_folder(out, dtype=torch.float32, **{"lora.alpha": 20})
    scalings = {m.scaling["default"] for m in loaded.modules() if isinstance(getattr(m, "scaling", None), dict)}
    assert scalings == {20 / 32}


def test_random_model_round_trips_with_its_llm(ref_tiny, tmp_path):
    from timechat_core.model.config import TimeChatConfig
    from timechat_core.model.folder import random_model

    model, proc = random_model(TimeChatConfig.preset("tiny"), ref_tiny / "llama-2-7b-chat-hf", seed=3)
    out = save_model_folder(model, proc, tmp_path / "m")
    assert (out / "llm" / "model.safetensors").is_file()
    loaded, _ = load_model_folder(out, dtype=torch.float32)
    a, b = model.state_dict(), loaded.state_dict()
    assert set(a) == set(b) and all(torch.equal(a[k], b[k]) for k in a)
    with pytest.raises(InputError, match="llm.vocab_size"):
        random_model(TimeChatConfig.preset("tiny", **{"llm.vocab_size": 800}), ref_tiny / "llama-2-7b-chat-hf")


def test_a_random_model_has_no_dead_parts(ref_tiny):
    """Every weight matrix of a from-scratch model starts at a usable scale: transformers' ViT config
    defaults to initializer_range 1e-10 (BLIP-2 always loads a pretrained ViT), which left the demo
    model's frame encoder at zero, so it barely learned to see."""
    from timechat_core.model.config import TimeChatConfig
    from timechat_core.model.folder import random_model

    model, _ = random_model(TimeChatConfig.preset("tiny"), ref_tiny / "llama-2-7b-chat-hf", seed=0)
    for name, p in model.named_parameters():
        if p.dim() >= 2 and "lora_B" not in name:  # LoRA's B starts at zero by design
            assert p.float().std() > 5e-3, name
    emb = model.vision_model.embeddings
    assert emb.class_embedding.std() > 5e-3 and emb.position_embedding.std() > 5e-3
    # qformer / video_qformer initializer_range (the demo model's 0.1: BERT's 0.02 is sized for hidden 768)
    cfg = TimeChatConfig.preset("tiny", **{"qformer.initializer_range": 0.1, "video_qformer.initializer_range": 0.1})
    wide, _ = random_model(cfg, ref_tiny / "llama-2-7b-chat-hf", seed=0)
    for part in ("qformer", "video_qformer"):
        w = getattr(wide, part).encoder.layer[0].crossattention.attention.value.weight
        w0 = getattr(model, part).encoder.layer[0].crossattention.attention.value.weight
        assert 0.09 < w.std() < 0.11 and 0.018 < w0.std() < 0.022, part


def test_a_trained_llm_is_saved_from_memory(ref_tiny, tmp_path):
    """train_llm: full changes the LLM's own weights: a folder must hold them, not point at the start."""
    from timechat_core.model.config import TimeChatConfig
    from timechat_core.model.folder import random_model

    cfg = TimeChatConfig.preset("tiny").replace(train_llm="full")
    model, proc = random_model(cfg, ref_tiny / "llama-2-7b-chat-hf", seed=1)
    start = save_model_folder(model, proc, tmp_path / "start")
    model, proc = load_model_folder(start, dtype=torch.float32, trainable=True)
    with torch.no_grad():
        model.language_model.get_input_embeddings().weight.add_(1.0)  # "training"
    out = save_model_folder(model, proc, tmp_path / "trained")
    loaded, _ = load_model_folder(out, dtype=torch.float32)
    a, b = model.state_dict(), loaded.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
