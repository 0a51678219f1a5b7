"""`--config sources.yaml`: where each source's annotations and videos are, plus build settings.

    # sources.yaml (relative paths are relative to this file)
    seed: 0
    split: train
    video_root: /data/videos
    clamp: false
    sources:
      charades: {ann: Charades/charades_sta, video_dir: Charades/videos}
      activitynet: {ann: [ActivityNet/train.json], video_dir: anet_6fps_224}
      youcook2: {ann: YouCook2/youcookii_annotations_trainval.json, split: val}

Command-line options override the file. Every unknown key is reported at once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from timechat_core.errors import InputError

SETTINGS = {"seed": int, "split": str, "video_root": Path, "asr_dir": Path, "clamp": bool, "reversed": str,
            "dedup": bool, "min_chars": int, "shuffle": bool, "check_videos": bool, "data_root": Path,
            "eval_prompts": bool}
SOURCE_KEYS = {"ann", "split", "video_dir"}


@dataclass(frozen=True)
class SourceConfig:
    ann: tuple[Path, ...] = ()
    """Annotation files or folders."""
    split: str | None = None
    """Overrides the global split for this source."""
    video_dir: str | None = None


@dataclass(frozen=True)
class BuildConfig:
    settings: dict = field(default_factory=dict)
    """Global settings present in the file (keys of `SETTINGS`)."""
    sources: dict[str, SourceConfig] = field(default_factory=dict)

    @classmethod
    def from_yaml(cls, path: str | os.PathLike) -> "BuildConfig":
        """Read and check a sources file.

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
        if not isinstance(data, dict):
            raise InputError(f"{path}: expected a mapping of settings and 'sources'")
        base = path.parent
        issues, settings, sources = [], {}, {}
        for key, value in data.items():
            if key == "sources":
                continue
            if key not in SETTINGS:
                issues.append(f"unknown setting {key!r}")
            elif SETTINGS[key] is Path:
                settings[key] = _path(base, value)
            elif not isinstance(value, SETTINGS[key]) or (SETTINGS[key] is int and isinstance(value, bool)):
                issues.append(f"{key}: expected {SETTINGS[key].__name__}, got {value!r}")
            else:
                settings[key] = value
        for name, spec in (data.get("sources") or {}).items():
            if isinstance(spec, (str, list)):
                spec = {"ann": spec}
            if not isinstance(spec, dict):
                issues.append(f"sources.{name}: expected a mapping with 'ann'")
                continue
            unknown = sorted(set(spec) - SOURCE_KEYS)
            issues += [f"sources.{name}: unknown key {k!r}" for k in unknown]
            ann = spec.get("ann", [])
            ann = [ann] if isinstance(ann, str) else ann
            if not isinstance(ann, list) or not all(isinstance(a, str) for a in ann):
                issues.append(f"sources.{name}.ann: expected a path or a list of paths")
                continue
            video_dir = spec.get("video_dir")
            sources[name] = SourceConfig(tuple(_path(base, a) for a in ann), spec.get("split"),
                                         None if video_dir is None else str(video_dir))
        if issues:
            raise InputError(f"{path}: " + "; ".join(issues))
        return cls(settings, sources)


def _path(base: Path, value) -> Path:
    p = Path(os.path.expanduser(str(value)))
    return p if p.is_absolute() else base / p
