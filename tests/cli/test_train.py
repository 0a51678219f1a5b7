"""`timechat train` CLI: help, config errors (exit 2, all at once), a run with an unreadable video."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.conftest import jsonl, run_cli
from timechat_cli.main import app


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory, datadir):
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
