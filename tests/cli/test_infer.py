"""`timechat infer` end to end through the real CLI, on a tiny random model and generated videos."""

from __future__ import annotations

import json

import pytest

from tests.conftest import jsonl, run_cli, synth_static

ARGS = ["--num-frames", "8", "--max-new-tokens", "12"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory, datadir):
    from timechat_core.model.config import TimeChatConfig
    from timechat_core.model.folder import random_model, save_model_folder
    from timechat_core.video.testsrc import make_test_video

    root = tmp_path_factory.mktemp("infer")
    model, proc = random_model(TimeChatConfig.preset("tiny"), datadir / "reference_tiny" / "llama-2-7b-chat-hf")
    save_model_folder(model, proc, root / "model")
    for i in range(4):
        make_test_video(root / f"v{i}.mp4", duration=3 + i, audio=False)
    return root


def strip(rows):
    """Records without their timings (the only field that differs between two identical runs)."""
    return [{k: v for k, v in r.items() if k != "timings"} for r in rows]


def infer(setup, *args):
    return run_cli("infer", *args, "--model", str(setup / "model"), *ARGS, cwd=setup)


def test_single_video_record_is_complete_and_deterministic(setup):
    a = infer(setup, "v0.mp4", "--task", "grounding", "--query", "a pattern moves.", "--plot", "t.png")
    assert a.returncode == 0, a.stderr[-1500:]
    rec = json.loads(a.stdout)
    for key in ("video", "task", "query", "text", "parsed", "parse_status", "frames", "model", "decoding", "timings"):
        assert key in rec
    assert rec["frames"]["indices"] == [0, 11, 22, 33, 45, 56, 67, 78] and rec["duration"] == 3.0
    assert rec["decoding"]["do_sample"] is False
    assert "in_domain" not in rec and "warning" not in a.stderr  # the model folder does not say what it knows
    assert "Now I will give you the textual sentence: a pattern moves. Please" in rec["prompt"]
    assert (setup / "t.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    b = infer(setup, "v0.mp4", "--task", "grounding", "--query", "a pattern moves.")
    assert json.loads(b.stdout)["text"] == rec["text"]  # greedy: same inputs, same answer


def test_formats(setup):
    one = infer(setup, "v1.mp4", "--task", "dvc", "--format", "jsonl")
    assert one.returncode == 0 and len(jsonl(one.stdout)) == 1
    text = infer(setup, "v1.mp4", "--task", "ask", "--query", "What is shown?", "--format", "text")
    assert text.returncode == 0 and text.stdout.strip() and "ask" in text.stderr
    srt = infer(setup, "v1.mp4", "--task", "dvc", "--format", "vtt")
    assert srt.returncode == 0 and srt.stdout.startswith("WEBVTT")
    sampled = infer(setup, "v1.mp4", "--task", "dvc", "--sample", "--seed", "7", "--format", "jsonl")
    assert jsonl(sampled.stdout)[0]["decoding"]["seed"] == 7


def test_bad_usage_exits_2(setup):
    assert infer(setup, "v0.mp4", "--task", "grounding").returncode == 2  # no query
    import os

    r = run_cli("infer", "v0.mp4", "--task", "dvc", cwd=setup,
                env={**os.environ, "TIMECHAT_DEMO_MODEL": str(setup / "no_demo")})
    assert r.returncode == 2 and "no --model given and no demo model" in r.stderr
    assert infer(setup, "--manifest", "v0.mp4").returncode == 2
    missing = infer(setup, "nope.mp4", "--task", "dvc")
    assert missing.returncode == 1 and "nope.mp4" in missing.stderr and "Traceback" not in missing.stderr


def test_quantize_int8_answers_and_refuses_what_it_cannot_run(setup):
    """`--quantize int8` loads the folder on the int8 path (numerics: tests/core/model/test_quantize.py); a
    precision it cannot honour is refused with one line, before loading."""
    r = infer(setup, "v0.mp4", "--task", "grounding", "--query", "a pattern moves.", "--quantize", "int8")
    assert r.returncode == 0, r.stderr[-1500:]
    assert "(int8, fp32 activations)" in " ".join(r.stderr.split())  # the console wraps long lines
    rec = json.loads(r.stdout)
    assert rec["status"] == "ok" and rec["text"] and rec["frames"]["indices"] == [0, 11, 22, 33, 45, 56, 67, 78]
    bad = infer(setup, "v0.mp4", "--task", "grounding", "--query", "a pattern moves.", "--quantize", "int8",
                "--dtype", "bf16")
    assert bad.returncode == 2 and "--quantize int8 computes in fp32 on the CPU" in " ".join(bad.stderr.split())
    assert "Traceback" not in bad.stderr and "model " not in bad.stderr  # refused before loading
    plain = infer(setup, "v0.mp4", "--task", "grounding", "--query", "a pattern moves.")
    assert "on cpu (fp32)" in " ".join(plain.stderr.split())  # the default stays the exact path


def _coco_tvg(setup):
    gt = {"annotations": [{"image_id": f"v{i}.mp4", "caption": "the pattern moves.", "timestamp": [0.5, 2.0 + i],
                           "id": i} for i in range(4)]}
    path = setup / "tvg_gt.json"
    path.write_text(json.dumps(gt))
    return path


def test_manifest_to_eval_without_conversion(setup):
    gt = _coco_tvg(setup)
    r = infer(setup, "--manifest", str(gt), "-o", "tvg_pred.jsonl", "--batch-size", "2")
    assert r.returncode == 0, r.stderr[-1500:]
    rows = jsonl((setup / "tvg_pred.jsonl").read_text())
    assert [row["id"] for row in rows] == [0, 1, 2, 3] and {row["task"] for row in rows} == {"grounding"}
    ev = run_cli("eval", "--task", "tvg", "--pred", str(setup / "tvg_pred.jsonl"), "--gt", str(gt))
    assert ev.returncode == 0, ev.stderr[-1500:]
    metrics = json.loads(ev.stdout)
    assert metrics["num_queries"] == 4 and {"R1@0.3", "R1@0.5", "R1@0.7", "mIoU"} <= set(metrics)
    qvh = setup / "qvh.jsonl"
    qvh.write_text("".join(json.dumps({"qid": 10 + i, "query": "pattern", "vid": f"v{i}", "duration": 3 + i,
                                       "relevant_windows": [[0, 2]], "relevant_clip_ids": [0],
                                       "saliency_scores": [[2, 3, 4]]}) + "\n" for i in range(2)))
    r = infer(setup, "--manifest", str(qvh), "-o", "qvh_pred.jsonl")
    assert r.returncode == 0, r.stderr[-1500:]
    assert [row["qid"] for row in jsonl((setup / "qvh_pred.jsonl").read_text())] == [10, 11]
    ev = run_cli("eval", "--task", "vhd", "--pred", str(setup / "qvh_pred.jsonl"), "--gt", str(qvh))
    assert ev.returncode == 0, ev.stderr[-1500:]


def test_resume_after_a_kill_and_failures(setup, datadir):
    gt = _coco_tvg(setup)
    full = infer(setup, "--manifest", str(gt), "-o", "full.jsonl")
    done = jsonl((setup / "full.jsonl").read_text())
    # a run killed after two items: two complete lines and a torn third one in the partial log
    partial = setup / "resumed.jsonl.partial"
    partial.write_text("".join(json.dumps(r) + "\n" for r in done[:2]) + json.dumps(done[2])[:40])
    r = infer(setup, "--manifest", str(gt), "-o", "resumed.jsonl")
    assert r.returncode == 0 and full.returncode == 0
    summary = jsonl(r.stdout)[-1]
    assert (summary["answered"], summary["reused"]) == (2, 2)
    assert strip(jsonl((setup / "resumed.jsonl").read_text())) == strip(done)
    assert not partial.exists()
    again = jsonl(infer(setup, "--manifest", str(gt), "-o", "resumed.jsonl").stdout)[-1]
    assert again["answered"] == 0 and again["reused"] == 4
    # answers of other weights or other decoding settings are never mixed in: the rerun names the line
    from timechat_core.model.config import TimeChatConfig
    from timechat_core.model.folder import random_model, save_model_folder

    other, proc = random_model(TimeChatConfig.preset("tiny"), datadir / "reference_tiny" / "llama-2-7b-chat-hf",
                               seed=1)
    save_model_folder(other, proc, setup / "other_model")
    # each condition alone refuses the resume (one call with both would pass with either check broken)
    for args, named in ((["--model", str(setup / "other_model")], "model_digest"), (["--max-new-tokens", "13"], "decoding")):
        r = run_cli("infer", "--manifest", str(gt), "-o", "resumed.jsonl", *ARGS, "--model", str(setup / "model"),
                    *args, cwd=setup)
        assert r.returncode == 2 and "resumed.jsonl:1: answered under other conditions" in r.stderr, r.stderr[-800:]
        assert named in r.stderr.split("answered under other conditions", 1)[1], r.stderr[-800:]
    assert strip(jsonl((setup / "resumed.jsonl").read_text())) == strip(done)
    bad = setup / "bad.jsonl"
    bad.write_text(json.dumps({"video": "v0.mp4", "task": "dvc"}) + "\n" + json.dumps({"video": "gone.mp4", "task": "dvc"}) + "\n")
    r = infer(setup, "--manifest", str(bad), "-o", "bad_pred.jsonl")
    assert r.returncode == 1 and "gone.mp4" in r.stderr
    rows = jsonl((setup / "bad_pred.jsonl").read_text())
    assert [row["status"] for row in rows] == ["ok", "failed"] and rows[1]["error"]


def test_shards_merge_into_the_unsharded_output(setup):
    gt = _coco_tvg(setup)
    whole = infer(setup, "--manifest", str(gt), "-o", "whole.jsonl")
    assert whole.returncode == 0
    first = infer(setup, "--manifest", str(gt), "-o", "sharded.jsonl", "--shard", "0/2")
    assert first.returncode == 0 and not (setup / "sharded.jsonl").exists()
    second = infer(setup, "--manifest", str(gt), "-o", "sharded.jsonl", "--shard", "1/2")
    assert second.returncode == 0 and jsonl(second.stdout)[-1]["merged"] is True
    assert strip(jsonl((setup / "sharded.jsonl").read_text())) == strip(jsonl((setup / "whole.jsonl").read_text()))
    assert not list(setup.glob("sharded.jsonl.shard-*"))


def test_help_shows_an_example_per_task():
    r = run_cli("infer", "--help")
    assert r.returncode == 0
    for task in ("grounding", "dvc", "highlight", "summarize", "step", "speech", "ask"):
        assert f"--task {task}" in r.stdout


@pytest.fixture(scope="module")
def kinds(tmp_path_factory):
    """One video of each `timechat synth` kind (64 px, the demo model's test seed)."""
    root = tmp_path_factory.mktemp("kinds")
    synth_static(root / "static", 1, 2000, split="test")
    r = run_cli("synth", "-o", str(root / "full"), "-n", "1", "--seed", "2000", "--split", "test", "--size", "64",
                "--scenes", "full")
    assert r.returncode == 0, r.stderr[-1500:]
    return {kind: next((root / kind / "videos").glob("*.mp4")) for kind in ("static", "full")}


def test_the_demo_model_says_which_videos_it_knows(kinds, jfk, tmp_path):
    """The default model (trained on static synth scenes) flags a real video and a full-scene synth video as
    "in_domain": false, with a warning on stderr; a static synth video is in its domain."""
    query = ["--task", "grounding", "--query", "the red circle is visible.", "--format", "jsonl"]
    for video, known in ((kinds["static"], True), (kinds["full"], False), (jfk, False)):
        r = run_cli("infer", str(video), *query)
        assert r.returncode == 0, r.stderr[-1500:]
        assert jsonl(r.stdout)[0]["in_domain"] is known
        warned = [line for line in r.stderr.splitlines() if line.startswith("warning:")]
        assert warned == ([] if known else [
            f"warning: {video} is not a `timechat synth --scenes static` video, the only kind the model "
            f"{jsonl(r.stdout)[0]['model']} was trained on (see its README.md): its answer is likely meaningless "
            '("in_domain": false)'])
    manifest = tmp_path / "ask.jsonl"
    manifest.write_text("".join(json.dumps({"video": str(v), "task": "dvc"}) + "\n"
                                for v in (kinds["static"], jfk, kinds["full"])))
    r = run_cli("infer", "--manifest", str(manifest), "-o", str(tmp_path / "pred.jsonl"))
    assert r.returncode == 0, r.stderr[-1500:]
    assert [row["in_domain"] for row in jsonl((tmp_path / "pred.jsonl").read_text())] == [True, False, False]
    assert "warning: 2 of the 3 answers are about videos that are not `timechat synth --scenes static` videos" in r.stderr
