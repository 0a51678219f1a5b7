"""Training configs: every shipped preset loads, overrides apply, every problem is reported at once."""

from __future__ import annotations

import pytest

from timechat_core.errors import InputError
from timechat_core.resources import configs_dir
from timechat_core.train.config import TrainConfig, resolve

PRESETS = sorted(p.stem for p in (configs_dir() / "train").glob("*.yaml"))


def test_the_five_presets_ship():
    assert set(PRESETS) >= {"timechat-7b-timeit", "youcook2", "charades", "qvhighlights", "tiny"}


@pytest.mark.parametrize("name", PRESETS)
def test_each_preset_loads_and_has_a_header(name):
    cfg = resolve(name, [])
    text = (configs_dir() / "train" / f"{name}.yaml").read_text()
    header = text.split("\n\n")[0]
    assert header.startswith("#") and "timechat train" in header  # what it is and how to launch it
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg  # the saved resolved config reads back


def test_paper_preset_is_the_papers_recipe():
    cfg = resolve("timechat-7b-timeit", [])
    o = cfg.optim
    assert (o.init_lr, o.min_lr, o.warmup_lr, o.warmup_steps) == (3e-5, 1e-5, 1e-6, 13200)
    assert (cfg.batch_size, cfg.accum_grad_iters, cfg.max_epoch, cfg.iters_per_epoch) == (1, 4, 3, 22000)
    assert cfg.model.overrides.get("num_frames", 96) == 96 and o.weight_decay == 0.05


@pytest.mark.parametrize("name,batch,accum,iters", [("youcook2", 2, 4, 1192), ("charades", 1, 8, 3102),
                                                    ("qvhighlights", 1, 8, 1714)])
def test_fine_tuning_presets(name, batch, accum, iters):
    cfg = resolve(name, [])
    assert (cfg.batch_size, cfg.accum_grad_iters, cfg.iters_per_epoch, cfg.optim.warmup_steps) == (
        batch, accum, iters, iters)
    assert cfg.max_epoch == 3 and cfg.data.num_workers == 4


def test_overrides_are_yaml_values_with_dotted_keys():
    cfg = resolve("tiny", ["optim.init_lr=1e-4", "batch_size=2", "data.train=[a.json, b.jsonl]",
                           "model.overrides.lora.alpha=20", "optim.max_grad_norm=null"])
    assert cfg.optim.init_lr == 1e-4 and cfg.batch_size == 2 and cfg.data.train == ("a.json", "b.jsonl")
    assert cfg.model.overrides == {"train_llm": "full", "lora": {"alpha": 20}} and cfg.optim.max_grad_norm is None


def test_unknown_keys_and_bad_values_are_reported_together():
    with pytest.raises(InputError) as e:
        resolve("tiny", ["optim.lr=1", "bogus=3", "data.nope=1", "batch_size=two", "precision=fp8"])
    msg = str(e.value)
    for part in ("optim.lr", "bogus", "data.nope", "batch_size: expected int"):
        assert part in msg


def test_semantic_problems_are_reported_together():
    with pytest.raises(InputError) as e:
        resolve("tiny", ["precision=fp8", "strategy=zero3", "accum_grad_iters=0"])
    msg = str(e.value)
    assert "precision" in msg and "strategy" in msg and "accum_grad_iters" in msg


def test_unknown_preset_and_malformed_override():
    with pytest.raises(InputError, match="choose from"):
        resolve("nope", [])
    with pytest.raises(InputError, match="KEY=VALUE"):
        resolve("tiny", ["batch_size"])
