"""TVSum from the real ydata-tvsum50.mat."""

import math
import re

import pytest

from tests.core.timeit.helpers import build_one, question
from timechat_core.eval.summarization import load_tvsum

pytest.importorskip("h5py")


def test_answers_from_the_mat(datadir):
    mat = datadir / "tvsum" / "ydata-tvsum50.mat"
    records, report = build_one("tvsum", mat)
    assert len(records) == report.written == 50
    videos = load_tvsum(mat)
    rec = records[0]
    vid = rec["video"].split("/")[-1][:-4]
    assert vid in videos
    a = rec["QA"][0]["a"]
    m = re.fullmatch(r"The highlight timestamps are in the (.*) seconds\. Their saliency scores are (.*)\.", a)
    times = [float(t) for t in m.group(1).split(", ")]
    scores = [float(s) for s in m.group(2).split(", ")]
    video = videos[vid]
    # our rule: the best 15% of 2-s clips, in time order, score = the clip's 1-5 mean (s*4+1 of (g-1)/4)
    assert len(times) == math.ceil(0.15 * video.num_clips) == len(scores)
    assert times == sorted(times) and all(t % 2 == 0 for t in times)
    for t, s in zip(times, scores):
        assert s == round(float(video.gt_score[int(t // 2)]), 1)
    assert min(scores) >= max(round(float(g), 1) for i, g in enumerate(video.gt_score) if 2 * i not in times) - 0.1
    assert "tvsum dataset" in question(rec) and "<" not in question(rec)
