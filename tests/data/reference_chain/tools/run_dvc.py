"""Run TimeChat's metrics/dvc/eval_dvc.py on PRED against GT; write its results at full precision as JSON.

eval_with_files derives the split from the GT file name, so the GT is copied to
<tmp>/<SPLIT>.caption_coco_format.json first; evaluate_para's return value (eval_with_files only
prints it) is kept. The Java jars (meteor-1.5.jar, paraphrase-en.gz, stanford-corenlp-3.4.1.jar) are
Git LFS files in TimeChat's repository; pycocoevalcap 1.2's copies go into metrics/dvc/metrics/.
usage: run_dvc.py REF PRED GT SPLIT OUT   (REF = the TimeChat checkout)
"""
import json, os, shutil, sys, tempfile
ref, pred, gt, split, out = sys.argv[1], *map(os.path.abspath, sys.argv[2:4]), sys.argv[4], os.path.abspath(sys.argv[5])
gt_named = os.path.join(tempfile.mkdtemp(), f"{split}.caption_coco_format.json")
shutil.copy(gt, gt_named)
os.chdir(f"{ref}/metrics/dvc")
sys.path.insert(0, os.getcwd())
import eval_dvc
paragraph = {}
_evaluate_para = eval_dvc.evaluate_para
eval_dvc.evaluate_para = lambda p, g: paragraph.update(_evaluate_para(p, g)) or paragraph
res = eval_dvc.eval_with_files(pred, gt_named)
per_video = {k: {m: float(v[i]) for m, v in res.items() if m != "key"} for i, k in enumerate(res["key"])}
summary = {m: float(sum(v) / len(v)) for m, v in res.items() if m != "key"}
json.dump({"paragraph": {k: float(v) for k, v in paragraph.items()}, "summary_mean_over_videos": summary,
           "per_video": per_video}, open(out, "w"), indent=1)
