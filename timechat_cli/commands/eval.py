"""`timechat eval`: metrics with the reference evaluators' semantics."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from timechat_cli.commands.parse import Parser
from timechat_cli.console import err


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
HELP = r"""Score predictions against ground truth; metrics as JSON on stdout, a table on stderr.

Predictions are raw model outputs (JSONL rows {"id"|"qid"|"video": ..., "text": ...}, parsed with --parser) or the structured files of the reference evaluators.

tvg (Charades-STA): --gt TimeChat coco json ({"annotations": \[{"id", "image_id", "timestamp"}]}); --pred {"<id>": {"timestamp": \[\[s, e]]}} or raw rows with "id". R1@0.3/0.5/0.7 (first window, empty = miss, IoU >= t) and mIoU, in percent. --sample scores only the predicted ids.

vhd / mr (QVHighlights): --gt moment_detr JSONL (highlight_val_release.jsonl); --pred a moment_detr submission JSONL, TimeChat's VHD list \[{"qid", "pred_saliency_scores"}] or raw rows with "qid". The standalone evaluator's keys and rounding; --match-qids intersection for TimeChat's variant.

dvc / step (YouCook2, ActivityNet, COIN): --gt TimeChat coco json; --pred {"<video>.mp4": \[{"timestamp": \[s, e], "caption"}]} or raw rows with "video". Per-video P/R/F1 at tIoU 0.3-0.9, CIDEr, METEOR, SODA_c (Java needed); --protocol corpus for densevid_eval style.

summarization (TVSum): --gt ydata-tvsum50.mat; --pred {"<video>": \[score per 2 s clip]} or raw rows with "video". Top-5 mAP over annotators.

Examples:

  timechat eval --task tvg --pred charades_pred.json --gt test.caption_coco_format.json --sample

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
    match_qids: Annotated[MatchQids, typer.Option(help="vhd/mr: equal qid sets, or their intersection.")] = MatchQids.equal,
    protocol: Annotated[Protocol, typer.Option(help="dvc: per-video (TimeChat, Vid2Seq) or corpus.")] = Protocol.per_video,
    split: Annotated[str, typer.Option(help="dvc: split name of the GT (val gives the key SODA_c_2).")] = "val",
) -> None:
    import json

    from timechat_core.eval.run import evaluate
    from timechat_core.fileio import write_jsonl_atomic

    metrics, rows = evaluate(task.value, pred, gt, parser=parser.value, sample=sample,
                             match_qids=match_qids.value, protocol=protocol.value, split=split)
    if per_item is not None:
        write_jsonl_atomic(per_item, rows)
        err.print(f"wrote {len(rows)} per-item rows to {per_item}")
    _table(task.value, metrics)
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
