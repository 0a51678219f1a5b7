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
    # Two windows end after their video (qids 7527 and 10242): scored as given, and counted after the 104 values.
    assert got.pop("warnings") == {"past_end": 2} and "2 predicted window(s) end after the video" in r.stderr
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


# ----------------------------------------------------------------------------- the reference chain (issue 32)
# Inputs and the reference's outputs: tests/data/reference_chain/ (commands and commits in tests/data/README.md).


@pytest.fixture(scope="module")
def chain(datadir):
    return datadir / "reference_chain"


def _eval(*args):
    r = run_cli("eval", *args)
    return r, (json.loads(r.stdout) if r.returncode == 0 else None)


def test_timechat_tvg_raw_results_give_the_reference_chain_numbers(chain, metrics_dir):
    # evaluate.py's format_tvg then eval_tvg.py --sample, against parse --parser timechat then eval --sample
    r, got = _eval("--task", "tvg", "--parser", "timechat", "--pred", str(chain / "tvg" / "raw_results.json"),
                   "--gt", str(metrics_dir / "tvg" / "example_gt_file.json"), "--sample")
    assert r.returncode == 0, r.stderr
    expected = json.loads((chain / "tvg" / "expected_raw_results_metrics.json").read_text())
    assert {k: got[k] for k in ("R1@0.3", "R1@0.5", "R1@0.7")} == {k: expected[k] for k in ("R1@0.3", "R1@0.5", "R1@0.7")}
    assert got["num_empty"] == 280 and "warnings" not in got


def test_timechat_vhd_raw_results_give_the_reference_chain_numbers(chain, datadir):
    gt = str(datadir / "qvhighlights" / "highlight_val_release.jsonl")
    raw = str(chain / "vhd" / "raw_results.json")
    r, got = _eval("--task", "vhd", "--parser", "timechat", "--pred", raw, "--gt", gt, "--match-qids", "intersection")
    assert r.returncode == 0, r.stderr
    # 10 rows are QVHighlights test queries: eval_vhd.py drops them silently, here they are counted.
    assert got.pop("warnings") == {"outside_gt": 10} and "10 prediction row(s)" in r.stderr
    assert got == json.loads((chain / "vhd" / "expected_raw_results_metrics.json").read_text())
    r, _ = _eval("--task", "vhd", "--parser", "timechat", "--pred", raw, "--gt", gt)
    assert r.returncode == 2 and f"{raw}: item 301: qid 3158 is not in" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_timechat_dvc_raw_results_give_the_reference_chain_numbers(tmp_path, chain, metrics_dir):
    per_item = tmp_path / "videos.jsonl"
    r, got = _eval("--task", "dvc", "--parser", "timechat", "--pred", str(chain / "dvc" / "raw_results.json"),
                   "--gt", str(metrics_dir / "dvc" / "subset20_val.caption_coco_format.json"), "--per-item", str(per_item))
    assert r.returncode == 0, r.stderr
    expected = json.loads((chain / "dvc" / "expected_raw_results_metrics.json").read_text())
    for key, value in {**expected["paragraph"], **expected["summary_mean_over_videos"]}.items():
        assert abs(got[key] - value) <= 1e-9, key
    for row in jsonl(per_item.read_text()):
        for key, value in expected["per_video"][row["video"]].items():
            assert abs(row[key] - value) <= 1e-9, (row["video"], key)
    # 4 videos answered "start time X, end time Y" (the pdb step): 23 windows kept as text, as the reference does.
    assert got["warnings"]["text_times"] == 23 and got["warnings"]["outside_gt"] == 1


def test_negative_past_end_and_reversed_windows_score_as_eval_tvg(chain):
    pred, gt = str(chain / "tvg" / "pred_windows.json"), str(chain / "tvg" / "gt_sample500_duration.json")
    r, got = _eval("--task", "tvg", "--pred", pred, "--gt", gt)
    assert r.returncode == 0, r.stderr
    expected = json.loads((chain / "tvg" / "expected_pred_windows_metrics.json").read_text())
    assert {k: got[k] for k in ("R1@0.3", "R1@0.5", "R1@0.7")} == {k: expected[k] for k in ("R1@0.3", "R1@0.5", "R1@0.7")}
    assert set(got["warnings"]) == {"negative", "past_end", "reversed"}
    assert f"{got['warnings']['negative']} predicted window(s) start or end before 0 s" in r.stderr
    r, _ = _eval("--task", "tvg", "--pred", pred, "--gt", gt, "--strict")
    assert r.returncode == 2 and "is negative" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_moment_detr_negative_windows_score_as_standalone_eval_and_vhd_ignores_them(chain):
    pred, gt = str(chain / "mr" / "preds_windows.jsonl"), str(chain / "mr" / "gt_val150.jsonl")
    expected = json.loads((chain / "mr" / "expected_preds_windows_metrics.json").read_text())
    r, got = _eval("--task", "mr", "--pred", pred, "--gt", gt)
    assert r.returncode == 0, r.stderr
    assert set(got.pop("warnings")) == {"negative", "past_end", "reversed"}
    assert got == expected
    # Highlight detection never reads windows: even --strict scores the file, with the reference's HL values.
    r, got = _eval("--task", "vhd", "--pred", pred, "--gt", gt, "--strict")
    assert r.returncode == 0, r.stderr
    assert "warnings" not in got and got["brief"] == {k: v for k, v in expected["brief"].items() if k.startswith("HL")}
    assert all(got[k] == expected[k] for k in ("HL-min-Fair", "HL-min-Good", "HL-min-VeryGood"))
    r, _ = _eval("--task", "mr", "--pred", pred, "--gt", gt, "--strict")
    assert r.returncode == 2 and "is negative" in r.stderr


def test_rows_outside_the_ground_truth_are_dropped_and_counted_under_intersection(chain, metrics_dir):
    r, got = _eval("--task", "mr", "--pred", str(chain / "mr" / "preds_outside_gt.jsonl"),
                   "--gt", str(chain / "mr" / "gt_val150.jsonl"), "--match-qids", "intersection")
    assert r.returncode == 0, r.stderr
    assert got.pop("warnings")["outside_gt"] == 5
    assert got == json.loads((chain / "mr" / "expected_preds_outside_gt_metrics.json").read_text())
    tvg = ("--task", "tvg", "--pred", str(chain / "tvg" / "pred_outside_gt.json"),
           "--gt", str(metrics_dir / "tvg" / "example_gt_file.json"))
    r, got = _eval(*tvg, "--match-qids", "intersection")
    assert r.returncode == 0, r.stderr
    # eval_tvg.py raises KeyError on this file; its numbers without the 10 extra rows:
    expected = json.loads((chain / "tvg" / "expected_pred_outside_gt_metrics.json").read_text())["outside_rows_removed"]
    assert (got["R1@0.3"], got["R1@0.5"], got["R1@0.7"]) == (expected["R1@0.3"], expected["R1@0.5"], expected["R1@0.7"])
    assert got["warnings"] == {"outside_gt": 10}
    r, _ = _eval(*tvg, "--sample")
    assert r.returncode == 2 and "10 predicted id(s) are not in the ground truth" in r.stderr


def test_a_file_of_no_known_shape_names_the_shapes_accepted(tmp_path, metrics_dir):
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps([[0, 5], [3, 9]]))
    r = run_cli("eval", "--task", "tvg", "--pred", str(odd), "--gt", str(metrics_dir / "tvg" / "example_gt_file.json"))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    for shape in ("answer rows", "TimeChat raw results", "TimeChat formatted grounding"):
        assert shape in r.stderr


def test_parse_reads_timechat_raw_results_like_format_tvg(chain):
    r = run_cli("parse", str(chain / "tvg" / "raw_results.json"), "--task", "tvg", "--parser", "timechat")
    assert r.returncode == 0, r.stderr
    rows = jsonl(r.stdout)
    expected = json.loads((chain / "tvg" / "expected_raw_results_formatted.json").read_text())
    assert {str(row["id"]): row["windows"] for row in rows} == {k: v["timestamp"] for k, v in expected.items()}
    assert rows[0]["vname"] == "DOYQE.mp4"
