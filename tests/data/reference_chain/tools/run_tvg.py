"""Run TimeChat's metrics/tvg/eval_tvg.py as a script; write its printed R1 values (exact floats) as JSON.

usage: run_tvg.py REF PRED GT OUT [--sample]
"""
import contextlib, io, json, re, runpy, sys
ref, pred, gt, out = sys.argv[1:5]
sys.argv = [f"{ref}/metrics/tvg/eval_tvg.py", "--pred_file", pred, "--gt_file", gt] + sys.argv[5:]
buf = io.StringIO()
result = {}
try:
    with contextlib.redirect_stdout(buf):
        runpy.run_path(sys.argv[0], run_name="__main__")
    for t, v in re.findall(r"IOU (0\.\d): (\S+)", buf.getvalue()):
        result[f"R1@{t}"] = float(v)
except Exception as e:
    result["error"] = f"{type(e).__name__}: {e}"
result["stdout"] = buf.getvalue()
json.dump(result, open(out, "w"), indent=1)
