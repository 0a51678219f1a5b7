"""`timechat convert` and `timechat check-reference` through the real CLI."""

from __future__ import annotations

import json

from tests.conftest import jsonl, run_cli


def test_check_reference_passes_on_the_shared_fixture(datadir):
    r = run_cli("check-reference", str(datadir / "reference_tiny"), "--fp32-only")
    assert r.returncode == 0, r.stderr[-2000:]
    report = json.loads(r.stdout)
    assert report["ok"] is True and len(report["stages"]) >= 25
    assert "all required stages within tolerance" in r.stderr


def test_check_reference_fails_on_a_bad_fixture(tmp_path):
    r = run_cli("check-reference", str(tmp_path))
    assert r.returncode == 2
    assert "config.json" in r.stderr and "Traceback" not in r.stderr


def test_convert_the_fixture_checkpoints(datadir, tmp_path):
    fx = datadir / "reference_tiny"
    ck = fx / "checkpoints"
    out = tmp_path / "model"
    args = ["convert", "--vit", str(ck / "eva_vit_g.pth"), "--qformer", str(ck / "instruct_blip_vicuna7b_trimmed.pth"),
            "--llm", str(fx / "llama-2-7b-chat-hf"), "--checkpoint", str(ck / "timechat_7b.pth"),
            "--bert", str(fx / "bert-base-uncased"), "--config", str(fx / "config.json"), "-o", str(out)]
    r = run_cli(*args)
    assert r.returncode == 0, r.stderr[-2000:]
    rec = jsonl(r.stdout)[0]
    assert rec["model_dir"] == str(out) and rec["parameters"] > 0
    assert (out / "config.yaml").is_file() and (out / "model.safetensors").is_file()
    again = run_cli(*args)
    assert again.returncode == 2 and "already exists" in again.stderr
    missing = run_cli(*[a if a != str(ck / "timechat_7b.pth") else str(tmp_path / "nope.pth") for a in args])
    assert missing.returncode == 2 and "nope.pth" in missing.stderr
