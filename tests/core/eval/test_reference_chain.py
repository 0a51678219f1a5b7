"""The reference's own chain, raw answer -> formatter -> evaluator, against this project's, step by step.

Inputs and the reference's outputs are in `tests/data/reference_chain/` (made from the real TimeChat
example predictions, QVHighlights and YouCook2 files; commands and commits in tests/data/README.md):
TimeChat raw result files as `evaluate.py` saves them and what its `format_tvg` / `format_vhd` /
`format_dvc` made of them; prediction files with windows before 0, past the end and reversed, and with
rows outside the ground truth, with what `eval_tvg.py`, moment_detr's `standalone_eval` and
`eval_dvc.py` scored.
"""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import DATA
from timechat_core.errors import InputError
from timechat_core.eval.captions import MeteorProcess
from timechat_core.eval.dvc import evaluate_dvc, load_dvc_gt, load_dvc_predictions
from timechat_core.eval.moment_detr import evaluate_qvhighlights, load_qvhighlights_gt, load_submission
from timechat_core.eval.parsers import parse_dvc, parse_tvg, parse_vhd
from timechat_core.eval.readers import answers
from timechat_core.eval.tvg import evaluate_tvg, load_tvg_gt, load_tvg_predictions

CHAIN = DATA / "reference_chain"


def _json(path):
    return json.loads(path.read_text())


def _counts(windows, durations=None):
    """The warning kinds of `windows.py`, counted plainly over (key, start, end) triples."""
    durations = durations or {}
    counts = {
        "negative": sum(min(s, e) < 0 for _, s, e in windows),
        "past_end": sum(k in durations and max(s, e) > durations[k] for k, s, e in windows),
        "reversed": sum(s > e for _, s, e in windows),
    }
    return {k: v for k, v in counts.items() if v}


# ----------------------------------------------------------------------------- raw -> formatter


def test_tvg_raw_results_parse_as_format_tvg_does():
    path = CHAIN / "tvg" / "raw_results.json"
    expected = _json(CHAIN / "tvg" / "expected_raw_results_formatted.json")
    found = answers(_json(path), path, "tvg")
    assert len(found) == len(expected) == 500
    for answer in found:
        assert parse_tvg(answer.text, parser="timechat")["windows"] == expected[answer.key]["timestamp"], answer.key


def test_vhd_raw_results_parse_as_format_vhd_does():
    path = CHAIN / "vhd" / "raw_results.json"
    duration = {row["id"]: row["duration"] for row in _json(CHAIN / "vhd" / "coco_for_format_vhd.json")["annotations"]}
    expected = {row["qid"]: row["pred_saliency_scores"] for row in _json(CHAIN / "vhd" / "expected_raw_results_formatted.json")}
    found = answers(_json(path), path, "vhd")
    assert len(found) == len(expected) == 310
    for answer in found:
        qid = int(answer.key)
        assert parse_vhd(answer.text, duration=duration[qid], parser="timechat")["saliency"] == expected[qid], qid


def test_dvc_raw_results_parse_as_format_dvc_does_including_the_pdb_step():
    path = CHAIN / "dvc" / "raw_results.json"
    expected = _json(CHAIN / "dvc" / "expected_raw_results_formatted.json")
    found = answers(_json(path), path, "dvc")
    assert [a.key for a in found] == list(expected)
    for answer in found:
        events = parse_dvc(answer.text, parser="timechat")["events"]
        got = [{"timestamp": ev.get("text_times", [ev["start"], ev["end"]]), "caption": ev["caption"]} for ev in events]
        assert got == expected[answer.key], answer.key
    assert any(isinstance(ev["timestamp"][0], str) for events in expected.values() for ev in events)


# ----------------------------------------------------------------------------- windows scored as written


def test_tvg_windows_before_0_past_the_end_and_reversed_score_as_eval_tvg():
    gt = load_tvg_gt(CHAIN / "tvg" / "gt_sample500_duration.json")
    preds = load_tvg_predictions(CHAIN / "tvg" / "pred_windows.json", strict=False)
    expected = _json(CHAIN / "tvg" / "expected_pred_windows_metrics.json")
    metrics, _ = evaluate_tvg(preds, gt, strict=False)
    assert {k: metrics[k] for k in ("R1@0.3", "R1@0.5", "R1@0.7")} == {k: expected[k] for k in ("R1@0.3", "R1@0.5", "R1@0.7")}
    durations = {str(g["id"]): g["duration"] for g in gt}
    first = [(k, *w[0]) for k, w in preds.items() if w]
    assert metrics["warnings"] == _counts(first, durations)
    assert set(metrics["warnings"]) == {"negative", "past_end", "reversed"}
    with pytest.raises(InputError, match=r"time -\d.* is negative"):
        evaluate_tvg(preds, gt)  # strict, as before


def test_moment_detr_windows_score_as_standalone_eval_including_its_empty_union_nan():
    gt = load_qvhighlights_gt(CHAIN / "mr" / "gt_val150.jsonl")
    submission = load_submission(CHAIN / "mr" / "preds_windows.jsonl", strict=False)
    metrics, _ = evaluate_qvhighlights(submission, gt, strict=False)
    warnings = metrics.pop("warnings")
    assert metrics == _json(CHAIN / "mr" / "expected_preds_windows_metrics.json")
    durations = {g["qid"]: g["duration"] for g in gt}
    read = [(row["qid"], w[0], w[1]) for row in submission for w in row["pred_relevant_windows"][:10]]
    assert warnings == _counts(read, durations)
    with pytest.raises(InputError, match="negative"):
        load_submission(CHAIN / "mr" / "preds_windows.jsonl")


def test_moment_detr_rows_outside_the_ground_truth_are_dropped_and_counted():
    gt = load_qvhighlights_gt(CHAIN / "mr" / "gt_val150.jsonl")
    submission = load_submission(CHAIN / "mr" / "preds_outside_gt.jsonl", strict=False)
    metrics, rows = evaluate_qvhighlights(submission, gt, match_qids="intersection", strict=False)
    assert metrics.pop("warnings")["outside_gt"] == len(submission) - len(gt) == 5
    assert metrics == _json(CHAIN / "mr" / "expected_preds_outside_gt_metrics.json")
    assert len(rows) == len(gt)


def test_tvg_rows_outside_the_ground_truth_are_dropped_under_intersection():
    gt = load_tvg_gt(DATA / "timechat_metrics" / "tvg" / "example_gt_file.json")
    preds = load_tvg_predictions(CHAIN / "tvg" / "pred_outside_gt.json")
    expected = _json(CHAIN / "tvg" / "expected_pred_outside_gt_metrics.json")
    assert expected["with_the_outside_rows"]["error"] == "KeyError: 3720"  # the reference cannot score it
    metrics, rows = evaluate_tvg(preds, gt, match_qids="intersection")
    for t in ("0.3", "0.5", "0.7"):
        assert metrics[f"R1@{t}"] == expected["outside_rows_removed"][f"R1@{t}"]
    assert metrics["warnings"] == {"outside_gt": 10} and len(rows) == 500
    with pytest.raises(InputError, match="10 predicted id"):
        evaluate_tvg(preds, gt, sample=True)


@pytest.mark.slow
def test_dvc_windows_score_as_eval_dvc():
    if shutil.which("java") is None:
        pytest.skip("METEOR needs Java")
    gt = load_dvc_gt(DATA / "timechat_metrics" / "dvc" / "subset20_val.caption_coco_format.json")
    preds = load_dvc_predictions(CHAIN / "dvc" / "pred_windows.json", strict=False)
    expected = _json(CHAIN / "dvc" / "expected_pred_windows_metrics.json")
    with MeteorProcess() as meteor:
        metrics, rows = evaluate_dvc(preds, gt, strict=False, meteor=meteor)
    for key, value in {**expected["paragraph"], **expected["summary_mean_over_videos"]}.items():
        assert metrics[key] == pytest.approx(value, abs=1e-9), key
    for row in rows:
        for key, value in expected["per_video"][row["video"]].items():
            assert row[key] == pytest.approx(value, abs=1e-9), (row["video"], key)
    durations = {g["image_id"]: g["duration"] for g in gt}
    segments = [(vid, *ev["timestamp"]) for vid, events in preds.items() for ev in events]
    assert metrics["warnings"] == _counts(segments, durations)
    with pytest.raises(InputError, match="negative"):
        load_dvc_predictions(CHAIN / "dvc" / "pred_windows.json")

