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
