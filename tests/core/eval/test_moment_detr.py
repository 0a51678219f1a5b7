"""QVHighlights MR/HL evaluation: exact parity with moment_detr's and TimeChat's shipped outputs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import precision_recall_curve

from timechat_core.errors import InputError
from timechat_core.eval.moment_detr import (
    _precision_recall_curves,
    evaluate_qvhighlights,
    load_qvhighlights_gt,
    load_submission,
)


@pytest.fixture(scope="module")
def qvh(datadir):
    return datadir / "qvhighlights"


@pytest.fixture(scope="module")
def val_gt(qvh):
    return load_qvhighlights_gt(qvh / "highlight_val_release.jsonl")


@pytest.fixture(scope="module")
def sample_result(qvh, val_gt):
    return evaluate_qvhighlights(load_submission(qvh / "sample_val_preds.jsonl"), val_gt)


@pytest.fixture(scope="module")
def vhd_preds(datadir):
    return load_submission(datadir / "timechat_metrics" / "vhd" / "example_pred_file.json")


def _key_order(d):
    """Every key path in order, so nested key order is compared too."""
    return [(k, _key_order(v) if isinstance(v, dict) else None) for k, v in d.items()]


# ----------------------------------------------------------------------------- oracles


def test_sample_val_preds_match_moment_detr_output_exactly(qvh, sample_result):
    metrics = dict(sample_result[0])
    expected = json.loads((qvh / "sample_val_preds_metrics_raw.json").read_text())
    # Two windows end after their video (qids 7527 and 10242): scored as given, and counted after the rest.
    assert list(metrics)[-1] == "warnings" and metrics.pop("warnings") == {"past_end": 2}
    assert metrics == expected  # all 104 values
    assert _key_order(metrics) == _key_order(expected)
    assert list(metrics)[0] == "brief"


def test_per_query_rows_agree_with_the_metrics(sample_result):
    metrics, rows = sample_result
    assert len(rows) == 1550
    assert {"qid", "mr_ap", "r1_iou", "r1_0.5", "hit1_verygood", "ap_verygood"} <= set(rows[0])
    r1 = float(f"{100 * np.mean([r['r1_0.5'] for r in rows]):.2f}")
    assert r1 == metrics["brief"]["MR-full-R1@0.5"]
    hit1 = float(f"{100 * np.mean([r['hit1_verygood'] for r in rows]):.2f}")
    assert hit1 == metrics["brief"]["HL-min-VeryGood-Hit1"]
    assert float(f"{100 * np.mean([r['mr_ap'] for r in rows]):.2f}") == metrics["brief"]["MR-full-mAP"]


def test_timechat_vhd_example_matches_eval_vhd_output_exactly(datadir, val_gt, vhd_preds):
    expected_path = datadir / "timechat_metrics" / "vhd" / "expected_metrics_computed.json"
    expected = json.loads(expected_path.read_text())
    metrics, rows = evaluate_qvhighlights(vhd_preds, val_gt, match_qids="intersection")
    assert metrics == expected
    assert _key_order(metrics) == _key_order(expected)
    assert len(rows) == len({p["qid"] for p in vhd_preds} & {g["qid"] for g in val_gt})
    assert "mr_ap" not in rows[0]  # no pred_relevant_windows: HL only


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans(), st.integers(0, 6)), min_size=2, max_size=40))
def test_precision_recall_curves_equal_sklearn(items):
    labels = np.array([[float(a), float(b)] for a, b, _ in items])
    labels[0] = 1 - labels[1]  # both columns have positives and negatives
    y_score = np.array([s / 4 for _, _, s in items])  # few distinct values: many ties
    precision, recall = _precision_recall_curves(labels, y_score)
    for column in range(2):
        ref_precision, ref_recall, _ = precision_recall_curve(labels[:, column], y_score)
        np.testing.assert_array_equal(precision[:, column], ref_precision)
        np.testing.assert_array_equal(recall[:, column], ref_recall)


# ----------------------------------------------------------------------------- reference quirks


def _gt(qid, windows, duration=150, clips=()):
    """A GT row; `clips` is [(clip_id, [r1, r2, r3]), ...]."""
    return {"qid": qid, "duration": duration, "relevant_windows": windows,
            "relevant_clip_ids": [c for c, _ in clips], "saliency_scores": [s for _, s in clips]}


def test_r1_uses_the_first_listed_window_not_the_top_scored_one():
    gt = [_gt(1, [[20, 30]])]
    sub = [{"qid": 1, "pred_relevant_windows": [[0, 10, 0.1], [20, 30, 0.9]]}]
    metrics, rows = evaluate_qvhighlights(sub, gt)
    assert metrics["brief"]["MR-full-R1@0.5"] == 0.0
    assert metrics["brief"]["MR-full-mAP@0.5"] == 100.0
    assert rows[0]["r1_iou"] == 0.0


def test_map_keeps_the_first_ten_windows_before_sorting_by_score():
    gt = [_gt(1, [[100, 110]])]
    wrong = [[0, 5, 0.1]] * 10
    first = [{"qid": 1, "pred_relevant_windows": [[100, 110, 0.01]] + wrong}]
    eleventh = [{"qid": 1, "pred_relevant_windows": wrong + [[100, 110, 0.99]]}]
    # Kept but ranked last of the 10 kept windows: precision 1/10 at full recall.
    assert evaluate_qvhighlights(first, gt)[0]["full"]["MR-mAP"]["0.5"] == 10.0
    # The 11th window is dropped before its high score could rank it first.
    assert evaluate_qvhighlights(eleventh, gt)[0]["full"]["MR-mAP"]["0.5"] == 0.0


def test_length_buckets_filter_gt_windows_and_an_empty_bucket_is_nan():
    gt = [_gt(1, [[0, 10], [20, 60]])]  # one short (exactly 10 s) and one long window
    metrics, _ = evaluate_qvhighlights([{"qid": 1, "pred_relevant_windows": [[0, 10, 1.0]]}], gt)
    assert metrics["short"]["MR-mAP"]["0.5"] == 100.0
    assert metrics["long"]["MR-mAP"]["0.5"] == 0.0
    assert metrics["full"]["MR-mAP"]["0.5"] == 50.0
    assert all(math.isnan(v) for v in metrics["middle"]["MR-mAP"].values())
    assert "HL-min-Fair" not in metrics  # no pred_saliency_scores in the first row


def test_empty_window_list_is_a_miss_instead_of_a_crash():
    gt = [_gt(1, [[0, 10]]), _gt(2, [[0, 10]])]
    sub = [{"qid": 1, "pred_relevant_windows": []}, {"qid": 2, "pred_relevant_windows": [[0, 10, 1]]}]
    metrics, rows = evaluate_qvhighlights(sub, gt)
    assert metrics["brief"]["MR-full-R1@0.5"] == 50.0
    assert metrics["brief"]["MR-full-mAP"] == 50.0
    assert rows[0]["mr_ap"] == 0.0 and rows[0]["num_pred_windows"] == 0


def test_hit1_argmax_past_the_gt_length_is_a_miss_and_ties_take_the_first_clip():
    gt = [_gt(1, [[0, 4]], duration=10, clips=[(0, [4, 4, 4]), (1, [0, 0, 4])])]  # 5 clips
    past_end = [{"qid": 1, "pred_saliency_scores": [0, 0, 0, 0, 0, 0, 9]}]
    assert evaluate_qvhighlights(past_end, gt)[0]["brief"]["HL-min-VeryGood-Hit1"] == 0.0
    all_zero = [{"qid": 1, "pred_saliency_scores": [0, 0, 0]}]  # argmax = clip 0, padded to 5
    metrics, rows = evaluate_qvhighlights(all_zero, gt)
    assert metrics["brief"]["HL-min-VeryGood-Hit1"] == 100.0
    assert rows[0]["hit1_verygood"] == 1.0


# ----------------------------------------------------------------------------- errors


def test_equal_mode_reports_how_many_qids_differ_with_examples(val_gt, vhd_preds):
    missing = len({g["qid"] for g in val_gt} - {p["qid"] for p in vhd_preds})
    with pytest.raises(InputError) as err:
        evaluate_qvhighlights(vhd_preds, val_gt)
    message = str(err.value)
    assert f"{missing} only in the ground truth" in message
    assert "0 only in the submission" in message
    assert "match_qids='intersection'" in message


def test_equal_mode_lists_at_most_five_example_qids():
    gt = [_gt(q, [[0, 2]]) for q in range(10)]
    sub = [{"qid": q, "pred_relevant_windows": [[0, 2, 1]]} for q in range(3, 20)]
    with pytest.raises(InputError, match=r"10 only in the submission \(e\.g\. 10, 11, 12, 13, 14\)"):
        evaluate_qvhighlights(sub, gt)
    with pytest.raises(InputError, match="no qid in common"):
        evaluate_qvhighlights(sub[7:], gt, match_qids="intersection")
    with pytest.raises(InputError, match="match_qids"):
        evaluate_qvhighlights(sub, gt, match_qids="union")


def test_duplicate_qids_are_rejected():
    gt = [_gt(1, [[0, 2]])]
    sub = [{"qid": 1, "pred_relevant_windows": [[0, 2, 1]]}] * 2
    with pytest.raises(InputError, match="duplicated qid"):
        evaluate_qvhighlights(sub, gt)


@pytest.mark.parametrize("window", [[-1, 5, 0.5], [float("nan"), 5, 0.5], [0, float("inf"), 0.5],
                                    [0, 5, float("nan")], [0, 5], "0-5"])
def test_bad_predicted_windows_are_input_errors_naming_the_qid(window):
    with pytest.raises(InputError, match=r"submission\[0\] \(qid 7\)"):
        evaluate_qvhighlights([{"qid": 7, "pred_relevant_windows": [window]}], [_gt(7, [[0, 2]])])


def test_bad_saliency_and_clip_ids_are_input_errors():
    gt = [_gt(1, [[0, 4]], duration=10, clips=[(0, [4, 4, 4])])]
    with pytest.raises(InputError, match=r"pred_saliency_scores\[1\]"):
        evaluate_qvhighlights([{"qid": 1, "pred_saliency_scores": [0, float("nan")]}], gt)
    out_of_range = [_gt(1, [[0, 4]], duration=10, clips=[(5, [4, 4, 4])])]
    with pytest.raises(InputError, match=r"relevant_clip_ids\[0\] = 5"):
        evaluate_qvhighlights([{"qid": 1, "pred_saliency_scores": [0]}], out_of_range)


def test_malformed_jsonl_names_file_and_line(tmp_path):
    path = tmp_path / "preds.jsonl"
    path.write_text('{"qid": 1, "pred_saliency_scores": [1]}\n\n{"qid": 2, "pred_sal\n')
    with pytest.raises(InputError, match=rf"{path}:3: invalid JSON"):
        load_submission(path)


def test_bad_row_in_gt_jsonl_names_file_and_line(tmp_path):
    path = tmp_path / "gt.jsonl"
    rows = [_gt(1, [[0, 2]]), _gt(2, [[4, -2]])]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    with pytest.raises(InputError, match=rf"{path}:2 \(qid 2\): relevant_windows\[0\]: time -2"):
        load_qvhighlights_gt(path)


def test_json_list_submission_errors_name_the_item(tmp_path):
    path = tmp_path / "vhd.json"
    path.write_text(json.dumps([{"qid": 1, "pred_saliency_scores": [1]}, {"pred_saliency_scores": []}]))
    with pytest.raises(InputError, match=rf"{path}: item 1: missing key 'qid'"):
        load_submission(path)
