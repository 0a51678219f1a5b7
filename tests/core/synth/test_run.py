"""A whole synthetic set: same seed -> same files and frames, resume, settings checks, decoded colours."""

from __future__ import annotations

import json

import numpy as np
import pytest

from timechat_core.errors import InputError
from timechat_core.synth.run import SynthConfig, finish, generate
from timechat_core.synth.scene import state_at

CONFIG = SynthConfig(seed=11, num_videos=3, duration_range=(8, 10), width=32, height=32, fps=4, split="val",
                     scenes_kind="full")
ANNOTATIONS = ("charades_sta/charades_sta_val.txt", "charades_sta/Charades_v1_val.csv",
               "youcook2/youcookii_annotations_trainval.json", "qvhighlights/highlight_val_release.jsonl",
               "sources.yaml", "synth.json", "blind_baselines.json")


def _make(folder, config=CONFIG, **kw):
    records = list(generate(folder, config, **kw))
    finish(folder, config)
    return sorted(records, key=lambda r: r["video"])


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    a, b = tmp_path_factory.mktemp("a"), tmp_path_factory.mktemp("b")
    return (a, _make(a, workers=2)), (b, _make(b))


def _frames(path):
    import av

    with av.open(str(path)) as c:
        return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])


def test_records(two_runs):
    (a, records), _ = two_runs
    assert [r["status"] for r in records] == ["ok"] * 3
    r = records[0]
    assert r["video"] == "synth-11-00000" and r["split"] == "val" and r["frames"] == r["duration"] * 4
    assert r["output"] == str(a / "videos" / "synth-11-00000.mp4") and r["input"].endswith("synth-11-00000.json")


def test_same_seed_same_bytes_and_frames(two_runs):
    (a, _), (b, _) = two_runs
    for rel in ANNOTATIONS:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    for v in sorted((a / "videos").iterdir()):
        assert np.array_equal(_frames(v), _frames(b / "videos" / v.name))
        assert v.read_bytes() == (b / "videos" / v.name).read_bytes()


def test_decoded_frames_show_the_scene(two_runs):
    (a, _), _ = two_runs
    scene = json.loads((a / "scenes" / "synth-11-00000.json").read_text())
    from timechat_core.synth.scene import make_scene

    s = make_scene(11, 0, (8, 10))
    assert scene == s.to_dict()
    frames = _frames(a / "videos" / "synth-11-00000.mp4")
    assert frames.shape == (s.duration * 4, 32, 32, 3)
    checked = 0
    for i, frame in enumerate(frames):
        bg, flash, shapes = state_at(s, i / 4, 32, 32)
        if flash:
            continue
        if not any(x <= r + 1 and y <= r + 1 for _, r, x, y, _ in shapes):  # the corner shows the background
            assert np.abs(frame[0, 0].astype(int) - bg).max() < 40, (i, bg, frame[0, 0])
        for shape, r, x, y, rgb in shapes:
            if shape != "triangle" and r >= 3:  # the centre pixel is inside, away from chroma edges
                assert np.abs(frame[y, x].astype(int) - rgb).max() < 40, (i, shape, rgb, frame[y, x])
                checked += 1
    assert checked > 10, [o.shape for o in s.objects]


def test_rerun_skips_and_other_settings_are_refused(two_runs, tmp_path):
    (a, _), _ = two_runs
    again = list(generate(a, CONFIG))
    assert {r["status"] for r in again} == {"skipped"}
    more = list(generate(tmp_path, SynthConfig(**{**CONFIG.__dict__, "num_videos": 1})))
    assert more[0]["status"] == "ok"
    with pytest.raises(InputError, match="seed 11 \\(now 12\\)"):
        list(generate(a, SynthConfig(**{**CONFIG.__dict__, "seed": 12})))
    with pytest.raises(InputError, match="scenes_kind 'full' \\(now 'static'\\)"):  # full sets record no kind
        list(generate(a, SynthConfig(**{**CONFIG.__dict__, "scenes_kind": "static"})))


def test_bad_settings_are_reported_together():
    with pytest.raises(InputError) as e:
        SynthConfig(width=33, fps=0, split="dev", duration_range=(5, 4), scenes_kind="hard")
    for part in ("size 33x128", "fps", "split", "duration range", "scenes must be one of full, static"):
        assert part in str(e.value)
