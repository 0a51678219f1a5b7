"""The `timechat` command: registers the subcommands and maps errors to exit codes.

Exit codes: 0 success; 2 bad usage or input (`typer.BadParameter`, `InputError`) and nothing else;
1 a runtime failure (a `TimechatError`, any batch item failed) or an internal error (any other
exception: one line with its type, message and the command). `timechat --debug ...` or
TIMECHAT_DEBUG=1 also prints the traceback.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Annotated

import typer

from timechat_cli.commands.asr import asr
from timechat_cli.commands.check_reference import check_reference
from timechat_cli.commands.build_timeit import build_timeit
from timechat_cli.commands.clean_asr import clean_asr
from timechat_cli.commands.compress import compress
from timechat_cli.commands.convert import convert
from timechat_cli.commands.eval import eval_
from timechat_cli.commands.parse import parse
from timechat_cli.commands.extract_audio import extract_audio
from timechat_cli.commands.frames import frames
from timechat_cli.commands.synth import synth
from timechat_cli.commands.train import train
from timechat_cli.commands.infer import infer
from timechat_cli.commands.ui import ui
from timechat_core import __version__

DEBUG_ENV = "TIMECHAT_DEBUG"

app = typer.Typer(
    name="timechat",
    help="Toolkit for time-sensitive video language models (TimeChat).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command("compress")(compress)
app.command("extract-audio")(extract_audio)
app.command("frames")(frames)
app.command("asr")(asr)
app.command("clean-asr")(clean_asr)
app.command("parse")(parse)
app.command("eval")(eval_)
app.command("convert")(convert)
app.command("check-reference")(check_reference)
app.command("infer")(infer)
app.command("build-timeit")(build_timeit)
app.command("train")(train)
app.command("ui")(ui)
app.command("synth")(synth)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"timechat {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Print the traceback of an error (also TIMECHAT_DEBUG=1).")
    ] = False,
) -> None:
    """Toolkit for time-sensitive video language models (TimeChat)."""
    if debug:
        os.environ[DEBUG_ENV] = "1"  # torchrun's worker processes inherit it


def _command() -> str:
    """`timechat SUBCOMMAND` as typed (the first argument that is not a root option)."""
    return " ".join(["timechat", *[a for a in sys.argv[1:] if not a.startswith("-")][:1]])


def _one_line(text: str) -> str:
    return " ".join(text.split())


def main() -> None:
    from timechat_core.errors import InputError, TimechatError

    from timechat_cli.console import install_logging, say

    install_logging()
    try:
        app()
    except BrokenPipeError:
        # `timechat ... | head`: the reader went away; not an error worth a traceback.
        sys.stderr.close()
        sys.exit(1)
    except Exception as e:
        debug = os.environ.get(DEBUG_ENV) == "1"
        if debug:
            traceback.print_exc()
        if isinstance(e, TimechatError):
            say(f"error: {e}")
            sys.exit(2 if isinstance(e, InputError) else 1)
        what = type(e).__name__ + (f": {_one_line(str(e))}" if str(e).strip() else "")
        hint = "" if debug else " (the traceback: timechat --debug ..., or TIMECHAT_DEBUG=1)"
        say(f"error: `{_command()}` failed: {what}{hint}")
        sys.exit(1)


if __name__ == "__main__":
    main()
