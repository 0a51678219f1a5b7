"""`parser="timechat"` against TimeChat's three format functions, branch by branch.

Every case of `tests/data/reference_chain/parsers/branches.json` was run through the reference's
`format_tvg_output`, `format_dvc_output` and `parse_highlights` / `format_vhd_output` (c60b332, with
`pdb.set_trace` a no-op so its DVC "start time X, end time Y" step runs on); what each returned or
raised is in `expected_branches.json` beside it (provenance in tests/data/README.md).
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import DATA
from timechat_core.eval.parsers import parse_dvc, parse_tvg, parse_vhd
from timechat_core.eval.parsers_timechat import vhd_highlights

CASES = json.loads((DATA / "reference_chain" / "parsers" / "expected_branches.json").read_text())


def _cases(task: str) -> list:
    return [pytest.param(c, id=c["branch"]) for c in CASES if c["task"] == task]


def _raised(case: dict, result: dict) -> None:
    """Where the reference raised, the parser answers "error" with the exception's type."""
    assert result["status"] == "error"
    assert case["reference_error"].split(":")[0] in result["reason"]


def test_every_branch_case_was_run_through_the_reference():
    inputs = json.loads((DATA / "reference_chain" / "parsers" / "branches.json").read_text())
    assert [(c["task"], c["text"]) for c in CASES] == [(c["task"], c["text"]) for c in inputs]
    assert {c["task"] for c in CASES} == {"tvg", "dvc", "vhd"}


@pytest.mark.parametrize("case", _cases("tvg"))
def test_tvg_branch(case):
    result = parse_tvg(case["text"], parser="timechat")
    if "reference_error" in case:
        return _raised(case, result)
    assert result["windows"] == case["reference"]["windows"]
    assert result["status"] == ("ok" if result["windows"] else "no-time")


@pytest.mark.parametrize("case", _cases("dvc"))
def test_dvc_branch(case):
    result = parse_dvc(case["text"], parser="timechat")
    if "reference_error" in case:
        return _raised(case, result)
    ref = case["reference"]
    assert [[ev["start"], ev["end"]] for ev in result["events"]] == [[float(s), float(e)] for s, e in ref["timestamps"]]
    assert [ev["caption"] for ev in result["events"]] == ref["captions"]
    # The pdb step's times stay the strings the reference keeps (its evaluator compares them as text).
    text_times = [ts for ts in ref["timestamps"] if isinstance(ts[0], str)]
    assert [ev["text_times"] for ev in result["events"] if "text_times" in ev] == text_times
    if text_times:
        assert result["status"] == "ok" and "pdb.set_trace" in result["reason"]


@pytest.mark.parametrize("case", _cases("vhd"))
def test_vhd_branch(case):
    ref = case["reference"]
    highlights, times, scores = vhd_highlights(case["text"])
    assert highlights == [[h["timestamp"], h["saliency_score"]] for h in ref["highlights"]]
    assert (times, scores) == (ref["times"], ref["scores"])
    result = parse_vhd(case["text"], duration=case["duration"], parser="timechat")
    if "clip_scores_error" in ref:
        assert result["status"] == "error" and ref["clip_scores_error"].split(":")[0] in result["reason"]
    else:
        assert result["saliency"] == ref["clip_scores"]
