"""Dense video captioning metrics against TimeChat's evaluator (exact oracle) and its documented quirks.

The oracle `expected_metrics_computed_subset20.json` is TimeChat's `metrics/dvc/eval_dvc.py` run at
full precision on `subset20_pred.json` vs `subset20_val.caption_coco_format.json`. One METEOR
process (several seconds to start) is shared by every test that needs it.
"""

from __future__ import annotations

import itertools
import json
import shutil

import numpy as np
import pytest

from timechat_core.errors import InputError, TimechatError
from timechat_core.eval import dvc
from timechat_core.eval.captions import MeteorProcess, tokenize
from timechat_core.eval.dvc import evaluate_dvc, load_dvc_gt, load_dvc_predictions
from timechat_core.eval.iou import vid2seq_iou

TOL = 1e-9
needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="METEOR and the PTB tokenizer need Java")


@pytest.fixture(scope="module")
def dvc_dir(datadir):
    return datadir / "timechat_metrics" / "dvc"


@pytest.fixture(scope="module")
def subset(dvc_dir):
    gt = load_dvc_gt(dvc_dir / "subset20_val.caption_coco_format.json")
    preds = load_dvc_predictions(dvc_dir / "subset20_pred.json")
    return gt, preds


@pytest.fixture(scope="module")
def meteor():
    if shutil.which("java") is None:
        pytest.skip("METEOR needs Java")
    with MeteorProcess() as process:
        yield process


@pytest.fixture(scope="module")
def subset_result(subset, meteor):
    gt, preds = subset
    return evaluate_dvc(preds, gt, split="val", dataset="youcook2", meteor=meteor)


# ----------------------------------------------------------------------------- oracle parity


def test_subset20_means_equal_timechat(subset_result, dvc_dir):
    expected = json.loads((dvc_dir / "expected_metrics_computed_subset20.json").read_text())
    metrics, _ = subset_result
    want = {**expected["paragraph"], **expected["summary_mean_over_videos"]}
    assert set(want) <= set(metrics)
    for key, value in want.items():
        assert metrics[key] == pytest.approx(value, abs=TOL), key
    assert metrics["n_videos"] == 20


def test_subset20_per_video_values_equal_timechat(subset_result, dvc_dir):
    expected = json.loads((dvc_dir / "expected_metrics_computed_subset20.json").read_text())["per_video"]
    _, rows = subset_result
    assert [r["video"] for r in rows] == list(expected)  # GT order
    for row in rows:
        for key, value in expected[row["video"]].items():
            assert row[key] == pytest.approx(value, abs=TOL), (row["video"], key)


def test_fillers_do_not_change_any_score(subset, subset_result, meteor):
    gt, preds = subset
    metrics, rows = evaluate_dvc(preds, gt, seed=12345, meteor=meteor)
    assert metrics == subset_result[0]
    assert rows == subset_result[1]


def test_corpus_protocol_pools_pairs_but_keeps_the_rest(subset, subset_result, meteor):
    gt, preds = subset
    per_video, _ = subset_result
    corpus, rows = evaluate_dvc(preds, gt, protocol="corpus", meteor=meteor)
    assert rows == subset_result[1]
    for key, value in per_video.items():
        if key not in ("CIDER", "METEOR"):
            assert corpus[key] == value, key
    assert 0 < corpus["CIDER"] != per_video["CIDER"]
    assert 0 < corpus["METEOR"] < 1 and corpus["METEOR"] != per_video["METEOR"]


def test_video_without_predictions_counts_as_zero(subset, subset_result, meteor):
    gt, preds = subset
    dropped = gt[3]["image_id"]
    metrics, rows = evaluate_dvc({k: v for k, v in preds.items() if k != dropped}, gt, meteor=meteor)
    row = next(r for r in rows if r["video"] == dropped)
    assert row["n_preds"] == 0
    assert all(row[k] == 0 for k in row if k not in ("video", "n_preds", "SODA_c_1"))
    # Localisation is per video, so the other videos keep their values and the mean divides by 20.
    others = [r for r in subset_result[1] if r["video"] != dropped]
    assert metrics["Recall_Mean"] == pytest.approx(sum(r["Recall_Mean"] for r in others) / 20, abs=1e-15)


# ----------------------------------------------------------------------------- reference quirks


def _video(gt, pred):
    v = dvc.DvcVideo("v", "v", gt, ["a gt caption."] * len(gt))
    v.pred_segments, v.pred_captions = pred, ["a prediction"] * len(pred)
    return v


def test_localisation_needs_strictly_greater_iou_but_matching_accepts_equal():
    v = _video([(0.0, 10.0)], [(0.0, 5.0)])
    iou = np.array([[0.5]])  # exactly at a threshold
    det = dvc.detection_scores(iou)
    assert det["Precision@0.3"] == 1.0 and det["Precision@0.5"] == 0.0 and det["Recall@0.5"] == 0.0
    dvc._match(v, iou, __import__("random").Random(0))
    assert [filler for *_, filler in v.items[0.5]] == [False]  # matched at >= 0.5
    assert [filler for *_, filler in v.items[0.7]] == [True]  # paired with a random filler


def test_iou_matches_the_reference_formula_and_swaps_reversed_spans():
    assert vid2seq_iou((131.5, 128.0), (128.0, 131.5)) == pytest.approx(1.0, abs=1e-8)
    assert vid2seq_iou((0, 10), (5, 15)) == 5 / (15 + 1e-8)
    assert vid2seq_iou((0, 1), (2, 3)) == 0.0


def test_f1_is_from_each_video_mean_precision_and_recall():
    iou = np.array([[1.0], [0.0]])  # 2 ground-truth segments, 1 prediction matching the first
    det = dvc.detection_scores(iou)
    p, r = det["Precision_Mean"], det["Recall_Mean"]
    assert (p, r) == (1.0, 0.5)
    assert det["F1_Score"] == 2 * r * p / (r + p)


def test_soda_meteor_columns_follow_string_order_of_prediction_ids():
    assert dvc._sorted_keys(12) == [0, 1, 10, 11, 2, 3, 4, 5, 6, 7, 8, 9]


def _brute_force_assignment(scores):
    n, m = scores.shape
    best = 0.0
    for k in range(1, min(n, m) + 1):
        for rows in itertools.combinations(range(n), k):
            for cols in itertools.combinations(range(m), k):
                best = max(best, sum(scores[i, j] for i, j in zip(rows, cols)))
    return best


@pytest.mark.parametrize("shape", [(1, 1), (2, 3), (3, 2), (4, 4), (3, 5)])
def test_chased_dp_is_the_best_order_preserving_assignment(shape):
    scores = np.random.default_rng(sum(shape)).random(shape)
    assert dvc._chased_dp(scores) == pytest.approx(_brute_force_assignment(scores), abs=1e-12)


def test_gt_captions_are_split_like_the_reference():
    yc = {"pure_cap": "crack an egg. add salt. mix well"}
    assert dvc._gt_captions(yc, "auto") == ["crack an egg.", "add salt.", "mix well."]
    anet = {"caption": "A man walks in. Ok. Then he talks to the camera."}
    assert dvc._gt_captions(anet, "auto") == ["A man walks in.", "Then he talks to the camera."]
    assert dvc._gt_captions({**anet, **yc}, "activitynet") == dvc._gt_captions(anet, "auto")


def test_predictions_match_the_bare_video_key_or_the_full_image_id():
    rows = [{"image_id": f"videos/{k}.mp4", "segments": [[0, 5]], "pure_cap": "mix"} for k in "abc"]
    videos = dvc.gt_videos(rows, "auto", "gt")
    event = {"timestamp": [0.0, 5.0], "caption": "stir"}
    paras = dvc._attach_predictions(videos, {"a.mp4": [event], "videos/b.mp4": [event, event]})
    assert [len(v.pred_captions) for v in videos] == [1, 2, 0]
    assert [pred for pred, _ in paras] == ["stir", "stir stir"]


@needs_java
def test_paragraph_scores_keep_the_zip_misalignment(meteor):
    text = "crack two eggs into a bowl. whisk the eggs with salt and pepper. pour into a hot pan"
    gt = [
        {"image_id": "a.mp4", "segments": [[0, 10]], "pure_cap": text.replace(". ", "; ")},
        {"image_id": "b.mp4", "segments": [[0, 10]], "pure_cap": "slice the bread"},
    ]
    # Only b has predictions; its paragraph is paired with a's GT paragraph, which it repeats.
    preds = {"b.mp4": [{"timestamp": [0, 10], "caption": text.replace(". ", "; ")}]}
    metrics, rows = evaluate_dvc(preds, gt, meteor=meteor)
    assert metrics["Para_METEOR"] > 0.9
    assert rows[0]["n_preds"] == 0 and rows[1]["n_preds"] == 1


@needs_java
def test_tokenizer_lowercases_and_drops_punctuation():
    out = tokenize(["Hello, World.", "", "it's (a) test", "two\nlines"])
    assert out == {"Hello, World.": "hello world", "": "", "it's (a) test": "it 's -lrb- a -rrb- test",
                   "two\nlines": "two lines"}


@needs_java
def test_a_dead_meteor_process_raises_with_its_message():
    with MeteorProcess(jvm_options=("-XX:+NoSuchOptionForTimechat",)) as broken:
        with pytest.raises(TimechatError, match="METEOR stopped unexpectedly: .*NoSuchOptionForTimechat"):
            broken.stats(["SCORE ||| a cat ||| a cat"])


# ----------------------------------------------------------------------------- bad inputs


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD_GT = {"annotations": [{"image_id": "v.mp4", "segments": [[0, 5]], "pure_cap": "mix"}]}


def test_malformed_json_names_the_file_and_line(tmp_path):
    path = _write(tmp_path, "preds.json", '{"v.mp4": [\n{"timestamp": [0, 1], "caption": "x"},,\n]}')
    with pytest.raises(InputError, match=r"preds\.json:2: invalid JSON"):
        load_dvc_predictions(path)
    path = _write(tmp_path, "gt.json", '{"annotations": [')
    with pytest.raises(InputError, match=r"gt\.json:1: invalid JSON"):
        load_dvc_gt(path)


@pytest.mark.parametrize("stamp", ["[NaN, 3]", "[1, Infinity]", "[-1, 3]", "[1]", '["a", 2]', "null"])
def test_bad_prediction_times_name_the_file_and_video(tmp_path, stamp):
    path = _write(tmp_path, "preds.json", f'{{"v.mp4": [{{"timestamp": {stamp}, "caption": "x"}}]}}')
    with pytest.raises(InputError, match=r"preds\.json: video 'v\.mp4' event 1"):
        load_dvc_predictions(path)


def test_bad_gt_rows_are_reported_together(tmp_path):
    rows = [
        {"segments": [[0, 5]], "pure_cap": "mix"},  # no id
        {"image_id": "a.mp4", "segments": [[0, float("nan")]], "pure_cap": "mix"},
        {"image_id": "b.mp4", "segments": [[0, 5], [5, 9]], "pure_cap": "only one caption"},
        {"image_id": "c.mp4", "segments": []},
    ]
    path = _write(tmp_path, "gt.json", json.dumps({"annotations": rows}))
    with pytest.raises(InputError) as err:
        load_dvc_gt(path)
    msg = str(err.value)
    for part in ("gt.json: row 1: missing image_id", "row 2 (a.mp4) segment 1", "row 3 (b.mp4): 1 captions for 2",
                 "row 4 (c.mp4): 'segments' must be"):
        assert part in msg


def test_missing_caption_field_and_bad_arguments_raise_before_any_java(tmp_path):
    gt = GOOD_GT["annotations"]
    with pytest.raises(InputError, match="event 1: needs a 'timestamp' and a string 'caption'"):
        evaluate_dvc({"v.mp4": [{"timestamp": [0, 1]}]}, gt)
    with pytest.raises(InputError, match="no caption text"):
        evaluate_dvc({}, gt, dataset="activitynet")
    for kwargs in ({"split": "dev"}, {"dataset": "msrvtt"}, {"protocol": "paragraph"}):
        with pytest.raises(InputError, match="unknown"):
            evaluate_dvc({}, gt, **kwargs)
    with pytest.raises(InputError, match="non-empty list"):
        evaluate_dvc({}, [])


def test_reads_a_densevid_submission(datadir):
    preds = load_dvc_predictions(datadir / "densevid_eval" / "sample_submission.json")
    events = next(iter(preds.values()))
    assert events and set(events[0]) == {"timestamp", "caption"} and isinstance(events[0]["caption"], str)
