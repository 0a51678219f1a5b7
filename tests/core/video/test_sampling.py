"""Frame sampling rules against the reference fixture and the reference's own expressions."""

import random

import numpy as np
import pytest

from timechat_core.video.sampling import frame_texts, frame_timestamps, sample_indices, timestamp_message


def test_uniform_indices_timestamps_and_message_equal_the_reference_fixture(fixture_inputs):
    for video in fixture_inputs["videos"]:
        indices = sample_indices(video["vlen"], video["n_frms"], "uniform")
        assert indices == video["frame_indices"]
        assert frame_timestamps(indices, video["fps"]) == video["timestamps_sec"]
        msg = timestamp_message(indices, video["fps"])
        assert msg == video["msg"]
        assert frame_texts(msg) == video["timestamp_strings"]


@pytest.mark.parametrize("vlen", [1, 2, 5, 95, 96, 97, 122, 191, 192, 600, 2995, 10007])
@pytest.mark.parametrize("n", [1, 8, 96])
def test_uniform_is_the_reference_expression(vlen, n):
    k = min(n, vlen)
    assert sample_indices(vlen, n, "uniform") == np.arange(0, vlen, vlen / k).astype(int).tolist()


def test_uniform_uses_all_frames_of_a_short_video():
    assert sample_indices(5, 96, "uniform") == [0, 1, 2, 3, 4]
    assert sample_indices(1, 96, "uniform") == [0]


def _reference_rand(vlen, n, seed):
    """The reference `rand` branch, run on the global RNGs seeded as the docs of sample_indices say."""
    random.seed(seed)
    np.random.seed(seed)
    n = min(n, vlen)
    intervals = np.linspace(start=0, stop=vlen, num=n + 1).astype(int)
    ranges = [(intervals[i], intervals[i + 1] - 1) for i in range(n)]
    try:
        return [random.choice(range(a, b)) for a, b in ranges]
    except IndexError:
        idx = np.random.permutation(vlen)[:n]
        idx.sort()
        return list(idx)


@pytest.mark.parametrize("vlen", [1, 7, 50, 191, 192, 193, 600, 2995])
@pytest.mark.parametrize("seed", [0, 42, 1234])
def test_rand_matches_the_reference_draws_and_fallback(vlen, seed):
    ours = sample_indices(vlen, 96, "rand", seed=seed)
    ref = _reference_rand(vlen, 96, seed)
    assert [int(i) for i in ours] == [int(i) for i in ref]
    assert frame_timestamps(ours, 29.97) == [float(round(i / 29.97, 1)) for i in ref]
    assert sorted(ours) == list(ours)


def test_rand_never_draws_the_last_frame_of_an_interval():
    vlen, n = 960, 96  # intervals of 10 frames: draws must lie in [10k, 10k + 8]
    for seed in range(20):
        for k, idx in enumerate(sample_indices(vlen, n, "rand", seed=seed)):
            assert 10 * k <= idx <= 10 * k + 8


def test_rand_falls_back_below_two_frames_per_interval():
    # vlen < 2n: some interval has a single frame, so range(a, b - 1) is empty.
    indices = sample_indices(150, 96, "rand", seed=3)
    assert len(indices) == 96 and len(set(int(i) for i in indices)) == 96
    assert all(isinstance(i, np.integer) for i in indices)  # numpy ints, as in the reference


def test_fallback_timestamps_use_numpy_rounding_like_the_reference():
    # round() of a numpy float rounds the scaled decimal, Python's rounds the binary value.
    idx = [np.int64(23)]
    assert frame_timestamps(idx, 20.0) == [float(round(np.int64(23) / 20.0, 1))] == [1.2]
    assert frame_timestamps([23], 20.0) == [round(23 / 20.0, 1)] == [1.1]


def test_rand_is_reproducible_per_seed():
    a = sample_indices(3000, 96, "rand", seed=7)
    assert a == sample_indices(3000, 96, "rand", seed=7)
    assert a != sample_indices(3000, 96, "rand", seed=8)


@pytest.mark.parametrize("bad", [dict(vlen=0, num_frames=4), dict(vlen=10, num_frames=0)])
def test_rejects_empty_requests(bad):
    with pytest.raises(ValueError):
        sample_indices(**bad)


def test_unknown_strategy_is_named():
    with pytest.raises(ValueError, match="headtail"):
        sample_indices(10, 4, "headtail")
