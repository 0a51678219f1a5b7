"""The shipped demo model on a small held-out synthetic set, through the real commands.

The set is the first videos of the demo model's test seed (2000; training used seed 0, checkpoint
selection seed 1000), generated here by `timechat synth`, and goes through the real commands:
synth -> build-timeit --eval-format -> infer --manifest (default model) -> eval.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.slow

N_VIDEOS = 20


@pytest.fixture(scope="module")
def heldout(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo_heldout")
    r = run_cli("synth", "-o", str(root), "-n", str(N_VIDEOS), "--seed", "2000", "--split", "test", "--size", "64")
    assert r.returncode == 0, r.stderr[-1500:]
    for source, name in (("charades", "gt_grounding.json"), ("youcook2", "gt_dvc.json")):
        r = run_cli("build-timeit", "--config", str(root / "sources.yaml"), "--sources", source, "--eval-format",
                    "-o", str(root / name))
        assert r.returncode == 0, r.stderr[-1500:]
    return root


def score(root, task, manifest, eval_task, *extra):
    pred = root / f"pred_{task}.jsonl"
    r = run_cli("infer", "--manifest", str(manifest), "--video-root", str(root / "videos"), "-o", str(pred),
                "--batch-size", "16", "--max-new-tokens", "160")
    assert r.returncode == 0, r.stderr[-1500:]
    assert "using the demo model" in r.stderr
    r = run_cli("eval", "--task", eval_task, "--pred", str(pred), "--gt", str(manifest), *extra)
    assert r.returncode == 0, r.stderr[-1500:]
    return json.loads(r.stdout)


def test_default_model_answers_a_heldout_set_end_to_end(heldout):
    """With no --model the demo model answers; every answer parses (it has learned the formats).

    Whether it beats the video-blind answers is measured on 250 videos in models/demo/README.md (this
    model does not yet: see its card), not asserted here.
    """
    import collections

    blind = json.loads((heldout / "blind_baselines.json").read_text())
    g = score(heldout, "grounding", heldout / "gt_grounding.json", "tvg")
    h = score(heldout, "highlight", next((heldout / "qvhighlights").glob("*.jsonl")), "vhd", "--match-qids",
              "intersection")["brief"]
    d = score(heldout, "dvc", heldout / "gt_dvc.json", "dvc")
    for task in ("grounding", "highlight", "dvc"):
        rows = [json.loads(line) for line in (heldout / f"pred_{task}.jsonl").read_text().splitlines()]
        status = collections.Counter(r["parse_status"] for r in rows)
        assert status["ok"] >= 0.95 * len(rows), (task, status)
    assert g["num_queries"] > 50 and 0 <= g["R1@0.5"] <= 100 and 0 <= d["F1_Score"] <= 1
    print(json.dumps({"model": {"R1@0.5": g["R1@0.5"], "HIT@1": h["HL-min-VeryGood-Hit1"], "F1": 100 * d["F1_Score"]},
                      "blind": {"R1@0.5": blind["grounding"]["fixed_window"]["R1@0.5"],
                                "HIT@1": blind["highlights"]["HL-min-VeryGood"]["HL-Hit1"],
                                "F1": blind["dense_captioning"]["F1_Score"]}}))
