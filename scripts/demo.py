"""`make demo`: the shipped demo model answers questions about a video it has never seen.

It renders one held-out synthetic video (test seed 2000 of `timechat synth --scenes static`, the kind
of scene the model was trained on; never used in training)
with its exact annotations, then runs the real commands with the default model (models/demo/):

    timechat synth  -o demo_out/synth_static -n 1 --seed 2000 --split test --size 64 --scenes static
    timechat infer  demo_out/synth_static/videos/<id>.mp4 --task grounding --query "<an annotated event>"
    timechat infer  demo_out/synth_static/videos/<id>.mp4 --task dvc
    timechat infer  demo_out/synth_static/videos/<id>.mp4 --task highlight --query "<an annotated shape>"

prints each answer next to the ground truth and writes demo_out/timeline_{grounding,dvc,highlight}.png
(predictions over the ground truth for the three tasks). `python scripts/demo.py OUT` writes to OUT instead.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED = 2000  # the demo model's test seed (scripts/demo_model.py)


def timechat(*args: str, quiet: bool = False) -> list[dict]:
    cmd = [sys.executable, "-m", "timechat_cli", *args]
    if not quiet:
        print(f"\n$ timechat {' '.join(args)}", flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL if quiet else None, text=True)
    if proc.returncode != 0:
        sys.exit(f"demo: `timechat {args[0]}` failed with exit status {proc.returncode}")
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def ground_truth(folder: Path, vid: str) -> dict:
    """The video's annotations, read back from the native files `timechat synth` wrote."""
    grounding = []
    for line in (folder / "charades_sta" / "charades_sta_test.txt").read_text().splitlines():
        head, sentence = line.split("##", 1)
        name, s, e = head.split()
        if name == vid:
            grounding.append((sentence, float(s), float(e)))
    yc2 = json.loads((folder / "youcook2" / "youcookii_annotations_trainval.json").read_text())["database"][vid]
    events = [(a["segment"][0], a["segment"][1], a["sentence"]) for a in yc2["annotations"]]
    highlights = [json.loads(line) for line in next((folder / "qvhighlights").glob("*.jsonl")).read_text().splitlines()
                  if json.loads(line)["vid"] == vid]
    return {"duration": yc2["duration"], "grounding": grounding, "events": events, "highlights": highlights}


def shown(path: Path) -> Path:
    """`path` relative to the current folder when it is inside it (`make demo`: demo_out/...)."""
    return path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path


def main() -> None:
    from timechat_core.infer.render import plot

    out = (Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "demo_out").resolve()
    folder = out / "synth_static"  # a folder of its own: one of the full scenes refuses the static kind
    (rec,) = timechat("synth", "-o", str(folder), "-n", "1", "--seed", str(SEED), "--split", "test", "--size", "64",
                      "--scenes", "static")
    vid = rec["video"]
    video = folder / "videos" / f"{vid}.mp4"
    gt = ground_truth(folder, vid)
    # a shape's visibility for grounding, the same shape for highlights
    sentence, s, e = next(((q, s, e) for q, s, e in gt["grounding"] if "visible" in q), gt["grounding"][0])
    hl = next((h for h in gt["highlights"] if sentence.startswith(h["query"].rstrip("."))), gt["highlights"][0])

    (g,) = timechat("infer", str(video), "--task", "grounding", "--query", sentence, "--format", "jsonl")
    (d,) = timechat("infer", str(video), "--task", "dvc", "--format", "jsonl")
    (h,) = timechat("infer", str(video), "--task", "highlight", "--query", hl["query"], "--format", "jsonl")

    print(f"\nThe video: {shown(video)} ({gt['duration']:g} s, held-out seed {SEED}, never seen in training)")
    print(f"\nGrounding: \"{sentence}\"")
    print(f"  ground truth : {s:g} - {e:g} s")
    print(f"  model        : {g['text']}   -> parsed {g['parsed']['windows']} ({g['parse_status']})")
    print("\nDense captioning")
    print("  ground truth :")
    for a, b, cap in gt["events"]:
        print(f"    {a:5.1f} - {b:5.1f} s  {cap}")
    print("  model        :")
    for ev in d["parsed"]["events"] or []:
        print(f"    {ev['start']:5.1f} - {ev['end']:5.1f} s  {ev['caption']}")
    if not d["parsed"]["events"]:
        print(f"    (nothing parsed: {d['text']!r})")
    top = sorted(hl["relevant_clip_ids"])
    print(f"\nHighlights: \"{hl['query']}\"")
    print(f"  ground truth : clips {top[0] * 2}-{top[-1] * 2 + 2} s (saliency 0-4 per 2 s clip)")
    print(f"  model        : {h['text'][:160]}")
    print(f"  parsed       : {h['parsed'].get('highlights')} ({h['parse_status']})")
    for name, rec_, truth in (("grounding", g, [[s, e]]), ("dvc", d, [[a, b] for a, b, _ in gt["events"]]),
                              ("highlight", h, [[c * 2, c * 2 + 2] for c in top])):
        plot(rec_, out / f"timeline_{name}.png", ground_truth=truth)
    print(f"\nTimelines (prediction in blue over the ground truth in green): "
          f"{', '.join(str(shown(out / f'timeline_{n}.png')) for n in ('grounding', 'dvc', 'highlight'))}")
    from timechat_core.resources import demo_model_dir

    scores = demo_model_dir() / "scores.json"
    if scores.is_file():
        s = json.loads(scores.read_text())
        t, b = s["test"], s["blind_baseline"]
        print(f"\nThe demo model on 250 held-out videos (models/demo/README.md): grounding R1@0.5 "
              f"{t['grounding']['R1@0.5']} (video-blind answer {b['grounding']['R1@0.5']}), highlights HIT@1 "
              f"{t['highlight']['HIT@1']} ({b['highlight']['HIT@1']}), dense captioning F1 {t['dvc']['F1']} "
              f"({b['dvc']['F1']}). Compare its answers above with the ground truth accordingly.")


if __name__ == "__main__":
    main()
