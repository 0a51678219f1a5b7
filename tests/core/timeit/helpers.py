"""Small helpers for the TimeIT tests: build one source and look at its records."""

from __future__ import annotations

from pathlib import Path

from timechat_core.timeit.build import BuildOptions, SourceInput, build
from timechat_core.timeit.hygiene import Hygiene


def build_one(source: str, *paths: Path, split: str = "train", seed: int = 0, video_dir: str | None = None,
              **options):
    """`(records as dicts, report)` for one source."""
    hygiene = options.pop("hygiene", Hygiene())
    result = build([SourceInput(source, tuple(Path(p) for p in paths), split, video_dir)],
                   BuildOptions(seed=seed, hygiene=hygiene, **options))
    return [r.to_dict() for r in result.records], result.reports[0]


def answers(records: list[dict]) -> list[str]:
    return [r["QA"][0]["a"] for r in records]


def question(record: dict) -> str:
    return record["QA"][0]["q"]
