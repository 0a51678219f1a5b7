"""`timechat ui`: a local web page to watch a video, ask the model about it, and see the answers on its timeline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from timechat_cli.console import err, say, warn
from timechat_cli.options import (Device, DeviceOpt, Dtype, DtypeOpt, MaxNewTokensOpt, ModelOpt, NumFramesOpt, Quantize,
                                  QuantizeOpt)

HELP = r"""Start a local web app: pick or upload a video, ask the loaded model (grounding, dense captions, highlights, a question) and see the answer on the video's timeline, next to the ground truth, the raw model text, the parse status and the sampled frames. Clicking a window or chapter seeks the player.

--data is the folder served to the page: its videos, the annotation files found in it (Charades-STA / YouCook2 coco, QVHighlights JSONL) as ground truth, and for the batch results browser the predictions of `timechat infer --manifest` and the rows of `timechat eval --per-item`. Paths from the page cannot leave it. Uploads go to a temporary folder removed at exit.

The server binds 127.0.0.1 unless --host says otherwise; stop it with Ctrl-C.

Examples:

  timechat ui --model models/timechat-7b --data synth_out/

  timechat ui --model models/timechat-7b --data charades/ --port 8080 --num-frames 96
"""


def ui(
    model: ModelOpt = None,
    host: Annotated[str, typer.Option(help="Address to serve on (loopback by default: the page runs your model).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free port).")] = 7860,
    data: Annotated[Path, typer.Option(file_okay=False, help="Folder of videos and annotation / prediction files served to the page.")] = Path("."),
    num_frames: NumFramesOpt = None,
    max_upload_mb: Annotated[float, typer.Option(min=0, help="Largest upload, in MB.")] = 512,
    max_new_tokens: MaxNewTokensOpt = 512,
    device: DeviceOpt = Device.auto,
    dtype: DtypeOpt = Dtype.auto,
    quantize: QuantizeOpt = Quantize.none,
) -> None:
    import signal
    import socket
    import tempfile

    from timechat_core.errors import InputError, TimechatError
    from timechat_core.resources import default_model

    problems = []
    try:
        model = default_model(model, say=say)
    except InputError as e:
        problems.append(str(e))
    else:
        if not model.is_dir():
            problems.append(f"--model {model}: not a folder")
    if not data.is_dir():
        problems.append(f"--data {data}: not a folder")
    if problems:
        raise InputError("; ".join(problems))
    if host not in ("127.0.0.1", "localhost", "::1"):
        warn(f"serving on {host}: anyone who can reach it can run the model and read the videos in {data}")
    try:
        sock = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    except OSError as e:
        raise TimechatError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    # uvicorn re-raises SIGTERM after its graceful shutdown; as KeyboardInterrupt the uploads are still removed
    signal.signal(signal.SIGTERM, _interrupt)
    with sock:
        from timechat_core.infer.load import EngineOptions, load_engine
        from timechat_core.ui.runner import Runner
        from timechat_core.ui.server import create_app, serve

        options = EngineOptions(num_frames=num_frames, prefetch=0, max_new_tokens=max_new_tokens, device=device.value,
                                dtype=dtype.value, quantize=quantize.value)
        engine = load_engine(model, options, say=say)
        with tempfile.TemporaryDirectory(prefix="timechat-ui-uploads-") as uploads:
            app = create_app(data, uploads, Runner(engine), max_upload_bytes=int(max_upload_mb * 1e6), host=host)
            bound = sock.getsockname()[1]
            shown = f"[{host}]" if ":" in host else host
            say(f"timechat ui on http://{shown}:{bound}/ (data: {data.resolve()}; Ctrl-C stops it)")
            try:
                serve(app, host, bound, sockets=[sock])
            except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C / SIGTERM it stopped on
                pass
    err.print("stopped; uploads removed")


ui.__doc__ = HELP


def _interrupt(signum, frame):
    raise KeyboardInterrupt
