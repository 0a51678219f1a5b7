"""The robust parser on the answer layouts of Qwen2.5-VL, Qwen3-VL, Time-R1 and TimeLens: a corpus written for
this test in each model's format (the prompts' answer formats, templates/infer/qwen.yaml), with the window or
events each answer means, plus the models' own printed answers from their cookbooks (tests/data/qwen_prompts).

`parse_rates()` gives the share of each family's answers read exactly as meant, robust and reference
("timechat") parsers side by side: README "Qwen2.5-VL and Qwen3-VL folders" reports them.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import DATA
from timechat_core.eval.parsers import parse_dvc, parse_tvg

DURATION = 300.0
# (family, answer, the window it means); None: it gives no window (status no-time / incomplete)
GROUNDING = [
    ("Qwen2.5-VL", "The given query happens in 64.0 - 72.0 seconds.", [64.0, 72.0]),
    ("Qwen2.5-VL", "The described content occurs from 00:12 to 00:18.", [12.0, 18.0]),
    ("Qwen2.5-VL", "The query 'seasoning the steak' occurs between 64 and 72 seconds.", [64.0, 72.0]),
    ("Qwen2.5-VL", "It occurs from 1:04.5 to 1:12.0 in the video.", [64.5, 72.0]),
    ("Qwen2.5-VL", '```json\n{"start_time": "01:04.00", "end_time": "01:12.00"}\n```', [64.0, 72.0]),
    ("Qwen2.5-VL", "The steak is seasoned at the beginning of the video.", None),
    ("Qwen3-VL", "The event happens in 12.3 - 18.9 seconds.", [12.3, 18.9]),
    ("Qwen3-VL", "The event happens from <12.3 seconds> to <18.9 seconds>.", [12.3, 18.9]),
    ("Qwen3-VL", "<12.3 seconds> - <18.9 seconds>", [12.3, 18.9]),
    ("Qwen3-VL", "The person turns on the light between <12.3 seconds> and <18.9 seconds>.", [12.3, 18.9]),
    ("Qwen3-VL", '[{"start": 12.3, "end": 18.9, "event": "a person turns on the light"}]', [12.3, 18.9]),
    ("Qwen3-VL", "The event starts at <12.3 seconds> and ends at <18.9 seconds>.", [12.3, 18.9]),
    ("Time-R1", "<think>The person walks in around <timestep>2.00 to 6.50</timestep>, then reaches for the switch."
                "</think>\n<answer>12.54 to 17.83</answer>", [12.54, 17.83]),
    ("Time-R1", "<think>\n<timestep>0.00 to 4.00</timestep> the room is dark.\n</think>\n<answer>\n4.20 to 9.75\n</answer>",
     [4.2, 9.75]),
    ("Time-R1", "<answer>12.54 to 17.83</answer>", [12.54, 17.83]),
    ("Time-R1", "The event happens from 12.54 to 17.83 seconds.", [12.54, 17.83]),
    ("Time-R1", "<think>I cannot see a light switch.</think><answer>unknown</answer>", None),
    ("TimeLens", "The event happens in 3.0 - 7.5 seconds.", [3.0, 7.5]),
    ("TimeLens", "The event happens in 0:03 - 0:07.5 seconds.", [3.0, 7.5]),
    ("TimeLens", "The event happens in 103.2 - 110.0 seconds.", [103.2, 110.0]),
    ("TimeLens", "The event happens in 3 - 7.5 seconds", [3.0, 7.5]),
]


def cookbook_answers(name: str) -> list[str]:
    cells = json.loads((DATA / "qwen_prompts" / name).read_text(encoding="utf-8"))["cells"]
    outs = ["".join(o.get("text/markdown") or o.get("text") or "") for c in cells for o in c["text_outputs"]]
    return [o for o in outs if "video input:" not in o and o.strip() and "Markdown object" not in o]


def real_answers() -> dict[str, str]:
    qwen25 = cookbook_answers("qwen2.5-vl_video_understanding_cells.json")
    qwen3 = [o for o in cookbook_answers("qwen3-vl_video_understanding_cells.json") if not o.startswith("{\"status")]
    return {"grounding": qwen25[0], "dvc-2.5": qwen25[1], "dvc-3": qwen3[0]}


def test_each_answer_reads_as_meant():
    for family, text, window in GROUNDING:
        got = parse_tvg(text, duration=DURATION)
        if window is None:
            assert got["status"] in ("no-time", "incomplete") and got["windows"] == [], (family, text, got)
        else:
            assert got["status"] == "ok" and got["windows"] == [window], (family, text, got)


def test_the_cookbook_answers_of_the_models():
    """What Qwen2.5-VL-7B printed in its cookbook (grounding, JSON captions with mm:ss.ff) and what Qwen3-VL's
    API printed in its cookbook (an object keyed by "mm:ss.ff - mm:ss.ff")."""
    real = real_answers()
    assert parse_tvg(real["grounding"], duration=DURATION)["windows"] == [[64.0, 72.0]]
    events = parse_dvc(real["dvc-2.5"], duration=DURATION)["events"]
    assert [(e["start"], e["end"]) for e in events] == [(0.0, 21.8), (23.9, 95.6), (97.8, 168.8), (170.0, 259.8)]
    assert events[0]["caption"] == "A person is slicing meat on a cutting board."
    events = parse_dvc(real["dvc-3"], duration=DURATION)["events"]
    assert len(events) == 9 and (events[0]["start"], events[0]["end"]) == (23.0, 48.0)
    assert (events[-1]["start"], events[-1]["end"], events[-1]["caption"]) == (195.0, 200.0, "slice the beef against the grain.")


def test_reasoning_ranges_are_not_the_answer():
    text = "<think><timestep>2.00 to 6.50</timestep></think><answer>12.54 to 17.83</answer>"
    assert parse_tvg(text)["windows"] == [[12.54, 17.83]]
    assert parse_tvg(text.replace("<answer>", "").replace("</answer>", ""))["windows"] == [[2.0, 6.5], [12.54, 17.83]]


def parse_rates(parser: str) -> dict[str, float]:
    """Per family, the share of GROUNDING answers whose first window is the one meant (None: no window)."""
    rates: dict[str, list[bool]] = {}
    for family, text, window in GROUNDING:
        got = parse_tvg(text, duration=DURATION, parser=parser)["windows"]
        rates.setdefault(family, []).append((got[:1] == [window]) if window is not None else got == [])
    return {f: sum(v) / len(v) for f, v in rates.items()}


@pytest.mark.parametrize("parser", ["robust", "timechat"])
def test_parse_rates_per_family(parser):
    rates = parse_rates(parser)
    assert set(rates) == {"Qwen2.5-VL", "Qwen3-VL", "Time-R1", "TimeLens"}
    if parser == "robust":
        assert all(r == 1.0 for r in rates.values()), rates
    else:  # the reference parser misses the Qwen3-VL stamps, JSON and the reasoning's first range (README's numbers)
        assert rates == {"Qwen2.5-VL": 2 / 6, "Qwen3-VL": 1 / 6, "Time-R1": 1 / 5, "TimeLens": 3 / 4}, rates
