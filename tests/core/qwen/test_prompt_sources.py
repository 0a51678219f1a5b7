"""Every prompt of templates/infer/qwen.yaml equals the string its source builds, read from the source lines
copied in tests/data/qwen_prompts/ (provenance in tests/data/README.md); so do the frame settings it cites."""

from __future__ import annotations

import ast
import json
import re

import pytest
import yaml

from tests.conftest import DATA
from timechat_core.prompts import build_prompt, prompt_table, prompt_variant

SOURCES = DATA / "qwen_prompts"
QUERY = "person turn a light on"


def python_value(path, name: str):
    """The literal assigned to `name` in a copied Python excerpt (parsed, never executed); the file holds
    excerpts under `# <file> lines a-b:` headers, some of them not whole statements."""
    for excerpt in re.split(r"^# .* lines \d+-\d+:$", path.read_text(encoding="utf-8"), flags=re.M):
        try:
            tree = ast.parse(excerpt)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
                return ast.literal_eval(node.value)
    raise AssertionError(f"{name} not in {path}")


def notebook_prompts(name: str) -> list[str]:
    """The `prompt = "..."` strings of the copied notebook cells, in order."""
    cells = json.loads((SOURCES / name).read_text(encoding="utf-8"))["cells"]
    lines = [line for c in cells if c["cell_type"] == "code" for line in "".join(c["source"]).splitlines()]
    return [ast.literal_eval(line.split("=", 1)[1].strip()) for line in lines if line.startswith("prompt = ")]


def text(task: str, variant: str) -> str:
    return prompt_variant(task, variant, "qwen")["text"]


def test_cookbook_grounding_and_captioning():
    grounding, captioning = notebook_prompts("qwen2.5-vl_video_understanding_cells.json")
    assert text("grounding", "cookbook").replace("{query}", "seasoning the steak") == grounding
    assert text("dvc", "cookbook") == captioning
    assert captioning in notebook_prompts("qwen3-vl_video_understanding_cells.json")
    assert prompt_table("qwen")["defaults"]["qwen2_5_vl"] == {"grounding": "cookbook", "dvc": "cookbook"}


def test_timelens_grounder_prompt_and_frames():
    path = SOURCES / "timelens_evaluation.py.txt"
    assert text("grounding", "timelens").replace("{query}", "{}") == python_value(path, "GROUNDER_PROMPT")
    source = path.read_text()
    video = prompt_variant("grounding", "timelens", "qwen")["video"]
    for arg, value in (("min_tokens", video["min_tokens"]), ("total_tokens", video["total_tokens"]), ("fps", video["fps"])):
        assert f'parser.add_argument("--{arg}", type=int, default={value})' in source


def test_time_r1_prompt_and_frames():
    path = SOURCES / "time-r1_vllm_inference.py.txt"
    assert text("grounding", "time-r1").replace("{query}", "{}") == python_value(path, "DEFAULT_TG_PROMPT")["r1"]
    video = prompt_variant("grounding", "time-r1", "qwen")["video"]
    source = path.read_text()
    assert f"min_pixels={video['min_tokens']} * 28 * 28," in source
    assert f"total_pixels={video['total_tokens']} * 28 * 28," in source and 'prompt_type="r1",' in source


def test_lmms_eval_charades_prompt():
    lines = [ln for ln in (SOURCES / "lmms-eval_charades.yaml").read_text().splitlines() if "!function" not in ln]
    kwargs = yaml.safe_load("\n".join(lines))["lmms_eval_specific_kwargs"]["default"]
    assert 'return f"{pre_prompt}{question}. {post_prompt}"' in (SOURCES / "lmms-eval_charades_utils.py.txt").read_text()
    assert text("grounding", "lmms-eval").replace("{query}", QUERY) == f"{kwargs['pre_prompt']}{QUERY}. {kwargs['post_prompt']}"


@pytest.mark.parametrize("task", ["grounding", "dvc"])
def test_every_variant_names_its_source_and_is_checked(task):
    checked = {"grounding": {"cookbook", "timelens", "time-r1", "lmms-eval"}, "dvc": {"cookbook"}}[task]
    variants = prompt_table("qwen")["tasks"][task]["variants"]
    assert set(variants) == checked and all(v["source"] for v in variants.values())


def test_tasks_without_a_qwen_prompt_use_timechats_and_custom_prompts_pass_through():
    assert "highlight" not in prompt_table("qwen")["tasks"]
    assert build_prompt("highlight", "a dog", table="qwen") == build_prompt("highlight", "a dog")
    assert build_prompt("grounding", "a dog.", table="qwen").text == "Give the query: 'a dog', when does the described content occur in the video?"
    own = build_prompt("grounding", "a dog", custom="When does {query} happen?", table="qwen")
    assert (own.text, own.variant, own.source) == ("When does a dog happen?", "custom", "--prompt")
