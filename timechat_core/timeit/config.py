"""`--config sources.yaml`: where each source's annotations and videos are, plus build settings.

    # sources.yaml (relative paths are relative to this file)
    seed: 0
    split: train
    video_root: /data/videos
    clamp: false
    sources:
      charades: {ann: Charades/charades_sta, video_dir: Charades}
      activitynet: {ann: [ActivityNet/train.json], video_dir: anet_6fps_224}
      youcook2: YouCook2/youcookii_annotations_trainval.json      # just the annotations

Command-line options override the file. Read with the project's one config loader
(`timechat_core.configio.load_config`): every unknown key and wrongly typed value is reported at once.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

from timechat_core.configio import load_config
from timechat_core.errors import InputError


@dataclass(frozen=True)
class SourceConfig:
    ann: tuple[Path, ...] = ()
    """Annotation files or folders."""
    split: str | None = None
    """Overrides the global split for this source."""
    video_dir: str | None = None
    """Folder of this source's videos under the video root."""


@dataclass(frozen=True)
class BuildConfig:
    """A sources file; a setting left out is None (the command's default applies)."""

    seed: int | None = None
    split: str | None = None
    video_root: Path | None = None
    asr_dir: Path | None = None
    clamp: bool | None = None
    reversed: str | None = None
    dedup: bool | None = None
    min_chars: int | None = None
    shuffle: bool | None = None
    check_videos: bool | None = None
    data_root: Path | None = None
    eval_prompts: bool | None = None
    sources: dict[str, SourceConfig] = field(default_factory=dict)

    @property
    def settings(self) -> dict:
        """The settings the file gives (not None), by name."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name != "sources" and getattr(self, f.name) is not None}

    @classmethod
    def from_yaml(cls, path: str | os.PathLike) -> "BuildConfig":
        """Read and check a sources file; a source given as a path or a list of paths is its `ann`.

        Raises:
            InputError: unreadable YAML, unknown keys (all listed), or values of the wrong type.
        """
        import yaml

        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except OSError as e:
            raise InputError(f"{path}: cannot read: {e.strerror}") from None
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            raise InputError(f"{path}:{mark.line + 1 if mark else 1}: invalid YAML: {e}") from None
        if isinstance(data, dict) and isinstance(data.get("sources"), dict):
            data = {**data, "sources": {name: {"ann": spec} if isinstance(spec, (str, list)) else spec
                                        for name, spec in data["sources"].items()}}
        return load_config(cls, data, str(path), base=path.parent)
