"""`timechat compress` end to end: sizes, bad inputs, resume, SIGKILL and rerun."""

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import jsonl, run_cli
from timechat_core.video.compress import expected_size
from timechat_core.video.probe import probe


def _check_output(path: Path, fps: float, size: tuple[int, int]):
    info = probe(path)
    assert info.audio is None and info.video.codec == "h264"
    assert info.video.fps == fps
    assert (info.video.width, info.video.height) == size
    return info


@pytest.mark.parametrize(
    "w,h,mode,expected",
    [
        (640, 360, "short-side", (398, 224)),
        (360, 640, "short-side", (224, 398)),
        (321, 241, "short-side", (298, 224)),
        (640, 360, "reference", (398, 224)),
        (360, 640, "reference", (224, 126)),  # the reference's portrait behaviour (docs/data-pipeline.md §1)
        (320, 320, "reference", (224, 224)),
    ],
)
def test_output_size_and_fps(tmp_path, media, w, h, mode, expected):
    src = media.video(f"v{w}x{h}.mp4", width=w, height=h, fps=30, duration=2,
                      pix_fmt="yuv444p" if w % 2 or h % 2 else "yuv420p")
    assert expected_size(mode, 224, w, h) == expected
    r = run_cli("compress", str(src), "-o", str(tmp_path / "out"), "--resize-mode", mode, "--preset", "ultrafast")
    assert r.returncode == 0, r.stderr
    (record,) = jsonl(r.stdout)
    assert record["status"] == "ok" and (record["width"], record["height"]) == expected
    info = _check_output(tmp_path / "out" / src.name, 6.0, expected)
    assert abs(info.video.duration - 2.0) < 0.5


def test_bad_inputs_each_get_a_record_and_the_batch_continues(tmp_path, media, jfk):
    src = tmp_path / "in"
    src.mkdir()
    (src / "zero.mp4").write_bytes(b"")
    (src / "notes.mp4").write_text("this is text\n")
    good = media.video("small.mp4", width=160, height=120, duration=1)
    (src / "truncated.mp4").write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    shutil.copy(media.audio("tone.m4a"), src / "audio_only.mp4")
    shutil.copy(media.video("one.mp4", width=160, height=120, frames=1, audio=False), src / "one_frame.mp4")
    weird = src / "sp ace 'q' \"dq\" été 日本.mp4"
    shutil.copy(good, weird)
    shutil.copy(jfk, src / "jfk.mp4")
    missing = tmp_path / "does not exist.mp4"
    out = tmp_path / "out"

    r = run_cli("compress", str(src), str(missing), "-o", str(out), "--size", "64", "--workers", "2")
    assert r.returncode == 1
    records = {Path(rec["input"]).name: rec for rec in jsonl(r.stdout)}
    assert set(records) == {"zero.mp4", "notes.mp4", "truncated.mp4", "audio_only.mp4", "one_frame.mp4",
                            weird.name, "jfk.mp4", missing.name}
    expected_errors = {
        "zero.mp4": "empty file (0 bytes)",
        "notes.mp4": "not a media file",
        "truncated.mp4": "corrupt or truncated",
        "audio_only.mp4": "no video stream (audio-only file)",
        missing.name: "no such file",
    }
    for name, reason in expected_errors.items():
        assert records[name]["status"] == "failed" and reason in records[name]["error"], records[name]
        assert records[name]["output"] is None and not (out / name).exists()
        # one line on stderr naming the file
        (line,) = [ln for ln in r.stderr.splitlines() if name in ln]
        assert line.startswith("failed ") and reason in line
    for name in ("one_frame.mp4", weird.name, "jfk.mp4"):
        assert records[name]["status"] == "ok", records[name]
    _check_output(out / weird.name, 6.0, (86, 64))
    assert probe(out / "one_frame.mp4").video.frames == 1
    assert _check_output(out / "jfk.mp4", 6.0, (114, 64)).video.frames >= 66
    assert not [p for p in out.rglob(".*")], "temporary files were left behind"
    assert "failed" in r.stderr and "ok" in r.stderr  # the summary table


def test_truncated_file_with_index_up_front_is_caught(tmp_path, media):
    """moov first (faststart), media data cut: ffmpeg encodes what it can; we refuse the short result."""
    import ffmpeg

    from timechat_core.video import ffmpeg as ff

    whole = tmp_path / "whole.mp4"
    src = media.video("clip4s.mp4", width=320, height=240, duration=4)
    ff.run(ffmpeg.input(str(src)).output(str(whole), c="copy", movflags="+faststart").overwrite_output(), path=src)
    cut = tmp_path / "in" / "cut.mp4"
    cut.parent.mkdir()
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    r = run_cli("compress", str(cut), "-o", str(tmp_path / "out"))
    assert r.returncode == 1
    (record,) = jsonl(r.stdout)
    assert "truncated or corrupt input" in record["error"]
    assert not (tmp_path / "out" / "cut.mp4").exists()


def test_unwritable_output_folder(tmp_path, media):
    blocker = tmp_path / "out"
    blocker.write_text("a file, not a folder")
    r = run_cli("compress", str(media.video("small.mp4", width=160, height=120, duration=1)), "-o", str(blocker))
    assert r.returncode == 1
    (record,) = jsonl(r.stdout)
    assert record["status"] == "failed" and str(blocker) in record["error"]


def test_list_stdin_and_rerun_skips(tmp_path, media):
    root = tmp_path / "raw"
    (root / "d").mkdir(parents=True)
    for name in ("a.mp4", "d/b.webm"):
        shutil.copy(media.video("small.mp4", width=160, height=120, duration=1), root / name)
    listing = tmp_path / "files.txt"
    listing.write_text("a.mp4\nd/b.webm\n")
    out = tmp_path / "out"
    r = run_cli("compress", f"@{listing}", "--root", str(root), "-o", str(out), "--size", "64")
    assert r.returncode == 0, r.stderr
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.mp4")) == ["a.mp4", "d/b.mp4"]  # webm -> mp4
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.mp4")}
    r2 = run_cli("compress", "-", "--root", str(root), "-o", str(out), "--size", "64", input=listing.read_text())
    assert r2.returncode == 0 and [x["status"] for x in jsonl(r2.stdout)] == ["skipped", "skipped"]
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.mp4")} == mtimes
    # other settings: the old outputs do not count as done
    r3 = run_cli("compress", f"@{listing}", "--root", str(root), "-o", str(out), "--size", "32")
    assert [x["status"] for x in jsonl(r3.stdout)] == ["ok", "ok"]


def test_bad_usage_exits_2(tmp_path):
    r = run_cli("compress", "x.mp4", "-o", str(tmp_path), "--size", "225")
    assert r.returncode == 2 and "--size" in r.stderr and "even" in r.stderr
    r = run_cli("compress", "@" + str(tmp_path / "nolist.txt"), "-o", str(tmp_path))
    assert r.returncode == 2 and "nolist.txt" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_image_mode_reproduces_the_reference_resize(tmp_path):
    from PIL import Image

    src = tmp_path / "imgs"
    src.mkdir()
    Image.new("RGB", (640, 360), (200, 10, 10)).save(src / "wide.jpg")
    Image.new("RGB", (300, 500), (10, 200, 10)).save(src / "tall.png")
    r = run_cli("compress", str(src), "-o", str(tmp_path / "out"), "--file-type", "image")
    assert r.returncode == 0, r.stderr
    # reference: w > h -> (int(w/h * 224), 224), else (224, int(224 / (w/h)))
    assert Image.open(tmp_path / "out" / "wide.jpg").size == (398, 224)
    assert Image.open(tmp_path / "out" / "tall.png").size == (224, 373)


@pytest.mark.slow
def test_sigkill_then_rerun_finishes_without_redoing(tmp_path, media):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(6):
        shutil.copy(media.video(f"k{i}.mp4", width=640, height=360, duration=3), src / f"k{i}.mp4")
    out = tmp_path / "out"
    args = [sys.executable, "-m", "timechat_cli", "compress", str(src), "-o", str(out), "--workers", "1",
            "--threads", "1"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not list(out.glob("k*.mp4")):
        time.sleep(0.02)
    time.sleep(0.1)  # let the next item start writing its temporary file
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    finished = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.glob("k*.mp4")}
    assert 1 <= len(finished) < 6, "the batch must be killed mid-way"
    for name in finished:  # finished before the kill: complete files
        _check_output(out / name, 6.0, (398, 224))

    r = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    statuses = {Path(x["input"]).name: x["status"] for x in jsonl(r.stdout)}
    assert all(statuses[n] == "skipped" for n in finished)
    assert sum(s == "ok" for s in statuses.values()) == 6 - len(finished)
    for i in range(6):
        p = out / f"k{i}.mp4"
        info = _check_output(p, 6.0, (398, 224))
        assert info.video.frames >= 18
    assert {n: (p.stat().st_ino, p.stat().st_mtime_ns) for n, p in ((n, out / n) for n in finished)} == finished
    assert not list(out.glob(".*")), "temporary files of the killed run must be gone"


def test_matroska_keeps_its_container_and_reruns_skip(tmp_path, media):
    """An .mkv is written as .mkv; Matroska stores no stream duration or frame count, so the output is checked
    (and a rerun recognised) by the container's duration."""
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(media.video("mkv_in.mkv", width=160, height=120, duration=3), src / "clip.mkv")
    r = run_cli("compress", str(src), "-o", str(tmp_path / "out"), "--resize-mode", "reference")
    assert r.returncode == 0, r.stderr[-1500:]
    (rec,) = jsonl(r.stdout)
    assert rec["status"] == "ok" and rec["output"].endswith("clip.mkv") and (rec["width"], rec["height"]) == (298, 224)
    assert rec["duration"] >= 2.9
    again = run_cli("compress", str(src), "-o", str(tmp_path / "out"), "--resize-mode", "reference")
    assert [x["status"] for x in jsonl(again.stdout)] == ["skipped"]
