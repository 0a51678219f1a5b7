"""The native annotation files: the build-timeit adapters read them unchanged, and the blind baselines."""

from __future__ import annotations

import json

import numpy as np
import pytest

from timechat_core.synth.annotations import paths, qvhighlights_rows, saliency, write_annotations
from timechat_core.synth.blind import dense_baseline, grounding_baseline, highlight_baseline, synth_baselines
from timechat_core.synth.scene import events, make_scene
from timechat_core.timeit.build import BuildOptions, SourceInput, build
from timechat_core.timeit.eval_format import eval_ground_truth
from timechat_core.timeit.hygiene import Hygiene

SPLITS = ("train", "val", "test")


@pytest.fixture(scope="module", params=SPLITS)
def synth_set(request, tmp_path_factory):
    split = request.param
    folder = tmp_path_factory.mktemp(f"synth_{split}")
    scenes = [make_scene(3, i) for i in range(12)]
    write_annotations(folder, scenes, split)
    return folder, scenes, split


def test_adapters_read_every_event(synth_set):
    folder, scenes, split = synth_set
    all_events = {s.video: events(s) for s in scenes}
    result = build([SourceInput(src, (folder / rel,), split, "videos") for src, rel in paths(split).items()],
                   BuildOptions())
    by_task = {}
    for r in result.records:
        by_task.setdefault(r.task, []).append(r)
    assert all(not rep.skipped and not rep.fixed and not rep.flagged for rep in result.reports)
    assert len(by_task["tvg"]) == sum(len(ev) for ev in all_events.values())
    assert len(by_task["dvc"]) == len(scenes)
    assert len(by_task["vhd"]) == sum(e.kind in ("appear", "colour") for ev in all_events.values() for e in ev)
    first = by_task["dvc"][0]
    vid = first.video.removeprefix("videos/").removesuffix(".mp4")
    expected = "  ".join(f"{e.start} - {e.end} seconds, {e.caption}." for e in all_events[vid] if e.caption)
    assert first.qa[0][1] == expected
    g = by_task["tvg"][0]
    e0 = all_events[scenes[0].video][0]
    assert g.qa[0][1] == f"The given query happens in {e0.start} - {e0.end} seconds."
    assert f"'{e0.query}'" in g.qa[0][0]


def test_folder_lookup_of_the_train_split(tmp_path):
    # --data-root finds charades_sta/, youcook2/, qvhighlights/ under their release file names.
    write_annotations(tmp_path, [make_scene(3, i) for i in range(4)], "train")
    from timechat_core.timeit.build import resolve_files
    from timechat_core.timeit.sources import get_source

    for src, folder in (("charades", "charades_sta"), ("youcook2", "youcook2"), ("qvhighlights", "qvhighlights")):
        files = resolve_files(get_source(src), [tmp_path / folder], "train")
        assert [p for p, _ in files] == [tmp_path / paths("train")[src]]


def test_eval_ground_truth(synth_set):
    folder, scenes, split = synth_set
    gts = {}
    for src, rel in paths(split).items():
        result = build([SourceInput(src, (folder / rel,), split, "videos")], BuildOptions(), make_records=False)
        gts[src] = eval_ground_truth(src, result.items[src], Hygiene())["annotations"]
    first = events(scenes[0])[0]
    assert gts["charades"][0] == {"image_id": f"{scenes[0].video}.mp4", "caption": first.query + ".",
                                  "timestamp": [first.start, first.end], "id": 0}
    assert [r["image_id"] for r in gts["youcook2"]] == [f"{s.video}.mp4" for s in scenes]
    assert all(r["duration"] == s.duration for r, s in zip(gts["youcook2"], scenes))
    assert len(gts["qvhighlights"]) == len(qvhighlights_rows(scenes))


def test_saliency_is_the_share_of_the_clip():
    assert saliency(1.0, 5.0, 10) == {0: 2, 1: 4, 2: 2}
    assert saliency(0.2, 1.9, 4) == {0: 3}   # 1.7 / 2 = 0.85 -> 3.4 -> 3
    assert saliency(0.0, 0.2, 4) == {}       # 0.1 of the clip rounds to 0: not relevant
    assert saliency(5.0, 9.0, 9) == {2: 2, 3: 4}  # the clip past int(9 / 2) = 4 clips is not rated


def test_grounding_baseline():
    windows = [(2.0, 6.0, 10.0), (20.0, 60.0, 100.0), (0.0, 1.0, 10.0)]
    b = grounding_baseline(windows)
    assert b["R1@0.5"] == pytest.approx(200 / 3) and b["window"] == [0.2, 0.6]
    grouped = grounding_baseline(windows, key=["a", "a", "b"])
    assert grouped["R1@0.5"] == pytest.approx(100) and grouped["groups"]["b"]["window"] == [0.0, 0.1]


def test_highlight_baseline():
    rows = [{"duration": 10, "relevant_clip_ids": [3, 4], "saliency_scores": [[4, 4, 4], [2, 2, 2]]},
            {"duration": 10, "relevant_clip_ids": [3], "saliency_scores": [[2, 3, 4]]}]
    b = highlight_baseline(rows)
    assert b["HL-min-VeryGood"]["HL-Hit1"] == 100 and b["HL-min-VeryGood"]["position"] == 0.6


def test_dense_baseline_matches_the_evaluator_on_its_own_answer():
    rows = [{"image_id": "a.mp4", "duration": 30.0, "segments": [[0, 10], [10, 20], [20, 30]], "pure_cap": "x. y. z"},
            {"image_id": "b.mp4", "duration": 20.0, "segments": [[0, 4]], "pure_cap": "x"}]
    b = dense_baseline(rows)
    assert b["segments"] == 3
    # a: 3/3 segments match at every threshold; b: 1 of 3 predictions overlaps 4/6.67 = 0.6 (P 1/3 at 0.3, 0.5).
    p_b, r_b = np.mean([1 / 3, 1 / 3, 0, 0]), np.mean([1, 1, 0, 0])
    assert b["F1_Score"] == pytest.approx(100 * (1 + 2 * p_b * r_b / (p_b + r_b)) / 2)


def test_synth_baselines_are_low(synth_set):
    folder, _, split = synth_set
    b = synth_baselines(folder, split)
    assert set(b) == {"grounding", "highlights", "dense_captioning"}
    assert b["grounding"]["fixed_window"]["R1@0.5"] < 50
    json.dumps(b)
