"""Task prompts, read from `templates/infer/prompts.yaml`: what `timechat infer` asks, and the evaluation
instructions `timechat build-timeit --eval-prompts` writes (a floor below both, and below the model config).

The texts are the reference's evaluation prompts (TimeChat `prompts/*.txt`, first line, as
`evaluate.py`'s `read_txt` reads them) and TimeIT instruction templates for the tasks the reference
has no evaluation prompt for. `evaluate.py` fills them with `prompt.format(dataset, query.strip('.'))`.

Other model families have their own table beside it (`templates/infer/qwen.yaml`: the Qwen-VL authors'
and their harnesses' prompts); a task such a table lacks is asked with TimeChat's.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from timechat_core.errors import InputError

TASKS = ("grounding", "dvc", "highlight", "summarize", "step", "speech", "ask")
NEEDS_QUERY = ("grounding", "highlight", "ask")
# The parser family each task's answer is read with (timechat_core.eval.parsers).
PARSE_KIND = {"grounding": "tvg", "dvc": "dvc", "step": "dvc", "speech": "dvc", "highlight": "vhd",
              "summarize": "vhd", "ask": None}


@dataclass(frozen=True)
class Prompt:
    task: str
    variant: str
    text: str
    """The instruction that follows the frame message."""
    source: str


TIMECHAT_TABLE = "prompts"


@lru_cache(maxsize=4)
def prompt_table(name: str = TIMECHAT_TABLE) -> dict:
    """`templates/infer/{name}.yaml`."""
    import yaml

    from timechat_core.resources import template_path

    return yaml.safe_load(template_path("infer", f"{name}.yaml").read_text(encoding="utf-8"))


def prompt_variant(task: str, name: str, table: str = TIMECHAT_TABLE) -> dict:
    """The variant's entry (`text`, `source` and the table's other keys)."""
    return _task_entry(task, table)["variants"][name]


def _task_entry(task: str, table: str) -> dict:
    tasks = prompt_table(table)["tasks"]
    return tasks[task] if task in tasks else prompt_table()["tasks"][task]


def system_prompt() -> str:
    return prompt_table()["system"]


def variants(task: str) -> list[str]:
    return list(prompt_table()["tasks"][task]["variants"])


def build_prompt(task: str, query: str | None = None, *, variant: str | None = None, dataset: str | None = None,
                 custom: str | None = None, table: str = TIMECHAT_TABLE) -> Prompt:
    """The instruction for one query.

    Args:
        task: one of TASKS.
        query: the sentence for grounding/highlight, the question for ask.
        variant: a variant of the task in prompts.yaml (default: the task's default).
        dataset: fills `{dataset}` (default: the variant's dataset).
        custom: a prompt text of the user's own (`{query}` and `{dataset}` are filled when present).
        table: the prompt table (a task it lacks is read from TimeChat's).

    Raises:
        InputError: unknown task or variant, or a required query missing.
    """
    if task not in TASKS:
        raise InputError(f"unknown task {task!r}; choose from {', '.join(TASKS)}")
    entry = _task_entry(task, table)
    name = variant or entry["default"]
    if name not in entry["variants"]:
        raise InputError(f"task {task} has no prompt variant {name!r}; choose from {', '.join(entry['variants'])}")
    v = entry["variants"][name]
    text, source = (custom, "--prompt") if custom is not None else (v["text"], v["source"])
    if "{query}" in text:
        if not query or not query.strip():
            raise InputError(f"task {task} needs a query (--query)")
        text = text.replace("{query}", query.strip().strip("."))
    elif task in NEEDS_QUERY and custom is None:
        raise InputError(f"task {task} needs a query (--query)")
    text = text.replace("{dataset}", dataset or v.get("dataset", ""))
    return Prompt(task, name if custom is None else "custom", text, source)
