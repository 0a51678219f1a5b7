"""Shared fixtures: real data from tests/data (see its README), and small media files made with ffmpeg's lavfi sources."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"  # every file the tests read; provenance in tests/data/README.md


@pytest.fixture(scope="session")
def datadir() -> Path:
    return DATA


def _fail_skips_under_ci(report) -> None:
    """Under CI (CI=true) a skipped test or module fails: a missing chromium, java or espeak-ng must break CI, not hide."""
    if report.skipped and not hasattr(report, "wasxfail") and os.environ.get("CI", "").lower() in ("true", "1"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, which counts as a failure: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    _fail_skips_under_ci((yield).get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    _fail_skips_under_ci((yield).get_result())


@pytest.fixture(scope="session")
def jfk(datadir) -> Path:
    return datadir / "videos" / "jfk.mp4"


@pytest.fixture(scope="session")
def fixture_inputs(datadir) -> dict:
    """Inputs of the reference conformance fixture (produced by the reference code)."""
    return json.loads((datadir / "reference_tiny" / "inputs" / "inputs.json").read_text())


class Media:
    """Makes small test media once per session and hands out paths to them."""

    def __init__(self, root: Path):
        self.root = root

    def video(self, name: str = "clip.mp4", **kwargs) -> Path:
        from timechat_core.video.testsrc import make_test_video

        path = self.root / name
        if not path.exists():
            make_test_video(path, **kwargs)
        return path

    def audio(self, name: str = "tone.wav", **kwargs) -> Path:
        from timechat_core.video.testsrc import make_test_audio

        path = self.root / name
        if not path.exists():
            make_test_audio(path, **kwargs)
        return path


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> Media:
    return Media(tmp_path_factory.mktemp("media"))


class _ForkServer:
    """Client of tests/forkserver.py: each command runs in a fork of a process that imported torch once."""

    def __init__(self):
        requests_r, self._requests = os.pipe()
        self._replies, replies_w = os.pipe()
        self._log = tempfile.NamedTemporaryFile(prefix="timechat-forkserver-", suffix=".log")
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("forkserver.py")), str(requests_r), str(replies_w)],
            pass_fds=(requests_r, replies_w), stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
        )
        os.close(requests_r)
        os.close(replies_w)
        self._buffer = b""
        self._reply(timeout=300)  # {"ready": true} once the imports are done

    def _reply(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._replies], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(self._replies, 65536)
            if not chunk:
                log = Path(self._log.name).read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the CLI fork server exited (code {self.proc.wait()}): {log}")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def run(self, args: list[str], input: str | None, cwd, env, timeout: float) -> subprocess.CompletedProcess:
        with tempfile.TemporaryDirectory(prefix="timechat-cli-") as tmp:
            out, err, stdin = Path(tmp, "stdout"), Path(tmp, "stderr"), Path(tmp, "stdin")
            out.touch()
            err.touch()
            if input is not None:
                stdin.write_text(input)
            request = {"args": args, "cwd": str(cwd or os.getcwd()), "env": dict(os.environ if env is None else env),
                       "stdin": str(stdin) if input is not None else os.devnull, "stdout": str(out), "stderr": str(err),
                       "argv0": str(Path(sys.executable).with_name("timechat"))}  # as the console script
            os.write(self._requests, (json.dumps(request) + "\n").encode())
            pid = self._reply(timeout=60)["pid"]
            try:
                code = self._reply(timeout)["returncode"]
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)
                self._reply(timeout=60)
                raise subprocess.TimeoutExpired(args, timeout, out.read_text(), err.read_text()) from None
            return subprocess.CompletedProcess(["timechat", *args], code, out.read_text(), err.read_text())

    def close(self) -> None:
        os.close(self._requests)  # the server's loop ends at EOF
        self.proc.wait(timeout=60)
        os.close(self._replies)
        self._log.close()


_server: _ForkServer | None = None


def load_script(name: str):
    """scripts/{name}.py as a module (not registered in sys.modules)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parents[1] / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def synth_static(root: Path, n: int, seed: int, split: str = "train") -> Path:
    """`timechat synth --scenes static` of `n` 64 px videos into `root` (asserting it worked); returns `root`."""
    r = run_cli("synth", "-o", str(root), "-n", str(n), "--seed", str(seed), "--split", split, "--size", "64",
                "--scenes", "static")
    assert r.returncode == 0, r.stderr[-1500:]
    return root


def run_cli(*args: str, input: str | None = None, cwd=None, env=None, timeout: float = 600,
            fresh: bool = False) -> subprocess.CompletedProcess:
    """Run `timechat ARGS` as its own process (the real exit-code mapping of main()).

    The process is a fork of tests/forkserver.py, which has imported torch and transformers once
    for the whole session; `fresh=True` (or TIMECHAT_TEST_FRESH=1) starts the console script instead.
    """
    global _server
    if fresh or os.environ.get("TIMECHAT_TEST_FRESH") == "1" or not hasattr(os, "fork"):
        return subprocess.run([str(Path(sys.executable).with_name("timechat")), *args], input=input,
                              capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)
    if _server is None:
        _server = _ForkServer()
        atexit.register(_server.close)
    return _server.run(list(args), input, cwd, env, timeout)


def ui_url(proc: subprocess.Popen, timeout: float = 90.0) -> str:
    """The address a `timechat ui` process (stderr a text pipe) says it serves on, once it says so."""
    import re

    deadline, seen = time.monotonic() + timeout, ""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], 0.5)
        if ready:
            line = proc.stderr.readline()
            seen += line
            match = re.search(r"timechat ui on (http://127\.0\.0\.1:\d+)/", line)
            if match:
                return match.group(1)
        if proc.poll() is not None:
            break
    raise AssertionError(f"the server did not start:\n{seen}{proc.stderr.read() if proc.poll() is not None else ''}")


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@contextlib.contextmanager
def one_thread():
    """torch on 1 thread (as the conformance fixture was made), the previous count restored after."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
