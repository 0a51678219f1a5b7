"""Charades-STA grounding evaluation: parity with TimeChat's eval_tvg.py on its example predictions."""

from __future__ import annotations

import json

import pytest

from timechat_core.errors import InputError
from timechat_core.eval.iou import tvg_iou
from timechat_core.eval.tvg import evaluate_tvg, load_tvg_gt, load_tvg_predictions


@pytest.fixture(scope="module")
def tvg_dir(datadir):
    return datadir / "timechat_metrics" / "tvg"


@pytest.fixture(scope="module")
def charades_gt(tvg_dir):
    return load_tvg_gt(tvg_dir / "example_gt_file.json")


@pytest.fixture(scope="module")
def example_preds(tvg_dir):
    return load_tvg_predictions(tvg_dir / "example_pred_file.json")


def _gt(*windows):
    return [{"image_id": "V.mp4", "caption": "q", "timestamp": list(w), "id": i}
            for i, w in enumerate(windows)]


# ----------------------------------------------------------------------------- oracle


def test_example_predictions_match_eval_tvg_sample_mode(tvg_dir, charades_gt, example_preds):
    expected = json.loads((tvg_dir / "expected_metrics_computed_sample500.json").read_text())
    metrics, rows = evaluate_tvg(example_preds, charades_gt, sample=True)
    summary = expected["summary"]
    for t in ("0.3", "0.5", "0.7"):
        assert metrics[f"R1@{t}"] == summary[f"R1@{t}"]  # unrounded count * 100 / N
    assert abs(metrics["mIoU"] - summary["mIoU_derived_empty_as_0"]) < 1e-9
    assert metrics["num_queries"] == summary["num_queries"] == 500
    assert metrics["num_empty"] == summary["num_empty_predictions"] == 280
    assert list(metrics) == ["R1@0.3", "R1@0.5", "R1@0.7", "mIoU", "num_queries", "num_empty"]
    per_query = expected["per_query"]
    assert [r["id"] for r in rows] == list(per_query)  # prediction order, like the script
    for row in rows:
        ref = per_query[row["id"]]
        assert (row["gt"], row["pred"], row["iou"]) == (ref["gt"], ref["pred_first"], ref["iou"])
        assert row["status"] == ("empty" if ref["pred_first"] is None else "ok")


def test_without_sample_every_gt_query_needs_a_prediction(charades_gt, example_preds):
    with pytest.raises(InputError, match=r"3220 of 3720 ground-truth id\(s\) have no prediction.*'0'"):
        evaluate_tvg(example_preds, charades_gt)


# ----------------------------------------------------------------------------- reference rules


def test_empty_predictions_are_misses_that_stay_in_the_denominator():
    metrics, rows = evaluate_tvg({"0": [[0, 10]], "1": []}, _gt((0, 10), (0, 10)))
    assert metrics["R1@0.7"] == 50.0 and metrics["mIoU"] == 50.0 and metrics["num_empty"] == 1
    assert rows[1] == {"id": "1", "gt": [0.0, 10.0], "pred": None, "iou": 0.0, "status": "empty"}


def test_only_the_first_window_counts_and_thresholds_are_inclusive():
    metrics, rows = evaluate_tvg({"0": [[0, 5], [0, 10]]}, _gt((0, 10)))
    assert rows[0]["iou"] == 0.5
    assert (metrics["R1@0.3"], metrics["R1@0.5"], metrics["R1@0.7"]) == (100.0, 100.0, 0.0)


def test_reversed_windows_are_not_swapped():
    metrics, rows = evaluate_tvg({"0": [[10, 0]]}, _gt((0, 10)))
    assert rows[0]["iou"] == 0.0 and rows[0]["status"] == "reversed"
    assert metrics["R1@0.3"] == 0.0


def test_iou_formula_and_degenerate_span():
    assert tvg_iou((9.9, 18.9), (0.0, 18.0)) == pytest.approx(8.1 / 18.9)
    assert tvg_iou((5.0, 5.0), (5.0, 5.0)) == 0.0  # the script divides by zero here
    assert tvg_iou((0.0, 4.0), (6.0, 9.0)) == 0.0


def test_ids_match_as_integers_and_sample_mode_keeps_prediction_order():
    metrics, rows = evaluate_tvg({"002": [[0, 1]], "0": []}, _gt((0, 1), (0, 1), (0, 1)), sample=True)
    assert [r["id"] for r in rows] == ["2", "0"]
    assert metrics["num_queries"] == 2 and metrics["R1@0.7"] == 50.0


# ----------------------------------------------------------------------------- errors


def test_unknown_predicted_ids_are_rejected():
    with pytest.raises(InputError, match=r"1 predicted id\(s\) are not in the ground truth, e\.g\. '9'"):
        evaluate_tvg({"0": [], "9": []}, _gt((0, 1)), sample=True)


@pytest.mark.parametrize("window", [[-1, 5], [0, float("nan")], [float("inf"), 5], [3], "0-5"])
def test_bad_predicted_windows_are_input_errors(window):
    with pytest.raises(InputError, match=r"prediction '0'"):
        evaluate_tvg({"0": [window]}, _gt((0, 10)))


def test_bad_gt_rows_are_input_errors():
    with pytest.raises(InputError, match=r"ground_truth\[0\] \(id 0\): timestamp: time -3"):
        evaluate_tvg({"0": []}, _gt((-3, 10)))
    with pytest.raises(InputError, match="duplicated id"):
        evaluate_tvg({"0": []}, _gt((0, 1)) * 2)


def test_loaders_name_the_file(tmp_path):
    bad_json = tmp_path / "preds.json"
    bad_json.write_text('{\n "0": {"timestamp": [[0, 1]]},\n "1": \n}')
    with pytest.raises(InputError, match=rf"{bad_json}:4: invalid JSON"):
        load_tvg_predictions(bad_json)
    no_timestamp = tmp_path / "no_ts.json"
    no_timestamp.write_text(json.dumps({"0": {"query": "q", "vid": "V.mp4"}}))
    with pytest.raises(InputError, match=rf"{no_timestamp}: '0': missing key 'timestamp'"):
        load_tvg_predictions(no_timestamp)
    gt = tmp_path / "gt.json"
    gt.write_text(json.dumps({"annotations": [{"id": 0, "timestamp": [0, float("nan")]}]}))
    with pytest.raises(InputError, match=rf"{gt}: annotations\[0\]"):
        load_tvg_gt(gt)
