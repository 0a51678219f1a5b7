"""ffmpeg lookup order and safe invocation."""

import os
import stat

import pytest

from timechat_core.errors import MediaError, TimechatError
from timechat_core.video import ffmpeg as ff


@pytest.fixture
def clean_lookup(monkeypatch):
    ff._find_ffmpeg.cache_clear()
    monkeypatch.delenv(ff.ENV_VAR, raising=False)
    yield monkeypatch
    ff._find_ffmpeg.cache_clear()


def _imageio_binary():
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def test_env_var_wins(clean_lookup, tmp_path):
    exe = tmp_path / "my-ffmpeg"
    exe.symlink_to(_imageio_binary())
    clean_lookup.setenv(ff.ENV_VAR, str(exe))
    clean_lookup.setenv("PATH", str(tmp_path))
    assert ff.ffmpeg_binary() == str(exe)


def test_env_var_that_is_not_executable_is_an_error(clean_lookup, tmp_path):
    clean_lookup.setenv(ff.ENV_VAR, str(tmp_path / "nope"))
    with pytest.raises(TimechatError, match="TIMECHAT_FFMPEG"):
        ff.ffmpeg_binary()


def test_path_before_imageio(clean_lookup, tmp_path):
    on_path = tmp_path / "ffmpeg"
    on_path.write_text("#!/bin/sh\nexit 0\n")
    on_path.chmod(on_path.stat().st_mode | stat.S_IXUSR)
    clean_lookup.setenv("PATH", str(tmp_path))
    assert ff.ffmpeg_binary() == str(on_path)


def test_imageio_binary_when_nothing_else(clean_lookup, tmp_path):
    clean_lookup.setenv("PATH", str(tmp_path))  # an empty folder: no ffmpeg on PATH
    assert ff.ffmpeg_binary() == _imageio_binary()


def test_failure_is_one_line_with_ffmpeg_reason(tmp_path):
    import ffmpeg

    bad = tmp_path / "in.mp4"
    bad.write_text("garbage")
    with pytest.raises(MediaError) as e:
        ff.run(ffmpeg.input(str(bad)).output(str(tmp_path / "out.mp4")), path=bad)
    assert str(bad) in str(e.value) and "ffmpeg failed" in str(e.value)
    assert "\n" not in str(e.value)


def test_no_shell_even_for_hostile_names(tmp_path, media):
    """A file name full of shell syntax is just a name: processed, and nothing else runs."""
    from timechat_core.video.compress import compress_video

    name = "a $(touch PWNED) `touch PWNED2`; rm -rf x 'q' \"dq\" ü.mp4"
    src = tmp_path / name
    src.write_bytes(media.video("small.mp4", width=160, height=120, duration=1).read_bytes())
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        out = compress_video(src, tmp_path / "out.mp4", size=64)
    finally:
        os.chdir(cwd)
    assert out["height"] == 64
    assert not (tmp_path / "PWNED").exists() and not (tmp_path / "PWNED2").exists()
