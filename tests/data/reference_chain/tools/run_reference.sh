#!/usr/bin/env bash
# Make the inputs of tests/data/reference_chain/ and run the reference code on each, outside the repository.
# usage: run_reference.sh TIMECHAT MOMENT_DETR DATA OUT
#   TIMECHAT     checkout of RenShuhuai-Andy/TimeChat (c60b332), with pycocoevalcap 1.2's jars copied into
#                metrics/dvc/metrics/ (meteor-1.5.jar, data/paraphrase-en.gz, stanford-corenlp-3.4.1.jar)
#   MOMENT_DETR  checkout of jayleicn/moment_detr (b7e553a)
#   DATA         the repository's tests/data;  OUT: where to write (copied into tests/data/reference_chain/)
# Python 3.11 with numpy, scikit-learn, six (as `python`); Java for METEOR and the PTB tokenizer.
set -euo pipefail
ref=$(realpath "$1") md=$(realpath "$2") data=$(realpath "$3") out=$(mkdir -p "$4" && realpath "$4")
here=$(dirname "$(realpath "$0")")
tm=$data/timechat_metrics qvh=$data/qvhighlights
python "$here/make_inputs.py" "$data" "$out"
mkdir -p "$out/parsers"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# tvg: evaluate.py's format_tvg on the raw results, then eval_tvg.py --sample; the two window files
python "$here/format_chain.py" "$ref" tvg "$out/tvg/raw_results.json" "$out/tvg/expected_raw_results_formatted.json"
python "$here/run_tvg.py" "$ref" "$out/tvg/expected_raw_results_formatted.json" "$tm/tvg/example_gt_file.json" \
  "$out/tvg/expected_raw_results_metrics.json" --sample
python "$here/run_tvg.py" "$ref" "$out/tvg/pred_windows.json" "$out/tvg/gt_sample500_duration.json" \
  "$out/tvg/expected_pred_windows_metrics.json"
python "$here/run_tvg.py" "$ref" "$out/tvg/pred_outside_gt.json" "$tm/tvg/example_gt_file.json" "$tmp/with.json" --sample
python "$here/run_tvg.py" "$ref" "$tm/tvg/example_pred_file.json" "$tm/tvg/example_gt_file.json" "$tmp/without.json" --sample
python -c "import json, sys; json.dump({'with_the_outside_rows': json.load(open(sys.argv[2])),
  'outside_rows_removed': json.load(open(sys.argv[3]))}, open(sys.argv[1], 'w'), indent=1)" \
  "$out/tvg/expected_pred_outside_gt_metrics.json" "$tmp/with.json" "$tmp/without.json"

# vhd: evaluate.py's format_vhd (durations from the coco file made beside the raw results), then eval_vhd.py
python "$here/format_chain.py" "$ref" vhd "$out/vhd/raw_results.json" "$out/vhd/expected_raw_results_formatted.json" \
  "$out/vhd/coco_for_format_vhd.json"
(cd "$ref/metrics/vhd" && python eval_vhd.py --pred_file "$out/vhd/expected_raw_results_formatted.json" \
  --gt_file "$qvh/highlight_val_release.jsonl" --save_path "$out/vhd/expected_raw_results_metrics.json")

# mr: moment_detr's standalone_eval/eval.py (equal qid sets), and eval_submission(match_number=False)
(cd "$md" && PYTHONPATH=. python standalone_eval/eval.py --submission_path "$out/mr/preds_windows.jsonl" \
  --gt_path "$out/mr/gt_val150.jsonl" --save_path "$out/mr/expected_preds_windows_metrics.json" --not_verbose)
python "$here/run_moment_detr.py" "$md" "$out/mr/preds_outside_gt.jsonl" "$out/mr/gt_val150.jsonl" \
  "$out/mr/expected_preds_outside_gt_metrics.json"

# dvc: evaluate.py's format_dvc (pdb.set_trace a no-op), then eval_dvc.py; and the window file
python "$here/format_chain.py" "$ref" dvc "$out/dvc/raw_results.json" "$out/dvc/expected_raw_results_formatted.json"
python "$here/run_dvc.py" "$ref" "$out/dvc/expected_raw_results_formatted.json" \
  "$tm/dvc/subset20_val.caption_coco_format.json" val "$out/dvc/expected_raw_results_metrics.json"
python "$here/run_dvc.py" "$ref" "$out/dvc/pred_windows.json" "$tm/dvc/subset20_val.caption_coco_format.json" val \
  "$out/dvc/expected_pred_windows_metrics.json"

# the three format functions, branch by branch
python "$here/run_parser_branches.py" "$ref" "$here/../parsers/branches.json" "$out/parsers/expected_branches.json"
