"""`timechat extract-audio`: WAV for Whisper, the reference's mp3, and videos without audio."""

import shutil
import wave
from pathlib import Path

from tests.conftest import jsonl, run_cli
from timechat_core.video.probe import probe


def test_jfk_to_16k_mono_wav_and_mp3(tmp_path, jfk):
    r = run_cli("extract-audio", str(jfk), "-o", str(tmp_path / "wav"), "--root", str(jfk.parent))
    assert r.returncode == 0, r.stderr
    (rec,) = jsonl(r.stdout)
    assert (rec["status"], rec["sample_rate"], rec["channels"]) == ("ok", 16000, 1)
    with wave.open(str(tmp_path / "wav" / "jfk.wav")) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        assert abs(w.getnframes() / 16000 - 11.0) < 0.1
        samples = w.readframes(w.getnframes())
    assert max(samples[1::2]) > 16  # real speech, not silence (high bytes of s16le)

    r = run_cli("extract-audio", str(jfk), "-o", str(tmp_path / "mp3"), "--root", str(jfk.parent), "--format", "mp3")
    assert r.returncode == 0, r.stderr
    info = probe(tmp_path / "mp3" / "jfk.mp3")
    assert info.audio.codec.startswith("mp3") and info.audio.sample_rate == 16000 and info.video is None
    assert abs(info.duration - 11.0) < 0.2


def test_no_audio_is_a_status_and_audio_files_are_inputs(tmp_path, media):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(media.video("silent.mp4", width=160, height=120, duration=1, audio=False), src / "silent.mp4")
    shutil.copy(media.audio("tone44.m4a", sample_rate=44100), src / "tone.m4a")
    (src / "zero.mp4").write_bytes(b"")
    r = run_cli("extract-audio", str(src), "-o", str(tmp_path / "out"), "--sample-rate", "8000")
    assert r.returncode == 1  # zero.mp4 failed
    recs = {Path(x["input"]).name: x for x in jsonl(r.stdout)}
    assert recs["silent.mp4"]["status"] == "no-audio" and recs["silent.mp4"]["output"] is None
    assert recs["tone.m4a"]["status"] == "ok" and recs["tone.m4a"]["sample_rate"] == 8000
    assert recs["zero.mp4"]["status"] == "failed" and recs["zero.mp4"]["error"] == "empty file (0 bytes)"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["tone.wav"]

    r = run_cli("extract-audio", str(src / "silent.mp4"), "-o", str(tmp_path / "out2"))
    assert r.returncode == 0  # no audio is not a failure


def test_rerun_skips(tmp_path, jfk):
    out = tmp_path / "out"
    assert run_cli("extract-audio", str(jfk), "-o", str(out), "--root", str(jfk.parent)).returncode == 0
    mtime = (out / "jfk.wav").stat().st_mtime_ns
    r = run_cli("extract-audio", str(jfk), "-o", str(out), "--root", str(jfk.parent))
    assert [x["status"] for x in jsonl(r.stdout)] == ["skipped"]
    assert (out / "jfk.wav").stat().st_mtime_ns == mtime
