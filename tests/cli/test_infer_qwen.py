"""`timechat infer` and `timechat eval` end to end on tiny random Qwen2.5-VL and Qwen3-VL folders (built here: the
families' real classes, a tokenizer trained with `tokenizers`), on generated videos: single video, formats,
manifest + eval, shards merging into the unsharded output, resume."""

from __future__ import annotations

import json

import pytest

from tests.conftest import jsonl, run_cli

FAMILIES = ["qwen2_5_vl", "qwen3_vl"]
ARGS = ["--num-frames", "4", "--max-new-tokens", "10"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    from timechat_core.qwen.tiny import save_tiny_folder
    from timechat_core.video.testsrc import make_test_video

    root = tmp_path_factory.mktemp("infer_qwen")
    for family in FAMILIES:
        save_tiny_folder(family, root / family)
    for i in range(4):
        make_test_video(root / f"v{i}.mp4", width=96, height=64, fps=10, duration=3 + i, audio=False)
    gt = {"annotations": [{"image_id": f"v{i}.mp4", "caption": "the pattern moves.", "timestamp": [0.5, 2.0 + i],
                           "id": i} for i in range(4)]}
    (root / "tvg_gt.json").write_text(json.dumps(gt))
    return root


def infer(setup, family, *args):
    return run_cli("infer", *args, "--model", str(setup / family), *ARGS, cwd=setup)


def strip(rows):
    return [{k: v for k, v in r.items() if k != "timings"} for r in rows]


@pytest.mark.parametrize("family", FAMILIES)
def test_single_video_record(setup, family):
    r = infer(setup, family, "v0.mp4", "--task", "grounding", "--query", "a pattern moves.", "--plot", f"{family}.png")
    assert r.returncode == 0, r.stderr[-1500:]
    rec = json.loads(r.stdout)
    for key in ("video", "task", "query", "text", "parsed", "parse_status", "frames", "model", "decoding", "timings"):
        assert key in rec
    # qwen-vl-utils: nframes 4 of 30 frames at 10 fps -> linspace(0, 29, 4).round(); 96x64 grows to 128 tokens
    assert rec["frames"]["indices"] == [0, 10, 19, 29] and rec["frames"]["fps"] == 10.0 and rec["duration"] == 3.0
    assert rec["frames"]["timestamps"] == [0.0, 1.0, 1.9, 2.9] and rec["frames"]["sample_fps"] == 4 / 30 * 10
    assert rec["frames"]["size"] == ([280, 392] if family == "qwen2_5_vl" else [320, 448])
    assert rec["decoding"]["do_sample"] is False and rec["num_frames"] == 4
    expected = {"qwen2_5_vl": "Give the query: 'a pattern moves', when does the described content occur in the video?",
                "qwen3_vl": "Please find the visual event described by the sentence 'a pattern moves', determining "
                            "its starting and ending times. The format should be: 'The event happens in <start time> "
                            "- <end time> seconds'."}[family]
    assert rec["prompt"] == expected and rec["parse_status"] in ("ok", "no-time", "incomplete", "out-of-range")
    assert (setup / f"{family}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = infer(setup, family, "v0.mp4", "--task", "grounding", "--query", "a pattern moves.")
    assert json.loads(again.stdout)["text"] == rec["text"]  # greedy: same answer


@pytest.mark.parametrize("family", FAMILIES)
def test_formats_variants_and_own_prompt(setup, family):
    vtt = infer(setup, family, "v1.mp4", "--task", "dvc", "--format", "vtt")
    assert vtt.returncode == 0 and vtt.stdout.startswith("WEBVTT"), vtt.stderr[-800:]
    srt = infer(setup, family, "v1.mp4", "--task", "dvc", "--format", "srt")
    assert srt.returncode == 0, srt.stderr[-800:]
    text = infer(setup, family, "v1.mp4", "--task", "highlight", "--query", "the pattern", "--format", "text")
    assert text.returncode == 0 and "highlight" in text.stderr
    r1 = jsonl(infer(setup, family, "v1.mp4", "--task", "grounding", "--query", "x", "--variant", "time-r1",
                     "--format", "jsonl").stdout)[0]
    assert r1["prompt"].startswith('To accurately pinpoint the event "x" in the video')
    own = jsonl(infer(setup, family, "v1.mp4", "--task", "ask", "--query", "What moves?", "--prompt",
                      "Answer briefly: {query}", "--sample", "--seed", "3", "--format", "jsonl").stdout)[0]
    assert own["prompt"] == "Answer briefly: What moves?" and own["decoding"]["seed"] == 3


def test_timelens_frames_without_num_frames(setup):
    """Without --num-frames the variant's frame settings apply: TimeLens' fps 2, 16 to 3584 tokens."""
    r = run_cli("infer", "v3.mp4", "--task", "grounding", "--query", "the pattern", "--variant", "timelens", "--model",
                str(setup / "qwen3_vl"), "--max-new-tokens", "4", cwd=setup)
    assert r.returncode == 0, r.stderr[-1500:]
    frames = json.loads(r.stdout)["frames"]
    assert len(frames["indices"]) == 12 and frames["size"] == [128, 160] and frames["sample_fps"] == 2.0


@pytest.mark.parametrize("family", FAMILIES)
def test_manifest_eval_shards_and_resume(setup, family):
    gt = setup / "tvg_gt.json"
    whole = infer(setup, family, "--manifest", str(gt), "-o", f"{family}_whole.jsonl", "--batch-size", "2")
    assert whole.returncode == 0, whole.stderr[-1500:]
    rows = jsonl((setup / f"{family}_whole.jsonl").read_text())
    assert [row["id"] for row in rows] == [0, 1, 2, 3] and {row["status"] for row in rows} == {"ok"}
    ev = run_cli("eval", "--task", "tvg", "--pred", str(setup / f"{family}_whole.jsonl"), "--gt", str(gt))
    assert ev.returncode == 0, ev.stderr[-1500:]
    assert json.loads(ev.stdout)["num_queries"] == 4
    one = infer(setup, family, "--manifest", str(gt), "-o", f"{family}_one.jsonl")  # batch 1 = batch 2, greedy
    assert strip(jsonl((setup / f"{family}_one.jsonl").read_text())) == strip(rows), one.stderr[-800:]
    out = f"{family}_sharded.jsonl"
    assert infer(setup, family, "--manifest", str(gt), "-o", out, "--shard", "0/2").returncode == 0
    second = infer(setup, family, "--manifest", str(gt), "-o", out, "--shard", "1/2")
    assert second.returncode == 0 and jsonl(second.stdout)[-1]["merged"] is True
    assert strip(jsonl((setup / out).read_text())) == strip(rows)
    again = jsonl(infer(setup, family, "--manifest", str(gt), "-o", out).stdout)[-1]
    assert (again["answered"], again["reused"]) == (0, 4)
    other = "qwen3_vl" if family == "qwen2_5_vl" else "qwen2_5_vl"
    r = run_cli("infer", "--manifest", str(gt), "-o", out, *ARGS, "--model", str(setup / other), cwd=setup)
    assert r.returncode == 2 and "answered under other conditions" in r.stderr and "model_digest" in r.stderr


def test_a_qwen_folder_refuses_asr_and_custom_code(setup, tmp_path):
    r = infer(setup, "qwen2_5_vl", "v0.mp4", "--task", "dvc", "--asr", "auto")
    assert r.returncode == 2 and "injected the TimeChat way only" in r.stderr
    import shutil

    shutil.copytree(setup / "qwen3_vl", tmp_path / "custom")
    config = json.loads((tmp_path / "custom" / "config.json").read_text())
    (tmp_path / "custom" / "config.json").write_text(json.dumps({**config, "auto_map": {"AutoModel": "m.M"}}))
    r = run_cli("infer", str(setup / "v0.mp4"), "--task", "dvc", "--model", str(tmp_path / "custom"))
    assert r.returncode == 2 and "custom code" in r.stderr and "config.json" in r.stderr


def test_failed_items_are_recorded_and_the_rest_answered(setup):
    bad = setup / "bad_qwen.jsonl"
    bad.write_text("".join(json.dumps(row) + "\n" for row in (
        {"video": "v3.mp4", "task": "dvc"}, {"video": "gone.mp4", "task": "dvc"}, {"video": "v0.mp4", "task": "dvc"})))
    r = run_cli("infer", "--manifest", str(bad), "-o", "bad_qwen_pred.jsonl", "--model", str(setup / "qwen2_5_vl"),
                "--num-frames", "40", "--max-new-tokens", "4", cwd=setup)
    assert r.returncode == 1 and "gone.mp4" in r.stderr
    rows = jsonl((setup / "bad_qwen_pred.jsonl").read_text())
    assert [row["status"] for row in rows] == ["ok", "failed", "failed"]  # v3: 60 frames; v0 has 30 < 40
    assert "gone.mp4: no such file" in rows[1]["error"]
    assert "v0.mp4: nframes should be in [2, 30] (the video's frames), got 40" in rows[2]["error"]
