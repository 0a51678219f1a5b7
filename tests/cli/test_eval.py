"""`timechat eval` and `timechat parse` end to end on the real oracles in tests/data."""

import json

import pytest

from tests.conftest import jsonl, run_cli


@pytest.fixture(scope="module")
def metrics_dir(datadir):
    return datadir / "timechat_metrics"


def test_tvg_structured_predictions_reproduce_the_reference(tmp_path, metrics_dir):
    d = metrics_dir / "tvg"
    per_item = tmp_path / "items.jsonl"
    r = run_cli("eval", "--task", "tvg", "--pred", str(d / "example_pred_file.json"),
                "--gt", str(d / "example_gt_file.json"), "--sample", "--per-item", str(per_item))
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    expected = json.loads((d / "expected_metrics_computed_sample500.json").read_text())["summary"]
    assert (got["R1@0.3"], got["R1@0.5"], got["R1@0.7"]) == (expected["R1@0.3"], expected["R1@0.5"], expected["R1@0.7"])
    assert abs(got["mIoU"] - expected["mIoU_derived_empty_as_0"]) < 1e-9
    assert len(jsonl(per_item.read_text())) == 500
    assert "R1@0.5" in r.stderr  # the table


def test_tvg_without_sample_reports_the_id_mismatch(metrics_dir):
    d = metrics_dir / "tvg"
    r = run_cli("eval", "--task", "tvg", "--pred", str(d / "example_pred_file.json"), "--gt", str(d / "example_gt_file.json"))
    assert r.returncode == 2
    assert "3220 of 3720 ground-truth id(s) have no prediction" in r.stderr and "--sample" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("parser", ["robust", "timechat"])
def test_tvg_raw_model_text_is_parsed(tmp_path, metrics_dir, parser):
    gt = json.loads((metrics_dir / "tvg" / "example_gt_file.json").read_text())["annotations"][:20]
    raw = tmp_path / "raw.jsonl"
    lines = [{"id": a["id"], "text": f"The given query happens in {a['timestamp'][0]} - {a['timestamp'][1]} seconds."}
             for a in gt[:15]]
    lines += [{"id": a["id"], "text": "I cannot tell."} for a in gt[15:]]
    raw.write_text("".join(json.dumps(x) + "\n" for x in lines))
    per_item = tmp_path / "items.jsonl"
    r = run_cli("eval", "--task", "tvg", "--pred", str(raw), "--gt", str(metrics_dir / "tvg" / "example_gt_file.json"),
                "--sample", "--parser", parser, "--per-item", str(per_item))
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["R1@0.7"] == 75.0 and got["mIoU"] == 75.0
    statuses = [row["parse_status"] for row in jsonl(per_item.read_text())]
    assert statuses.count("ok") == 15 and len(statuses) == 20


def test_vhd_timechat_predictions_with_qid_intersection(datadir, metrics_dir):
    r = run_cli("eval", "--task", "vhd", "--pred", str(metrics_dir / "vhd" / "example_pred_file.json"),
                "--gt", str(datadir / "qvhighlights" / "highlight_val_release.jsonl"),
                "--match-qids", "intersection")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == json.loads((metrics_dir / "vhd" / "expected_metrics_computed.json").read_text())


def test_moment_detr_submission_gives_all_104_values(datadir):
    q = datadir / "qvhighlights"
    r = run_cli("eval", "--task", "mr", "--pred", str(q / "sample_val_preds.jsonl"),
                "--gt", str(q / "highlight_val_release.jsonl"))
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    expected = json.loads((q / "sample_val_preds_metrics_raw.json").read_text())
    assert got == expected and list(got) == list(expected)


def test_malformed_prediction_line_is_named(tmp_path, datadir):
    bad = tmp_path / "preds.jsonl"
    bad.write_text('{"qid": 1, "text": "ok"}\n{"qid": 2, "text": \n')
    r = run_cli("eval", "--task", "vhd", "--pred", str(bad),
                "--gt", str(datadir / "qvhighlights" / "highlight_val_release.jsonl"))
    assert r.returncode == 2
    assert f"{bad}:2: invalid JSON" in r.stderr


def test_parse_reads_jsonl_and_plain_lines():
    text = "\n".join([
        json.dumps({"id": 7, "text": "It happens from 10.5 to 20 seconds.", "duration": 15}),
        "The event happens in the 1:23 - 1:45.",
        "",
        "no idea",
    ])
    r = run_cli("parse", "--task", "tvg", input=text + "\n")
    assert r.returncode == 0, r.stderr
    rows = jsonl(r.stdout)
    assert rows[0]["id"] == 7 and rows[0]["windows"] == [[10.5, 15.0]]  # clipped to the duration
    assert rows[1]["windows"] == [[83.0, 105.0]]
    assert rows[2]["windows"] == [] and rows[2]["status"] != "ok" and rows[2]["reason"]
    r = run_cli("parse", "--task", "tvg", "--parser", "timechat", input=text + "\n")
    assert [x["windows"] for x in jsonl(r.stdout)] == [[], [[1.0, 23.0]], []]


def test_parse_bad_json_line_names_the_line():
    r = run_cli("parse", "--task", "dvc", input='{"text": "a"}\n{"text": \n')
    assert r.returncode == 2 and "<stdin>:2: invalid JSON" in r.stderr


def test_dvc_subset_through_the_cli(tmp_path, metrics_dir):
    d = metrics_dir / "dvc"
    per_item = tmp_path / "videos.jsonl"
    r = run_cli("eval", "--task", "dvc", "--pred", str(d / "subset20_pred.json"),
                "--gt", str(d / "subset20_val.caption_coco_format.json"), "--per-item", str(per_item))
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    expected = json.loads((d / "expected_metrics_computed_subset20.json").read_text())
    flat = {**got.get("paragraph", {}), **got.get("summary", got)}
    for key, value in {**expected["paragraph"], **expected["summary_mean_over_videos"]}.items():
        assert abs(flat[key] - value) <= 1e-9, key
    assert len(jsonl(per_item.read_text())) == 20


def test_summarization_raw_answers_are_parsed_per_video(tmp_path, datadir):
    mat = datadir / "tvsum" / "ydata-tvsum50.mat"
    raw = tmp_path / "raw.jsonl"
    rows = [{"video": "-esJrBWj2d8.mp4", "text": "The highlight timestamps are in the 10, 12, 14 seconds. "
                                                 "Their saliency scores are 4.0, 3.0, 2.0."},
            {"video": "0tmA_C6XwfM", "text": "nothing to see"}]
    raw.write_text("".join(json.dumps(r) + "\n" for r in rows))
    per_item = tmp_path / "items.jsonl"
    r = run_cli("eval", "--task", "summarization", "--pred", str(raw), "--gt", str(mat), "--per-item", str(per_item))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["num_videos"] == 2
    items = {x["video_id"]: x for x in jsonl(per_item.read_text())}
    assert items["-esJrBWj2d8"]["parse_status"] == "ok"
    assert items["0tmA_C6XwfM"]["parse_status"] != "ok" and items["0tmA_C6XwfM"]["parse_reason"]


def test_dvc_raw_answers_map_to_gt_videos(tmp_path, metrics_dir):
    d = metrics_dir / "dvc"
    gt = json.loads((d / "subset20_val.caption_coco_format.json").read_text())["annotations"]
    raw = tmp_path / "raw.jsonl"
    # the GT itself as model text: every event found, localisation perfect
    lines = []
    for g in gt:
        caps = [c for c in g["pure_cap"].split(". ") if c]
        text = "\n".join(f"{s} - {e} seconds, {c}." for (s, e), c in zip(g["segments"], caps))
        lines.append({"video": g["image_id"].rsplit(".", 1)[0], "text": text})
    raw.write_text("".join(json.dumps(x) + "\n" for x in lines))
    per_item = tmp_path / "items.jsonl"
    r = run_cli("eval", "--task", "dvc", "--pred", str(raw), "--gt", str(d / "subset20_val.caption_coco_format.json"),
                "--per-item", str(per_item))
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    summary = got.get("summary", got)
    assert summary["Recall@0.9"] == 1.0 and summary["Precision@0.9"] == 1.0
    assert {x["parse_status"] for x in jsonl(per_item.read_text())} == {"ok"}
