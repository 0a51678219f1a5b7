"""Run TimeChat's three format functions on each case of a branch list; write what each returns or raises.

tvg: utils/format_tvg.py format_tvg_output(text); dvc: utils/format_dvc.py format_dvc_output(text)
(pdb.set_trace replaced by a no-op, so the 'start time X, end time Y' branch continues); vhd:
utils/format_vhd.py parse_highlights(text) and format_vhd_output(text, {"duration": d}).
usage: run_parser_branches.py REF CASES OUT
"""
import json, pdb, sys
ref, cases, out = sys.argv[1:4]
pdb.set_trace = lambda *a, **k: None
sys.path.insert(0, ref)
from utils.format_dvc import format_dvc_output
from utils.format_tvg import format_tvg_output
from utils.format_vhd import format_vhd_output, parse_highlights


def run(case):
    text = case["text"]
    if case["task"] == "tvg":
        return {"windows": format_tvg_output(text)}
    if case["task"] == "dvc":
        timestamps, captions = format_dvc_output(text)
        return {"timestamps": timestamps, "captions": captions}
    highlights, times, scores = parse_highlights(text)
    result = {"highlights": highlights, "times": times, "scores": scores}
    try:
        result["clip_scores"] = format_vhd_output(text, {"duration": case["duration"]})[1]
    except Exception as e:
        result["clip_scores_error"] = f"{type(e).__name__}: {e}"
    return result


rows = []
for case in json.load(open(cases)):
    try:
        rows.append({**case, "reference": run(case)})
    except Exception as e:
        rows.append({**case, "reference_error": f"{type(e).__name__}: {e}"})
json.dump(rows, open(out, "w"), indent=1)
