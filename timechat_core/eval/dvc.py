"""Dense video captioning metrics with the semantics of TimeChat's evaluator.

Reproduces RenShuhuai-Andy/TimeChat `metrics/dvc/eval_dvc.py` (a port of the Vid2Seq / scenic
`dvc_eval` code, itself following ranjaykrishna/densevid_eval), value for value: paragraph
CIDEr-D/METEOR, per-video Precision/Recall at tIoU {0.3, 0.5, 0.7, 0.9}, F1, CIDEr-D, METEOR and
SODA_c, averaged over the ground-truth videos. Scores are fractions (TimeChat prints x100, rounded).

Quirks of the reference that are kept on purpose (each changes numbers):

- Localisation: a segment is covered when IoU is strictly `>` the threshold; caption matching
  pairs a prediction with every GT segment whose IoU is `>=` the threshold. IoU uses
  `min(span, len1 + len2) + 1e-8` as the union and swaps reversed intervals.
- A prediction that matches no GT segment at a threshold is scored against a random string of
  10-20 lowercase letters (the reference uses the unseeded `random` module). Here the fillers
  come from `random.Random(seed)`. Their letters never change a score: a filler is one token
  (PTB leaves a run of 10+ ASCII letters as it is, so fillers skip the tokenizer) that shares no
  n-gram and no METEOR match with the caption. CIDEr-D: the pair scores exactly 0, and its unique
  n-gram leaves the other pairs' IDF alone (the pair still counts in the corpus size, as in the
  reference). METEOR: only its length, always 1 word, enters the group's statistics, so its
  statistics depend on the hypothesis alone and are fetched once per distinct caption. Only a
  filler equal to a real word or stem could differ (odds below 26**-10 per filler); the benchmark
  checks the per-video numbers against a run with the reference's own draws.
- Every video's CIDEr-D takes its IDF from that video's items at that threshold; METEOR is the
  jar's aggregate over the same items. Both are then averaged over the 4 thresholds.
- F1_Score is per video, from that video's mean P and R, then averaged over videos.
- SODA_c (tIoU threshold 0): METEOR is asked with the *prediction as reference and the GT caption
  as hypothesis* (the original SODA argument order), and its per-pair scores come back in the
  string order of the prediction indices ("0", "1", "10", "2", ...), which the reference then
  multiplies with the IoU matrix in numeric order: for videos with more than 10 predictions the
  METEOR and IoU columns are misaligned. Kept, because the published numbers include it.
- Videos without predictions count as zeros; predictions for videos not in the GT are ignored
  (counted as "outside_gt" in the "warnings" block, `windows.py`).
- Predicted segments are used as written: one starting before 0 or ending past the video keeps its
  IoU, a reversed one is swapped by the IoU formula (all counted in "warnings"). Times given as text,
  which the reference's own formatter writes for "start time X, end time Y" answers, stay text: its
  IoU orders them with min()/max() of the strings ("12.0" < "5.0"), so `vid2seq_iou` gets the strings
  too ("text_times" in "warnings"). `strict=True` (the default here; `timechat eval --strict`) refuses
  negative times instead.
- Paragraph scores zip the predicted paragraphs (videos *with* predictions only) against the GT
  paragraphs of *all* videos in order, so one missing video misaligns every later pair.
- `SODA_c_<split>` (train=1, val=2, test=3) is the real value; the other SODA_c_1/SODA_c_2 keys
  are -1 placeholders, as the reference reports them.

With `protocol="corpus"` the CIDEr and METEOR summary values follow the ActivityNet
densevid_eval style instead: for each threshold the matched (and filler) pairs of all videos are
pooled into one corpus (one IDF, one METEOR aggregate), then the 4 thresholds are averaged.
Videos without predictions add no pairs. Everything else (P/R/F1, SODA_c, paragraph, per-video
rows) is as in the per-video protocol.

The reference starts the Java tools many times and asks METEOR one line at a time; here the same
numbers come from one PTBTokenizer run over all distinct captions, one METEOR process fed every
distinct `SCORE` line once (pipelined, see `captions.py`), CIDEr-D computed in Python while the
jar loads, and no METEOR request for SODA cells whose IoU is 0 (the product is 0 either way).
Typical use::

    gt = load_dvc_gt("val.caption_coco_format.json")
    metrics, rows = evaluate_dvc(load_dvc_predictions("pred.json"), gt, split="val")
"""

from __future__ import annotations

import os
import random
import re
import string
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from timechat_core.errors import InputError
from timechat_core.eval.captions import MeteorProcess, cider_d, default_heap, meteor_score_line, tokenize
from timechat_core.eval.iou import vid2seq_iou
from timechat_core.eval.windows import Warnings, read_time
from timechat_core.fileio import check_time, read_json

THRESHOLDS = (0.3, 0.5, 0.7, 0.9)
SPLITS = {"train": 1, "val": 2, "test": 3}
DATASETS = ("auto", "youcook2", "activitynet")
PROTOCOLS = ("per-video", "corpus")
_MAX_ISSUES = 20  # problems listed in one InputError before "... and N more"
_EVAL_CHUNK = 100  # statistics per METEOR EVAL line for the per-pair SODA scores


@dataclass
class DvcVideo:
    """One ground-truth video of a dense-captioning file (`gt_videos`), and the predictions attached to it."""

    key: str  # last path component of image_id: the reference's video key
    image_id: str
    gt_segments: list[tuple[float, float]]
    gt_captions: list[str]
    duration: float | None = None  # the row's "duration", when it has one
    # numbers, or both ends as text (the reference then compares them as text)
    pred_segments: list[tuple[float, float] | tuple[str, str]] = field(default_factory=list)
    pred_captions: list[str] = field(default_factory=list)
    # per threshold: [(item id, reference, prediction, is_filler)] in the reference's scoring order
    items: dict[float, list[tuple[int, str, str, bool]]] = field(default_factory=dict)


# ----------------------------------------------------------------------------- loading and checks


def load_dvc_gt(path: str | os.PathLike) -> list[dict]:
    """Read TimeChat's coco-format dense-captioning GT (`{"annotations": [...]}` or a bare list).

    Rows need `image_id`, `segments` ([[start, end], ...] in seconds) and `pure_cap` (YouCook2)
    or `caption` (ActivityNet). Every problem is reported at once.

    Raises:
        InputError: Unreadable JSON or malformed rows; the message names the file.
    """
    data = read_json(path)
    rows = data.get("annotations") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise InputError(f"{path}: expected a list of rows or an object with an 'annotations' list")
    gt_videos(rows, "auto", str(path))
    return rows


def load_dvc_predictions(path: str | os.PathLike, *, strict: bool = True) -> dict[str, list[dict]]:
    """Read formatted predictions `{video: [{"timestamp": [s, e], "caption": str}, ...]}`.

    A densevid_eval submission (`{"results": {video: [{"timestamp", "sentence"}]}}`) is also read.
    Times given as two strings stay strings (see the module docstring).

    Raises:
        InputError: Unreadable JSON, bad times (NaN, not numbers; negative when `strict`) or missing
            fields; names the file.
    """
    data = read_json(path)
    if isinstance(data, dict) and isinstance(data.get("results"), dict) and "version" in data:
        data = {vid: [{**ev, "caption": ev.get("caption", ev.get("sentence"))} if isinstance(ev, dict) else ev
                      for ev in events] if isinstance(events, list) else events
                for vid, events in data["results"].items()}
    return _clean_predictions(data, str(path), strict)


def _raise(issues: list[str]) -> None:
    if issues:
        more = f"\n... and {len(issues) - _MAX_ISSUES} more" if len(issues) > _MAX_ISSUES else ""
        raise InputError("\n".join(issues[:_MAX_ISSUES]) + more)


def _segment(value: Any, where: str) -> tuple[float, float]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise InputError(f"{where}: expected [start, end], got {value!r}")
    return check_time(value[0], where), check_time(value[1], where)


def _pred_segment(value: Any, where: str, strict: bool) -> list:
    """A predicted [start, end]: any finite numbers (non-negative when `strict`); two strings stay strings."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise InputError(f"{where}: expected [start, end], got {value!r}")
    times = [read_time(t, where, strict=strict) for t in value]
    return list(value) if all(isinstance(t, str) for t in value) else times


def _gt_captions(row: dict, dataset: str) -> list[str] | None:
    # YouCook2 paragraphs are split on ". "; ActivityNet on "." keeping pieces longer than 5 chars.
    if dataset == "youcook2" or (dataset == "auto" and "pure_cap" in row):
        text = row.get("pure_cap")
        return [c + "." for c in text.split(". ")] if isinstance(text, str) else None
    text = row.get("caption")
    if not isinstance(text, str):
        return None
    return [c.strip(" ") + "." for c in text.split(".") if len(c) > 5]


def gt_videos(rows: list, dataset: str, where: str) -> list[DvcVideo]:
    """The videos of coco-format ground-truth rows, captions split as the reference splits them (`dataset`:
    auto, youcook2 or activitynet); every malformed row is reported in one InputError naming `where`."""
    issues: list[str] = []
    videos: list[DvcVideo] = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        at = f"{where}: row {i + 1}"
        if not isinstance(row, dict) or row.get("image_id") in (None, ""):
            issues.append(f"{at}: missing image_id")
            continue
        key = str(row["image_id"]).split("/")[-1]
        at = f"{at} ({key})"
        if key in seen:
            issues.append(f"{at}: duplicate video id")
        seen.add(key)
        segs = row.get("segments")
        if not isinstance(segs, list) or not segs:
            issues.append(f"{at}: 'segments' must be a non-empty list of [start, end]")
            continue
        try:
            segments = [_segment(s, f"{at} segment {j + 1}") for j, s in enumerate(segs)]
        except InputError as e:
            issues.append(str(e))
            continue
        try:
            duration = None if row.get("duration") is None else check_time(row["duration"], f"{at} duration")
        except InputError as e:
            issues.append(str(e))
            continue
        caps = _gt_captions(row, dataset)
        if caps is None:
            issues.append(f"{at}: no caption text ('pure_cap' for YouCook2, 'caption' for ActivityNet)")
        elif len(caps) != len(segments):
            issues.append(f"{at}: {len(caps)} captions for {len(segments)} segments")
        else:
            videos.append(DvcVideo(key, str(row["image_id"]), segments, caps, duration))
    _raise(issues)
    return videos


def _clean_predictions(data: Any, where: str, strict: bool) -> dict[str, list[dict]]:
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected an object mapping video id to a list of events")
    issues: list[str] = []
    out: dict[str, list[dict]] = {}
    for vid, events in data.items():
        if not isinstance(events, list):
            issues.append(f"{where}: video {vid!r}: expected a list of events")
            continue
        clean = []
        for j, ev in enumerate(events):
            at = f"{where}: video {vid!r} event {j + 1}"
            if not isinstance(ev, dict) or not isinstance(ev.get("caption"), str):
                issues.append(f"{at}: needs a 'timestamp' and a string 'caption'")
                continue
            try:
                clean.append({"timestamp": _pred_segment(ev.get("timestamp"), at, strict), "caption": ev["caption"]})
            except InputError as e:
                issues.append(str(e))
        out[str(vid)] = clean
    _raise(issues)
    return out


# ----------------------------------------------------------------------------- reference pieces


def _parse_sent(text: str) -> str:
    """Paragraph preprocessing: non-letters become spaces, lower case, single spaces."""
    return " ".join(re.sub("[^a-zA-Z]", " ", text).strip().lower().split())


def _filler(rng: random.Random) -> str:
    # Like the reference's random_string(random.randint(10, 20)), with the faster choices().
    return "".join(rng.choices(string.ascii_lowercase, k=rng.randint(10, 20)))


def _sorted_keys(n: int) -> list[int]:
    """0..n-1 in the string order the reference's dict keys are sorted in ("0", "1", "10", "2")."""
    return sorted(range(n), key=str)


def detection_scores(iou: np.ndarray) -> dict[str, float]:
    """Localisation precision / recall at each tIoU threshold and their F1, from the (ground truth x prediction)
    IoU matrix of one video, as `eval_dvc.py` counts them (a prediction hits when its IoU with any segment
    is above the threshold, a segment is recalled when any prediction's is)."""
    out: dict[str, float] = {}
    n_gt, n_pred = iou.shape
    precisions, recalls = [], []
    for t in THRESHOLDS:
        hit = iou > t
        precisions.append(float(int(hit.any(axis=0).sum())) / max(float(n_pred), 1.0))
        recalls.append(float(int(hit.any(axis=1).sum())) / float(n_gt))
    for t, p, r in zip(THRESHOLDS, precisions, recalls):
        out[f"Precision@{t}"] = p
        out[f"Recall@{t}"] = r
    p, r = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
    out["Precision_Mean"] = p
    out["Recall_Mean"] = r
    out["F1_Score"] = 2 * r * p / (r + p) if r + p > 0 else 0
    return out


def _match(v: DvcVideo, iou: np.ndarray, rng: random.Random) -> None:
    """Build the caption items of one video: (id, reference, prediction, is_filler) per threshold."""
    v.items = {t: [] for t in THRESHOLDS}
    next_id = 0
    for p, caption in enumerate(v.pred_captions):
        added = dict.fromkeys(THRESHOLDS, False)
        for g, gt_caption in enumerate(v.gt_captions):
            for t in THRESHOLDS:
                if iou[g, p] >= t:
                    v.items[t].append((next_id, gt_caption, caption, False))
                    next_id += 1
                    added[t] = True
        for t in THRESHOLDS:
            if not added[t]:
                v.items[t].append((next_id, _filler(rng), caption, True))
                next_id += 1
    for t in THRESHOLDS:
        # The reference scores items in the string order of their ids.
        v.items[t].sort(key=lambda item: str(item[0]))


def _cider_pairs(items: list[tuple[int, str, str, bool]], tok: dict[str, str]) -> list[tuple[str, str]]:
    """(hypothesis, reference) pairs for CIDEr-D; a filler pair gets an empty hypothesis.

    A caption shares no n-gram with its filler, so that pair scores exactly 0.0 either way; the
    empty hypothesis only spares CiderScorer the caption's n-grams. The filler reference stays, so
    the corpus size and document frequencies (the IDF) are the reference's.
    """
    return [("" if filler else tok[pred], tok[ref]) for _, ref, pred, filler in items]


def _chased_dp(scores: np.ndarray) -> float:
    """Best total score of an order-preserving one-to-one assignment (SODA's DP), scores >= 0."""
    n_rows, n_cols = scores.shape
    prev = [0.0] * (n_cols + 1)  # prev[j + 1] = best over rows < i and columns <= j
    for i in range(n_rows):
        cur = [0.0] * (n_cols + 1)
        row = scores[i]
        for j in range(n_cols):
            cur[j + 1] = max(prev[j + 1], cur[j], prev[j] + float(row[j]))
        prev = cur
    return prev[n_cols]


def _soda_f(iou: np.ndarray, meteor: np.ndarray) -> float:
    best = _chased_dp(iou * meteor)
    n_gt, n_pred = iou.shape
    p, r = best / n_pred, best / n_gt
    return float(np.mean([2 * p * r / (p + r) if p + r > 0 else 0]))


# ----------------------------------------------------------------------------- evaluation


def evaluate_dvc(
    predictions: dict[str, list[dict]],
    ground_truth: list[dict],
    *,
    split: str = "val",
    dataset: str = "auto",
    protocol: str = "per-video",
    seed: int = 0,
    meteor: MeteorProcess | None = None,
    strict: bool = True,
) -> tuple[dict, list[dict]]:
    """Score dense captions as TimeChat's `eval_dvc.py` does (see the module docstring for quirks).

    Args:
        predictions: `{video_id: [{"timestamp": [start, end], "caption": str}, ...]}`; ids are
            matched against the last path component of the GT `image_id` (or the whole id).
        ground_truth: Coco-format `annotations` rows (`image_id`, `segments`, and `pure_cap` for
            YouCook2 or `caption` for ActivityNet).
        split: "train", "val" or "test"; names the reported `SODA_c_<1|2|3>` key.
        dataset: "youcook2" (captions = `pure_cap.split(". ")`), "activitynet" (`caption` split on
            "." keeping pieces longer than 5 characters) or "auto" (per row: `pure_cap` if present).
        protocol: "per-video" (TimeChat/Vid2Seq: CIDEr and METEOR per video, then averaged) or
            "corpus" (densevid_eval style: one corpus per threshold over all videos' pairs).
        seed: Seed of the random filler strings for unmatched predictions (they do not change
            scores; see the module docstring).
        meteor: An open `MeteorProcess` to reuse across calls (its start-up, loading the
            paraphrase table, takes several seconds); by default one is started and stopped here.
        strict: refuse negative predicted times instead of scoring them as given.

    Returns:
        (metrics, rows): metrics holds `Para_CIDER`, `Para_METEOR`, the means over GT videos of the
        per-video values (`CIDER`, `METEOR`, `Precision@t`, `Recall@t`, `Precision_Mean`,
        `Recall_Mean`, `F1_Score`, `SODA_c_<split>`, `n_preds`, -1 placeholders for the other
        SODA_c keys) and `n_videos`, then "warnings" when anything was counted; rows holds one dict
        per GT video (`video` plus those keys).

    Raises:
        InputError: Bad arguments, or malformed predictions or ground truth (all listed at once).
        TimechatError: Java or the pycocoevalcap jars fail.
    """
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}; choose from {', '.join(SPLITS)}")
    if dataset not in DATASETS:
        raise InputError(f"unknown dataset {dataset!r}; choose from {', '.join(DATASETS)}")
    if protocol not in PROTOCOLS:
        raise InputError(f"unknown protocol {protocol!r}; choose from {', '.join(PROTOCOLS)}")
    if not isinstance(ground_truth, list) or not ground_truth:
        raise InputError("ground truth: expected a non-empty list of annotation rows")
    videos = gt_videos(ground_truth, dataset, "ground truth")
    predictions = _clean_predictions(predictions, "predictions", strict)
    # Started before the Python-side work so the jar loads its paraphrase table meanwhile.
    own = meteor is None
    meteor = MeteorProcess(default_heap()) if own else meteor
    try:
        return _evaluate(videos, predictions, SPLITS[split], protocol, seed, meteor)
    finally:
        if own:
            meteor.close()


def _attach_predictions(videos: list[DvcVideo], predictions: dict[str, list[dict]]) -> list[tuple[str, str]]:
    """Fill in each video's predictions; return the (predicted, GT) paragraph pairs to score."""
    pred_paras: list[str] = []
    for v in videos:
        # The reference looks up the bare key; a full image_id (with folders) is accepted too.
        events = predictions.get(v.key, predictions.get(v.image_id))
        if events is None:
            continue
        v.pred_segments = [tuple(ev["timestamp"]) for ev in events]
        v.pred_captions = [ev["caption"] for ev in events]
        pred_paras.append(". ".join(v.pred_captions))
    # zip() stops at the shorter list: the reference's paragraph misalignment.
    pairs = [(_parse_sent(p), _parse_sent(" ".join(v.gt_captions))) for p, v in zip(pred_paras, videos)]
    # The reference keys paragraphs by str(index) and scores them in sorted-key order.
    return [pairs[i] for i in _sorted_keys(len(pairs))]


def _warnings(videos: list[DvcVideo], predictions: dict[str, list[dict]]) -> Warnings:
    """What `windows.py` counts: the attached windows, and the predicted videos the GT does not have."""
    warnings = Warnings()
    known = {v.key for v in videos} | {v.image_id for v in videos}
    warnings.add("outside_gt", sum(vid not in known for vid in predictions))
    for v in videos:
        for start, end in v.pred_segments:
            if isinstance(start, str):
                warnings.add("text_times")
            warnings.window(float(start), float(end), v.duration)
    return warnings


class _Requests:
    """METEOR `SCORE` lines to send, each distinct line once."""

    def __init__(self) -> None:
        self.lines: dict[str, int] = {}
        self._filler: dict[str, int] = {}

    def pair(self, reference: str, hypothesis: str) -> int:
        return self.lines.setdefault(meteor_score_line(reference, hypothesis), len(self.lines))

    def filler(self, filler: str, hypothesis: str) -> int:
        # A filler is one unmatched reference word, so its statistics depend on the hypothesis
        # only: the first filler drawn for a hypothesis stands for all later ones.
        if hypothesis not in self._filler:
            self._filler[hypothesis] = self.pair(filler, hypothesis)
        return self._filler[hypothesis]


def _evaluate(videos: list[DvcVideo], predictions: dict[str, list[dict]], split_id: int, protocol: str,
              seed: int, meteor: MeteorProcess) -> tuple[dict, list[dict]]:
    paragraphs = _attach_predictions(videos, predictions)
    warnings = _warnings(videos, predictions)
    rng = random.Random(seed)
    ious: list[np.ndarray] = []
    for v in videos:
        iou = np.zeros((len(v.gt_segments), len(v.pred_segments)))
        for g, gs in enumerate(v.gt_segments):
            for p, ps in enumerate(v.pred_segments):
                iou[g, p] = vid2seq_iou(ps, gs)  # prediction first, as the reference calls it
        ious.append(iou)
        _match(v, iou, rng)

    # One tokenizer call for every caption; fillers are single tokens already (module docstring).
    tok = tokenize([c for v in videos for c in v.gt_captions + v.pred_captions])
    tok.update({ref: ref for v in videos for t in THRESHOLDS for _, ref, _, filler in v.items[t] if filler})

    req = _Requests()
    item_req = [{t: [req.filler(tok[ref], tok[pred]) if filler else req.pair(tok[ref], tok[pred])
                     for _, ref, pred, filler in v.items[t]] for t in THRESHOLDS} for v in videos]
    # SODA: METEOR of (reference = prediction, hypothesis = GT caption), column c holding the
    # prediction at string-sorted position c. Cells whose IoU is 0 are 0 whatever METEOR says,
    # so they are not asked for.
    soda_cells: list[list[tuple[int, int, int]]] = []
    for v, iou in zip(videos, ious):
        order = _sorted_keys(len(v.pred_captions))
        soda_cells.append([(g, c, req.pair(tok[v.pred_captions[p]], tok[gt]))
                           for g, gt in enumerate(v.gt_captions) for c, p in enumerate(order) if iou[g, c] > 0])
    para_req = [req.pair(gt, pred) for pred, gt in paragraphs]
    soda_req = sorted({r for cells in soda_cells for _, _, r in cells})

    # The jar scores the pairs on its own core (once its paraphrase table is loaded) while
    # CIDEr-D, pure Python, is computed here.
    pending = meteor.submit_stats(list(req.lines))
    try:
        cider = [[cider_d(_cider_pairs(v.items[t], tok)) for t in THRESHOLDS] for v in videos]
        para_cider = cider_d(paragraphs)
        corpus_cider = [cider_d([p for v in videos for p in _cider_pairs(v.items[t], tok)])
                        for t in THRESHOLDS] if protocol == "corpus" else []
    finally:
        stats = pending.result()  # also frees the process if CIDEr-D failed

    groups: dict[Any, list[int]] = {}
    for i, reqs in enumerate(item_req):
        groups.update({("item", i, t): reqs[t] for t in THRESHOLDS if reqs[t]})
    if protocol == "corpus":
        groups.update({("corpus", t): [r for reqs in item_req for r in reqs[t]] for t in THRESHOLDS})
    groups["para"] = para_req
    # Per-pair SODA scores: the jar prints each statistic's own score on an EVAL line; short lines
    # are faster for it than one very long one.
    groups.update({("soda", k): soda_req[k:k + _EVAL_CHUNK] for k in range(0, len(soda_req), _EVAL_CHUNK)})
    groups = {name: reqs for name, reqs in groups.items() if reqs}
    answers = dict(zip(groups, meteor.evaluate([[stats[r] for r in reqs] for reqs in groups.values()])))
    per_pair = {r: score for name, reqs in groups.items() if name[0] == "soda"
                for r, score in zip(reqs, answers[name][1])}

    def aggregate(name: Any) -> float:
        return float(np.nan_to_num(answers[name][0])) if name in answers else 0.0

    rows: list[dict] = []
    for i, (v, iou) in enumerate(zip(videos, ious)):
        row = {"video": v.key, "CIDER": float(np.mean(cider[i])),
               "METEOR": float(np.mean([aggregate(("item", i, t)) for t in THRESHOLDS])), **detection_scores(iou)}
        soda = 0.0
        if v.pred_captions:
            scores = np.zeros_like(iou)
            for g, c, r in soda_cells[i]:
                scores[g, c] = np.nan_to_num(per_pair[r])
            soda = _soda_f(iou, scores)
        row[f"SODA_c_{split_id}"] = soda
        row["n_preds"] = len(v.pred_captions)
        for other in (1, 2):
            row.setdefault(f"SODA_c_{other}", -1.0)
        rows.append(row)

    metrics: dict[str, Any] = {"Para_CIDER": para_cider, "Para_METEOR": aggregate("para")}
    for key in rows[0]:
        if key != "video":
            metrics[key] = sum(row[key] for row in rows) / len(rows)
    if protocol == "corpus":
        metrics["CIDER"] = float(np.mean(corpus_cider))
        metrics["METEOR"] = float(np.mean([aggregate(("corpus", t)) for t in THRESHOLDS]))
    metrics["n_videos"] = len(rows)
    return warnings.attach(metrics), rows
