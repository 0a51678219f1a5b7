"""The batch results browser: a `timechat infer --manifest` predictions file joined with its ground
truth and `timechat eval --per-item` rows.

Predictions join the ground truth on the item key (`task:id`, what a manifest run writes) and the
per-item rows on `id` (tvg), `qid` (vhd, mr), the video name (dvc, step) or `video_id`
(summarization). IoU is the row's `iou` (tvg) or `r1_iou` (mr).
"""

from __future__ import annotations

import os
from pathlib import Path

from timechat_core.infer.batch import read_records
from timechat_core.infer.manifest import resolve_video
from timechat_core.ui.catalog import Catalog, public
from timechat_core.ui.paths import Roots


def _metric_keys(row: dict) -> list[str]:
    keys = [str(row[k]) for k in ("id", "qid", "video_id") if row.get(k) is not None]
    if row.get("video") is not None:
        keys.append(os.path.splitext(os.path.basename(str(row["video"])))[0])
    return keys


def _record_keys(rec: dict) -> list[str]:
    keys = [str(rec[k]) for k in ("id", "qid") if rec.get(k) is not None]
    if rec.get("video") is not None:
        keys.append(os.path.splitext(os.path.basename(str(rec["video"])))[0])
    return keys


class Results:
    """One opened predictions file with its ground truth and per-item rows."""

    def __init__(self, roots: Roots, catalog: Catalog, pred: str, gt: str | None = None,
                 per_item: str | None = None):
        from timechat_core.fileio import read_json_or_jsonl

        pred_path = roots.resolve(pred)
        self.records = read_records(pred_path)
        gt_entries = catalog.ground_truth(roots.resolve(gt)) if gt else []
        self.gt = {e["key"]: e for e in gt_entries}
        rows = read_json_or_jsonl(roots.resolve(per_item)) if per_item else []
        self.metrics: dict[str, dict] = {}
        for row in rows if isinstance(rows, list) else []:
            for key in _metric_keys(row):
                self.metrics.setdefault(key, row)
        self.roots, self.pred_dir = roots, pred_path.parent
        self.gt_dir = roots.resolve(gt).parent if gt else None

    def _video_ref(self, rec: dict, g: dict | None) -> str | None:
        candidates = [g["path"]] if g else []
        for folder in (self.gt_dir, self.pred_dir):
            if folder is not None:
                candidates.append(resolve_video(str(rec.get("video", "")), folder))
        for path in candidates:
            if Path(path).is_file():
                return self.roots.ref(path)
        return None

    def _join(self, n: int) -> tuple[dict, dict | None, dict | None]:
        rec = self.records[n]
        g = self.gt.get(f"{rec.get('task')}:{rec.get('id')}")
        row = next((self.metrics[k] for k in _record_keys(rec) if k in self.metrics), None)
        return rec, g, row

    def items(self) -> list[dict]:
        """One summary row per prediction, for the table."""
        out = []
        for n in range(len(self.records)):
            rec, g, row = self._join(n)
            iou = None if row is None else row.get("iou", row.get("r1_iou"))
            out.append({"n": n, "id": rec.get("id"), "video": rec.get("video"), "task": rec.get("task"),
                        "query": rec.get("query"), "status": rec.get("status"),
                        "parse_status": rec.get("parse_status"), "iou": iou, "has_gt": g is not None})
        return out

    def item(self, n: int) -> dict:
        """The whole record of one prediction, with its GT entry, metrics row and video reference."""
        if not 0 <= n < len(self.records):
            raise IndexError(n)
        rec, g, row = self._join(n)
        return {"record": rec, "ground_truth": [public(g)] if g else [], "metrics": row,
                "video_ref": self._video_ref(rec, g)}
