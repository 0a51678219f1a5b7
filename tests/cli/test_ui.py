"""`timechat ui` through the real CLI: usage errors, and a served app on a free port that answers a
live query with a tiny random model and removes its uploads at exit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request

import pytest
from typer.testing import CliRunner

from tests.conftest import run_cli, ui_url
from timechat_cli.main import app


def test_help_lists_the_options():
    result = CliRunner().invoke(app, ["ui", "--help"])
    assert result.exit_code == 0
    for option in ("--model", "--host", "--port", "--data", "--num-frames", "--max-upload-mb"):
        assert option in result.stdout


def test_usage_errors_exit_2(tmp_path):
    import os

    env = {**os.environ, "TIMECHAT_DEMO_MODEL": str(tmp_path / "no_demo")}  # as if no demo model were shipped
    result = run_cli("ui", "--data", str(tmp_path / "missing"), env=env)
    assert result.returncode == 2
    assert "no --model given" in result.stderr and "not a folder" in result.stderr


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, datadir):
    from timechat_core.model.config import TimeChatConfig
    from timechat_core.model.folder import random_model, save_model_folder

    root = tmp_path_factory.mktemp("ui_model")
    model, proc = random_model(TimeChatConfig.preset("tiny"), datadir / "reference_tiny" / "llama-2-7b-chat-hf")
    save_model_folder(model, proc, root / "model")
    return root / "model"


def _post(url, body: bytes, content_type="application/octet-stream") -> dict:
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    return json.loads(urllib.request.urlopen(req, timeout=60).read())


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serves_answers_and_cleans_up(model_dir, tmp_path, stop):
    from timechat_core.video.testsrc import make_test_video

    data, tmp = tmp_path / "data", tmp_path / "tmp"
    tmp.mkdir()
    clip = make_test_video(data / "clip.mp4", duration=3, audio=False)
    env = {**os.environ, "TMPDIR": str(tmp)}
    proc = subprocess.Popen([sys.executable, "-m", "timechat_cli", "ui", "--model", str(model_dir), "--data",
                             str(data), "--port", "0", "--num-frames", "8", "--max-new-tokens", "8",
                             "--max-upload-mb", "1"], stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        url = ui_url(proc)
        info = json.loads(urllib.request.urlopen(url + "/api/info", timeout=10).read())
        assert info["model"] == str(model_dir) and info["num_frames"] == 8 and info["max_upload_bytes"] == 1_000_000
        assert json.loads(urllib.request.urlopen(url + "/api/videos", timeout=10).read())["videos"] == ["data/clip.mp4"]
        up = _post(url + "/api/upload?name=mine.mp4", clip.read_bytes())
        assert up["ref"].startswith("uploads/") and len(list(tmp.glob("timechat-ui-uploads-*/*"))) == 1
        rec = _post(url + "/api/infer", json.dumps({"video": up["ref"], "task": "grounding", "query": "a pattern"}).encode(),
                    "application/json")
        assert rec["status"] == "ok" and rec["parse_status"] and len(rec["frame_images"]) == 8
        assert rec["frames"]["indices"] == [0, 11, 22, 33, 45, 56, 67, 78] and rec["video_ref"] == up["ref"]
    finally:
        proc.send_signal(stop)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "stopped; uploads removed" in err and out == ""
    assert list(tmp.glob("timechat-ui-uploads-*")) == []


@pytest.fixture(scope="module")
def qwen_dir(tmp_path_factory):
    from timechat_core.qwen.tiny import save_tiny_folder

    return save_tiny_folder("qwen3_vl", tmp_path_factory.mktemp("ui_qwen") / "model")


def test_serves_a_qwen_folder(qwen_dir, tmp_path):
    """`timechat ui --model` a Qwen3-VL folder: the page's live answer is its record, with its frames."""
    from timechat_core.video.testsrc import make_test_video

    data = tmp_path / "data"
    make_test_video(data / "clip.mp4", width=96, height=64, fps=10, duration=3, audio=False)
    proc = subprocess.Popen([sys.executable, "-m", "timechat_cli", "ui", "--model", str(qwen_dir), "--data", str(data),
                             "--port", "0", "--num-frames", "4", "--max-new-tokens", "8"],
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        url = ui_url(proc)
        info = json.loads(urllib.request.urlopen(url + "/api/info", timeout=10).read())
        assert info["model"] == str(qwen_dir) and info["num_frames"] == 4
        rec = _post(url + "/api/infer", json.dumps({"video": "data/clip.mp4", "task": "grounding",
                                                    "query": "a pattern"}).encode(), "application/json")
        assert rec["status"] == "ok" and rec["frames"]["indices"] == [0, 10, 19, 29] and len(rec["frame_images"]) == 4
        assert rec["prompt"].startswith("Please find the visual event described by the sentence 'a pattern'")
        assert rec["frames"]["size"] == [320, 448] and rec["parse_status"]
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
