"""`timechat eval`: metrics with the reference evaluators' semantics."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from timechat_cli.commands.parse import Parser
from timechat_cli.console import err, warn


class EvalTask(str, Enum):
    tvg = "tvg"
    dvc = "dvc"
    step = "step"
    vhd = "vhd"
    mr = "mr"
    summarization = "summarization"


class MatchQids(str, Enum):
    equal = "equal"
    intersection = "intersection"


class Protocol(str, Enum):
    per_video = "per-video"
    corpus = "corpus"


# Typer renders help with Rich markup: "[" is escaped, and each paragraph is one line.
HELP = r"""Score predictions against ground truth; metrics as JSON on stdout, a table and warnings on stderr.

Predictions are recognised by shape: answer rows as timechat infer writes them (JSON or JSONL \[{"id"|"qid"|"video": ..., "text": ...}]), TimeChat's raw results as its evaluate.py saves them (\[{"vname", "generated_cap", "query", "id"}]; --parser timechat reproduces its format_tvg / format_vhd / format_dvc), or the structured files of the reference evaluators; a file of no known shape gets one line naming the shapes accepted.

Windows that start before 0, end past the video or end before they start are scored as the task's reference evaluator scores them (as written) and counted per kind in a "warnings" block at the end of the JSON and on stderr; vhd never reads windows. --strict refuses negative times instead.

tvg (Charades-STA): --gt TimeChat coco json ({"annotations": \[{"id", "image_id", "timestamp"}]}; a "duration" per row lets windows past the video be counted); --pred {"<id>": {"timestamp": \[\[s, e]]}}, answer rows with "id" or TimeChat raw results. R1@0.3/0.5/0.7 (first window, empty = miss, IoU >= t) and mIoU, in percent. --sample scores only the predicted ids; --match-qids intersection also drops (and counts) predicted ids outside the GT, which TimeChat's eval_tvg.py cannot score (KeyError).

vhd / mr (QVHighlights): --gt moment_detr JSONL (highlight_val_release.jsonl); --pred a moment_detr submission JSONL, TimeChat's formatted VHD list \[{"qid", "pred_saliency_scores"}], answer rows with "qid" or TimeChat raw results. The standalone evaluator's keys and rounding; --match-qids intersection for TimeChat's eval_vhd.py, which drops (and here counts) rows outside the GT.

dvc / step (YouCook2, ActivityNet, COIN): --gt TimeChat coco json; --pred {"<video>.mp4": \[{"timestamp": \[s, e], "caption"}]}, answer rows with "video" or TimeChat raw results; predictions for videos outside the GT are ignored, as eval_dvc.py does, and counted. P/R/F1 at tIoU 0.3-0.9, CIDEr, METEOR, SODA_c (Java needed). --protocol per-video reproduces TimeChat's metrics/dvc/eval_dvc.py at c60b332 value for value (per-video averaging, as densevid_eval has done since its commit b8d9070 of 2017-06-30); --protocol corpus pools each threshold's caption pairs of all videos into one CIDEr/METEOR corpus, the way densevid_eval scored before that commit, but with TimeChat's pairs, so it reproduces no published evaluator's numbers.

summarization (TVSum): --gt ydata-tvsum50.mat; --pred {"<video>": \[score per 2 s clip]} or answer rows with "video". Top-5 mAP over annotators.

Examples:

  timechat eval --task tvg --pred charades_pred.json --gt test.caption_coco_format.json --sample

  timechat eval --task tvg --pred charades_test_f96_result.json --gt test.caption_coco_format.json --parser timechat

  timechat eval --task vhd --pred answers.jsonl --gt highlight_val_release.jsonl --per-item items.jsonl

  timechat eval --task dvc --pred fmt_youcook2.json --gt val.caption_coco_format.json

  timechat eval --task mr --pred moment_detr_preds.jsonl --gt highlight_val_release.jsonl

  timechat eval --task summarization --pred tvsum_answers.jsonl --gt ydata-tvsum50.mat
"""


def eval_(
    task: Annotated[EvalTask, typer.Option(help="What to score.")],
    pred: Annotated[Path, typer.Option(help="Predictions file.", exists=True, dir_okay=False)],
    gt: Annotated[Path, typer.Option(help="Ground-truth file.", exists=True, dir_okay=False)],
    parser: Annotated[Parser, typer.Option(help="Parser for raw model text.")] = Parser.robust,
    per_item: Annotated[Path | None, typer.Option(help="Write per-query / per-video values (JSONL).")] = None,
    sample: Annotated[bool, typer.Option("--sample", help="tvg: score only ids present in the predictions.")] = False,
    match_qids: Annotated[MatchQids, typer.Option(
        help="tvg/vhd/mr: equal id sets, or their intersection (rows outside the GT dropped and counted).")
    ] = MatchQids.equal,
    protocol: Annotated[Protocol, typer.Option(
        help="dvc: per-video (TimeChat's eval_dvc.py at c60b332) or corpus (pooled; no published evaluator).")
    ] = Protocol.per_video,
    split: Annotated[str, typer.Option(help="dvc: split name of the GT (val gives the key SODA_c_2).")] = "val",
    strict: Annotated[bool, typer.Option("--strict", help="Refuse negative predicted times instead of scoring "
                                                          "them as the reference does.")] = False,
) -> None:
    import json

    from timechat_core.eval.run import evaluate
    from timechat_core.eval.windows import KINDS
    from timechat_core.fileio import write_jsonl_atomic

    metrics, rows = evaluate(task.value, pred, gt, parser=parser.value, sample=sample, match_qids=match_qids.value,
                             protocol=protocol.value, split=split, strict=strict)
    if per_item is not None:
        write_jsonl_atomic(per_item, rows)
        err.print(f"wrote {len(rows)} per-item rows to {per_item}")
    _table(task.value, metrics)
    for kind, count in metrics.get("warnings", {}).items():
        warn(f"{count} {KINDS[kind]}")
    print(json.dumps(metrics, indent=1, ensure_ascii=False))


eval_.__doc__ = HELP


def _table(task: str, metrics: dict) -> None:
    from rich.table import Table

    flat = metrics.get("brief") or metrics.get("summary") or metrics
    table = Table(title=f"eval {task}", title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in flat.items():
        if isinstance(value, (int, float)):
            table.add_row(str(key), f"{value:.4g}" if isinstance(value, float) else str(value))
    err.print(table)
