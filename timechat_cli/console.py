"""stdout is data (JSON lines), stderr is everything else (progress, logs, warnings)."""

from __future__ import annotations

import functools
import json
import logging
import sys

from rich.console import Console
from rich.markup import escape

err = Console(stderr=True, highlight=False)


@functools.lru_cache(maxsize=None)
def _writer(stream):
    import jsonlines  # lazily: keeps `timechat --help` instant

    return jsonlines.Writer(stream, flush=True, dumps=functools.partial(json.dumps, ensure_ascii=False))


def emit(record: dict) -> None:
    """Write one JSON record as a line on stdout, flushed (for shell pipelines)."""
    _writer(sys.stdout).write(record)


def say(message: str) -> None:
    """A plain line on stderr (what was loaded, where): no markup, so paths print as written."""
    err.print(message, markup=False, soft_wrap=True)


def warn(message: str) -> None:
    """A warning line on stderr; the message is plain text (a path like `runs/[exp]/m` prints as written)."""
    err.print(f"[yellow]warning:[/] {escape(message)}", markup=True, soft_wrap=True)


class _ConsoleHandler(logging.Handler):
    """Log records of `timechat_core` on the stderr console: warnings as `warn` prints them, the rest plain."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
            if record.levelno >= logging.WARNING:
                warn(message)
            else:
                say(message)
        except Exception:  # a broken stderr must not take the command down with it
            self.handleError(record)


def install_logging(level: int = logging.INFO) -> None:
    """Route the core's `logging` (INFO and up) to the stderr console; idempotent."""
    logger = logging.getLogger("timechat_core")
    if not any(isinstance(h, _ConsoleHandler) for h in logger.handlers):
        logger.addHandler(_ConsoleHandler())
    logger.setLevel(level)
    logger.propagate = False
