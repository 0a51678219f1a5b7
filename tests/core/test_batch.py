"""Input expansion, atomic outputs, resume and per-item failures of the shared batch runner."""

import io
import threading
from pathlib import Path

import pytest

from timechat_core.batch import VIDEO_EXTS, expand_inputs, remove_stale_temps, run_batch, temp_path
from timechat_core.errors import InputError, MediaError


def _touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_folders_recurse_by_extension_and_mirror_layout(tmp_path):
    root = tmp_path / "raw"
    _touch(root / "a.mp4")
    _touch(root / "sub" / "b.MKV")
    _touch(root / "sub" / "notes.txt")
    _touch(root / ".hidden" / "c.mp4")
    _touch(root / "sub" / ".d.part-1-2.mp4")
    items = expand_inputs([str(root)], VIDEO_EXTS)
    assert [(i.input.name, str(i.rel)) for i in items] == [("a.mp4", "a.mp4"), ("b.MKV", "sub/b.MKV")]


def test_list_file_and_stdin_resolve_against_root(tmp_path):
    root = tmp_path / "videos"
    _touch(root / "x" / "one.mp4")
    _touch(root / "two.mp4")
    listing = tmp_path / "list.txt"
    listing.write_text("# a comment\nx/one.mp4\n\n  two.mp4  \nmissing.mp4\n")
    items = expand_inputs([f"@{listing}"], VIDEO_EXTS, root=root)
    assert [str(i.rel) for i in items] == ["x/one.mp4", "two.mp4", "missing.mp4"]
    assert [i.error for i in items] == [None, None, "no such file or folder"]
    same = expand_inputs(["-"], VIDEO_EXTS, root=root, stdin=io.StringIO(listing.read_text()))
    assert same == items


def test_duplicates_are_dropped_and_missing_list_is_bad_usage(tmp_path):
    f = _touch(tmp_path / "a.mp4")
    assert len(expand_inputs([str(f), str(tmp_path), str(f)], VIDEO_EXTS)) == 1
    with pytest.raises(InputError, match="nolist.txt"):
        expand_inputs(["@" + str(tmp_path / "nolist.txt")], VIDEO_EXTS)
    with pytest.raises(InputError):
        expand_inputs([], VIDEO_EXTS)


def _copy_step(src: Path, dst: Path) -> dict:
    data = src.read_bytes()
    if data.startswith(b"bad"):
        dst.write_bytes(b"partial")  # a half-written output that must not survive
        raise MediaError(src, "bad content")
    dst.write_bytes(data.upper())
    return {"bytes": len(data)}


@pytest.mark.parametrize("workers", [1, 3])
def test_failures_leave_nothing_and_the_batch_continues(tmp_path, workers):
    src = tmp_path / "in"
    for i in range(6):
        _touch(src / f"{i}.mp4", b"bad" if i % 2 else b"good")
    out = tmp_path / "out"
    records = list(run_batch(expand_inputs([str(src)], VIDEO_EXTS), out, _copy_step, workers=workers))
    by_name = {Path(r["input"]).name: r for r in records}
    assert len(records) == 6
    for i in range(6):
        r = by_name[f"{i}.mp4"]
        if i % 2:
            assert (r["status"], r["error"], r["output"]) == ("failed", "bad content", None)
            assert not (out / f"{i}.mp4").exists()
        else:
            assert r["status"] == "ok" and (out / f"{i}.mp4").read_bytes() == b"GOOD"
    assert sorted(p.name for p in out.iterdir()) == ["0.mp4", "2.mp4", "4.mp4"]  # no temp files


def test_rerun_skips_done_redoes_damaged_and_removes_stale_temps(tmp_path):
    src = tmp_path / "in"
    for name in ("a.mp4", "b.mp4"):
        _touch(src / name, b"good")
    out = tmp_path / "out"
    list(run_batch(expand_inputs([str(src)], VIDEO_EXTS), out, _copy_step))
    stale = _touch(out / ".a.part-999-1.mp4", b"half")  # left by a killed run
    (out / "b.mp4").write_bytes(b"damaged")
    mtime_a = (out / "a.mp4").stat().st_mtime_ns
    records = list(run_batch(expand_inputs([str(src)], VIDEO_EXTS), out, _copy_step,
                             is_done=lambda p: p.read_bytes() == b"GOOD"))
    assert [r["status"] for r in records] == ["skipped", "ok"]
    assert (out / "a.mp4").stat().st_mtime_ns == mtime_a
    assert (out / "b.mp4").read_bytes() == b"GOOD"
    assert not stale.exists()


def test_overwrite_redoes_everything(tmp_path):
    f = _touch(tmp_path / "in" / "a.mp4", b"good")
    out = tmp_path / "out"
    list(run_batch(expand_inputs([str(f)], VIDEO_EXTS), out, _copy_step))
    again = list(run_batch(expand_inputs([str(f)], VIDEO_EXTS), out, _copy_step, overwrite=True))
    assert again[0]["status"] == "ok"


def test_collisions_and_overwriting_the_input_are_refused(tmp_path):
    a = _touch(tmp_path / "a" / "x.mp4", b"good")
    b = _touch(tmp_path / "b" / "x.mp4", b"good")
    records = list(run_batch(expand_inputs([str(a), str(b)], VIDEO_EXTS), tmp_path / "out", _copy_step))
    assert [r["status"] for r in records] == ["ok", "failed"]
    assert "also the output of" in records[1]["error"] and str(a) in records[1]["error"]
    same = list(run_batch(expand_inputs([str(a)], VIDEO_EXTS), tmp_path / "a", _copy_step))
    assert same[0]["status"] == "failed" and "overwrite the input" in same[0]["error"]
    assert a.read_bytes() == b"good"


def test_unwritable_output_folder_fails_each_item_with_its_path(tmp_path):
    f = _touch(tmp_path / "in" / "a.mp4", b"good")
    blocker = _touch(tmp_path / "out", b"a file where the output folder should be")
    records = list(run_batch(expand_inputs([str(f)], VIDEO_EXTS), blocker, _copy_step))
    assert records[0]["status"] == "failed"
    assert f"cannot create output folder {blocker}" in records[0]["error"]


def test_an_unexpected_exception_fails_only_its_item(tmp_path):
    src = tmp_path / "in"
    _touch(src / "a.mp4", b"good")
    _touch(src / "b.mp4", b"boom")

    def step(s, d):
        if s.read_bytes() == b"boom":
            raise ZeroDivisionError("bug")
        return _copy_step(s, d)

    records = list(run_batch(expand_inputs([str(src)], VIDEO_EXTS), tmp_path / "out", step))
    assert [r["status"] for r in records] == ["ok", "failed"]
    assert records[1]["error"] == "internal error: ZeroDivisionError: bug"


def test_temp_names_are_hidden_unique_and_keep_the_suffix(tmp_path):
    final = tmp_path / "v.mp4"
    t = temp_path(final)
    assert t.name.startswith(".v.part-") and t.suffix == ".mp4" and t.parent == tmp_path
    other = []
    th = threading.Thread(target=lambda: other.append(temp_path(final)))
    th.start()
    th.join()
    assert other[0] != t
    _touch(t)
    _touch(tmp_path / ".vv.part-1-1.mp4")  # another output's temp file stays
    remove_stale_temps(final)
    assert not t.exists() and (tmp_path / ".vv.part-1-1.mp4").exists()
