"""Locate the ffmpeg binary and run ffmpeg commands built with ffmpeg-python.

Lookup order: `$TIMECHAT_FFMPEG`, `ffmpeg` on `PATH`, then the static binary shipped by the
`imageio-ffmpeg` wheel, so nothing needs root or a system package. Commands are argument
lists (never a shell), run with `-nostdin`; a non-zero exit becomes a one-line `MediaError`
carrying the last line ffmpeg printed.
"""

from __future__ import annotations

import ctypes
import functools
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from timechat_core.errors import MediaError, TimechatError

ENV_VAR = "TIMECHAT_FFMPEG"


@functools.lru_cache(maxsize=None)
def _find_ffmpeg(env_value: str | None, path_value: str | None) -> str:
    if env_value:
        p = Path(env_value).expanduser()
        if not (p.is_file() and os.access(p, os.X_OK)):
            raise TimechatError(f"{ENV_VAR}={env_value} is not an executable file")
        return str(p)
    found = shutil.which("ffmpeg", path=path_value)
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError:  # pragma: no cover - a core dependency
        imageio_ffmpeg = None
    if imageio_ffmpeg is not None:
        try:
            return imageio_ffmpeg.get_ffmpeg_exe()
        except RuntimeError:
            pass
    raise TimechatError(
        f"ffmpeg not found: set {ENV_VAR}, put ffmpeg on PATH, or `pip install imageio-ffmpeg`"
    )


def ffmpeg_binary() -> str:
    """Path of the ffmpeg executable to use (see the module docstring for the order)."""
    return _find_ffmpeg(os.environ.get(ENV_VAR) or None, os.environ.get("PATH"))


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    # Linux: ffmpeg gets SIGKILL when the thread that started it dies, so a killed batch
    # leaves no orphan writing into a temporary file that a rerun is about to replace.
    _PRCTL(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


try:
    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None
except (OSError, AttributeError):  # pragma: no cover
    _PRCTL = None
DIE_WITH_PARENT = _die_with_parent if _PRCTL is not None else None
"""`preexec_fn` for an ffmpeg child process: it is killed when its parent dies (Linux; None elsewhere)."""


def run(stream, *, path, timeout: float | None = None, capture_stdout: bool = False) -> bytes:
    """Run an ffmpeg-python stream graph with the resolved binary.

    Args:
        stream: an `ffmpeg.nodes.OutputStream` (anything `ffmpeg.compile` accepts).
        path: the file the command is about, named in errors.
        timeout: seconds before the process is killed.
        capture_stdout: return stdout (e.g. raw frames) instead of discarding it.

    Returns:
        stdout bytes when `capture_stdout`, else b"".

    Raises:
        MediaError: ffmpeg exited non-zero or timed out; the message is ffmpeg's last error line.
    """
    import ffmpeg as ffmpeg_python

    args = ffmpeg_python.compile(stream, cmd=ffmpeg_binary())
    # -nostdin first: ffmpeg must never read the terminal or a pipe it was not given.
    args = [args[0], "-nostdin", "-hide_banner", "-loglevel", "error", *args[1:]]
    try:
        proc = subprocess.run(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture_stdout else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout,
            preexec_fn=DIE_WITH_PARENT,
        )
    except subprocess.TimeoutExpired:
        raise MediaError(path, f"ffmpeg timed out after {timeout:g} s") from None
    if proc.returncode != 0:
        raise MediaError(path, f"ffmpeg failed: {last_error_line(proc.stderr)}")
    return proc.stdout if capture_stdout else b""


def last_error_line(stderr: bytes) -> str:
    """The most informative single line of ffmpeg's stderr (its last non-empty line)."""
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[-1] if lines else "no error message"
