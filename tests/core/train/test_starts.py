"""Where training starts (official files, a model folder) and what the reference's tools read back."""

from __future__ import annotations

import json

import pytest
import torch

from tests.core.train.conftest import final_weights, max_diff, tiny_overrides
from timechat_core.train.config import resolve
from timechat_core.train.loop import train


@pytest.fixture(scope="module")
def reference_run(tiny_data, datadir, tmp_path_factory):
    """2 iterations from the fixture's official-format files, with gradient checkpointing."""
    f = datadir / "reference_tiny"
    out = tmp_path_factory.mktemp("ref") / "run"
    refs = {"vit": f / "checkpoints" / "eva_vit_g.pth", "qformer": f / "checkpoints" / "instruct_blip_vicuna7b_trimmed.pth",
            "llm": f / "llama-2-7b-chat-hf", "checkpoint": f / "checkpoints" / "timechat_7b.pth",
            "bert": f / "bert-base-uncased"}
    cfg = resolve("tiny", tiny_overrides(tiny_data, out, "model.init=reference", f"model.config={f / 'config.json'}",
                                         "model.overrides.train_llm=lora", "max_iters=2", "gradient_checkpointing=true",
                                         *(f"model.reference.{k}={v}" for k, v in refs.items())))
    result = train(cfg, resume="never")
    return result, refs, out


def test_the_reference_chain_reads_the_checkpoint_back(reference_run, datadir):
    """`timechat.pth` as the reference's `ckpt`: the load chain yields exactly the trained weights."""
    from timechat_core.model.config import config_from_fixture
    from timechat_core.model.convert_lavis import ReferenceFiles, load_reference

    result, refs, out = reference_run
    assert result.steps == 2
    files = ReferenceFiles(**{**refs, "checkpoint": f"{result.checkpoint}/timechat.pth"})
    model, _, _ = load_reference(files, config_from_fixture(datadir / "reference_tiny"),
                                 dtype=torch.float32, trainable=True)
    trained = final_weights(out)
    own = dict(model.named_parameters())
    assert max_diff(trained, {k: own[k].detach() for k in trained}) == 0
    before, _, _ = load_reference(ReferenceFiles(**refs), model.config, dtype=torch.float32)
    assert max(float((dict(before.named_parameters())[k] - v).abs().max()) for k, v in trained.items()) > 0


def test_training_continues_from_a_checkpoints_model_folder(reference_run, tiny_data, tmp_path):
    result, _, _ = reference_run
    cfg = resolve("tiny", tiny_overrides(tiny_data, tmp_path / "run", "model.init=folder",
                                         f"model.folder={result.checkpoint}/model", "max_iters=1"))
    again = train(cfg, resume="never")
    assert again.steps == 1 and again.loss is not None


def test_asr_injection_prefixes_every_question(tiny_data, tmp_path):
    from timechat_core.model.config import TimeChatConfig
    from timechat_core.train.config import DataConfig
    from timechat_core.train.data import TrainDataset, read_records

    video = json.loads(tiny_data.read_text())[0]["video"]
    asr = tmp_path / "asr"
    (asr / "videos").mkdir(parents=True)
    (asr / video).with_suffix(".txt").write_text("0.00\t1.00\thello there friend\n1.00\t2.00\tsecond line here\n")
    cfg = DataConfig(train=(str(tiny_data),), video_root=str(tiny_data.parent), asr_dir=str(asr))
    ds = TrainDataset(read_records(cfg.train), TimeChatConfig.preset("tiny"), cfg, seed=0)
    conv = ds[(0, 0)].conversation
    assert "seconds. Transcribed speech: 1.0 - 2.0 seconds, second line here.  Based on the video content and " \
           "possible transcribed speech, Find the start" in conv  # line 0 skipped, as the reference
    assert "Transcribed speech: None. Based on" in ds[(0, 1)].conversation
