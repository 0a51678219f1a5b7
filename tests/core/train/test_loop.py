"""The training loop: a tiny model overfits, 2 gloo processes equal 1, a SIGKILLed run resumes exactly."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
import torch

from tests.core.train.conftest import final_weights, max_diff, metrics, tiny_overrides, train_cmd
from timechat_core.errors import InputError
from timechat_core.train.config import resolve
from timechat_core.train.loop import train

# Comparable runs: no dropout (each process draws its own masks) and a constant lr (the reference
# steps the lr per micro-batch, so 1 process x accumulate 2 would see other lrs than 2 processes x 1).
EXACT = ["dropout=false", "optim.schedule=constant", "optim.warmup_steps=0", "optim.init_lr=1e-3",
         "save_model_folder=false", "save_every=0"]


@pytest.mark.slow
def test_tiny_model_overfits_8_examples(tiny_data, tmp_path):
    """100 steps make the loss fall at least 5x (its speed is benchmarks/bench_train.py's, not a unit test's)."""
    cfg = resolve("tiny", tiny_overrides(tiny_data, tmp_path / "run"))
    result = train(cfg, resume="never")
    losses = [row["loss"] for row in metrics(tmp_path / "run")]
    assert result.steps == 100
    assert losses[0] / min(losses[-5:]) >= 5, losses
    ckpt = tmp_path / "run" / "checkpoints" / "step_00000100"
    reference = torch.load(ckpt / "timechat.pth", weights_only=True)
    assert set(reference) >= {"model"} and "llama_proj.weight" in reference["model"]
    assert any(k.startswith("video_Qformer.bert.") for k in reference["model"])
    assert (ckpt / "model" / "config.yaml").is_file() and (tmp_path / "run" / "config.yaml").is_file()
    from timechat_core.model.folder import load_model_folder

    loaded, _ = load_model_folder(ckpt / "model", dtype=torch.float32)
    trained = final_weights(tmp_path / "run")
    assert max_diff(trained, {k: v for k, v in loaded.state_dict().items() if k in trained}) == 0


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["ddp", "fsdp"])
def test_two_gloo_processes_equal_one_with_the_same_global_batch(tiny_data, tmp_path, strategy):
    two = subprocess.run(train_cmd("--nproc", "2", *tiny_overrides(tiny_data, tmp_path / "two"), *EXACT,
                                   "batch_size=2", "accum_grad_iters=1", "max_epoch=2", f"strategy={strategy}"),
                         capture_output=True, text=True, timeout=300)
    assert two.returncode == 0, two.stderr[-3000:]
    one = train(resolve("tiny", tiny_overrides(tiny_data, tmp_path / "one", *EXACT, "batch_size=2",
                                               "accum_grad_iters=2", "max_epoch=2")), resume="never")
    assert one.steps == 4 and '"world_size": 2' in two.stdout and '"steps": 4' in two.stdout
    a, b = final_weights(tmp_path / "one"), final_weights(tmp_path / "two")
    assert max_diff(a, b) < 1e-6, max_diff(a, b)  # measured 1.7e-7: fp32 summation order only
    moved = max(float((a[k] - v).abs().max()) for k, v in _initial(tiny_data, tmp_path).items())
    assert moved > 1e-3  # the runs really trained
    losses_one, losses_two = [r["loss"] for r in metrics(tmp_path / "one")], [r["loss"] for r in metrics(tmp_path / "two")]
    assert losses_one == pytest.approx(losses_two, abs=1e-5)


def _initial(tiny_data, tmp_path) -> dict:
    from timechat_core.train.loop import build_model

    model, _ = build_model(resolve("tiny", tiny_overrides(tiny_data, tmp_path / "x")), torch.device("cpu"))
    return {n: p.detach() for n, p in model.named_parameters() if p.requires_grad}


@pytest.mark.slow
def test_sigkill_then_resume_gives_the_weights_of_an_uninterrupted_run(tiny_data, tmp_path):
    """Dropout stays on: the restored RNG states must reproduce its masks too."""
    args = ["max_epoch=10", "save_every=3", "save_model_folder=false", "batch_size=4"]  # 20 steps
    full = train(resolve("tiny", tiny_overrides(tiny_data, tmp_path / "full", *args)), resume="never")
    assert full.steps == 20
    out = tmp_path / "killed"
    proc = subprocess.Popen(train_cmd(*tiny_overrides(tiny_data, out, *args)), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    latest = out / "checkpoints" / "latest"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if latest.is_file() and latest.read_text().strip() >= "step_00000006":
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    killed_at = latest.read_text().strip()
    assert killed_at < "step_00000020", "the run finished before it was killed"
    resumed = subprocess.run(train_cmd(*tiny_overrides(tiny_data, out, *args)), capture_output=True, text=True,
                             timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"resumed from {out / 'checkpoints' / killed_at}" in resumed.stderr
    assert max_diff(final_weights(tmp_path / "full"), final_weights(out)) == 0
    steps = [r["step"] for r in metrics(out)]
    assert steps == list(range(1, 21))  # rows past the checkpoint from the killed run were dropped
    assert [r["loss"] for r in metrics(out)] == [r["loss"] for r in metrics(tmp_path / "full")]


def test_frozen_prefixes_keep_their_weights_and_the_rest_trains(tiny_data, tmp_path):
    from timechat_core.model.folder import load_model_folder
    from timechat_core.train.loop import build_model

    frozen = ["video_qformer", "qformer", "query_tokens"]
    args = ["freeze=[" + ",".join(frozen) + "]", "max_epoch=1", "batch_size=4", "save_every=0", *EXACT[:4]]
    cfg = resolve("tiny", tiny_overrides(tiny_data, tmp_path / "run", *args))
    before = {n: p.detach().clone() for n, p in build_model(cfg, torch.device("cpu"))[0].named_parameters()}
    assert train(cfg, resume="never").steps >= 2
    after, _ = load_model_folder(next((tmp_path / "run" / "checkpoints").glob("step_*")) / "model", dtype=torch.float32)
    moved = {n for n, p in after.named_parameters() if not torch.equal(p, before[n])}
    is_frozen = lambda n: any(n == f or n.startswith(f + ".") for f in frozen)
    assert not {n for n in moved if is_frozen(n)}
    assert {n.split(".")[0] for n in moved} >= {"language_projection", "frame_position_embedding", "video_query_tokens"}
    saved = final_weights(tmp_path / "run")  # the resume state holds only what trains
    assert saved and not any(is_frozen(n) for n in saved) and set(saved) >= {n for n in moved}


def test_freezing_an_unknown_prefix_names_it(tiny_data, tmp_path):
    from timechat_core.train.loop import build_model

    cfg = resolve("tiny", tiny_overrides(tiny_data, tmp_path / "run", "freeze=[video_qformr]"))
    with pytest.raises(InputError, match="freeze: no parameter is named 'video_qformr'.*video_qformer"):
        build_model(cfg, torch.device("cpu"))


def test_without_dropout_training_mode_is_deterministic(tiny_data):
    from timechat_core.train.data import Collator, TrainDataset, read_records
    from timechat_core.train.loop import TrainStep, build_model

    cfg = resolve("tiny", tiny_overrides(tiny_data, tiny_data.parent / "unused", "dropout=false"))
    model, proc = build_model(cfg, torch.device("cpu"))
    ds = TrainDataset(read_records(cfg.data.train), model.config, cfg.data, cfg.seed)
    batch = Collator(proc)([ds[(0, 0)], ds[(0, 1)]])
    step = TrainStep(model, proc.image_token_id, __import__("contextlib").nullcontext)

    def loss():
        with torch.no_grad():
            return float(step(batch.pixel_values, batch.qformer_input_ids, batch.qformer_attention_mask,
                              batch.input_ids, batch.attention_mask, batch.labels))

    model.train()
    a, b = loss(), loss()
    model.eval()
    assert a == b == loss()


def test_llama_timestamp_ids_must_fit_the_qformer_vocabulary(tiny_data, tmp_path):
    """The reference's quirk (LLaMA ids into the image Q-Former in training) is noted; ids the Q-Former's
    embedding cannot hold (a small locally trained BERT vocabulary) are refused before any step."""
    import dataclasses

    from tests.core.train.conftest import TOKENIZER
    from timechat_core.errors import InputError
    from timechat_core.model.config import TimeChatConfig
    from timechat_core.model.folder import random_model, save_model_folder
    from timechat_core.model.tokenizers import train_bert_vocab
    from timechat_core.train.loop import Trainer
    from timechat_core.video.sampling import frame_texts, timestamp_message

    notes = []
    Trainer(resolve("tiny", tiny_overrides(tiny_data, tmp_path / "a")), log=notes.append)
    assert any("LLaMA token ids of the timestamp text in training and BERT ids at inference" in n for n in notes)

    bert = train_bert_vocab(frame_texts(timestamp_message(list(range(100)), 10.0)), tmp_path / "bert_vocab", vocab_size=120)
    from timechat_core.model.processor import TimeChatProcessor

    n_bert = len(TimeChatProcessor(TOKENIZER, bert).bert)  # with the [DEC] token the processor adds
    cfg = TimeChatConfig.preset("tiny")
    for tokenizer, ok in (("llama", False), ("bert", True)):
        c = cfg.replace(qformer=dataclasses.replace(cfg.qformer, vocab_size=n_bert), train_timestamp_tokenizer=tokenizer)
        model, proc = random_model(c, TOKENIZER, bert, seed=0)
        save_model_folder(model, proc, tmp_path / tokenizer)
        run = resolve("tiny", tiny_overrides(tiny_data, tmp_path / f"out_{tokenizer}", "model.init=folder",
                                             f"model.folder={tmp_path / tokenizer}"))
        if ok:
            Trainer(run)
            continue
        with pytest.raises(InputError, match=f"beyond its vocabulary of {n_bert}: set train_timestamp_tokenizer: bert"):
            Trainer(run)
