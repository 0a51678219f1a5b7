"""The entry point: fast help and version, lazy heavy imports, exit codes."""

import subprocess
import sys

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
        if "env" in kwargs:  # TIMECHAT_DEBUG=1: the error escapes main() as a traceback, exit code 1
            assert forked.returncode == 1 and forked.stderr.splitlines()[-1] == fresh.stderr.splitlines()[-1]
            assert "Traceback" in forked.stderr
        else:
            assert forked.stderr == fresh.stderr, args
    assert '"windows": [[3.0, 7.5]]' in run_cli("parse", "--task", "tvg", input="From 3 to 7.5 seconds.\n").stdout
