"""The web app of `timechat ui`: FastAPI routes, a static page shipped in the package, uvicorn.

Why FastAPI and a small page rather than Gradio: the point of the page is a timeline drawn under
the player (windows, chapters, a saliency curve, the ground truth) whose marks seek the player on
a click. That is a few dozen lines of plain JS over an HTML5 `<video>`, but a custom component
in Gradio. A handful of explicit routes is also easier to make safe and to test: every path the
page sends goes through `Roots.resolve`, video files are served by Starlette's `FileResponse` with
HTTP range requests (so seeking works), uploads are a streamed body with a byte limit, and nothing
is fetched at run time (no CDN, a strict Content-Security-Policy). Gradio would add a large
dependency, its own file-serving rules and a front end we could not inspect as easily.

Routes (all JSON unless noted):
- `GET /` the page; `GET /static/{name}` its script and style;
- `GET /api/info` model, frames, the synth scene kind it was trained on (`trained_on`), tasks, upload limit;
- `GET /api/videos`, `GET /api/files` what the served folders hold;
- `GET /api/frames?video=REF&num_frames=N` the sampled frames as thumbnails (results browser);
- `GET /api/ground-truth?video=REF` the GT entries of a video in the data folder's annotation files;
- `GET /media/REF` a video, with range requests;
- `POST /api/upload?name=NAME` the request body is the video (size-limited) -> `{"ref"}`;
- `POST /api/infer {"video": REF, "task", "query"}` one answer of the loaded model (one at a time);
- `GET /api/results?pred=REF&gt=REF&per_item=REF` and `.../item?...&n=N` the batch results browser.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.middleware.trustedhost import TrustedHostMiddleware

from timechat_core.errors import InputError
from timechat_core.ui.catalog import Catalog
from timechat_core.ui.paths import Refused, Roots, is_video
from timechat_core.ui.results import Results
from timechat_core.ui.runner import frame_images

log = logging.getLogger(__name__)

STATIC = {"app.js": "text/javascript", "app.css": "text/css", "index.html": "text/html"}
PAGE_TASKS = ("grounding", "dvc", "highlight", "ask", "summarize", "step", "speech")
"""In the page's task menu, the issue's four first."""
CSP = ("default-src 'self'; img-src 'self' data:; media-src 'self' blob:; style-src 'self'; "
       "script-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_FRAMES = 256
THUMB_SIZE = 160
"""Frames of a results-browser item are decoded at this size (live answers show the model's own frames)."""
_CHUNK = 1 << 20


def _static(name: str) -> bytes:
    return resources.files("timechat_core.ui").joinpath("static", name).read_bytes()


def safe_upload_name(name: str) -> str:
    """A file name for an upload: its last part, only `[A-Za-z0-9._-]`, a video suffix required."""
    base = re.sub(r"[^A-Za-z0-9._-]", "_", name.replace("\\", "/").rsplit("/", 1)[-1]).lstrip(".")
    if not base or not is_video(base):
        raise InputError(f"upload {name!r}: not a video file name (.mp4, .mkv, .webm, .avi, .mov)")
    return f"{uuid.uuid4().hex[:8]}-{base}"


def create_app(data_dir: str | Path, upload_dir: str | Path, runner=None, *, max_upload_bytes: int = 512 << 20,
               host: str = "127.0.0.1"):
    """The FastAPI app.

    Args:
        data_dir: the served folder of videos and annotation / prediction files.
        upload_dir: where uploads go (the caller creates and removes it).
        runner: a `Runner` with the loaded model, or None (the results browser still works).
        max_upload_bytes: larger uploads are refused with 413.
        host: the address served; on a loopback one, other Host headers are refused (DNS rebinding).
    """
    roots = Roots({"data": data_dir, "uploads": upload_dir})
    catalog = Catalog(roots)
    pool = ThreadPoolExecutor(1, thread_name_prefix="timechat-ui-model")
    opened: dict[tuple, Results] = {}

    app = FastAPI(title="timechat ui", docs_url=None, redoc_url=None, openapi_url=None)
    allowed = [*LOOPBACK, host] if host in LOOPBACK else ["*"]
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed)

    @app.middleware("http")
    async def headers(request: Request, call_next):
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    @app.exception_handler(Refused)
    async def refused(request, e: Refused):
        return JSONResponse({"error": str(e)}, status_code=e.status)

    @app.exception_handler(InputError)
    async def bad_input(request, e: InputError):
        return JSONResponse({"error": str(e)}, status_code=400)

    @app.get("/")
    def index():
        return Response(_static("index.html"), media_type="text/html")

    @app.get("/static/{name}")
    def static(name: str):
        if name not in STATIC:
            raise Refused(404, "no such asset")
        return Response(_static(name), media_type=STATIC[name])

    @app.get("/favicon.ico")
    def favicon():
        return Response(status_code=204)

    @app.get("/api/frames")
    def frames(video: str, num_frames: int = 8):
        """The uniformly sampled frames of a video (what a model with `num_frames` sees), as thumbnails."""
        from timechat_core.errors import TimechatError
        from timechat_core.video.frames import load_frames

        if not 1 <= num_frames <= MAX_FRAMES:
            raise InputError(f"num_frames must be 1..{MAX_FRAMES}")
        try:
            fr = load_frames(roots.resolve(video), num_frames, THUMB_SIZE)
        except TimechatError as e:
            return JSONResponse({"error": str(e)}, status_code=422)
        return {"indices": fr.indices, "timestamps": fr.timestamps, "images": frame_images(fr.frames)}

    @app.get("/api/info")
    def info():
        from timechat_core.prompts import NEEDS_QUERY

        return {"model": runner.model_name if runner else None, "num_frames": runner.num_frames if runner else None,
                "trained_on": runner.engine.domain if runner else None, "tasks": list(PAGE_TASKS), "needs_query": list(NEEDS_QUERY), "max_upload_bytes": max_upload_bytes}

    @app.get("/api/videos")
    def videos():
        return {"videos": catalog.videos()}

    @app.get("/api/files")
    def files():
        return catalog.files()

    @app.get("/api/ground-truth")
    def ground_truth(video: str):
        return {"entries": catalog.ground_truth_of(roots.resolve(video))}

    @app.get("/media/{ref:path}")
    def media(ref: str):
        path = roots.resolve(ref)
        if not is_video(path.name):
            raise Refused(403, "not a video")
        return FileResponse(path)

    @app.post("/api/upload")
    async def upload(request: Request, name: str):
        target = roots.resolve(f"uploads/{safe_upload_name(name)}", kind="any")
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_upload_bytes:
            return JSONResponse({"error": f"upload larger than {max_upload_bytes} bytes"}, status_code=413)
        part = target.with_name(target.name + ".part")
        size = 0
        try:
            with open(part, "wb") as f:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > max_upload_bytes:
                        raise Refused(413, f"upload larger than {max_upload_bytes} bytes")
                    f.write(chunk)
            part.rename(target)
        finally:
            part.unlink(missing_ok=True)
        return {"ref": roots.ref(target), "bytes": size}

    @app.post("/api/infer")
    async def infer(request: Request):
        from timechat_core.prompts import build_prompt

        body = await request.json()
        if runner is None:
            return JSONResponse({"error": "no model loaded (start with --model DIR)"}, status_code=503)
        if not isinstance(body, dict):
            raise InputError("expected {video, task, query}")
        path = roots.resolve(str(body.get("video", "")))
        task, query = str(body.get("task", "")), body.get("query") or None
        build_prompt(task, query)  # an unknown task or a missing query: 400 before the model is queued
        rec = await asyncio.get_running_loop().run_in_executor(pool, runner.answer, path, path.name, task, query)
        return {**rec, "video_ref": roots.ref(path)}

    def results(pred: str, gt: str | None, per_item: str | None) -> Results:
        refs = (pred, gt or None, per_item or None)
        stamp = tuple(roots.resolve(r).stat().st_mtime if r else None for r in refs)
        key = refs + stamp
        if key not in opened:
            if len(opened) >= 4:
                opened.pop(next(iter(opened)))
            opened[key] = Results(roots, catalog, *refs)
        return opened[key]

    @app.get("/api/results")
    def results_list(pred: str, gt: str | None = None, per_item: str | None = None):
        return {"items": results(pred, gt, per_item).items()}

    @app.get("/api/results/item")
    def results_item(pred: str, n: int, gt: str | None = None, per_item: str | None = None):
        try:
            return results(pred, gt, per_item).item(n)
        except IndexError:
            raise Refused(404, f"no item {n}") from None

    app.state.pool = pool
    app.state.roots = roots
    return app


def serve(app, host: str, port: int, *, sockets=None, on_started=None) -> None:
    """Run the app with uvicorn until interrupted (Ctrl-C); `sockets` are pre-bound listening sockets."""
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    if on_started is not None:
        on_started(server)
    try:
        server.run(sockets=sockets)
    finally:
        app.state.pool.shutdown(wait=False, cancel_futures=True)

