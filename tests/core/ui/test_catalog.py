"""Ground truth of every supported format, file classification, and the results join."""

from __future__ import annotations

import pytest

from timechat_core.errors import InputError
from timechat_core.ui.catalog import Catalog, classify
from timechat_core.ui.ground_truth import read_ground_truth
from timechat_core.ui.paths import Roots
from timechat_core.ui.results import Results


def test_reference_ground_truth_files(datadir):
    metrics = datadir / "timechat_metrics"
    tvg = read_ground_truth(metrics / "tvg" / "example_gt_file.json")
    assert tvg[0]["key"] == "grounding:0" and tvg[0]["video"] == "3MSZA.mp4" and tvg[0]["windows"] == [[24.3, 30.4]]
    dvc = read_ground_truth(metrics / "dvc" / "subset20_val.caption_coco_format.json")
    assert len(dvc) == 20 and dvc[0]["task"] == "dvc" and dvc[0]["events"][0]["caption"].endswith(".")
    qvh = read_ground_truth(datadir / "qvhighlights" / "highlight_val_release.jsonl")
    first = qvh[0]
    assert first["key"] == "highlight:2579" and first["video"] == "NUsG9BgSes0_210.0_360.0.mp4"
    assert len(first["saliency"]) == 75 and first["saliency"][41] == pytest.approx(4 / 3) and first["saliency"][0] == 0


def test_classify_and_ground_truth_of_a_video(ui_data):
    assert classify(ui_data / "pred.jsonl") == "predictions"
    assert classify(ui_data / "per_item.jsonl") == "per_item"
    assert classify(ui_data / "charades_gt.json") == "ground_truth"
    catalog = Catalog(Roots({"data": ui_data}))
    files = catalog.files()
    assert files["ground_truth"] == ["data/charades_gt.json", "data/synth/youcook2/youcookii_annotations_trainval.json"]
    assert catalog.videos() == ["data/clip.mp4", "data/synth/videos/s0.mp4"]
    synth = catalog.ground_truth_of(ui_data / "synth" / "videos" / "s0.mp4")
    assert [e["task"] for e in synth] == ["dvc"] and len(synth[0]["events"]) == 2 and "path" not in synth[0]


def test_native_charades_lines(tmp_path):
    (tmp_path / "charades_sta_test.txt").write_text("V1 1.0 2.5##a red circle is visible.\nV1 3 4##it moves.\n")
    entries = read_ground_truth(tmp_path / "charades_sta_test.txt")
    assert [(e["key"], e["video"], e["windows"]) for e in entries] == [
        ("grounding:0", "V1.mp4", [[1.0, 2.5]]), ("grounding:1", "V1.mp4", [[3.0, 4.0]])]
    (tmp_path / "x.json").write_text('[{"foo": 1}]')
    with pytest.raises(InputError):
        read_ground_truth(tmp_path / "x.json")


def test_results_join_predictions_gt_and_eval_rows(ui_data):
    roots = Roots({"data": ui_data})
    res = Results(roots, Catalog(roots), "data/pred.jsonl", "data/charades_gt.json", "data/per_item.jsonl")
    items = res.items()
    assert [(i["parse_status"], i["iou"], i["has_gt"]) for i in items] == [("ok", 0.625, True), ("no-time", 0.0, True)]
    one = res.item(1)
    assert one["video_ref"] == "data/clip.mp4" and one["ground_truth"][0]["windows"] == [[6.0, 9.0]]
    assert one["metrics"]["status"] == "empty"
    with pytest.raises(IndexError):
        res.item(2)
