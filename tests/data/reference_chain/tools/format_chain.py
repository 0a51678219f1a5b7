"""Run TimeChat's evaluate.py formatting step (format_tvg / format_vhd / format_dvc) on a raw result file.

evaluate.py imports torch and the model at the top, so its three format functions are taken from its
source with `ast` and executed unchanged, with the `format_*_output` helpers imported from
`utils/format_{dvc,tvg,vhd}.py`. `pdb.set_trace` is replaced by a no-op first, so that the DVC
"start time X, end time Y" branch continues instead of stopping. The output is written as
evaluate.py's save_result writes it (json.dump).
usage: format_chain.py REF TASK RAW OUT [COCO_GT]   (REF = the TimeChat checkout; COCO_GT for vhd)
"""
import ast, json, pdb, sys
ref, task, raw, out = sys.argv[1:5]
pdb.set_trace = lambda *a, **k: None
sys.path.insert(0, ref)
from utils.format_dvc import format_dvc_output
from utils.format_tvg import format_tvg_output
from utils.format_vhd import format_vhd_output
tree = ast.parse(open(f"{ref}/evaluate.py").read())
funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in ("format_dvc", "format_tvg", "format_vhd")]
ns = {"format_dvc_output": format_dvc_output, "format_tvg_output": format_tvg_output,
      "format_vhd_output": format_vhd_output}
exec(compile(ast.Module(body=funcs, type_ignores=[]), f"{ref}/evaluate.py", "exec"), ns)
results = json.load(open(raw))
if task == "vhd":
    fmt = ns["format_vhd"](results, json.load(open(sys.argv[5]))["annotations"])
else:
    fmt = ns[f"format_{task}"](results)
with open(out, "w") as f:
    json.dump(fmt, f)
