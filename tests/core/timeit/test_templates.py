"""The shipped TimeIT templates: verbatim copies of TimeChat's, plus our start-time-only set."""

import json

import pytest

from timechat_core.resources import template_path
from timechat_core.timeit.templates import TEMPLATE_FILES, TemplatePicker, load_templates


@pytest.mark.parametrize("task", [t for t in TEMPLATE_FILES if t != "dvc_start"])
def test_copied_verbatim(task, datadir):
    name = TEMPLATE_FILES[task]
    ours = template_path("timeit", name).read_bytes()
    assert ours == (datadir / "timechat_prompts" / "construct_it_data" / name).read_bytes()
    assert len(load_templates(task)) == 6


def test_start_time_only_set_is_ours():
    data = json.loads(template_path("timeit", "dvc_prompts_start-time-only.json").read_text())
    assert "NOT from TimeChat" in data["_source"]
    texts = [t.text for t in load_templates("dvc_start")]
    assert len(texts) == 6 and all("end" not in t.replace("depend", "") for t in texts)


def test_seeded_choice_is_reproducible_and_per_source():
    a = [TemplatePicker(7, "charades").pick("tvg", query="'q'").id for _ in range(50)]
    b = [TemplatePicker(7, "charades").pick("tvg", query="'q'").id for _ in range(50)]
    picker = TemplatePicker(7, "charades")
    c = [picker.pick("tvg", query="'q'").id for _ in range(50)]
    d_picker = TemplatePicker(8, "charades")
    d = [d_picker.pick("tvg", query="'q'").id for _ in range(50)]
    assert a == b and c != d and len(set(c)) == 6


def test_placeholders_and_rstrip():
    picker = TemplatePicker(0, "x")
    for _ in range(30):
        t = picker.pick("summarization", dataset="tvsum")
        assert "<" not in t.text and "tvsum" in t.text and t.text == t.text.rstrip()
        s = picker.pick("step")
        assert s.text == s.text.rstrip()  # template 0 ends with a space in the reference file
    t = picker.pick("vhd", query="'a dog'")
    assert "'a dog'" in t.text and "<query_placeholder>" not in t.text
