"""Files shipped beside the package: `templates/`, `configs/` and package data.

`templates/` lives at the repository top level (the brief's layout); an editable install and a
source checkout both find it next to `timechat_core/`. `TIMECHAT_TEMPLATES` points elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

from timechat_core.errors import TimechatError

_PACKAGE = Path(__file__).resolve().parent


def _folder(name: str, env: str) -> Path:
    path = Path(os.environ[env]) if os.environ.get(env) else _PACKAGE.parent / name
    if not path.is_dir():
        raise TimechatError(f"{path}: {name} folder not found (set {env})")
    return path


def templates_dir() -> Path:
    """The folder holding the shipped templates."""
    return _folder("templates", "TIMECHAT_TEMPLATES")


def template_path(*parts: str) -> Path:
    """Path of one shipped template file, e.g. `template_path("timeit", "dvc.json")`."""
    path = templates_dir().joinpath(*parts)
    if not path.is_file():
        raise TimechatError(f"{path}: template file not found")
    return path


def configs_dir() -> Path:
    """The folder holding the shipped YAML configs (`configs/model/*.yaml`, ...)."""
    return _folder("configs", "TIMECHAT_CONFIGS")


def data_path(*parts: str) -> Path:
    """Path of a data file inside the package (`timechat_core/data/...`)."""
    return _PACKAGE.joinpath("data", *parts)


def demo_model_dir() -> Path:
    """The shipped demo model folder (`models/demo/`, made by `make demo-model`)."""
    env = os.environ.get("TIMECHAT_DEMO_MODEL")
    return Path(env) if env else _PACKAGE.parent / "models" / "demo"


def default_model(model: str | os.PathLike | None, say=None) -> Path:
    """`model` if given, else the demo model (announced through `say`).

    Raises:
        InputError: no model given and no demo model shipped.
    """
    from timechat_core.errors import InputError

    if model is not None:
        return Path(model)
    demo = demo_model_dir()
    if not (demo / "config.yaml").is_file():
        raise InputError(f"no --model given and no demo model at {demo}: pass a model folder made by "
                         "`timechat convert` or `timechat train` (or run `make demo-model`)")
    if say is not None:
        say(f"no --model given: using the demo model {demo} (tiny, trained on synthetic videos; "
            f"see {demo / 'README.md'})")
    return demo
