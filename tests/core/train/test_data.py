"""Training data: records, the reference's train transform, per-record draws, skips, sharding, collation."""

from __future__ import annotations

import itertools
import json

import pytest
import torch

from timechat_core.errors import InputError
from timechat_core.train.data import (Batches, Collator, TrainDataset, crop_params, read_records, train_transform,
                                      wrap_uint8)


def test_records_from_timeit_json_jsonl_and_valley(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps([{"video": "v1.mp4", "QA": [{"q": "q1", "a": "a1"}]}]))
    (tmp_path / "b.jsonl").write_text(json.dumps({"video": "v2.mp4", "QA": [{"q": "q", "a": "a"}] * 2}) + "\n\n")
    (tmp_path / "c.json").write_text(json.dumps([{"video": "v3.mp4", "conversations": [
        {"from": "human", "value": "<video>\nWhat?"}, {"from": "gpt", "value": "That."}]}]))
    recs = read_records([tmp_path / "a.json", tmp_path / "b.jsonl", tmp_path / "c.json"])
    assert [r.video for r in recs] == ["v1.mp4", "v2.mp4", "v3.mp4"]
    assert recs[1].qa == (("q", "a"), ("q", "a")) and recs[1].where.endswith("b.jsonl:1")
    assert recs[2].qa == (("What?", "That."),)


def test_every_bad_record_is_named_at_once(tmp_path):
    (tmp_path / "bad.jsonl").write_text("\n".join(json.dumps(r) for r in [
        {"video": "ok.mp4", "QA": [{"q": "q", "a": "a"}]}, {"QA": [{"q": "q", "a": "a"}]},
        {"video": "x.mp4", "QA": []}, {"video": "y.mp4", "conversations": [{"from": "gpt", "value": "a"},
                                                                          {"from": "human", "value": "q"}]}]))
    with pytest.raises(InputError) as e:
        read_records([tmp_path / "bad.jsonl"])
    msg = str(e.value)
    assert "bad.jsonl:2" in msg and "bad.jsonl:3" in msg and "bad.jsonl:4" in msg and "bad.jsonl:1" not in msg


def test_uint8_wraps_as_the_reference_does():
    x = torch.tensor([-1.5, -0.4, 0.0, 3.7, 255.9, 256.2, 300.0])
    assert wrap_uint8(x).tolist() == [255, 0, 0, 3, 255, 0, 44]


def test_full_crop_at_the_same_size_is_the_identity():
    frames = torch.randint(0, 256, (3, 28, 28, 3), dtype=torch.uint8)
    out = train_transform(frames, 28, (1.0, 1.0), (1.0, 1.0), torch.Generator().manual_seed(0))
    assert torch.equal(out, frames)


def test_bicubic_overshoot_wraps_around():
    """A hard edge enlarged by the crop overshoots below 0 and above 255; ToUint8 wraps those values."""
    frames = torch.zeros(1, 28, 28, 3, dtype=torch.uint8)
    frames[:, :, 14:] = 255
    gen = torch.Generator().manual_seed(3)
    out = train_transform(frames, 28, (0.5, 0.5), (1.0, 1.0), gen)
    i, j, h, w = crop_params(28, 28, (0.5, 0.5), (1.0, 1.0), torch.Generator().manual_seed(3))
    clip = frames.permute(3, 0, 1, 2).float()[..., i:i + h, j:j + w]
    exact = torch.nn.functional.interpolate(clip, size=(28, 28), mode="bicubic", align_corners=False)
    assert float(exact.min()) < 0 and float(exact.max()) > 255
    assert torch.equal(out, wrap_uint8(exact).permute(1, 2, 3, 0))
    assert int(out[0, :, :, 0][exact[0, 0] <= -1].min()) > 200  # dark overshoot became bright


def test_crop_params_respect_scale_and_ratio():
    gen = torch.Generator().manual_seed(0)
    for _ in range(200):
        i, j, h, w = crop_params(224, 224, (0.5, 1.0), (3 / 4, 4 / 3), gen)
        assert 0 <= i <= 224 - h and 0 <= j <= 224 - w
        assert 0.5 * 224 * 224 * 0.95 <= h * w <= 224 * 224
        assert 3 / 4 * 0.9 <= w / h <= 4 / 3 * 1.1


@pytest.fixture(scope="module")
def tiny_model():
    from tests.core.train.conftest import TOKENIZER
    from timechat_core.model.config import TimeChatConfig
    from timechat_core.model.folder import random_model

    return random_model(TimeChatConfig.preset("tiny"), TOKENIZER, seed=0, trainable=True)


def _dataset(tiny_data, model, **data):
    from timechat_core.train.config import DataConfig

    cfg = DataConfig(train=(str(tiny_data),), video_root=str(tiny_data.parent), **data)
    return TrainDataset(read_records(cfg.train), model.config, cfg, seed=42)


def test_a_records_draws_depend_on_seed_epoch_and_index_only(tiny_data, tiny_model):
    model, _ = tiny_model
    ds = _dataset(tiny_data, model)
    a, b, c = ds[(0, 3)], ds[(0, 3)], ds[(1, 3)]
    assert torch.equal(a.pixel_values, b.pixel_values) and a.conversation == b.conversation
    assert not torch.equal(a.pixel_values, c.pixel_values)
    assert a.pixel_values.shape == (8, 3, 28, 28)
    n_video = model.config.num_video_tokens(8)
    assert a.conversation.startswith("[INST] <<SYS>>\n \n<</SYS>>\n\n<Video>" + "<ImageHere>" * n_video + "</Video> "
                                     "The video contains 8 frames sampled at ")
    assert a.conversation.endswith(" [/INST] " + ds.records[3].qa[0][1] + " </s>")
    assert a.frame_texts[0].startswith("This frame is sampled at ")


def test_missing_and_corrupt_videos_are_skipped_and_reported(tiny_data, tiny_model, tmp_path):
    model, proc = tiny_model
    (tmp_path / "corrupt.mp4").write_bytes(b"not a video")
    good = json.loads(tiny_data.read_text())[0]
    records = [{"video": "missing.mp4", "QA": good["QA"]}, {"video": str(tmp_path / "corrupt.mp4"), "QA": good["QA"]},
               {**good, "video": str(tiny_data.parent / good["video"])}]
    (tmp_path / "r.json").write_text(json.dumps(records))
    from timechat_core.train.config import DataConfig

    cfg = DataConfig(train=(str(tmp_path / "r.json"),), video_root=str(tmp_path))
    ds = TrainDataset(read_records(cfg.train), model.config, cfg, seed=0)
    sample = ds[(0, 0)]
    assert sample.index == 2 and len(sample.skipped) == 2
    assert "r.json[0]" in sample.skipped[0] and "missing.mp4" in sample.skipped[0]
    batch = Collator(proc)([sample, ds[(0, 2)]])
    assert len(batch) == 2 and len(batch.skipped) == 2


def test_one_process_accumulating_sees_the_micro_batches_of_many():
    """W processes x accumulate A == 1 process x accumulate W*A: same records, same groups, per step."""
    for n, b, w in ((8, 1, 2), (8, 2, 2), (24, 2, 3), (10, 1, 2)):
        a = 2
        one = Batches(n, b, 1, 0, seed=5, shuffle=True)
        many = [Batches(n, b, w, r, seed=5, shuffle=True) for r in range(w)]
        steps = min(one.per_epoch // (w * a), many[0].per_epoch // a) * 3 if n % (w * b) == 0 else 1
        flat = list(itertools.islice(one.iterate(0), steps * w * a))
        per = [list(itertools.islice(m.iterate(0), steps * a)) for m in many]
        for s in range(steps):
            expected = sorted(map(tuple, flat[s * w * a:(s + 1) * w * a]))
            got = sorted(tuple(per[r][s * a + k]) for r in range(w) for k in range(a))
            assert got == expected
    resumed = list(itertools.islice(Batches(8, 2, 1, 0, 1, True).iterate(5), 3))
    assert resumed == list(itertools.islice(Batches(8, 2, 1, 0, 1, True).iterate(0), 8))[5:]


def test_videos_of_different_lengths_are_encoded_separately(tiny_data, tiny_model, tmp_path):
    """A 4-frame and an 8-frame video in one batch: the loss is the token-weighted mean of each alone."""
    import contextlib

    from timechat_core.train.loop import TrainStep
    from timechat_core.video.testsrc import make_test_video

    model, proc = tiny_model
    model.eval()
    make_test_video(tmp_path / "short.mp4", width=32, height=32, fps=10, frames=4, audio=False)
    good = json.loads(tiny_data.read_text())[1]
    (tmp_path / "r.json").write_text(json.dumps([{**good, "video": str(tiny_data.parent / good["video"])},
                                                 {**good, "video": str(tmp_path / "short.mp4")}]))
    from timechat_core.train.config import DataConfig

    cfg = DataConfig(train=(str(tmp_path / "r.json"),))
    ds = TrainDataset(read_records(cfg.train), model.config, cfg, seed=0)
    col, step = Collator(proc), TrainStep(model, proc.image_token_id, contextlib.nullcontext)
    samples = [ds[(0, 0)], ds[(0, 1)]]
    assert [s.pixel_values.shape[0] for s in samples] == [8, 4]

    def loss_and_tokens(batch):
        with torch.no_grad():
            loss = step(batch.pixel_values, batch.qformer_input_ids, batch.qformer_attention_mask, batch.input_ids,
                        batch.attention_mask, batch.labels)
        return float(loss), int((batch.labels[:, 1:] != -100).sum())

    both = col(samples)
    alone = [col([s]) for s in samples]
    assert {b.qformer_input_ids.shape[1] for b in alone} == {both.qformer_input_ids.shape[1]}  # same padding
    (l_both, _), (l0, n0), (l1, n1) = loss_and_tokens(both), loss_and_tokens(alone[0]), loss_and_tokens(alone[1])
    assert l_both == pytest.approx((l0 * n0 + l1 * n1) / (n0 + n1), abs=1e-5)
    model.train()


def test_cached_frames_are_the_frames_decoding_gives(tiny_data, tiny_model):
    """`cache_frames` decodes a video once and draws every epoch's frames from it: the same samples."""
    model, _ = tiny_model
    plain, cached = _dataset(tiny_data, model), _dataset(tiny_data, model, cache_frames=True)
    for key in ((0, 3), (1, 3), (2, 5), (0, 0)):
        a, b = plain[key], cached[key]
        assert torch.equal(a.pixel_values, b.pixel_values), key
        assert a.conversation == b.conversation and a.frame_texts == b.frame_texts
    assert len(cached._frames) == 3  # videos 0, 3 and 5, each decoded once
    full = cached._frames[cached.video_path(cached.records[3])]
    assert full.frames.shape[0] == full.vlen > 8


def test_no_frame_time_message_leaves_only_the_qformer_text(tiny_data, tiny_model):
    """`prompts.frame_time_message: false`: the instruction follows </Video> directly; the Q-Former
    still reads every frame's time."""
    from timechat_core.model.config import PromptSettings

    model, _ = tiny_model
    cfg = model.config.replace(prompts=PromptSettings(frame_time_message=False))
    from timechat_core.train.config import DataConfig

    data = DataConfig(train=(str(tiny_data),), video_root=str(tiny_data.parent))
    with_msg = _dataset(tiny_data, model)[(0, 3)]
    ds = TrainDataset(read_records(data.train), cfg, data, seed=42)
    s = ds[(0, 3)]
    q, a = ds.records[3].qa[0]
    assert s.conversation.endswith("</Video> " + q + " [/INST] " + a + " </s>")
    assert "The video contains" not in s.conversation
    assert s.frame_texts == with_msg.frame_texts and torch.equal(s.pixel_values, with_msg.pixel_values)


def test_video_after_the_instruction_puts_the_question_first(tiny_data, tiny_model):
    """`prompts.video_after_instruction`: "{msg}{question} <Video>...</Video>", the same frames and answer."""
    from timechat_core.model.config import PromptSettings
    from timechat_core.model.processor import IMAGE_TOKEN
    from timechat_core.train.config import DataConfig

    model, _ = tiny_model
    cfg = model.config.replace(prompts=PromptSettings(video_after_instruction=True))
    data = DataConfig(train=(str(tiny_data),), video_root=str(tiny_data.parent))
    first = _dataset(tiny_data, model)[(0, 3)]
    s = TrainDataset(read_records(data.train), cfg, data, seed=42)[(0, 3)]
    q, a = read_records(data.train)[3].qa[0]
    n = first.conversation.count(IMAGE_TOKEN)
    assert n > 0 and s.conversation.count(IMAGE_TOKEN) == n
    msg = first.conversation.split("</Video> ")[1].split(q)[0]
    assert msg.startswith("The video contains")
    assert s.conversation.endswith(msg + q + " <Video>" + IMAGE_TOKEN * n + "</Video> [/INST] " + a + " </s>")
    assert torch.equal(s.pixel_values, first.pixel_values)


def test_length_grouped_batches_pad_less_and_keep_the_step_equivalence(datadir):
    """data.group_by_length on the lengths of real TimeIT records (Charades-STA and QVHighlights)."""
    from tests.core.timeit.helpers import build_one

    recs = build_one("charades", datadir / "charades_sta" / "charades_sta_test.txt")[0][:600] + \
        build_one("qvhighlights", datadir / "qvhighlights" / "highlight_val_release.jsonl", split="val")[0][:360]
    lengths = [sum(len(qa["q"]) + len(qa["a"]) for qa in r["QA"]) for r in recs]
    n, b = len(lengths), 8

    def padding(batches):
        return sum(max(lengths[i] for i in x) * len(x) - sum(lengths[i] for i in x) for x in batches)

    plain = Batches(n, b, 1, 0, seed=3, shuffle=True)
    grouped = Batches(n, b, 1, 0, seed=3, shuffle=True, lengths=lengths, group=20)
    for epoch in range(2):
        assert sorted(sum(grouped.epoch_order(epoch), [])) == sorted(sum(plain.epoch_order(epoch), []))
        assert padding(grouped.epoch_order(epoch)) < 0.3 * padding(plain.epoch_order(epoch))
    assert grouped.epoch_order(0) != grouped.epoch_order(1)
    # the longest batch does not always come first: steps are shuffled inside each run
    firsts = [max(lengths[i] for i in grouped.epoch_order(e)[0]) for e in range(6)]
    assert len(set(firsts)) > 1
    # W processes x accumulate A see per step what 1 process x accumulate W*A sees
    for w, a in ((2, 2), (3, 1), (4, 2)):
        one = Batches(n, b, 1, 0, seed=3, shuffle=True, lengths=lengths, group=5, accum=w * a)
        many = [Batches(n, b, w, r, seed=3, shuffle=True, lengths=lengths, group=5, accum=a) for r in range(w)]
        steps = many[0].per_epoch // a
        flat = one.epoch_order(0)
        per = [m.epoch_order(0) for m in many]
        for s in range(steps):
            assert sorted(map(tuple, flat[s * w * a:(s + 1) * w * a])) == \
                sorted(tuple(per[r][s * a + k]) for r in range(w) for k in range(a))
    with pytest.raises(ValueError, match="one length per record"):
        Batches(n, b, 1, 0, 3, True, lengths=lengths[:-1], group=2)
