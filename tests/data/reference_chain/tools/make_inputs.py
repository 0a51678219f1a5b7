"""Build the reference-chain test inputs from the real files in tests/data (deterministic; no randomness).

usage: make_inputs.py DATA OUT     (DATA = the repository's tests/data, OUT = the folder to write)
"""

import csv
import json
import sys
from pathlib import Path

DATA, OUT = Path(sys.argv[1]), Path(sys.argv[2])
TM = DATA / "timechat_metrics"


def dump(path, value, *, jsonl=False):
    path = OUT / path
    path.parent.mkdir(parents=True, exist_ok=True)
    if jsonl:
        path.write_text("".join(json.dumps(r) + "\n" for r in value))
    else:
        path.write_text(json.dumps(value, indent=1) + "\n")


def prompt(name):
    return (DATA / "timechat_prompts" / "eval" / name).read_text().splitlines()[0].strip()


def jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# --------------------------------------------------------------------------------------------- tvg
tvg_gt = json.loads((TM / "tvg" / "example_gt_file.json").read_text())["annotations"]
gt_by_id = {g["id"]: g for g in tvg_gt}
tvg_pred = json.loads((TM / "tvg" / "example_pred_file.json").read_text())
tvg_prompt = prompt("tvg_description_zeroshot.txt")
FAILED_TVG = ("The person is sitting on a chair near the window.",
              "The event starts at 5 seconds and ends at 12 seconds.",
              "The event starts at 00:00:18 and ends at 00:00:23.")
raw, k_ok, k_bad = [], 0, 0
for qid, p in tvg_pred.items():
    g = gt_by_id[int(qid)]
    if p["timestamp"]:
        s, e = p["timestamp"][0]
        text = (f"The given query happens in {s} - {e} seconds.",
                f"The event happens in the {e} - {s} seconds.",
                f"The event starts at {s} seconds.\nThe event ends at {e} seconds.",
                f"In the video, {s} - {e} seconds, and later 100.0 - 120.0 seconds.")[k_ok % 4]
        k_ok += 1
    else:
        text = FAILED_TVG[k_bad % 3]
        k_bad += 1
    raw.append({"vname": g["image_id"], "generated_cap": text, "query": g["caption"], "id": g["id"],
                "prompt": tvg_prompt.format("Charades-STA", g["caption"].strip("."))})
dump("tvg/raw_results.json", raw)

length = {r["id"]: float(r["length"]) for r in csv.DictReader(open(DATA / "charades_sta" / "Charades_v1_test.csv"))}
sample_ids = {int(q) for q in tvg_pred}
dump("tvg/gt_sample500_duration.json",
     {"annotations": [{**g, "duration": length[g["image_id"].split(".")[0]]} for g in tvg_gt if g["id"] in sample_ids]})
windows, k = {}, 0
for qid, p in tvg_pred.items():
    ts = [list(w) for w in p["timestamp"]]
    if ts:
        s, e = ts[0]
        dur = length[gt_by_id[int(qid)]["image_id"].split(".")[0]]
        ts[0] = ([round(s - 8.0, 1), e], [e, s], [s, round(dur + 5.0, 2)], [s, e], [s, e])[k % 5]
        k += 1
    windows[qid] = {**p, "timestamp": ts}
dump("tvg/pred_windows.json", windows)
outside = dict(tvg_pred)
for j in range(10):
    outside[str(len(tvg_gt) + j)] = {"timestamp": [[1.0, 9.0]], "query": "a person opens a door.", "vid": "ZZZZZ.mp4"}
dump("tvg/pred_outside_gt.json", outside)

# --------------------------------------------------------------------------------------------- vhd
val = jsonl(DATA / "qvhighlights" / "highlight_val_release.jsonl")
test = jsonl(DATA / "qvhighlights" / "highlight_test_with_gt.jsonl")
val_by_qid = {g["qid"]: g for g in val}
vhd_pred = json.loads((TM / "vhd" / "example_pred_file.json").read_text())[:300]
vhd_prompt = prompt("vhd_description.txt")


def fmt(x):
    return f"{x:.1f}"


def vhd_text(scores, r):
    clips = [(c, v) for c, v in enumerate(scores) if v]
    if not clips:
        return "I cannot find any highlight moment for this query in the video."
    times = [str(2 * c + 2) for c, _ in clips]
    values = [fmt(min(v, 9.9)) for _, v in clips]
    if r % 4 in (0, 1):
        return (f"There are {len(times)} highlight moments in the {', '.join(times)} second. "
                f"Their saliency scores are {', '.join(values)}")
    if r % 4 == 2:
        return f"The highlight timestamps are in the {', '.join(times)} second. Their saliency scores are {', '.join(values)}."
    return "\n".join(f"The {t} second: saliency score {v}" for t, v in zip(times, values))


coco, raw = [], []
for r, p in enumerate(vhd_pred):
    g = val_by_qid[p["qid"]]
    raw.append({"vname": p["vid"], "generated_cap": vhd_text(p["pred_saliency_scores"], r), "query": g["query"],
                "id": g["qid"], "prompt": vhd_prompt.format("QVHighlights", g["query"].strip("."))})
    coco.append({"image_id": p["vid"], "caption": g["query"], "id": g["qid"], "duration": g["duration"]})
for r, g in enumerate(test[:10]):
    vname = f"v_{g['vid']}.mp4"
    scores = [0.0] * int(g["duration"] / 2)
    for c in g["relevant_clip_ids"][:5]:
        scores[c] = 2.3
    raw.append({"vname": vname, "generated_cap": vhd_text(scores, r), "query": g["query"], "id": g["qid"],
                "prompt": vhd_prompt.format("QVHighlights", g["query"].strip("."))})
    coco.append({"image_id": vname, "caption": g["query"], "id": g["qid"], "duration": g["duration"]})
dump("vhd/raw_results.json", raw)
dump("vhd/coco_for_format_vhd.json", {"annotations": coco})

# ---------------------------------------------------------------------------------------------- mr
sub = {r["qid"]: r for r in jsonl(DATA / "qvhighlights" / "sample_val_preds.jsonl")}
gt150 = val[:150]
rows = []
for r, g in enumerate(gt150):
    row = json.loads(json.dumps(sub[g["qid"]]))
    w = row["pred_relevant_windows"]
    s, e, sc = w[0]
    if r % 5 == 0:
        w[0] = [round(s - 6.0, 1), e, sc]
    elif r % 5 == 1:
        w[0] = [e, s, sc]
    elif r % 5 == 2:
        gs, ge = g["relevant_windows"][0]
        w[1] = [ge, gs, w[1][2]]  # the mirror image of a GT window: its IoU union is 0
    elif r % 5 == 3:
        w[0] = [s, g["duration"] + 10.0, sc]
    rows.append(row)
dump("mr/gt_val150.jsonl", gt150, jsonl=True)
dump("mr/preds_windows.jsonl", rows, jsonl=True)
extra = [{"qid": g["qid"], "query": g["query"], "vid": g["vid"], "pred_relevant_windows": [[0.0, 10.0, 0.9]],
          "pred_saliency_scores": [0.5] * int(g["duration"] / 2)} for g in test[:5]]
dump("mr/preds_outside_gt.jsonl", rows + extra, jsonl=True)

# --------------------------------------------------------------------------------------------- dvc
dvc_pred = json.loads((TM / "dvc" / "subset20_pred.json").read_text())
dvc_gt_all = json.loads((TM / "dvc" / "example_gt_file.json").read_text())["annotations"]
dvc_prompt = prompt("dvc_description_zeroshot.txt")


def dvc_text(events, v):
    if v == 6:
        return "The cook prepares a fresh salad with vegetables and a light dressing."
    if v == 7:
        return "At 35 seconds, the cook adds oil to the pan and fries the onions."
    if v % 5 == 3:
        return "\n".join(f"{i + 1}. Start time: {ev['timestamp'][0]} seconds\nEnd time: {ev['timestamp'][1]} seconds\n"
                         f"Description: {ev['caption']}" for i, ev in enumerate(events))
    if v % 5 == 4:
        return "\n".join(f"Event {i + 1}: start time {ev['timestamp'][0]}, end time {ev['timestamp'][1]}, {ev['caption']}"
                         for i, ev in enumerate(events))
    lines = []
    for i, ev in enumerate(events):
        s, e = ev["timestamp"]
        if v == 2 and i == 1:
            s, e = e, s  # a reversed pair, kept as written by the parser
        lines.append(f"{s} - {e} seconds, {ev['caption']}")
    return ("\n" if v % 2 else " ").join(lines)


raw = [{"vname": vid, "generated_cap": dvc_text(events, v), "prompt": dvc_prompt} for v, (vid, events) in enumerate(dvc_pred.items())]
extra = dvc_gt_all[20]
assert extra["image_id"] not in dvc_pred
raw.append({"vname": extra["image_id"], "generated_cap": "0.0 - 10.0 seconds, wash the vegetables.", "prompt": dvc_prompt})
dump("dvc/raw_results.json", raw)
dvc_gt = {g["image_id"]: g for g in json.loads((TM / "dvc" / "subset20_val.caption_coco_format.json").read_text())["annotations"]}
windows = {}
for v, (vid, events) in enumerate(dvc_pred.items()):
    events = json.loads(json.dumps(events))
    s, e = events[0]["timestamp"]
    events[0]["timestamp"] = ([round(s - 10.0, 1), e], [e, s], [s, dvc_gt[vid]["duration"] + 20.0], [s, e])[v % 4]
    windows[vid] = events
dump("dvc/pred_windows.json", windows)
