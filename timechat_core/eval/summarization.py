"""TVSum video summarization / highlight detection: top-5 mAP over the 20 annotators.

The protocol is the one of UMT (GitHub `TencentARC/UMT`, `datasets/tvsum.py`, `TVSum.evaluate`),
copied unchanged by UniVTG (`showlab/UniVTG`, `main/dataset.py`, `DatasetHL.evaluate` with
`dset_name == 'tvsum'`). For every video and every annotator a:
1. the annotator's clip scores are binarised: a clip is positive if its score is strictly greater
   than the median of that annotator's clip scores over the video (torch's `Tensor.median()`,
   the lower middle value for an even count; "greater than" gives the same labels with the
   mean of the two middle values);
2. clips are ranked by the predicted saliency, highest first, and the top k = 5 are kept;
3. with h_j the number of positives among the first j kept clips (j = 1..k), R_j = h_j / h_k,
   P_j = h_j / j, R_0 = 0 and P_0 = 1, AP = sum_j (R_j - R_{j-1}) * (P_j + P_{j-1}) / 2 (0 if
   h_k = 0). Recall is relative to the positives found in the top k, not to all positives.
The mAP is the mean over (video, annotator) pairs, i.e. the mean over videos of the per-video mean
over annotators; UMT/UniVTG report it per category (their val split has one video per category,
`TVSUM_VAL_VIDEOS`) and UniVTG's "AVG" is the mean of those, which equals the mean over videos
reported here whenever every category has as many videos (the val split, or all 50). Values here
are x100, unrounded.

What the references leave unstated, chosen here:
- Clips: UMT ships its per-clip labels only as a preprocessed `tvsum_anno.json` (one row per 2-s
  clip, features at 0.5 fps) without the code that made it from `ydata-tvsum50.mat`. Here frame f
  of a video lies at t = f / fps with fps = nframes / length (fields of the .mat), belongs to clip
  floor(t / 2), and an annotator's clip score is the mean of its frame scores in that clip. TVSum
  annotators scored 2-s shots, so the frame scores are (nearly) constant within a clip and mean
  pooling only matters where shot boundaries drift off the 2-s grid.
- Ties in the prediction: UMT's `torch.argsort(descending=True)` is not stable; here ties keep
  clip order (earlier clip first).
- A prediction longer than the video is truncated; a shorter one ranks the unpredicted clips last.

No published numbers exist for these exact inputs, so this module is checked against properties and
an independent re-implementation in the tests, not against an oracle.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from timechat_core.errors import InputError

CLIP_SECONDS = 2.0  # UMT/UniVTG TVSum features and labels are per 2-s clip (0.5 fps)
TOP_K = 5
NUM_ANNOTATORS = 20
# UMT's TVSUM_SPLITS (datasets/utils/static.py): the one validation video of each category.
TVSUM_VAL_VIDEOS = {
    "BK": "Se3oxnaPsz0", "BT": "JgHubY5Vw3Y", "DS": "E11zDS9XGzg", "FM": "JKpqYvAdIsw",
    "GA": "Bhxk-O1Y7Ho", "MS": "Yi4Ij2NM7U4", "PK": "cjibtmSLxQ4", "PR": "fWutDQy1nnY",
    "VT": "J0nA4VgnoCo", "VU": "sTEELN-vY30",
}


@dataclass(frozen=True, eq=False)
class TvsumVideo:
    """One TVSum video with its annotations pooled to clips.

    Attributes:
        video_id: YouTube id, e.g. "AwmHb44_ouw".
        category: one of the 10 TVSum categories ("VT", "VU", "GA", ...).
        title: the video title from the .mat.
        nframes: number of frames the annotations cover.
        duration: video length in seconds (the .mat `length`).
        clip_scores: (num_clips, 20) importance scores 1-5 per annotator, mean-pooled per 2-s clip.
    """

    video_id: str
    category: str
    title: str
    nframes: int
    duration: float
    clip_scores: np.ndarray

    @property
    def fps(self) -> float:
        return self.nframes / self.duration

    @property
    def num_clips(self) -> int:
        """How many saliency scores a prediction for this video should have."""
        return len(self.clip_scores)

    @property
    def gt_score(self) -> np.ndarray:
        """(num_clips,) mean over annotators: TVSum's `gt_score`, pooled like `clip_scores`."""
        return self.clip_scores.mean(axis=1)


def load_tvsum(path: str | os.PathLike) -> dict[str, TvsumVideo]:
    """Read `ydata-tvsum50.mat` (MATLAB v7.3, i.e. HDF5) into clip-level annotations.

    Returns:
        `{video_id: TvsumVideo}` for the 50 videos, in file order.

    Raises:
        InputError: the file is missing, not HDF5, or not laid out like the TVSum release.
    """
    import h5py  # optional dependency (the `eval` extra)

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        with h5py.File(path, "r") as mat:
            return _read_videos(mat, path)
    except OSError as e:
        raise InputError(f"{path}: not a MATLAB v7.3 (HDF5) file: {e}") from None
    except (KeyError, ValueError, IndexError) as e:
        raise InputError(f"{path}: not laid out like ydata-tvsum50.mat: {e}") from None


def _read_videos(mat, path: Path) -> dict[str, TvsumVideo]:
    root = mat["tvsum50"]
    videos = {}
    for i in range(root["video"].shape[0]):
        frame_scores = _field(mat, "user_anno", i)  # MATLAB's (nframes, 20) reads as (20, nframes)
        nframes = int(_field(mat, "nframes", i).ravel()[0])
        duration = float(_field(mat, "length", i).ravel()[0])
        if frame_scores.shape != (NUM_ANNOTATORS, nframes) or duration <= 0:
            raise InputError(
                f"{path}: video {i}: user_anno has shape {frame_scores.shape}, expected "
                f"({NUM_ANNOTATORS}, {nframes}), length {duration}"
            )
        video_id = _text(_field(mat, "video", i))
        videos[video_id] = TvsumVideo(
            video_id=video_id,
            category=_text(_field(mat, "category", i)),
            title=_text(_field(mat, "title", i)),
            nframes=nframes,
            duration=duration,
            clip_scores=pool_frames(frame_scores, nframes / duration).T,
        )
    return videos


def _field(mat, name: str, index: int) -> np.ndarray:
    # Each field of the `tvsum50` struct is a (50, 1) array of references to per-video datasets.
    return mat[mat["tvsum50"][name][index, 0]][()]


def _text(chars: np.ndarray) -> str:
    # MATLAB char arrays are stored as uint16 code units.
    return "".join(chr(int(c)) for c in chars.ravel())


def pool_frames(frame_scores: np.ndarray, fps: float, clip_seconds: float = CLIP_SECONDS) -> np.ndarray:
    """Mean of frame scores per clip; frame f (at f / fps s) is in clip floor(f / fps / clip_seconds).

    Args:
        frame_scores: (..., nframes) scores, e.g. (20, nframes) user annotations.
        fps: frames per second of the annotated video.
        clip_seconds: clip length.

    Returns:
        (..., num_clips) clip scores, num_clips = the clip index of the last frame + 1.
    """
    nframes = frame_scores.shape[-1]
    clip_of_frame = (np.arange(nframes) / fps // clip_seconds).astype(int)
    starts = np.flatnonzero(np.diff(clip_of_frame, prepend=-1))
    sums = np.add.reduceat(frame_scores, starts, axis=-1)
    return sums / np.diff(np.append(starts, nframes))


def evaluate_tvsum(
    predictions: dict[str, Sequence[float]], videos: dict[str, TvsumVideo], *, top_k: int = TOP_K
) -> tuple[dict, list[dict]]:
    """Top-k mAP of clip saliency predictions, as UMT/UniVTG evaluate TVSum.

    Args:
        predictions: `{video_id: [one saliency score per 2-s clip]}`; only these videos are scored.
        videos: the output of `load_tvsum`.
        top_k: clips kept per ranking (5 in UMT/UniVTG).

    Returns:
        `(metrics, rows)`: metrics `{"mAP", "mAP_by_category": {category: mAP}, "num_videos",
        "top_k"}` (mAP x100, unrounded) and per-video rows `{"video_id", "category", "num_clips",
        "num_pred_clips", "ap", "ap_per_annotator"}` (AP as fractions).

    Raises:
        InputError: no predictions, unknown video ids, empty or non-finite score lists.
    """
    if not predictions:
        raise InputError("no TVSum predictions to score")
    unknown = [v for v in predictions if v not in videos]
    if unknown:
        raise InputError(
            f"{len(unknown)} predicted video id(s) are not TVSum videos, e.g. "
            + ", ".join(repr(v) for v in unknown[:5])
        )
    if top_k < 1:
        raise InputError(f"top_k must be at least 1, got {top_k}")
    rows = [_score_video(videos[vid], _scores(predictions[vid], vid), top_k) for vid in predictions]
    by_category: dict[str, list[float]] = {}
    for row in rows:
        by_category.setdefault(row["category"], []).append(row["ap"])
    metrics = {
        "mAP": 100 * float(np.mean([row["ap"] for row in rows])),
        "mAP_by_category": {c: 100 * float(np.mean(aps)) for c, aps in sorted(by_category.items())},
        "num_videos": len(rows),
        "top_k": top_k,
    }
    return metrics, rows


def _scores(value: Sequence[float], video_id: str) -> np.ndarray:
    try:
        scores = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"prediction for {video_id!r}: expected a list of numbers") from None
    if scores.ndim != 1 or scores.size == 0:
        raise InputError(f"prediction for {video_id!r}: expected a non-empty list of numbers")
    bad = np.flatnonzero(~np.isfinite(scores))
    if bad.size:
        raise InputError(
            f"prediction for {video_id!r}: score [{bad[0]}] = {scores[bad[0]]} is not finite"
        )
    return scores


def _score_video(video: TvsumVideo, scores: np.ndarray, top_k: int) -> dict:
    ranked = np.full(video.num_clips, -np.inf)  # unpredicted clips rank last
    n = min(video.num_clips, len(scores))
    ranked[:n] = scores[:n]
    top = np.argsort(-ranked, kind="stable")[:top_k]
    aps = [top_k_ap(_positives(video.clip_scores[:, a])[top]) for a in range(video.clip_scores.shape[1])]
    return {
        "video_id": video.video_id,
        "category": video.category,
        "num_clips": video.num_clips,
        "num_pred_clips": len(scores),
        "ap": float(np.mean(aps)),
        "ap_per_annotator": aps,
    }


def _positives(clip_scores: np.ndarray) -> np.ndarray:
    """Clips scored above the annotator's lower median (torch's median of an even count)."""
    lower_median = np.sort(clip_scores)[(len(clip_scores) - 1) // 2]
    return clip_scores > lower_median


def top_k_ap(labels: Sequence[bool]) -> float:
    """UMT's AP of the ranked top-k labels (trapezoid rule, recall relative to the hits found)."""
    num_hits = float(sum(labels))
    if num_hits == 0:
        return 0.0
    hits = ap = recall = 0.0
    precision = 1.0
    for j, label in enumerate(labels, start=1):
        hits += float(label)
        new_recall, new_precision = hits / num_hits, hits / j
        ap += (new_recall - recall) * (precision + new_precision) / 2
        recall, precision = new_recall, new_precision
    return ap
