"""The one config system of the model, training and TimeIT-sources configs: reading YAML, dotted overrides,
and `load_config`, which builds a frozen dataclass config with its types checked and every problem reported
at once."""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from timechat_core.errors import InputError

T = TypeVar("T")


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

# -----------------------------------------------------------------------------------------------
# the one typed loader: frozen dataclass configs from nested mappings, every problem in one message
# -----------------------------------------------------------------------------------------------
def load_config(cls: type[T], data: Any, source: str, *, base: Path | None = None) -> T:
    """`cls(...)` built from nested mappings (a YAML file's content), checked against `cls`'s type hints.

    Nested dataclasses (also optional, and as values of `dict[str, X]`), tuples (a single value is a 1-tuple),
    `dict[K, V]`, bool / int / float / str and `Path` fields are checked and converted; `Path` values are
    resolved against `base` when one is given. Unknown keys, values of the wrong type and the problems each
    dataclass's `__post_init__` raises (as InputError) are all collected.

    Raises:
        InputError: `"{source}: problem; problem; ..."`.
    """
    problems: list[str] = []
    built = _build(cls, data if data is not None else {}, "", problems, base)
    if problems:
        raise InputError(f"{source}: " + "; ".join(problems))
    return built


def _build(cls, data: Any, prefix: str, problems: list[str], base: Path | None):
    if isinstance(data, cls):
        return data
    if not isinstance(data, dict):
        problems.append(f"{prefix.rstrip('.') or 'config'}: expected a mapping, got {data!r}")
        return None
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs, ok = {}, True
    for key, value in data.items():
        where = f"{prefix}{key}"
        if key not in names:
            problems.append(f"unknown key {where!r}")
            continue
        good, converted = _convert(hints[key], value, where, problems, base)
        if good:
            kwargs[key] = converted
        ok &= good
    if not ok:
        return None
    try:
        return cls(**kwargs)
    except InputError as e:
        problems.append(str(e))
        return None


def _convert(kind, value, where: str, problems: list[str], base: Path | None) -> tuple[bool, Any]:
    """(True, value converted to `kind`) or (False, None) with the problem appended."""
    if dataclasses.is_dataclass(kind):
        n = len(problems)
        built = _build(kind, value if value is not None else {}, f"{where}.", problems, base)
        return len(problems) == n, built
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            if type(None) in args:
                return True, None
        else:
            for a in (a for a in args if a is not type(None)):
                if dataclasses.is_dataclass(a):
                    return _convert(a, value, where, problems, base)
                good, converted = _coerce(a, value, base)
                if good:
                    return True, converted
    elif origin is dict and args and dataclasses.is_dataclass(args[1]):
        value = {} if value is None else value  # a key left empty: no entries
        if not isinstance(value, dict):
            problems.append(f"{where}: expected a mapping, got {value!r}")
            return False, None
        out, good = {}, True
        for k, v in value.items():
            ok, out[str(k)] = _convert(args[1], v, f"{where}.{k}", problems, base)
            good &= ok
        return good, out
    else:
        good, converted = _coerce(kind, value, base)
        if good:
            return True, converted
    problems.append(f"{where}: expected {_type_name(kind)}, got {value!r}")
    return False, None


def _coerce(kind, value, base: Path | None) -> tuple[bool, Any]:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is tuple:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)):
            return False, None
        items = [args[0]] * len(value) if len(args) == 2 and args[1] is Ellipsis else list(args)
        if len(items) != len(value):
            return False, None
        out = []
        for item, v in zip(items, value):
            good, c = _coerce(item, v, base)
            if not good:
                return False, None
            out.append(c)
        return True, tuple(out)
    if origin is dict or kind is dict:
        if value is None:  # a YAML key left empty (its lines commented out): an empty mapping
            return True, {}
        if not isinstance(value, dict):
            return False, None
        if not args:
            return True, value
        out = {}
        for k, v in value.items():
            gk, ck = _coerce(args[0], k, base)
            gv, cv = _coerce(args[1], v, base)
            if not (gk and gv):
                return False, None
            out[ck] = cv
        return True, out
    if kind is bool:
        return (True, value) if isinstance(value, bool) else (False, None)
    if kind is int:
        return (True, value) if isinstance(value, int) and not isinstance(value, bool) else (False, None)
    if kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return True, float(value)
        if isinstance(value, str):  # YAML 1.1 reads 3e-5 (no dot) as a string
            try:
                return True, float(value)
            except ValueError:
                return False, None
        return False, None
    if kind is str:
        ok = isinstance(value, (str, int, float)) and not isinstance(value, bool)
        return (True, str(value)) if ok else (False, None)
    if kind is Path:
        if not isinstance(value, (str, os.PathLike)):
            return False, None
        p = Path(os.path.expanduser(str(value)))
        return True, p if base is None or p.is_absolute() else base / p
    if kind is Any:
        return True, value
    return (True, value) if isinstance(kind, type) and isinstance(value, kind) else (False, None)


def _type_name(kind) -> str:
    if typing.get_origin(kind) is None and hasattr(kind, "__name__"):
        return kind.__name__
    return str(kind).replace("typing.", "").replace("pathlib.", "")
