"""The routes of `timechat ui`, grouped by what they serve. Each handler reads the app's `UiState`
(`request.app.state.ui`, set by `server.create_app`).

- the page: `GET /`, `GET /static/{name}`, `GET /favicon.ico`;
- the served folders: `GET /api/videos`, `GET /api/files`, `GET /api/ground-truth?video=REF`,
  `GET /api/frames?video=REF&num_frames=N` (the sampled frames as thumbnails), `GET /media/REF` (range requests),
  `POST /api/upload?name=NAME` (the body is the video, size-limited) -> `{"ref"}`;
- the model: `GET /api/info` (model, frames, the synth scene kind it was trained on: `trained_on`), `POST /api/infer {"video": REF, "task", "query"}` (one answer at a time);
- the batch results browser: `GET /api/results?pred=REF&gt=REF&per_item=REF`, `GET /api/results/item?...&n=N`.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from timechat_core.errors import InputError
from timechat_core.ui.catalog import Catalog
from timechat_core.ui.paths import Refused, Roots, is_video
from timechat_core.ui.results import Results
from timechat_core.ui.runner import frame_images

STATIC = {"app.js": "text/javascript", "app.css": "text/css", "index.html": "text/html"}
PAGE_TASKS = ("grounding", "dvc", "highlight", "ask", "summarize", "step", "speech")
"""In the page's task menu, the issue's four first."""
MAX_FRAMES = 256
THUMB_SIZE = 160
"""Frames of a results-browser item are decoded at this size (live answers show the model's own frames)."""
OPEN_RESULTS = 4
"""Results files kept parsed at once (the browser flips between a few)."""


@dataclass
class UiState:
    """What the routes share: the served folders, the model (or None) and its one worker thread."""

    roots: Roots
    catalog: Catalog
    runner: object | None
    max_upload_bytes: int
    pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="timechat-ui-model"))
    opened: dict[tuple, Results] = field(default_factory=dict)

    def results(self, pred: str, gt: str | None, per_item: str | None) -> Results:
        """The parsed results of (predictions, ground truth, per-item metrics), reread when a file changes."""
        refs = (pred, gt or None, per_item or None)
        key = refs + tuple(self.roots.resolve(r).stat().st_mtime if r else None for r in refs)
        if key not in self.opened:
            if len(self.opened) >= OPEN_RESULTS:
                self.opened.pop(next(iter(self.opened)))
            self.opened[key] = Results(self.roots, self.catalog, *refs)
        return self.opened[key]


def _ui(request: Request) -> UiState:
    return request.app.state.ui


def safe_upload_name(name: str) -> str:
    """A file name for an upload: its last part, only `[A-Za-z0-9._-]`, a video suffix required."""
    base = re.sub(r"[^A-Za-z0-9._-]", "_", name.replace("\\", "/").rsplit("/", 1)[-1]).lstrip(".")
    if not base or not is_video(base):
        raise InputError(f"upload {name!r}: not a video file name (.mp4, .mkv, .webm, .avi, .mov)")
    return f"{uuid.uuid4().hex[:8]}-{base}"


# -- the page ------------------------------------------------------------------------------------
page = APIRouter()


def _static(name: str) -> bytes:
    return resources.files("timechat_core.ui").joinpath("static", name).read_bytes()


@page.get("/")
def index():
    return Response(_static("index.html"), media_type="text/html")


@page.get("/static/{name}")
def static(name: str):
    if name not in STATIC:
        raise Refused(404, "no such asset")
    return Response(_static(name), media_type=STATIC[name])


@page.get("/favicon.ico")
def favicon():
    return Response(status_code=204)


# -- the served folders --------------------------------------------------------------------------
library = APIRouter()


@library.get("/api/videos")
def videos(request: Request):
    return {"videos": _ui(request).catalog.videos()}


@library.get("/api/files")
def files(request: Request):
    return _ui(request).catalog.files()


@library.get("/api/ground-truth")
def ground_truth(request: Request, video: str):
    ui = _ui(request)
    return {"entries": ui.catalog.ground_truth_of(ui.roots.resolve(video))}


@library.get("/api/frames")
def frames(request: Request, video: str, num_frames: int = 8):
    """The uniformly sampled frames of a video (what a model with `num_frames` sees), as thumbnails."""
    from timechat_core.errors import TimechatError
    from timechat_core.video.frames import load_frames

    if not 1 <= num_frames <= MAX_FRAMES:
        raise InputError(f"num_frames must be 1..{MAX_FRAMES}")
    try:
        fr = load_frames(_ui(request).roots.resolve(video), num_frames, THUMB_SIZE)
    except TimechatError as e:
        return JSONResponse({"error": str(e)}, status_code=422)
    return {"indices": fr.indices, "timestamps": fr.timestamps, "images": frame_images(fr.frames)}


@library.get("/media/{ref:path}")
def media(request: Request, ref: str):
    path = _ui(request).roots.resolve(ref)
    if not is_video(path.name):
        raise Refused(403, "not a video")
    return FileResponse(path)


@library.post("/api/upload")
async def upload(request: Request, name: str):
    ui = _ui(request)
    limit = ui.max_upload_bytes
    target = ui.roots.resolve(f"uploads/{safe_upload_name(name)}", kind="any")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return JSONResponse({"error": f"upload larger than {limit} bytes"}, status_code=413)
    part = target.with_name(target.name + ".part")
    size = 0
    try:
        with open(part, "wb") as f:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise Refused(413, f"upload larger than {limit} bytes")
                f.write(chunk)
        part.rename(target)
    finally:
        part.unlink(missing_ok=True)
    return {"ref": ui.roots.ref(target), "bytes": size}


# -- the model -----------------------------------------------------------------------------------
model = APIRouter()


@model.get("/api/info")
def info(request: Request):
    from timechat_core.prompts import NEEDS_QUERY

    ui = _ui(request)
    runner = ui.runner
    return {"model": runner.model_name if runner else None, "num_frames": runner.num_frames if runner else None,
            "trained_on": runner.engine.domain if runner else None, "tasks": list(PAGE_TASKS), "needs_query": list(NEEDS_QUERY), "max_upload_bytes": ui.max_upload_bytes}


@model.post("/api/infer")
async def infer(request: Request):
    from timechat_core.prompts import build_prompt

    ui = _ui(request)
    body = await request.json()
    if ui.runner is None:
        return JSONResponse({"error": "no model loaded (start with --model DIR)"}, status_code=503)
    if not isinstance(body, dict):
        raise InputError("expected {video, task, query}")
    path = ui.roots.resolve(str(body.get("video", "")))
    task, query = str(body.get("task", "")), body.get("query") or None
    build_prompt(task, query)  # an unknown task or a missing query: 400 before the model is queued
    rec = await asyncio.get_running_loop().run_in_executor(ui.pool, ui.runner.answer, path, path.name, task, query)
    return {**rec, "video_ref": ui.roots.ref(path)}


# -- the batch results browser --------------------------------------------------------------------
results = APIRouter()


@results.get("/api/results")
def results_list(request: Request, pred: str, gt: str | None = None, per_item: str | None = None):
    return {"items": _ui(request).results(pred, gt, per_item).items()}


@results.get("/api/results/item")
def results_item(request: Request, pred: str, n: int, gt: str | None = None, per_item: str | None = None):
    try:
        return _ui(request).results(pred, gt, per_item).item(n)
    except IndexError:
        raise Refused(404, f"no item {n}") from None


ROUTERS = (page, library, model, results)
