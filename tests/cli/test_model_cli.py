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


def test_convert_against_the_wrong_config_says_so_in_a_few_lines(datadir, tmp_path):
    """The tiny fixture converted as TimeChat-7B: 861 keys differ (before: one 51,648-character line); the message
    counts them per module group, shows the first few, and names the preset the files come closest to (the
    fixture's sizes are `tiny`'s but for the Q-Former vocabulary)."""
    fx = datadir / "reference_tiny"
    ck = fx / "checkpoints"
    r = run_cli("convert", "--vit", str(ck / "eva_vit_g.pth"), "--qformer", str(ck / "instruct_blip_vicuna7b_trimmed.pth"),
                "--llm", str(fx / "llama-2-7b-chat-hf"), "--checkpoint", str(ck / "timechat_7b.pth"),
                "--config", "timechat-7b", "-o", str(tmp_path / "model"))
    assert r.returncode == 2 and r.stdout == "" and not (tmp_path / "model").exists()
    lines = r.stderr.splitlines()
    assert len(lines) == 4 and len(r.stderr) < 1500, r.stderr
    assert lines[0].startswith("error: ") and lines[0].endswith("timechat_7b.pth: the files do not fit the model config")
    assert lines[1] == ("  660 model keys no file provides (vision_model 444, qformer 216; first: "
                        "qformer.encoder.layer.4.attention.attention.key.bias, qformer.encoder.layer.4.attention.attention."
                        "key.weight, qformer.encoder.layer.4.attention.attention.query.bias, ... 657 more)")
    assert lines[2].startswith("  201 shape mismatches (qformer 112, video_qformer 54, vision_model 30, language_projection "
                               "2, frame_position_embedding 1, query_tokens 1, video_query_tokens 1; first: "
                               "frame_position_embedding.weight: file (96, 32) vs model (96, 768), language_projection.bias: "
                               "file (64,) vs model (4096,), ")
    assert lines[3] == ("  closest shipped preset: --config tiny, whose visual stack differs from the files in 1 key "
                        "(qformer.embeddings.word_embeddings.weight: file (721, 32) vs preset (30523, 32)); or give "
                        "--config a model config of their sizes")
