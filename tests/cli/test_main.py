"""The entry point: fast help and version, lazy heavy imports, exit codes."""

import os
import subprocess
import sys

import pytest

from tests.conftest import run_cli
from timechat_core import __version__


def test_version_and_help():
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"timechat {__version__}"
    r = run_cli("--help")
    assert r.returncode == 0
    for command in ("compress", "extract-audio", "frames"):
        assert command in r.stdout


def test_help_imports_no_heavy_module():
    """`timechat --help` stays instant: torch, numpy, PyAV, decord, transformers are imported lazily."""
    code = (
        "import sys; from typer.testing import CliRunner; from timechat_cli.main import app;"
        "r = CliRunner().invoke(app, ['compress', '--help']); assert r.exit_code == 0, r.output;"
        "heavy = [m for m in ('torch', 'numpy', 'av', 'decord', 'transformers', 'peft', 'ffmpeg', 'PIL')"
        " if m in sys.modules]; print(','.join(heavy))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ""


def test_unknown_option_is_usage_error():
    r = run_cli("compress", "--no-such-flag")
    assert r.returncode == 2


def test_forked_commands_behave_like_fresh_processes(tmp_path):
    """The CLI tests' fork server (tests/forkserver.py) must not change what a command does."""
    import os

    (tmp_path / "answers.txt").write_text("The event happens from 1:23 to 1:45.\n")
    (tmp_path / "pred.jsonl").write_text('{"video": "v0.mp4", "text": \n')
    (tmp_path / "gt.json").write_text('{"annotations": []}')
    env = {**os.environ, "TIMECHAT_DEBUG": "1"}
    calls = [
        (("--help",), {}),
        (("parse", "--task", "tvg"), {"input": "It happens from 3 to 7.5 seconds.\n"}),  # stdin
        (("parse", "answers.txt", "--task", "tvg"), {"cwd": tmp_path}),  # relative to its cwd
        (("eval", "--task", "tvg", "--pred", "gone.jsonl", "--gt", "gt.json"), {"cwd": tmp_path}),  # usage: exit 2
        (("eval", "--task", "tvg", "--pred", "pred.jsonl", "--gt", "gt.json"), {"cwd": tmp_path}),  # input: exit 2
        (("eval", "--task", "tvg", "--pred", "pred.jsonl", "--gt", "gt.json"), {"cwd": tmp_path, "env": env}),
    ]
    for args, kwargs in calls:
        fresh, forked = run_cli(*args, fresh=True, **kwargs), run_cli(*args, **kwargs)
        assert (forked.returncode, forked.stdout) == (fresh.returncode, fresh.stdout), args
        if "env" in kwargs:  # TIMECHAT_DEBUG=1: the traceback first, the same one-line error and exit code 2
            assert forked.returncode == 2 and forked.stderr.splitlines()[-1] == fresh.stderr.splitlines()[-1]
            assert "Traceback" in forked.stderr
        else:
            assert forked.stderr == fresh.stderr, args
    assert '"windows": [[3.0, 7.5]]' in run_cli("parse", "--task", "tvg", input="From 3 to 7.5 seconds.\n").stdout


# A command whose core step fails with an exception of the given type: the real main(), argument parsing and
# command; only `timechat_core.synth.run.generate` is replaced, as a bug in it would behave.
BROKEN_SYNTH = """
import sys
import timechat_core.synth.run as run
from timechat_core.errors import InputError, MediaError
def broken(*args, **kwargs):
    raise {error}
run.generate = broken
from timechat_cli.main import main
sys.argv = ["timechat", *sys.argv[1:]]
main()
"""


def broken_synth(error: str, *args: str, env: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BROKEN_SYNTH.format(error=error), *args], capture_output=True,
                          text=True, env=env, cwd=cwd)


@pytest.mark.parametrize("error", ['ValueError("bad shape (3, 4)\\nat frame 2")', "RuntimeError()",
                                   'KeyError("frames")'])
def test_an_internal_error_exits_1_with_one_line_naming_the_command(error, tmp_path):
    r = broken_synth(error, "synth", "-o", str(tmp_path / "s"), "-n", "1", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    (line,) = r.stderr.splitlines()
    name = error.split("(")[0]
    assert line.startswith(f"error: `timechat synth` failed: {name}") and "timechat --debug" in line
    assert "Traceback" not in r.stderr
    if name == "ValueError":
        assert "bad shape (3, 4) at frame 2" in line


@pytest.mark.parametrize("how", ["--debug", "TIMECHAT_DEBUG=1"])
def test_debug_prints_the_traceback_and_keeps_the_exit_code(how, tmp_path):
    env = {**os.environ, "TIMECHAT_DEBUG": "1"} if how != "--debug" else None
    root = ["--debug"] if how == "--debug" else []
    r = broken_synth('RuntimeError("boom")', *root, "synth", "-o", str(tmp_path / "s"), "-n", "1", env=env)
    assert r.returncode == 1
    assert "Traceback (most recent call last)" in r.stderr and "in broken\nRuntimeError: boom\n" in r.stderr
    assert r.stderr.splitlines()[-1] == "error: `timechat synth` failed: RuntimeError: boom"
    r = broken_synth('InputError("x.json:3: not a number")', *root, "synth", "-o", str(tmp_path / "s"), env=env)
    assert r.returncode == 2 and "Traceback" in r.stderr
    assert r.stderr.splitlines()[-1] == "error: x.json:3: not a number"


def test_input_errors_exit_2_and_runtime_failures_1(tmp_path):
    r = broken_synth('InputError("x.json:3: not a number")', "synth", "-o", str(tmp_path / "s"))
    assert (r.returncode, r.stderr) == (2, "error: x.json:3: not a number\n")
    r = broken_synth('MediaError("v.mp4", "ffmpeg failed")', "synth", "-o", str(tmp_path / "s"))
    assert (r.returncode, r.stderr) == (1, "error: v.mp4: ffmpeg failed\n")
    r = broken_synth('RuntimeError("never reached")', "synth", "-o", str(tmp_path / "s"), "--fps", "0")
    assert r.returncode == 2 and "--fps" in r.stderr  # a typer.BadParameter: usage
