"""TVSum top-5 mAP (UMT/UniVTG protocol).

No reference output exists for these inputs, so the tests check properties that a wrong protocol
would break and compare with an independent, loop-based implementation of the documented formula.
"""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from timechat_core.errors import InputError
from timechat_core.eval.summarization import (
    TVSUM_VAL_VIDEOS,
    TvsumVideo,
    evaluate_tvsum,
    load_tvsum,
    pool_frames,
    top_k_ap,
)


@pytest.fixture(scope="module")
def mat_path(datadir):
    return datadir / "tvsum" / "ydata-tvsum50.mat"


@pytest.fixture(scope="module")
def videos(mat_path):
    return load_tvsum(mat_path)


def _mat_video(mat_path, index):
    """(video_id, user_anno (20, nframes), gt_score (nframes,), fps) read straight from the .mat."""
    with h5py.File(mat_path, "r") as mat:
        root = mat["tvsum50"]

        def field(name):
            return mat[root[name][index, 0]][()]

        video_id = "".join(chr(int(c)) for c in field("video").ravel())
        fps = float(field("nframes").ravel()[0]) / float(field("length").ravel()[0])
        return video_id, field("user_anno"), field("gt_score").ravel(), fps


def _independent_aps(user_anno, fps, prediction, k=5):
    """Per-annotator AP, written with plain loops from the module docstring's description."""
    members: dict[int, list[int]] = {}
    for frame in range(user_anno.shape[1]):
        members.setdefault(int((frame / fps) // 2), []).append(frame)
    clips = [np.mean(user_anno[:, members[c]], axis=1) for c in sorted(members)]  # (clips, 20)
    ranking = sorted(range(len(clips)), key=lambda c: (-prediction[c], c))[:k]
    aps = []
    for a in range(user_anno.shape[0]):
        column = [clip[a] for clip in clips]
        median = sorted(column)[(len(column) - 1) // 2]
        labels = [column[c] > median for c in ranking]
        found = sum(labels)
        if found == 0:
            aps.append(0.0)
            continue
        points = [(0.0, 1.0)] + [(sum(labels[:j]) / found, sum(labels[:j]) / j) for j in range(1, k + 1)]
        aps.append(sum((r1 - r0) * (p0 + p1) / 2 for (r0, p0), (r1, p1) in zip(points, points[1:])))
    return aps, len(clips)


# ----------------------------------------------------------------------------- loading


def test_loads_fifty_videos_with_twenty_annotators_per_clip(videos):
    assert len(videos) == 50
    categories = [v.category for v in videos.values()]
    assert sorted(set(categories)) == sorted(TVSUM_VAL_VIDEOS)
    assert all(categories.count(c) == 5 for c in TVSUM_VAL_VIDEOS)
    for v in videos.values():
        assert v.clip_scores.shape == (v.num_clips, 20)
        assert v.num_clips == int((v.nframes - 1) / v.fps // 2) + 1
        assert abs(v.num_clips - v.duration / 2) <= 1
        assert 1 <= v.clip_scores.min() and v.clip_scores.max() <= 5
    assert all(videos[vid].category == cat for cat, vid in TVSUM_VAL_VIDEOS.items())


def test_gt_score_is_the_pooled_mat_gt_score(mat_path, videos):
    video_id, _, gt_score, fps = _mat_video(mat_path, 1)
    np.testing.assert_allclose(videos[video_id].gt_score, pool_frames(gt_score, fps), rtol=0, atol=1e-12)


def test_pool_frames_means_each_two_second_clip():
    frames = np.array([[1, 1, 3, 3, 5]])  # 1 fps: clips {0, 1}, {2, 3}, {4}
    np.testing.assert_array_equal(pool_frames(frames, fps=1.0), [[1, 3, 5]])
    np.testing.assert_array_equal(pool_frames(np.array([2.0, 4.0, 6.0]), fps=0.75), [3.0, 6.0])


# ----------------------------------------------------------------------------- protocol


@pytest.mark.parametrize("index", [0, 1, 17])
def test_perfect_prediction_matches_an_independent_implementation(mat_path, videos, index):
    video_id, user_anno, _, fps = _mat_video(mat_path, index)
    prediction = videos[video_id].gt_score  # the annotators' own mean: the "perfect" prediction
    expected, num_clips = _independent_aps(user_anno, fps, prediction.tolist())
    metrics, rows = evaluate_tvsum({video_id: prediction}, videos)
    assert rows[0]["num_clips"] == num_clips
    assert rows[0]["ap_per_annotator"] == pytest.approx(expected, rel=0, abs=1e-12)
    assert metrics["mAP"] == pytest.approx(100 * np.mean(expected), abs=1e-9)


def test_annotator_mean_beats_random_which_beats_the_reversed_ranking(videos):
    rng = np.random.default_rng(0)
    mean = evaluate_tvsum({k: v.gt_score for k, v in videos.items()}, videos)[0]["mAP"]
    rand = evaluate_tvsum({k: rng.random(v.num_clips) for k, v in videos.items()}, videos)[0]["mAP"]
    worst = evaluate_tvsum({k: -v.gt_score for k, v in videos.items()}, videos)[0]["mAP"]
    assert mean > rand + 20 and rand > worst + 20


def test_top_k_ap_values():
    assert top_k_ap([1, 0, 0, 0, 0]) == 1.0
    assert top_k_ap([0, 1, 0, 0, 0]) == 0.25  # the first miss drops precision to 0
    assert top_k_ap([0, 1, 1, 0, 0]) == pytest.approx(0.125 + 0.5 * (0.5 + 2 / 3) / 2)
    assert top_k_ap([1, 1, 1, 1, 1]) == 1.0
    assert top_k_ap([0, 0, 0, 0, 0]) == 0.0


def test_positives_are_strictly_above_the_median_and_ties_keep_clip_order():
    # Annotator 0: median 2, so only the 5s are positive; annotator 1: nothing above the median.
    scores = np.array([[2, 1], [5, 1], [2, 1], [1, 1], [5, 1], [2, 1]], dtype=float)
    video = TvsumVideo("v", "VT", "title", nframes=360, duration=12.0, clip_scores=scores)
    prediction = [1, 1, 0, 0, 1, 0]  # a tie: clips 0, 1, 4 first, in clip order
    metrics, rows = evaluate_tvsum({"v": prediction}, {"v": video}, top_k=3)
    assert rows[0]["ap_per_annotator"] == [top_k_ap([0, 1, 1]), 0.0]
    assert metrics["mAP"] == pytest.approx(100 * top_k_ap([0, 1, 1]) / 2)


def test_a_subset_is_scored_alone_and_summarised_per_category(videos):
    val = {vid: videos[vid].gt_score for vid in TVSUM_VAL_VIDEOS.values()}
    metrics, rows = evaluate_tvsum(val, videos)
    assert metrics["num_videos"] == 10 and [r["video_id"] for r in rows] == list(val)
    assert list(metrics["mAP_by_category"]) == sorted(TVSUM_VAL_VIDEOS)
    assert metrics["mAP"] == pytest.approx(np.mean(list(metrics["mAP_by_category"].values())))


def test_extra_scores_are_ignored_and_missing_clips_rank_last(videos):
    video_id = TVSUM_VAL_VIDEOS["VT"]
    prediction = videos[video_id].gt_score
    base = evaluate_tvsum({video_id: prediction}, videos)[1][0]["ap"]
    longer = evaluate_tvsum({video_id: np.append(prediction, [99.0, 99.0])}, videos)[1][0]
    assert longer["ap"] == base and longer["num_pred_clips"] == len(prediction) + 2
    top5 = np.argsort(-prediction, kind="stable")[:5]
    truncated = np.full(top5.max() + 1, -1.0)
    truncated[top5] = prediction[top5]
    assert evaluate_tvsum({video_id: truncated}, videos)[1][0]["ap"] == base


# ----------------------------------------------------------------------------- errors


def test_bad_predictions_are_input_errors(videos):
    with pytest.raises(InputError, match=r"1 predicted video id\(s\) are not TVSum videos.*'nope'"):
        evaluate_tvsum({"nope": [1.0]}, videos)
    video_id = next(iter(videos))
    with pytest.raises(InputError, match=r"score \[1\] = nan"):
        evaluate_tvsum({video_id: [1.0, float("nan")]}, videos)
    with pytest.raises(InputError, match="non-empty"):
        evaluate_tvsum({video_id: []}, videos)
    with pytest.raises(InputError, match="no TVSum predictions"):
        evaluate_tvsum({}, videos)


def test_unreadable_mat_files_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_tvsum(tmp_path / "missing.mat")
    text = tmp_path / "fake.mat"
    text.write_text("MATLAB 5.0 MAT-file")
    with pytest.raises(InputError, match="not a MATLAB v7.3"):
        load_tvsum(text)
