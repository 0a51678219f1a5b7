"""TimeIT instruction templates and their seeded choice.

The six templates per task are TimeChat's `utils/construct_it_data/prompts/*.json` (c60b332,
BSD-3-Clause), copied verbatim into `templates/timeit/`; `dvc_prompts_start-time-only.json` (ViTT)
is missing from the reference and was written for this project (its `_source` key says so). Only
the numeric keys are templates.

The reference picks with an unseeded `random.choice`. Here each source draws from its own
`random.Random(f"{seed}:{source}")` in record order, so the same seed gives the same choices, and
adding or removing another source does not change them.

Placeholders (`docs/timeit.md` §4): `<query_placeholder>` gets the single-quoted query,
`<dataset_placeholder>` the dataset name; summarization templates lose `<query_placeholder>`.
Every instruction is right-stripped, as the reference's `instruction.rstrip()`.
"""

from __future__ import annotations

import functools
import json
import random
from dataclasses import dataclass

from timechat_core.errors import InputError

QUERY = "<query_placeholder>"
DATASET = "<dataset_placeholder>"

# task -> (template file, id prefix)
TEMPLATE_FILES = {
    "dvc": "dvc_prompts.json",
    "dvc_start": "dvc_prompts_start-time-only.json",
    "step": "action_locate_prompts.json",
    "tvg": "video_grounding_prompts.json",
    "vhd": "highlight_prompts.json",
    "summarization": "video_summarize_prompts.json",
    "tsg": "tsp_prompts.json",
}


@dataclass(frozen=True)
class Template:
    id: str
    """`"<task>/<key>"`, e.g. `"tvg/3"`."""
    text: str


@functools.lru_cache(maxsize=None)
def load_templates(task: str) -> tuple[Template, ...]:
    """The templates of one task, in key order.

    Raises:
        InputError: unknown task, or a template file that is not a JSON object of strings.
    """
    from timechat_core.resources import template_path

    if task not in TEMPLATE_FILES:
        raise InputError(f"no instruction templates for task {task!r}")
    path = template_path("timeit", TEMPLATE_FILES[task])
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InputError(f"{path}:{e.lineno}: invalid JSON: {e.msg}") from None
    keys = sorted((k for k in data if k.isdigit()), key=int)
    if not keys or not all(isinstance(data[k], str) for k in keys):
        raise InputError(f"{path}: expected an object of numbered template strings")
    return tuple(Template(f"{task}/{k}", data[k]) for k in keys)


class TemplatePicker:
    """Seeded template choice for one source."""

    def __init__(self, seed: int, source: str):
        self._rng = random.Random(f"{seed}:{source}")

    def pick(self, task: str, *, query: str | None = None, dataset: str | None = None,
             exclude_word: str | None = None) -> Template:
        """Choose a template and fill its placeholders.

        Args:
            query: the already quoted query for `<query_placeholder>` (None: the placeholder is removed).
            dataset: the name for `<dataset_placeholder>`.
            exclude_word: choose only among templates not containing it (QuerYD's zero-length
                windows use only templates without "end", as the reference intends).
        """
        choices = load_templates(task)
        if exclude_word:
            choices = tuple(t for t in choices if exclude_word not in t.text) or choices
        t = self._rng.choice(choices)
        text = t.text.replace(QUERY, query if query is not None else "")
        if dataset is not None:
            text = text.replace(DATASET, dataset)
        return Template(t.id, text.rstrip())
