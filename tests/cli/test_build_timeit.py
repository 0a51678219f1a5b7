"""`timechat build-timeit` end to end: real data, exit codes, config, eval GT that `timechat eval` reads."""

import json
import shutil
import subprocess
import sys

import pytest

from tests.conftest import jsonl, run_cli


@pytest.fixture(scope="module")
def data(datadir):
    return datadir


def test_builds_from_a_folder_of_datasets(data, tmp_path):
    out = tmp_path / "timeit.json"
    r = run_cli("build-timeit", "--data-root", str(data), "--split", "all", "-o", str(out), "--stats")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    rows = json.loads(out.read_text())
    sources = {row["source"] for row in rows}
    assert sources == {"youcook2", "anet", "charades", "qvhighlights", "tvsum"}
    for word in ("charades", "swapped 4", "end_past_duration", "records per task and source", "video length (s)"):
        assert word in r.stderr
    ao8rw = next(row for row in rows if row["video"] == "charades/AO8RW.mp4")
    assert ao8rw["QA"][0]["a"] == "The given query happens in 0.0 - 6.9 seconds."


def test_same_seed_same_bytes(data, tmp_path):
    args = ["build-timeit", "--ann", f"charades={data / 'charades_sta'}", "--ann",
            f"qvhighlights={data / 'qvhighlights' / 'highlight_val_release.jsonl'}", "--split", "all", "--seed", "5"]
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert run_cli(*args, "-o", str(a)).returncode == 0
    assert run_cli(*args, "-o", str(b)).returncode == 0
    assert a.read_bytes() == b.read_bytes() and a.read_text().count("\n") == 16128 + 1550


def test_pack_turns(data, tmp_path):
    args = ["build-timeit", "--ann", f"charades={data / 'charades_sta' / 'charades_sta_train.txt'}", "--ann",
            f"qvhighlights={data / 'qvhighlights' / 'highlight_val_release.jsonl'}", "--split", "all"]
    plain, packed = tmp_path / "plain.jsonl", tmp_path / "packed.jsonl"
    assert run_cli(*args, "-o", str(plain)).returncode == 0
    r = run_cli(*args, "--pack-turns", "tvg=4", "-o", str(packed))
    assert r.returncode == 0, r.stderr
    plain_rows, packed_rows = (jsonl(p.read_text()) for p in (plain, packed))
    assert f"records ({len(plain_rows)} before packing)" in r.stderr
    assert len(packed_rows) < len(plain_rows)
    # every question once, with its video; highlights (not named) untouched; at most 4 turns
    turns = lambda rows: sorted((x["video"], qa["q"], qa["a"]) for x in rows for qa in x["QA"])  # noqa: E731
    assert turns(packed_rows) == turns(plain_rows)
    assert [x for x in packed_rows if x["task"] == "vhd"] == [x for x in plain_rows if x["task"] == "vhd"]
    assert max(len(x["QA"]) for x in packed_rows) == 4
    for bad in ("tvg=0", "tvg", "grounding=3"):
        r = run_cli(*args, "--pack-turns", bad, "-o", str(tmp_path / "x.jsonl"))
        assert r.returncode == 2 and "--pack-turns" in r.stderr and r.stderr.count("\n") == 1, r.stderr


def test_eval_runs_on_ground_truth_we_wrote(data, tmp_path):
    gt = tmp_path / "test.caption_coco_format.json"
    r = run_cli("build-timeit", "--sources", "charades", "--ann", f"charades={data / 'charades_sta'}",
                "--split", "test", "--eval-format", "-o", str(gt))
    assert r.returncode == 0, r.stderr
    tvg = data / "timechat_metrics" / "tvg"
    r = run_cli("eval", "--task", "tvg", "--pred", str(tvg / "example_pred_file.json"), "--gt", str(gt), "--sample")
    assert r.returncode == 0, r.stderr
    metrics = json.loads(r.stdout)
    expected = json.loads((tvg / "expected_metrics_computed_sample500.json").read_text())["summary"]
    assert [metrics[k] for k in ("R1@0.3", "R1@0.5", "R1@0.7")] == [expected[k] for k in ("R1@0.3", "R1@0.5", "R1@0.7")]


def test_eval_format_needs_one_source(data, tmp_path):
    r = run_cli("build-timeit", "--data-root", str(data), "--split", "all", "--eval-format", "-o", str(tmp_path / "x.json"))
    assert r.returncode == 2 and "writes one source's ground truth" in r.stderr


def test_malformed_input_exits_2_with_file_and_line(tmp_path):
    bad = tmp_path / "charades_sta_train.txt"
    bad.write_text("AO8RW 0.0 6.9##ok.\nbroken line\n")
    out = tmp_path / "o.json"
    r = run_cli("build-timeit", "--ann", f"charades={bad}", "-o", str(out))
    assert r.returncode == 2
    assert f"error: {bad}:2: expected 'VID start end##sentence'" in r.stderr
    assert not out.exists()


def test_usage_errors_exit_2(tmp_path, data):
    out = str(tmp_path / "o.json")
    r = run_cli("build-timeit", "--sources", "charades", "-o", out)
    assert r.returncode == 2 and "no annotations for charades" in r.stderr
    r = run_cli("build-timeit", "--ann", "nosuch=x", "-o", out)
    assert r.returncode == 2 and "unknown source 'nosuch'" in r.stderr
    r = run_cli("build-timeit", "--ann", f"charades={data / 'charades_sta'}", "--split", "val", "-o", out)
    assert r.returncode == 2 and "no 'val' split" in r.stderr


def test_config_file(tmp_path, data):
    cfg = tmp_path / "sources.yaml"
    cfg.write_text(f"seed: 2\nsplit: test\nsources:\n  charades: {{ann: {data / 'charades_sta'}, video_dir: Charades}}\n")
    out = tmp_path / "o.jsonl"
    r = run_cli("build-timeit", "--config", str(cfg), "-o", str(out))
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 3720 and rows[0]["video"].startswith("Charades/")
    cfg.write_text("sead: 2\nsources:\n  charades: {ann: x, vidoe_dir: y}\n")
    r = run_cli("build-timeit", "--config", str(cfg), "-o", str(out))
    assert r.returncode == 2
    assert "unknown key 'sead'" in r.stderr and "unknown key 'sources.charades.vidoe_dir'" in r.stderr


def test_help_is_light():
    code = (
        "import sys; from typer.testing import CliRunner; from timechat_cli.main import app;"
        "r = CliRunner().invoke(app, ['build-timeit', '--help']); assert r.exit_code == 0, r.output;"
        "heavy = [m for m in ('numpy', 'av', 'h5py', 'scipy', 'yaml', 'timechat_core.timeit.build')"
        " if m in sys.modules]; print(','.join(heavy))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ""


@pytest.mark.skipif(shutil.which("java") is None, reason="METEOR and the PTB tokenizer need Java")
def test_dvc_eval_on_our_youcook2_ground_truth(data, tmp_path):
    # Our YouCook2 val GT, cut to the 20 videos of TimeChat's subset, scores exactly the oracle.
    full = tmp_path / "all.json"
    r = run_cli("build-timeit", "--sources", "youcook2", "--ann", f"youcook2={data / 'youcook2'}", "--split", "val",
                "--eval-format", "-o", str(full))
    assert r.returncode == 0, r.stderr
    dvc = data / "timechat_metrics" / "dvc"
    ours = {row["image_id"]: row for row in json.loads(full.read_text())["annotations"]}
    subset = json.loads((dvc / "subset20_val.caption_coco_format.json").read_text())["annotations"]
    gt = tmp_path / "val.caption_coco_format.json"
    gt.write_text(json.dumps({"annotations": [ours[row["image_id"]] for row in subset]}))
    r = run_cli("eval", "--task", "dvc", "--pred", str(dvc / "subset20_pred.json"), "--gt", str(gt))
    assert r.returncode == 0, r.stderr
    metrics = json.loads(r.stdout)
    expected = json.loads((dvc / "expected_metrics_computed_subset20.json").read_text())
    for key, value in {**expected["paragraph"], **expected["summary_mean_over_videos"]}.items():
        assert metrics[key] == pytest.approx(value, abs=1e-12), key
