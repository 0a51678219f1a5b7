"""One inference at a time for the page: the loaded model behind a lock, frames kept as thumbnails.

Uses the `Engine`'s own steps (`prepare`, `generate`, `record`) for a single item, so a page answer
is exactly the record `timechat infer VIDEO` prints, plus the sampled frames as JPEG data URLs
(what the model saw, at the model's image size).
"""

from __future__ import annotations

import base64
import io
import threading
import time
from pathlib import Path

THUMB_QUALITY = 80


def frame_images(frames) -> list[str]:
    """`data:image/jpeg;base64,...` of each uint8 (H, W, 3) frame."""
    from PIL import Image

    out = []
    for frame in frames:
        buf = io.BytesIO()
        Image.fromarray(frame).save(buf, format="JPEG", quality=THUMB_QUALITY)
        out.append("data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii"))
    return out


class Runner:
    """Answers one query at a time with an `Engine`.

    Args:
        engine: a `timechat_core.infer.engine.Engine`.
    """

    def __init__(self, engine):
        self.engine = engine
        self.lock = threading.Lock()

    @property
    def model_name(self) -> str:
        return self.engine.model_name

    @property
    def num_frames(self) -> int:
        return self.engine.num_frames

    def answer(self, path: Path, video: str, task: str, query: str | None = None) -> dict:
        """The result record of one query, with `frame_images`; waits for a running one to finish.

        Args:
            path: the video file.
            video: its name as the page shows it (recorded as `video` and `id`).
            task, query: as `timechat infer --task --query`.
        """
        from timechat_core.infer.manifest import Item

        item = Item(0, video, video, Path(path), task, query=query or None)
        with self.lock:
            prep = self.engine.prepare(item)
            if prep.error is not None:
                return {**self.engine.record(prep, None, 0.0, 0), "frame_images": []}
            t0 = time.perf_counter()
            text = self.engine.generate([prep])[0]
            rec = self.engine.record(prep, text, time.perf_counter() - t0, 1)
        return {**rec, "frame_images": frame_images(prep.frames.frames)}
