"""The model's mechanics on the fixture's trained-format weights and on tiny random models."""

from __future__ import annotations

import pytest
import torch

from timechat_core.model.config import TimeChatConfig
from timechat_core.model.timechat import TimeChatModel


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    cfg = TimeChatConfig.preset("tiny", num_frames=12, max_frame_pos=12)
    return TimeChatModel(cfg).eval()


@pytest.mark.parametrize("b,t,w", [(2, 12, 4), (3, 11, 4), (1, 7, 4), (2, 5, 0), (2, 3, 4)])
def test_batched_windows_equal_the_reference_loop(tiny, b, t, w):
    model = tiny
    model.config = model.config.replace(window_size=w, window_stride=w or 32)
    try:
        states = torch.randn(b, t, 9, 32)
        with torch.no_grad():
            batched, loop = model.video_qformer_windows(states), model.video_qformer_loop(states)
        assert batched.shape == loop.shape == (b, 1 if w == 0 else -(-t // w), 4, 32)
        assert (batched - loop).abs().max().item() <= 1e-6
    finally:
        model.config = model.config.replace(window_size=4, window_stride=4)


def test_frame_positions_use_global_indices(tiny):
    states = torch.zeros(1, 6, 3, 32)
    out = tiny.add_frame_positions(states)
    table = tiny.frame_position_embedding.weight
    assert torch.equal(out[0, 5, 2], table[5]) and torch.equal(out[0, 0, 0], table[0])
    with pytest.raises(ValueError, match="max_frame_pos"):
        tiny.add_frame_positions(torch.zeros(1, 13, 3, 32))


def _frames(b, t, size=28):
    return torch.randn(b, t, 3, size, size)


def _ts(b, t, length=9):
    return torch.randint(1000, 2000, (b * t, length)), torch.ones(b * t, length, dtype=torch.long)


def test_video_token_count_and_text_positions(tiny):
    ids, mask = _ts(2, 10)
    with torch.no_grad():
        tokens, stages = tiny.encode_video(_frames(2, 10), ids, mask, return_stages=True)
    assert tokens.shape == (2, tiny.config.num_video_tokens(10), 64) == (2, 12, 64)
    assert stages["qformer_last_hidden_state"].shape == (20, 4 + 9, 32)  # queries + text positions (reference)
    # the unmasked padding positions influence the video tokens, as in the reference
    mask2 = mask.clone()
    mask2[:, -2:] = 0
    with torch.no_grad():
        tokens2 = tiny.encode_video(_frames(2, 10) * 0 + 0, ids, mask2)
        tokens3 = tiny.encode_video(_frames(2, 10) * 0 + 0, ids, mask)
    assert not torch.allclose(tokens2, tokens3)


def test_frames_encoded_in_chunks_equal_all_at_once(tiny):
    """`frame_chunk` bounds the visual activations' memory only: frames are independent in the ViT and the image
    Q-Former, so the 24 frames of 2 videos taken 5 at a time give the tokens of all 24 at once."""
    torch.manual_seed(3)
    x = torch.randn(2, 12, 3, 28, 28)
    ids, mask = torch.randint(1000, 2000, (24, 6)), torch.ones(24, 6, dtype=torch.long)
    mask[::3, 4:] = 0  # padded timestamp texts, as a batch's longest-padding gives
    seen = []  # frames per ViT call
    hook = tiny.vision_model.register_forward_hook(lambda m, args, kwargs, out: seen.append(len(kwargs["pixel_values"])),
                                                   with_kwargs=True)
    with torch.inference_mode():
        whole = tiny.encode_video(x, ids, mask)
        tiny.frame_chunk = 5
        try:
            chunked = tiny.encode_video(x, ids, mask)
        finally:
            tiny.frame_chunk = None
            hook.remove()
    assert seen == [24, 5, 5, 5, 5, 4]  # all at once, then 5 at a time
    torch.testing.assert_close(chunked, whole, rtol=0, atol=1e-6)


def test_a_bf16_visual_stack_runs_under_cpu_autocast(tiny):
    """On the CPU `autocast_visual` computes in bf16, the low precision CPU autocast takes (fp16 raised
    "Unexpected floating ScalarType in at::autocast::prioritize" on a bf16 visual stack)."""
    import copy

    torch.manual_seed(1)
    frames, (ids, mask) = _frames(1, 8), _ts(1, 8)
    with torch.no_grad():
        exact = tiny.encode_video(frames, ids, mask)
        low = copy.deepcopy(tiny)
        low.vision_model.bfloat16()
        low.autocast_visual = True
        got = low.encode_video(frames, ids, mask)
    assert got.dtype == torch.bfloat16
    assert 0 < (got.float() - exact).abs().max().item() < 0.05 * exact.abs().max().item()


def test_ablation_switches():
    torch.manual_seed(0)
    base = TimeChatConfig.preset("tiny")
    global_q = TimeChatModel(base.replace(window_size=0)).eval()
    plain = TimeChatModel(base.replace(timestamp_text=False)).eval()
    queries_only = TimeChatModel(base.replace(keep_text_positions=False)).eval()
    ids, mask = _ts(1, 8)
    with torch.no_grad():
        assert global_q.encode_video(_frames(1, 8), ids, mask).shape == (1, 4, 64)  # fixed token count
        assert plain.encode_video(_frames(1, 8)).shape == (1, 8, 64)  # no timestamp text needed
        _, st = queries_only.encode_video(_frames(1, 8), ids, mask, return_stages=True)
    assert st["qformer_last_hidden_state"].shape == (8, 4, 32)
    assert not hasattr(plain.qformer, "embeddings")  # plain BLIP-2 Q-Former: no word embeddings


def test_training_step_updates_only_the_reference_trainable_groups(ref_files, tiny_cfg):
    from timechat_core.model.convert_lavis import load_reference
    from timechat_core.model.processor import training_conversation
    from timechat_core.video.sampling import frame_texts, timestamp_message

    model, proc, _ = load_reference(ref_files, tiny_cfg, dtype=torch.float32, trainable=True)
    model.train()
    msg = timestamp_message(list(range(0, 80, 10)), 10.0)
    conv = training_conversation([("When does it happen?", "The given query happens in 1.0 - 3.0 seconds.")], msg,
                                 tiny_cfg.num_video_tokens(8))
    batch = proc.train_batch([conv], [frame_texts(msg)])
    out = model(_frames(1, 8), batch.qformer_input_ids, batch.qformer_attention_mask, batch.input_ids,
                batch.attention_mask, batch.labels, proc.image_token_id)
    out["loss"].backward()
    with_grad = {n.split(".")[0] for n, p in model.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}
    assert with_grad == {"qformer", "query_tokens", "frame_position_embedding", "video_qformer", "video_query_tokens",
                         "language_projection", "language_model"}
    llm_grads = [n for n, p in model.language_model.named_parameters() if p.grad is not None]
    assert llm_grads and all(".lora_" in n for n in llm_grads)
    assert all(p.grad is None for p in model.vision_model.parameters())
    # labels: answer and </s> supervised, everything else ignored
    supervised = batch.input_ids[0][batch.labels[0] != -100].tolist()
    assert proc.llama.decode(supervised).strip() == "The given query happens in 1.0 - 3.0 seconds. </s>"


def test_stock_numerics_run_a_bf16_llm(ref_files, tiny_cfg):
    """`llm_numerics: stock` casts inputs_embeds to the LLM dtype (stock transformers accepts only that)."""
    from timechat_core.model.convert_lavis import load_reference
    from timechat_core.model.generate import DecodingSettings, generate_ids

    model, proc, _ = load_reference(ref_files, tiny_cfg.replace(llm_numerics="stock", attn_implementation="sdpa"),
                                    dtype=torch.bfloat16)
    seg = proc.eval_segments("[INST] <Video><ImageHere></Video> hi [/INST]")
    with torch.no_grad():
        video = torch.randn(1, 8, 64)
        embeds, mask = model.context_embeds([seg], video)
        assert embeds.dtype == torch.bfloat16
        ids = generate_ids(model, embeds, mask, DecodingSettings(max_new_tokens=5))
    assert ids.shape[0] == 1 and 1 <= ids.shape[1] <= 5


def test_vision_fp16_weights_as_the_reference(tiny):
    import copy

    model = copy.deepcopy(tiny)
    model.vision_to_fp16()
    dtypes = {n: p.dtype for n, p in model.vision_model.named_parameters()}
    assert dtypes["encoder.layers.0.self_attn.qkv.weight"] == torch.float16
    assert dtypes["encoder.layers.0.mlp.fc1.bias"] == torch.float16
    assert dtypes["embeddings.patch_embedding.weight"] == torch.float16
    for name in ("encoder.layers.0.layer_norm1.weight", "post_layernorm.weight", "embeddings.class_embedding",
                 "embeddings.position_embedding"):
        assert dtypes[name] == torch.float32


def test_from_scratch_training_switches(ref_tiny):
    from timechat_core.model.folder import random_model

    cfg = TimeChatConfig.preset("tiny").replace(lora=None, train_llm="full", train_vision=True)
    model, _ = random_model(cfg, ref_tiny / "llama-2-7b-chat-hf", trainable=True)
    assert all(p.requires_grad for p in model.parameters())
    frozen_llm, _ = random_model(cfg.replace(train_llm="frozen", train_vision=False), ref_tiny / "llama-2-7b-chat-hf",
                                 trainable=True)
    trained = {n.split(".")[0] for n, p in frozen_llm.named_parameters() if p.requires_grad}
    assert trained == {"qformer", "query_tokens", "frame_position_embedding", "video_qformer", "video_query_tokens",
                       "language_projection"}


def test_eval_prompt_without_frame_message_is_the_training_prefix():
    """A model trained without the frame-time message is asked with exactly its training prefix."""
    from timechat_core.model.processor import IMAGE_TOKEN, TRAIN_SYSTEM, eval_prompt, training_conversation

    q, a = "Localize 'the red circle'.", "The given query happens in 1.0 - 2.0 seconds."
    train = training_conversation([(q, a)], "", 4)
    ask = eval_prompt("", q, TRAIN_SYSTEM).replace(IMAGE_TOKEN, IMAGE_TOKEN * 4)
    assert train == ask + " " + a + " </s>"
    msg = "The video contains 2 frames sampled at 0.0, 1.0 seconds. "
    assert eval_prompt(msg, q).count(msg + " " + q) == 1  # the reference's two spaces are kept
