"""moment_detr standalone_eval.eval.eval_submission with match_number=False (what TimeChat's eval_vhd.py
calls; eval.py's own main asserts equal qid sets). usage: run_moment_detr.py MD_REPO SUB GT OUT"""
import json, sys
md, sub, gt, out = sys.argv[1:5]
sys.path.insert(0, md)
from standalone_eval.eval import eval_submission
from standalone_eval.utils import load_jsonl
res = eval_submission(load_jsonl(sub), load_jsonl(gt), verbose=False, match_number=False)
open(out, "w").write(json.dumps(res, indent=4))
