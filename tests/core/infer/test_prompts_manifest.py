from __future__ import annotations

import json

import pytest

from timechat_core.errors import InputError
from timechat_core.infer.manifest import parse_shard, read_manifest
from timechat_core.prompts import TASKS, build_prompt, system_prompt, variants


def test_prompts_are_the_reference_eval_prompts(datadir, fixture_inputs):
    ev = fixture_inputs["eval"]
    for video in fixture_inputs["videos"]:
        p = build_prompt("grounding", video["query"], dataset=ev["dataset"])
        assert p.text == video["user_prompt"]  # produced by the reference's evaluate.py
    assert system_prompt() == ev["system"]
    prompts = datadir / "timechat_prompts" / "eval"
    first = lambda name: (prompts / f"{name}.txt").read_text().splitlines()[0].strip()  # noqa: E731
    assert build_prompt("dvc").text == first("dvc_description_zeroshot")
    assert build_prompt("dvc", variant="activitynet").text == first("dvc_description")
    assert build_prompt("highlight", "a dog runs.").text == first("vhd_description").format("qvhighlights", "a dog runs")
    assert build_prompt("highlight", "a dog", variant="qvhighlights-zeroshot").text == \
        first("vhd_description_zeroshot").format("qvhighlights", "a dog")


def test_every_task_has_a_prompt():
    for task in TASKS:
        assert variants(task)
        p = build_prompt(task, "the query")
        assert p.text and "{" not in p.text


def test_query_rules():
    with pytest.raises(InputError, match="needs a query"):
        build_prompt("grounding")
    with pytest.raises(InputError, match="no prompt variant"):
        build_prompt("dvc", variant="nope")
    custom = build_prompt("ask", "When {x}?", custom="Q: {query} ({dataset})", dataset="mine")
    assert custom.text == "Q: When {x}? (mine)" and custom.variant == "custom"


def test_manifest_formats(datadir, tmp_path):
    charades = read_manifest(datadir / "timechat_metrics" / "tvg" / "example_gt_file.json", tmp_path)
    assert len(charades) == 3720 and charades[0].task == "grounding" and charades[0].id == 0
    assert charades[0].video.endswith(".mp4") and charades[0].path == tmp_path / charades[0].video
    yc2 = read_manifest(datadir / "timechat_metrics" / "dvc" / "example_gt_file.json")
    assert len(yc2) == 415 and {it.task for it in yc2} == {"dvc"} and yc2[0].id == yc2[0].video
    qvh = read_manifest(datadir / "qvhighlights" / "highlight_val_release.jsonl")
    assert len(qvh) == 1550 and qvh[0].task == "highlight" and qvh[0].extra["qid"] == qvh[0].id
    assert qvh[0].video.endswith(".mp4") and qvh[0].duration > 0
    rows = tmp_path / "m.jsonl"
    rows.write_text(json.dumps({"video": "a.mp4", "task": "ask", "query": "q"}) + "\n"
                    + json.dumps({"video": "b.mp4", "task": "walk"}) + "\n")
    with pytest.raises(InputError, match=r"m.jsonl: row 2: 'task' must be one of"):
        read_manifest(rows)


def test_shards():
    assert parse_shard("1/4") == (1, 4)
    with pytest.raises(InputError):
        parse_shard("4/4")
    with pytest.raises(InputError):
        parse_shard("x")


def test_timeit_variants_are_the_training_instructions():
    """The `timeit` variants are TimeIT instructions filled as build-timeit fills them (query in quotes)."""
    from timechat_core.resources import template_path

    def template(name, key):
        return json.loads(template_path("timeit", f"{name}.json").read_text())[key]

    q = "the red circle is visible"
    assert build_prompt("grounding", q + ".", variant="timeit").text == \
        template("video_grounding_prompts", "0").replace("<query_placeholder>", f"'{q}'")
    assert build_prompt("highlight", q, variant="timeit").text == \
        template("highlight_prompts", "1").replace("<query_placeholder>", f"'{q}'")
    assert build_prompt("dvc", variant="timeit").text == template("dvc_prompts", "1")
