"""SumMe from a small GT/<video>.mat in the release layout (MATLAB v5, scipy.io)."""

import numpy as np
import pytest

from tests.core.timeit.helpers import answers, build_one

scipy_io = pytest.importorskip("scipy.io")


def test_top_clips_from_gt_score(tmp_path):
    (tmp_path / "GT").mkdir()
    fps, n = 10.0, 200  # 20 s: ten 2-s clips
    gt = np.zeros((n, 1))
    gt[40:60] = 0.5      # clip 2
    gt[100:120] = 0.75   # clip 5
    scipy_io.savemat(tmp_path / "GT" / "Air_Force_One.mat",
                     {"gt_score": gt, "FPS": np.array([[fps]]), "user_score": np.zeros((n, 3))})
    records, _ = build_one("summe", tmp_path)
    # ceil(15% of 10) = 2 clips, in time order, 0-1 scores mapped s*4+1
    assert answers(records) == ["The highlight timestamps are in the 4.0, 10.0 seconds. "
                                "Their saliency scores are 3.0, 4.0."]
    assert records[0]["video"] == "summe/Air_Force_One.mp4"
    assert "summe dataset" in records[0]["QA"][0]["q"]


def test_timeit_coco_file(tmp_path):
    (tmp_path / "all.caption_coco_format.json").write_text(
        '{"annotations": [{"image_id": "SumMe/videos/Air_Force_One.mp4", "timestamps": [57.0, 62.4], "scores": [0.275, 0.2]}]}')
    records, _ = build_one("summe", tmp_path)
    assert answers(records) == ["The highlight timestamps are in the 57.0, 62.4 seconds. "
                                "Their saliency scores are 2.1, 1.8."]
