"""Checkpoint files that do not fit a model config, said in a few short lines.

A checkpoint converted against the wrong config (`timechat convert --config timechat-7b` on the tiny
conformance fixture) differs in hundreds of keys. Each kind of problem is one line: its count, the
count per module group (the model's top-level modules), the first few keys (and shapes); then the
shipped preset (`configs/model/*.yaml`) whose visual stack the files fit, or come closer to, as the
likely `--config`.
The visual stack is everything but `language_model.` (`docs/checkpoints.md` §2): the LLM comes from
its own folder, whatever the config.
"""

from __future__ import annotations

import re
from collections import Counter

EXAMPLES = 3
"""Keys (or shape pairs) shown per kind of problem."""


def group(key: str) -> str:
    """The module group a key belongs to: the model's top-level module (`qformer`, `query_tokens`, ...)."""
    return key.split(".")[0]


def summarise(label: str, items: list[str], keys: list[str]) -> str:
    """One line: `N label (group n, ...; first: a, b, c, ... M more)`.

    Args:
        items: what to show per problem (the key, or the key with its shapes), in order.
        keys: the keys `items` are about, for the counts per module group.
    """
    counts = ", ".join(f"{g} {n}" for g, n in Counter(group(k) for k in keys).most_common())
    more = f", ... {len(items) - EXAMPLES} more" if len(items) > EXAMPLES else ""
    return f"{len(items)} {label} ({counts}; first: {', '.join(items[:EXAMPLES])}{more})"


_VISION_LAYER = re.compile(r"vision_model\.encoder\.layers\.(\d+)\.")


def beyond_vision_layers(keys, num_layers: int) -> list[str]:
    """The keys of vision layers >= `num_layers`: ignored, as the reference's `strict=False` load does (LAVIS
    drops EVA's last block, so `eva_vit_g.pth` has one more than the model)."""
    return [k for k in keys if (m := _VISION_LAYER.match(k)) and int(m.group(1)) >= num_layers]


FRAME_POSITIONS = "frame_position_embedding.weight"
"""Interpolated to the config's `max_frame_pos` while loading (`interpolate_frame_positions`): only its width
tells configs apart."""


def preset_differences(shapes: dict[str, tuple[int, ...]], besides=None) -> dict[str, list[str]]:
    """Per shipped model preset, how the files' visual stack differs from the one it builds (nothing: it fits).

    Args:
        shapes: visual key (timechat name) -> shape, as the files give them.
        besides: a `TimeChatConfig` (the one that did not fit): a preset equal to it, its LLM path aside, is left out.

    Returns:
        {preset name: ["key: file (..) vs preset (..)", ...]}, presets that differ least first.
    """
    import dataclasses

    import torch

    from timechat_core.model.config import TimeChatConfig
    from timechat_core.model.timechat import TimeChatModel
    from timechat_core.resources import configs_dir

    out = {}
    for path in sorted((configs_dir() / "model").glob("*.yaml")):
        config = TimeChatConfig.from_yaml(path)
        if besides is not None and besides.replace(llm=dataclasses.replace(besides.llm, path=config.llm.path)) == config:
            continue
        with torch.device("meta"):
            model = TimeChatModel(config, language_model=torch.nn.Identity())
        want = {k: tuple(v.shape) for k, v in model.state_dict().items()}
        extra = set(beyond_vision_layers(shapes, config.vision.num_hidden_layers))
        have = {k: s for k, s in shapes.items() if k not in extra}
        for table in (want, have):
            if FRAME_POSITIONS in table:
                table[FRAME_POSITIONS] = table[FRAME_POSITIONS][1:]
        out[path.stem] = [f"{k}: file {have.get(k, 'absent')} vs preset {want.get(k, 'absent')}"
                          for k in sorted(set(want) | set(have), key=natural) if have.get(k) != want.get(k)]
    return dict(sorted(out.items(), key=lambda kv: len(kv[1])))


def natural(key: str) -> tuple:
    """Sort key that puts `layer.2` before `layer.10` (and numbers before names at the same place)."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in key.split("."))


def likely_config(shapes: dict[str, tuple[int, ...]], config, problems: int) -> str:
    """The line naming the shipped preset the files' visual stack fits, or comes closer to than `config` (which
    differs from the files in `problems` keys)."""
    closer = {name: diff for name, diff in preset_differences(shapes, besides=config).items() if len(diff) < problems}
    if not closer:
        return "no shipped preset fits the files better: give --config a model config of their sizes"
    name, diff = next(iter(closer.items()))
    if not diff:
        return f"likely --config: {name} (the files fit its visual stack)"
    return (f"closest shipped preset: --config {name}, whose visual stack differs from the files in {len(diff)} "
            f"key{'s' if len(diff) > 1 else ''} ({'; '.join(diff[:EXAMPLES])}{', ...' if len(diff) > EXAMPLES else ''}); "
            "or give --config a model config of their sizes")
