"""UI fixtures: a data folder with a test video, ground truth, predictions and eval rows whose
windows are known, and the app served on a free 127.0.0.1 port in a thread."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest

DURATION = 10.0
PRED_WINDOW = (2.5, 6.0)
GT_WINDOWS = {0: (2.0, 5.0), 1: (6.0, 9.0)}


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def prediction(index: int, id_: int, query: str, text: str) -> dict:
    """A record as `timechat infer --manifest` writes it (the fields the page reads)."""
    from timechat_core.eval.parsers import parse_tvg

    parsed = parse_tvg(text, duration=DURATION)
    return {"index": index, "id": id_, "video": "clip.mp4", "task": "grounding", "query": query,
            "duration": DURATION, "status": "ok", "text": text, "parsed": parsed, "parse_status": parsed["status"],
            "prompt": f"... {query} ...", "frames": {"indices": [0, 150], "timestamps": [0.0, 5.0], "fps": 30.0,
                                                     "vlen": 300, "backend": "pyav"},
            "model": "handmade", "decoding": {}, "timings": {}}


@pytest.fixture(scope="session")
def ui_data(tmp_path_factory) -> Path:
    """data/: clip.mp4 (10 s), charades_gt.json (2 queries), pred.jsonl (one window 2.5-6.0 s, one
    unparsable answer), per_item.jsonl (`timechat eval --per-item` rows of the two), and a
    synth-like youcook2/ native file whose video is in videos/."""
    from timechat_core.eval.run import evaluate
    from timechat_core.video.testsrc import make_test_video

    root = tmp_path_factory.mktemp("ui") / "data"
    make_test_video(root / "clip.mp4", duration=DURATION, audio=False)
    gt = {"annotations": [{"image_id": "clip.mp4", "caption": q, "timestamp": list(GT_WINDOWS[i]), "id": i,
                           "duration": DURATION}
                          for i, q in enumerate(["a pattern moves", "the counter ticks"])]}
    (root / "charades_gt.json").write_text(json.dumps(gt), encoding="utf-8")
    write_jsonl(root / "pred.jsonl", [
        prediction(0, 0, "a pattern moves", f"The given query happens in {PRED_WINDOW[0]} - {PRED_WINDOW[1]} seconds."),
        prediction(1, 1, "the counter ticks", "I cannot tell."),
    ])
    _, rows = evaluate("tvg", root / "pred.jsonl", root / "charades_gt.json")
    write_jsonl(root / "per_item.jsonl", rows)
    (root / "synth" / "videos").mkdir(parents=True)
    (root / "synth" / "videos" / "s0.mp4").write_bytes((root / "clip.mp4").read_bytes())
    (root / "synth" / "youcook2").mkdir()
    (root / "synth" / "youcook2" / "youcookii_annotations_trainval.json").write_text(json.dumps({"database": {"s0": {
        "duration": DURATION, "subset": "validation", "recipe_type": "synth",
        "annotations": [{"segment": [1, 4], "id": 0, "sentence": "a red circle appears"},
                        {"segment": [5, 8], "id": 1, "sentence": "the circle turns blue"}]}}}), encoding="utf-8")
    return root


class Served:
    """The app on a free 127.0.0.1 port, served by uvicorn in a thread until `stop()`."""

    def __init__(self, app):
        from timechat_core.ui.server import serve

        sock = socket.create_server(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = {}
        self._thread = threading.Thread(target=serve, args=(app, "127.0.0.1", self.port), daemon=True,
                                        kwargs={"sockets": [sock], "on_started": lambda s: self._server.update(s=s)})
        self._thread.start()
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(self.url + "/api/info", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self):
        self._server["s"].should_exit = True
        self._thread.join(10)


@pytest.fixture
def serve_app():
    """`serve_app(app) -> Served`; every server is stopped after the test."""
    started = []

    def start(app):
        started.append(Served(app))
        return started[-1]

    yield start
    for s in started:
        s.stop()


@pytest.fixture
def uploads(tmp_path) -> Path:
    path = tmp_path / "uploads"
    path.mkdir()
    return path
