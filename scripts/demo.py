"""`make demo`: the media pipeline on a video generated on the spot.

Until the embedded demo model exists (see the issues), the demo shows the data side of the
toolkit: it renders a 1280x720, 30 fps, 12 s clip with a tone, then runs the real commands

    timechat compress      demo_out/raw -o demo_out/videos_6fps_224 --fps 6 --size 224
    timechat extract-audio demo_out/raw -o demo_out/audio
    timechat frames        demo_out/videos_6fps_224/clip.mp4 --num-frames 96 --save demo_out/frames

and prints each command, its JSON output and a short account of what happened.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "demo_out"


def timechat(*args: str) -> list[dict]:
    cmd = [sys.executable, "-m", "timechat_cli", *args]
    print(f"\n$ timechat {' '.join(args)}", flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)  # stderr (progress, summary) passes through
    records = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    for record in records:
        shown = {k: v for k, v in record.items() if k not in ("indices", "saved")}
        print(json.dumps(shown, ensure_ascii=False)[:400])
    if proc.returncode != 0:
        sys.exit(f"demo: `timechat {args[0]}` failed with exit status {proc.returncode}")
    return records


def main() -> None:
    from timechat_core.video.testsrc import make_test_video

    raw = OUT / "raw" / "clip.mp4"
    if not raw.exists():
        print(f"Generating a test video: {raw.relative_to(REPO)} (1280x720, 30 fps, 12 s, 440 Hz tone)")
        make_test_video(raw, width=1280, height=720, fps=30, duration=12, preset="veryfast")

    (c,) = timechat("compress", "demo_out/raw", "-o", "demo_out/videos_6fps_224", "--fps", "6", "--size", "224")
    (a,) = timechat("extract-audio", "demo_out/raw", "-o", "demo_out/audio")
    (f,) = timechat("frames", "demo_out/videos_6fps_224/clip.mp4", "--num-frames", "96", "--save", "demo_out/frames")

    print("\nWhat happened:")
    print(f"- compress: 1280x720 @ 30 fps -> {c['width']}x{c['height']} @ {c['fps']:g} fps, "
          f"{c['frames']} frames, {c['duration']} s  ({c['output']})")
    print(f"- extract-audio: {a['sample_rate']} Hz, {a['channels']} channel(s), {a['duration']} s of PCM WAV "
          f"({a['output']})")
    print(f"- frames: {f['num_frames']} of {f['vlen']} frames sampled ({f['backend']}), 224x224 each, "
          f"saved to demo_out/frames/")
    print(f"- the model would be told: \"{f['message'][:90]}...\"")
    print("\nRun it again: finished outputs are skipped (status \"skipped\"); rm -r demo_out to start over.")


if __name__ == "__main__":
    main()
