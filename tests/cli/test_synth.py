"""`timechat synth` end to end: records, usage errors, and the chain synth -> build-timeit -> infer manifest -> eval."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.conftest import jsonl, run_cli
from timechat_cli.main import app

TINY = ["--num-videos", "4", "--seed", "5", "--size", "32", "--fps", "4", "--duration-range", "8,12"]


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    result = CliRunner().invoke(app, ["synth", "-o", str(out), *TINY, "-j", "2"])
    assert result.exit_code == 0, result.stderr
    return out, result


def test_records_on_stdout_summary_on_stderr(synth_dir):
    out, result = synth_dir
    records = jsonl(result.stdout)
    assert sorted(r["video"] for r in records) == [f"synth-static-5-0000{i}" for i in range(4)]  # the default kind
    assert {r["status"] for r in records} == {"ok"} and all((out / "videos" / f"{r['video']}.mp4").is_file()
                                                            for r in records)
    assert "blind baselines: grounding R1@0.5" in result.stderr
    again = CliRunner().invoke(app, ["synth", "-o", str(out), *TINY])
    assert {r["status"] for r in jsonl(again.stdout)} == {"skipped"}


@pytest.mark.parametrize("args,message", [
    (["--size", "31"], "need even sides"),
    (["--size", "abc"], "expected W[xH]"),
    (["--duration-range", "30"], "expected MIN,MAX"),
    (["--duration-range", "5,6"], "duration range 5,6"),
])
def test_usage_errors_exit_2(tmp_path, args, message):
    r = run_cli("synth", "-o", str(tmp_path / "o"), "-n", "1", *args)
    assert r.returncode == 2 and message in r.stderr and not r.stdout
    assert not (tmp_path / "o" / "videos").exists()


def test_other_settings_in_the_same_folder_exit_2(synth_dir):
    out, _ = synth_dir
    r = run_cli("synth", "-o", str(out), *TINY[:-2], "--duration-range", "8,13")
    assert r.returncode == 2 and "generated with other settings: duration_range" in r.stderr


def test_build_timeit_reads_the_set(synth_dir, tmp_path):
    out, _ = synth_dir
    a, b = tmp_path / "config.json", tmp_path / "root.json"
    r = run_cli("build-timeit", "--config", str(out / "sources.yaml"), "--check-videos", "-o", str(a))
    assert r.returncode == 0, r.stderr
    dirs = [x for s in ("charades", "youcook2", "qvhighlights") for x in ("--video-dir", f"{s}=videos")]
    r = run_cli("build-timeit", "--data-root", str(out), "--sources", "charades,youcook2,qvhighlights",
                "--video-root", str(out), *dirs, "--check-videos", "-o", str(b))
    assert r.returncode == 0, r.stderr
    records = json.loads(a.read_text())
    key = lambda rec: json.dumps(rec, sort_keys=True)  # noqa: E731
    assert sorted(map(key, records)) == sorted(map(key, json.loads(b.read_text())))
    assert {r["task"] for r in records} == {"tvg", "dvc", "vhd"}
    assert all((out / r["video"]).is_file() for r in records)


def _eval(task, pred, gt):
    r = run_cli("eval", "--task", task, "--pred", str(pred), "--gt", str(gt))
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_eval_ground_truth_manifests_and_blind_scores(synth_dir, tmp_path):
    """The eval-format GT feeds `timechat infer --manifest` (every video resolves) and `timechat eval`
    scores the blind baselines' own answers exactly as blind_baselines.json says."""
    from timechat_core.infer.manifest import read_manifest

    out, _ = synth_dir
    blind = json.loads((out / "blind_baselines.json").read_text())
    gt = {}
    for src in ("charades", "youcook2"):
        gt[src] = tmp_path / f"{src}_gt.json"
        r = run_cli("build-timeit", "--config", str(out / "sources.yaml"), "--sources", src, "--eval-format",
                    "-o", str(gt[src]))
        assert r.returncode == 0, r.stderr
    gt["qvhighlights"] = out / "qvhighlights" / "highlight_train_release.jsonl"
    for src, task in (("charades", "grounding"), ("youcook2", "dvc"), ("qvhighlights", "highlight")):
        items = read_manifest(gt[src], video_root=out / "videos")
        assert items and {i.task for i in items} == {task} and all(i.path.is_file() for i in items)

    # grounding: the fixed window, as raw model text
    rows = json.loads(gt["charades"].read_text())["annotations"]
    durations = {r["image_id"]: r["duration"] for r in json.loads(gt["youcook2"].read_text())["annotations"]}
    a, b = blind["grounding"]["fixed_window"]["window"]
    pred = tmp_path / "tvg.jsonl"
    pred.write_text("".join(json.dumps({"id": r["id"], "text": f"The given query happens in "
                                        f"{a * durations[r['image_id']]:.2f} - {b * durations[r['image_id']]:.2f} seconds."})
                            + "\n" for r in rows))
    m = _eval("tvg", pred, gt["charades"])
    assert m["R1@0.5"] == pytest.approx(blind["grounding"]["fixed_window"]["R1@0.5"])

    # highlights: the fixed top clip
    p = blind["highlights"]["HL-min-VeryGood"]["position"]
    preds = []
    for line in gt["qvhighlights"].read_text().splitlines():
        row = json.loads(line)
        n = int(row["duration"] / 2)
        preds.append({"qid": row["qid"], "pred_saliency_scores": [float(i == min(int(p * n), n - 1)) for i in range(n)]})
    (tmp_path / "vhd.json").write_text(json.dumps(preds))
    m = _eval("vhd", tmp_path / "vhd.json", gt["qvhighlights"])
    assert m["HL-min-VeryGood"]["HL-Hit1"] == pytest.approx(blind["highlights"]["HL-min-VeryGood"]["HL-Hit1"], abs=0.01)

    # dense captioning: k equal segments (localisation F1; the evaluator gives fractions)
    k = blind["dense_captioning"]["segments"]
    dvc = {f"{v}": [{"timestamp": [d * i / k, d * (i + 1) / k], "caption": "a red circle appears"} for i in range(k)]
           for v, d in durations.items()}
    (tmp_path / "dvc.json").write_text(json.dumps(dvc))
    m = _eval("dvc", tmp_path / "dvc.json", gt["youcook2"])
    assert 100 * m["F1_Score"] == pytest.approx(blind["dense_captioning"]["F1_Score"])


def test_the_default_kind_is_static_and_full_is_one_flag_away(synth_dir, tmp_path):
    """The default is the kind the demo model was trained on; every mp4 names its kind, seed and index."""
    from timechat_core.video.tag import read_tag, synth_kind

    out, _ = synth_dir
    scenes = [json.loads(f.read_text()) for f in sorted((out / "scenes").glob("*.json"))]
    assert len(scenes) == 4 and all(s["backgrounds"] == [{"colour": "grey", "start": 0.0, "end": s["duration"]}]
                                    and all(o["move"] is None and len(o["phases"]) == 1 for o in s["objects"])
                                    for s in scenes)
    assert [read_tag(out / "videos" / f"synth-static-5-0000{i}.mp4") for i in range(4)] == [
        {"scenes": "static", "seed": 5, "index": i} for i in range(4)]
    r = run_cli("synth", "-o", str(out), *TINY, "--scenes", "full")  # the full kind into the static folder
    assert r.returncode == 2 and "scenes_kind 'static' (now 'full')" in r.stderr
    full = tmp_path / "full"
    r = run_cli("synth", "-o", str(full), *TINY, "--scenes", "full")
    assert r.returncode == 0, r.stderr
    assert sorted(rec["video"] for rec in jsonl(r.stdout)) == [f"synth-5-0000{i}" for i in range(4)]
    assert [synth_kind(full / "videos" / f"synth-5-0000{i}.mp4") for i in range(4)] == ["full"] * 4
