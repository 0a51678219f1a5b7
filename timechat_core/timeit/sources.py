"""The registry of TimeIT sources: name -> adapter module, task, TimeIT `source` label.

`label` is the `source` value of the released TimeIT file (`merge.py`: the folder names
`yttemporal`, `coin`, `hirest_step`, `queryd`, `hirest`, `didemo`, `anet`, `vitt`, `summe`,
`tvsum`; the held-out `youcook2`, `charades`, `qvhighlights`). Variants (`activitynet_tvg`,
`queryd_dvc`) are built only when named; `all` means the primary sources that have an input.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType

from timechat_core.errors import InputError


@dataclass(frozen=True)
class Source:
    name: str
    label: str
    task: str
    module: str
    """Adapter module under `timechat_core.timeit`."""
    folders: tuple[str, ...]
    """Folder names looked for under `--data-root`, first found wins."""
    kwargs: dict = field(default_factory=dict)
    primary: bool = True
    asr: bool = True
    """`--asr-dir` prefixes its instructions (the reference's asr_data_process.py does it for
    COIN, QuerYD, DiDeMo, ActivityNet, ViTT, SumMe and TVSum; here for every source but the
    transcribed-speech and conversation ones)."""

    def adapter(self) -> ModuleType:
        return importlib.import_module(f"timechat_core.timeit.{self.module}")


_S = Source
SOURCES: dict[str, Source] = {s.name: s for s in (
    _S("youcook2", "youcook2", "dvc", "youcook2", ("youcook2", "YouCook2")),
    _S("activitynet", "anet", "dvc", "activitynet", ("activitynet_captions", "activitynet", "ActivityNet")),
    _S("activitynet_tvg", "anet", "tvg", "activitynet", ("activitynet_captions", "activitynet", "ActivityNet"),
       {"task": "tvg"}, primary=False),
    _S("vitt", "vitt", "dvc_start", "vitt", ("vitt", "ViTT")),
    _S("charades", "charades", "tvg", "charades_sta", ("charades_sta", "charades", "Charades")),
    _S("didemo", "didemo", "tvg", "didemo", ("didemo", "DiDeMo")),
    _S("queryd", "queryd", "tvg", "queryd", ("queryd", "QuerYD")),
    _S("queryd_dvc", "queryd", "dvc", "queryd", ("queryd", "QuerYD"), {"task": "dvc"}, primary=False),
    _S("hirest", "hirest", "tvg", "hirest", ("hirest", "HiREST")),
    _S("hirest_step", "hirest_step", "step", "hirest", ("hirest", "HiREST"), {"task": "step"}),
    _S("coin", "coin", "step", "coin", ("coin", "COIN")),
    _S("qvhighlights", "qvhighlights", "vhd", "qvhighlights", ("qvhighlights", "QVHighlights")),
    _S("tvsum", "tvsum", "summarization", "tvsum", ("tvsum", "TVSum")),
    _S("summe", "summe", "summarization", "summe", ("summe", "SumMe")),
    _S("yttemporal", "yttemporal", "tsg", "yttemporal", ("yttemporal", "yttemporal180m", "YT-Temporal"), asr=False),
    _S("valley", "valley", "conversation", "valley", ("valley", "Valley"), asr=False),
)}

ALIASES = {"charades_sta": "charades", "anet": "activitynet", "activitynet_captions": "activitynet",
           "anet_tvg": "activitynet_tvg", "hirest_tvg": "hirest", "hirest_grounding": "hirest",
           "qvh": "qvhighlights", "yt_temporal": "yttemporal", "yt-temporal": "yttemporal"}


def get_source(name: str) -> Source:
    """The source named `name` (or one of its aliases).

    Raises:
        InputError: unknown name (the known ones are listed).
    """
    key = name.strip().lower().replace("-", "_")
    key = ALIASES.get(key, key)
    if key not in SOURCES:
        raise InputError(f"unknown source {name!r}; known: {', '.join(SOURCES)}")
    return SOURCES[key]
