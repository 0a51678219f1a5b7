"""YAML config plumbing shared by the model and training configs: reading, dotted overrides."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from timechat_core.errors import InputError


def read_yaml_mapping(path: str | Path, what: str) -> dict:
    """The mapping in a YAML file; `what` names it in errors ("model config", ...)."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise InputError(f"{path}: cannot read the {what}: {e}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: a {what} must be a mapping")
    return data


def set_dotted(data: dict, key: str, value: Any) -> None:
    """`set_dotted(d, "optim.init_lr", 1e-4)` sets `d["optim"]["init_lr"]`, creating mappings on the way."""
    parts = key.split(".")
    for p in parts[:-1]:
        data = data.setdefault(p, {})
    data[parts[-1]] = value


def parse_overrides(items: Iterable[str]) -> dict:
    """`KEY=VALUE` strings -> {key: YAML value}; every malformed item is reported at once."""
    import yaml

    parsed, bad = {}, []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            bad.append(item)
            continue
        try:
            parsed[key] = yaml.safe_load(value)
        except yaml.YAMLError:
            parsed[key] = value
    if bad:
        raise InputError("overrides must be KEY=VALUE: " + ", ".join(repr(b) for b in bad))
    return parsed
