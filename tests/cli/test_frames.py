"""`timechat frames`: what the model sees, as JSON, and as images."""

import json

from tests.conftest import run_cli
from timechat_core.video.frames import load_frames


def test_prints_the_sampling_as_one_json_object(jfk):
    r = run_cli("frames", str(jfk), "--num-frames", "8", "--size", "32", "--backend", "pyav")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    ref = load_frames(jfk, 8, 32, backend="pyav")
    assert out["indices"] == ref.indices == [0, 41, 82, 123, 165, 206, 247, 288]
    assert out["timestamps"] == [0.0, 1.4, 2.7, 4.1, 5.5, 6.9, 8.2, 9.6]
    assert out["message"] == "The video contains 8 frames sampled at 0.0, 1.4, 2.7, 4.1, 5.5, 6.9, 8.2, 9.6 seconds. "
    assert (out["fps"], out["vlen"], out["num_frames"]) == (30.0, 330, 8)


def test_save_and_rand(tmp_path, jfk):
    r = run_cli("frames", str(jfk), "-n", "4", "--strategy", "rand", "--seed", "5", "--save", str(tmp_path / "f"))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert len(out["saved"]) == 4 and all((tmp_path / "f").joinpath(p.split("/")[-1]).exists() for p in out["saved"])
    again = json.loads(run_cli("frames", str(jfk), "-n", "4", "--strategy", "rand", "--seed", "5").stdout)
    assert again["indices"] == out["indices"]


def test_errors(tmp_path):
    r = run_cli("frames", str(tmp_path / "missing.mp4"))
    assert r.returncode == 2 and "missing.mp4" in r.stderr
    bad = tmp_path / "bad.mp4"
    bad.write_text("text")
    r = run_cli("frames", str(bad))
    assert r.returncode == 1
    assert r.stderr.strip() == f"error: {bad}: not a media file, or corrupt or truncated (invalid data)"
    assert r.stdout == ""
