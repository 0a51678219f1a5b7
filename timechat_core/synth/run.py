"""Generate a synthetic set: scenes, videos (through the batch runner), annotations, blind baselines.

    from timechat_core.synth.run import SynthConfig, generate, finish
    config = SynthConfig(seed=0, num_videos=200)
    for record in generate("data/synth_train", config, workers=2):
        ...                                   # one record per video, as it finishes
    finish("data/synth_train", config)         # annotation files, sources.yaml, blind_baselines.json

Layout of the output folder:

    synth.json                 the settings (a rerun must use the same ones, but may ask for more videos)
    scenes/<id>.json           each scene with its events (exact ground truth)
    videos/<id>.mp4            H.264, yuv420p, no audio; scene kind, seed and index in its `comment` tag (`tag.py`)
    charades_sta/ youcook2/ qvhighlights/   the native annotation files (`annotations.py`)
    sources.yaml               for `timechat build-timeit --config`
    blind_baselines.json       the best video-blind scores on this set (`blind.py`)

A video is finished when its mp4 exists (it is renamed into place when complete); a rerun skips
finished videos and redoes the rest.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from timechat_core.errors import InputError
from timechat_core.fileio import write_text_atomic
from timechat_core.synth.scene import SCENE_VERSION, Scene, events, make_scene

SPLITS = ("train", "val", "test")
SCENE_KINDS = ("full", "static")


@dataclass(frozen=True)
class SynthConfig:
    seed: int = 0
    """Scenes depend only on (seed, video index): use one seed per split (e.g. 0 train, 1 val, 2 test)."""
    num_videos: int = 200
    duration_range: tuple[float, float] = (20.0, 60.0)
    """Seconds; each video lasts a whole number of seconds in this range."""
    width: int = 128
    height: int = 128
    fps: float = 8.0
    split: str = "train"
    """Names the annotation files and the YouCook2 subset; it does not change the scenes."""
    scenes_kind: str = "static"
    """static (grey background, objects that only appear and vanish: what the demo model was trained on) or
    full (every event kind)."""

    def __post_init__(self):
        problems = []
        if self.seed < 0:
            problems.append(f"seed must be >= 0, got {self.seed}")
        if self.num_videos < 1 or self.num_videos >= 100_000:
            problems.append(f"num_videos must be in 1..99999, got {self.num_videos}")
        lo, hi = self.duration_range
        if not 8 <= lo <= hi or int(hi) < lo:
            problems.append(f"duration range {lo:g},{hi:g}: need 8 <= MIN <= MAX and a whole second in it")
        if self.width % 2 or self.height % 2 or min(self.width, self.height) < 16:
            problems.append(f"size {self.width}x{self.height}: need even sides of at least 16 px (yuv420p)")
        if not 1 <= self.fps <= 60:
            problems.append(f"fps must be in 1..60, got {self.fps:g}")
        if self.scenes_kind not in SCENE_KINDS:
            problems.append(f"scenes must be one of {', '.join(SCENE_KINDS)}, got {self.scenes_kind!r}")
        if self.split not in SPLITS:
            problems.append(f"split must be one of {', '.join(SPLITS)}, got {self.split!r}")
        if problems:
            raise InputError("; ".join(problems))

    def settings(self) -> dict:
        """What must match between runs into the same folder (all but num_videos)."""
        d = asdict(self)
        d.pop("num_videos")
        d["duration_range"] = list(self.duration_range)
        if self.scenes_kind == "full":  # folders written before the static kind existed hold no such key
            d.pop("scenes_kind")
        return {"scene_version": SCENE_VERSION, **d}

    def scenes(self) -> list[Scene]:
        return [make_scene(self.seed, i, self.duration_range, static=self.scenes_kind == "static")
                for i in range(self.num_videos)]


def check_folder(folder: str | os.PathLike, config: SynthConfig) -> None:
    """Refuse a folder generated with other settings; record the settings in a new one.

    Raises:
        InputError: `synth.json` there has other settings (the differences named).
    """
    path = Path(folder) / "synth.json"
    wanted = config.settings()
    if path.is_file():
        try:
            have = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise InputError(f"{path}: unreadable ({e}); remove it or use another folder") from None
        now = {**wanted, "scenes_kind": config.scenes_kind}
        have = {"scenes_kind": "full", **have} if isinstance(have, dict) else {}  # no key: written as full
        diff = [f"{k} {have.get(k)!r} (now {now.get(k)!r})" for k in dict.fromkeys([*now, *have])
                if have.get(k) != now.get(k)]
        if diff:
            raise InputError(f"{folder} was generated with other settings: {'; '.join(diff)}; "
                             "use another folder (-o) or the same settings")
    else:
        write_text_atomic(path, json.dumps(wanted, indent=1) + "\n")


def generate(folder: str | os.PathLike, config: SynthConfig, *, workers: int = 1,
             overwrite: bool = False) -> Iterator[dict]:
    """Render the videos; one record per video as it finishes (in any order).

    A record is the batch runner's (`input` = the scene file, `output` = the mp4, `status` ok /
    skipped / failed, `error`, `seconds`) plus `video`, `duration`, `events`, `split`.

    Raises:
        InputError: the folder holds a set made with other settings.
    """
    from timechat_core.batch import BatchItem, run_batch
    from timechat_core.synth.render import render_video
    from timechat_core.video.tag import tag_comment

    folder = Path(os.path.abspath(folder))
    check_folder(folder, config)
    scenes = {}
    items = []
    for scene in config.scenes():
        scene_path = folder / "scenes" / f"{scene.video}.json"
        text = json.dumps(scene.to_dict(), indent=1) + "\n"
        if not scene_path.is_file() or scene_path.read_text(encoding="utf-8") != text:
            write_text_atomic(scene_path, text)
        scenes[str(scene_path)] = scene
        items.append(BatchItem(scene_path, Path("videos") / f"{scene.video}.mp4"))

    def step(src: Path, tmp: Path) -> dict:
        scene = scenes[str(src)]
        return render_video(scene, tmp, config.width, config.height, config.fps,
                            comment=tag_comment(config.scenes_kind, scene.seed, scene.index))

    for record in run_batch(items, folder, step, workers=workers, overwrite=overwrite):
        scene = scenes[record["input"]]
        yield {"video": scene.video, "duration": scene.duration, "events": len(events(scene)),
               "split": config.split, **record}


def finish(folder: str | os.PathLike, config: SynthConfig) -> dict:
    """Write the annotation files, `sources.yaml` and `blind_baselines.json` for all the scenes.

    Returns:
        {"files": {source: path}, "blind": the baselines}.
    """
    from timechat_core.synth.annotations import write_annotations
    from timechat_core.synth.blind import synth_baselines

    folder = Path(folder)
    files = write_annotations(folder, config.scenes(), config.split)
    blind = synth_baselines(folder, config.split)
    write_text_atomic(folder / "blind_baselines.json", json.dumps(blind, indent=1) + "\n")
    return {"files": {k: str(v) for k, v in files.items()}, "blind": blind}
