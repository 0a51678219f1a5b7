"""Run `timechat` commands as forks of one process that has already imported the heavy libraries.

A fresh `python -m timechat_cli infer ...` spends about 7 s importing torch and transformers' LLaMA
before it does any work; the CLI tests make dozens of such calls. This server pays the imports once
and forks a child per command. The child is still a separate process running the real `main()`
with its own working directory, environment, argv and file descriptors 0/1/2 (files the client
reads back), with the exit code, tracebacks, atexit handlers and non-daemon threads of a fresh
process (`_main_exit_code`).

The server only imports (no tensor work runs before a fork, so no thread pool is copied into a
child). Protocol, one JSON object per line: the client sends a request, the server answers with the
child's pid and then with its exit status.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import json
import os
import sys
import threading

# What the commands under test import lazily; importing them here is what the forks share.
PRELOAD = (
    "torch",
    "transformers.models.llama.modeling_llama",
    "transformers.models.bert.modeling_bert",
    "peft",
    "faster_whisper",
    "whisper",
    "pycocoevalcap.cider.cider",
    "av",
    "decord",
)
PACKAGES = ("timechat_core", "timechat_cli")  # every module of the project (timechat_cli.main included), too


def _preload() -> None:
    import pkgutil

    names = list(PRELOAD)
    for package in PACKAGES:
        root = importlib.import_module(package)
        names += [m.name for m in pkgutil.walk_packages(root.__path__, package + ".") if not m.name.endswith("__main__")]
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional extra that is not installed: its commands import it themselves
            pass


def _run_child(request: dict, channels) -> None:
    """In the fork: become the requested command and exit the way a fresh interpreter would."""
    for channel in channels:
        channel.close()
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    for fd, path, flags in ((0, request["stdin"], os.O_RDONLY),
                            (1, request["stdout"], os.O_WRONLY | os.O_TRUNC),
                            (2, request["stderr"], os.O_WRONLY | os.O_TRUNC)):
        opened = os.open(path, flags)
        os.dup2(opened, fd)
        os.close(opened)
    sys.argv = [request["argv0"], *request["args"]]
    os._exit(_main_exit_code())


def _main_exit_code() -> int:
    """Run `main()` and do what the interpreter does on the way out, minus the module teardown.

    A forked child's teardown touches every object the server imported, which copies their pages
    (2.5 s per command); the exit code, the traceback of an uncaught exception, non-daemon threads,
    atexit handlers (temp-dir finalizers included) and the stdio flush are as in a fresh process.
    """
    from timechat_cli.main import main

    try:
        main()
        code = 0
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            code = e.code or 0
        else:
            print(e.code, file=sys.stderr)
            code = 1
    except BaseException:
        sys.excepthook(*sys.exc_info())
        code = 1
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed, or a reader that went away
            pass
    return code & 0xFF


def serve(requests_fd: int, replies_fd: int) -> None:
    _preload()
    if threading.active_count() > 1:
        # a fork copies only the calling thread: a lock another thread holds would hang the child. (The
        # native pools numpy's and scipy's OpenBLAS start at load are shut down by their own atfork
        # handler; torch's OpenMP pool is not started, since nothing here computes.)
        raise RuntimeError(f"the preloaded imports started threads {threading.enumerate()}; forking is unsafe")
    gc.freeze()  # the children's collections leave the preloaded objects (and their pages) alone
    requests = os.fdopen(requests_fd, "r")
    replies = os.fdopen(replies_fd, "w")
    replies.write(json.dumps({"ready": True}) + "\n")
    replies.flush()
    for line in requests:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _run_child(request, (requests, replies))
        replies.write(json.dumps({"pid": pid}) + "\n")
        replies.flush()
        _, status = os.waitpid(pid, 0)
        replies.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}) + "\n")
        replies.flush()


if __name__ == "__main__":
    del sys.path[0]  # the script's folder, tests/: it must not shadow installed packages
    # The client passes two pipe ends; fds 0 and 1 stay free for the children.
    serve(int(sys.argv[1]), int(sys.argv[2]))
