"""The web app of `timechat ui`: FastAPI routes, a static page shipped in the package, uvicorn.

Why FastAPI and a small page rather than Gradio: the point of the page is a timeline drawn under
the player (windows, chapters, a saliency curve, the ground truth) whose marks seek the player on
a click. That is a few dozen lines of plain JS over an HTML5 `<video>`, but a custom component
in Gradio. A handful of explicit routes is also easier to make safe and to test: every path the
page sends goes through `Roots.resolve`, video files are served by Starlette's `FileResponse` with
HTTP range requests (so seeking works), uploads are a streamed body with a byte limit, and nothing
is fetched at run time (no CDN, a strict Content-Security-Policy). Gradio would add a large
dependency, its own file-serving rules and a front end we could not inspect as easily.

The routes are in `timechat_core.ui.routes`, grouped by what they serve.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from timechat_core.errors import InputError
from timechat_core.ui.catalog import Catalog
from timechat_core.ui.paths import Refused, Roots
from timechat_core.ui.routes import ROUTERS, UiState

CSP = ("default-src 'self'; img-src 'self' data:; media-src 'self' blob:; style-src 'self'; "
       "script-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def create_app(data_dir: str | Path, upload_dir: str | Path, runner=None, *, max_upload_bytes: int = 512 << 20,
               host: str = "127.0.0.1"):
    """The FastAPI app: the routes of `timechat_core.ui.routes` over the served folders, with safety headers.

    Args:
        data_dir: the served folder of videos and annotation / prediction files.
        upload_dir: where uploads go (the caller creates and removes it).
        runner: a `Runner` with the loaded model, or None (the results browser still works).
        max_upload_bytes: larger uploads are refused with 413.
        host: the address served; on a loopback one, other Host headers are refused (DNS rebinding).
    """
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    roots = Roots({"data": data_dir, "uploads": upload_dir})
    app = FastAPI(title="timechat ui", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ui = UiState(roots, Catalog(roots), runner, max_upload_bytes)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=[*LOOPBACK, host] if host in LOOPBACK else ["*"])
    app.middleware("http")(_security_headers)
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(InputError, _bad_input)
    for router in ROUTERS:
        app.include_router(router)
    return app


async def _security_headers(request: Request, call_next):
    response = await call_next(request)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def _refused(request: Request, e: Refused):
    return JSONResponse({"error": str(e)}, status_code=e.status)


async def _bad_input(request: Request, e: InputError):
    return JSONResponse({"error": str(e)}, status_code=400)


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
        app.state.ui.pool.shutdown(wait=False, cancel_futures=True)
