"""A tiny TimeIT-style training set made with ffmpeg's lavfi sources (tests, benchmark, the `tiny` preset).

    python -m timechat_core.train.demo runs/tiny-data     # 8 clips + train.json

Clip k is `testsrc2` at 32x32, 10 fps, 2 + 0.5k seconds; its record asks a grounding question and
answers in the TimeIT format (`The given query happens in {s} - {e} seconds.`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

QUESTIONS = ("red ball", "blue square", "green triangle", "yellow circle", "white star", "black cat",
             "orange car", "purple tree")


def make_demo_data(folder: str | Path, n: int = 8, size: int = 32, fps: float = 10) -> Path:
    """Write `n` clips (`videos/clip_k.mp4`) and `train.json`; returns the records file."""
    from timechat_core.fileio import write_text_atomic
    from timechat_core.video.testsrc import make_test_video

    folder = Path(folder)
    records = []
    for k in range(n):
        duration = 2 + 0.5 * k
        name = f"videos/clip_{k}.mp4"
        if not (folder / name).is_file():
            make_test_video(folder / name, width=size, height=size, fps=fps, duration=duration, audio=False)
        start, end = round(0.2 * duration, 1), round(0.3 * duration + 0.1 * k, 1)
        records.append({"video": name, "source": "demo", "task": "tvg", "QA": [{
            "q": f"Find the start and end time of the event: the {QUESTIONS[k % len(QUESTIONS)]} appears.",
            "a": f"The given query happens in {start} - {end} seconds."}]})
    path = folder / "train.json"
    write_text_atomic(path, json.dumps(records, indent=1) + "\n")
    return path


if __name__ == "__main__":
    print(make_demo_data(sys.argv[1] if len(sys.argv) > 1 else "runs/tiny-data"))
