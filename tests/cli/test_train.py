"""`timechat train` CLI: help, config errors (exit 2, all at once), a run with an unreadable video."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.conftest import jsonl, run_cli
from timechat_cli.main import app


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    from timechat_core.train.demo import make_demo_data

    return make_demo_data(tmp_path_factory.mktemp("tiny-data"), n=4)


def test_help_shows_presets_and_launches():
    result = CliRunner().invoke(app, ["train", "--help"])
    assert result.exit_code == 0
    for text in ("--nproc", "--resume", "torchrun", "timechat-7b-timeit"):
        assert text in result.stdout


def test_config_problems_exit_2_all_reported_before_any_work(tmp_path):
    result = run_cli("train", "--config", "tiny", "optim.lr=1", "nope=2", "batch_size=x", f"out_dir={tmp_path / 'o'}")
    assert result.returncode == 2
    assert "optim.lr" in result.stderr and "nope" in result.stderr and "batch_size" in result.stderr
    assert result.stdout == "" and not (tmp_path / "o").exists()


def test_missing_records_file_exits_2(tmp_path):
    result = run_cli("train", "--config", "tiny", f"data.train=[{tmp_path / 'none.json'}]", f"out_dir={tmp_path / 'o'}")
    assert result.returncode == 2 and "none.json" in result.stderr


def test_a_run_skips_and_counts_unreadable_videos(tiny_data, datadir, tmp_path):
    records = json.loads(tiny_data.read_text())
    records.append({**records[0], "video": "videos/missing.mp4"})
    (tmp_path / "train.json").write_text(json.dumps(records))
    data = tmp_path / "train.json"
    out = tmp_path / "run"
    args = [f"data.train=[{data}]", f"data.video_root={tiny_data.parent}", f"out_dir={out}",
            f"model.llama_tokenizer={datadir / 'reference_tiny' / 'llama-2-7b-chat-hf'}",
            "max_epoch=2", "batch_size=1", "data.shuffle=false", "save_model_folder=false"]
    result = run_cli("train", "--config", "tiny", *args)
    assert result.returncode == 0, result.stderr[-2000:]
    (summary,) = jsonl(result.stdout)
    assert summary["skipped"] == 2 and summary["steps"] == 10 and summary["world_size"] == 1  # once per epoch
    assert "skipped unreadable video" in result.stderr and "missing.mp4" in result.stderr
    assert "step 10/10" in result.stderr and "samples/s" in result.stderr
    rows = jsonl((out / "metrics.jsonl").read_text())
    assert [r["step"] for r in rows] == list(range(1, 11))
    assert {"loss", "lr", "samples_per_s", "eta_s", "skipped"} <= set(rows[0]) and rows[-1]["skipped"] == 2
    from timechat_core.train.config import TrainConfig

    saved = TrainConfig.from_yaml(out / "config.yaml")
    assert saved.max_epoch == 2 and saved.data.train == (str(data),)
    assert (out / "model_config.yaml").is_file()
    again = run_cli("train", "--config", "tiny", *args)  # finished: resumes at the end, trains nothing more
    assert again.returncode == 0 and jsonl(again.stdout)[0]["steps"] == 10 and "resumed from" in again.stderr


class _Payload:
    """Unpickled, runs a shell command (what a hostile run folder would plant)."""

    def __init__(self, command: str):
        self.command = command

    def __reduce__(self):
        import os

        return os.system, (self.command,)


@pytest.fixture(scope="module")
def one_checkpoint(tiny_data, datadir, tmp_path_factory):
    """A real 1-step run of the tiny preset: (its overrides without out_dir, the checkpoint folder)."""
    out = tmp_path_factory.mktemp("resume") / "run"
    args = [f"data.train=[{tiny_data}]", f"data.video_root={tiny_data.parent}",
            f"model.llama_tokenizer={datadir / 'reference_tiny' / 'llama-2-7b-chat-hf'}", "max_epoch=1",
            "batch_size=4", "save_model_folder=false"]
    result = run_cli("train", "--config", "tiny", *args, f"out_dir={out}")
    assert result.returncode == 0, result.stderr[-2000:]
    return args, out / "checkpoints" / "step_00000001"


@pytest.mark.parametrize("planted", ["state.pt", "rng_rank0.pt"])
def test_resume_refuses_a_pickle_payload_without_running_it(one_checkpoint, tmp_path, planted):
    import shutil

    import torch

    args, ckpt = one_checkpoint
    hostile = tmp_path / "hostile"
    shutil.copytree(ckpt, hostile)
    marker = tmp_path / "payload-ran"
    good = torch.load(hostile / planted, weights_only=True)
    torch.save({**good, "extra": _Payload(f"touch {marker}")}, hostile / planted)
    result = run_cli("train", "--config", "tiny", *args, f"out_dir={tmp_path / 'out'}", "--resume", str(hostile))
    assert result.returncode == 2, result.stderr[-2000:]
    assert not marker.exists()
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("error:")]
    assert line.startswith(f"error: {hostile / planted}: refused: it holds `posix.system`")
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_resume_refuses_an_old_checkpoint_that_needs_unpickling(one_checkpoint, tmp_path):
    """Before this format, the numpy RNG state was saved as numpy's own tuple (an ndarray inside)."""
    import shutil

    import numpy as np
    import torch

    args, ckpt = one_checkpoint
    old = tmp_path / "old"
    shutil.copytree(ckpt, old)
    rng = torch.load(old / "rng_rank0.pt", weights_only=True)
    torch.save({**rng, "numpy": np.random.get_state()}, old / "rng_rank0.pt")
    result = run_cli("train", "--config", "tiny", *args, f"out_dir={tmp_path / 'out'}", "--resume", str(old))
    assert result.returncode == 2
    assert f"error: {old / 'rng_rank0.pt'}: refused: it holds `numpy." in result.stderr
    resumed = run_cli("train", "--config", "tiny", *args, "max_epoch=2", f"out_dir={tmp_path / 'out2'}",
                      "--resume", str(ckpt))  # the checkpoint as written resumes
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"resumed from {ckpt}" in resumed.stderr and jsonl(resumed.stdout)[0]["steps"] == 2
