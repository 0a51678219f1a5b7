"""QuerYD temporal grounding (and dense captioning), from its transcribed audio descriptions.

Raw records (two dicts keyed by video, in the same order; tokens and `[start, end]` seconds):

    raw_captions_combined_filtered.pkl:   {"video-3cLd0hxWX7Q": [["a", "man", "walks", "in"], ...], ...}
    times_captions_combined_filtered.pkl: {"video-3cLd0hxWX7Q": [[12.3, 15.9], ...], ...}

Format: https://github.com/oncescuandreea/QuerYD_downloader (README "Downloading transcribed
descriptions and corresponding time-stamps", 06d6564), served from
http://www.robots.ox.ac.uk/~vgg/research/collaborative-experts/data/QuerYD/. TimeChat reads JSON
copies of both plus a split list `exists_{split}_list.txt` (`process_grounding_data.py`,
`process_dvc_data.py`, c60b332); the `.pkl` files are read with an unpickler that accepts plain
lists, dicts, strings and numbers only, and JSON copies work too.

Reference rules kept: a caption is its tokens joined by spaces; videos whose largest time is over
300 s are skipped (`video_too_long`); the query loses its periods and is single-quoted; a window
whose rounded ends are equal is answered `The given query happens in {s} seconds.` with a template
that does not contain "end" (the reference's intent: its `random.choice(filter(...))` fails on
Python 3). The video is the key, with `.mp4` added when it has no extension.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Iterator
from pathlib import Path

from timechat_core.errors import InputError
from timechat_core.timeit.native import Skip, read_ids, window
from timechat_core.timeit.record import Event, Events, Grounding

NAME = "queryd"
TASK = "tvg"
CAPTIONS = ("raw_captions_combined_filtered.pkl", "raw_captions_combined_filtered.json",
            "raw_captions_combined_filtered-v2.pkl")
MAX_SECONDS = 300
VIDEO_EXTS = (".mp4", ".mkv", ".webm", ".avi", ".mov")


def find(folder: Path, split: str) -> list[tuple[Path, str]]:
    for name in CAPTIONS:
        if (folder / name).is_file():
            return [(folder / name, split)]
    raise InputError(f"{folder}: no QuerYD captions (looked for {', '.join(CAPTIONS)})")


def read(path: Path, split: str, task: str = "tvg") -> Iterator[Grounding | Events | Skip]:
    """One `Grounding` per caption (`task="tvg"`) or one `Events` per video (`task="dvc"`).

    Raises:
        InputError: the times file is missing, the two files disagree, or a value is malformed.
    """
    times_path = path.with_name(path.name.replace("raw_captions", "times_captions"))
    if times_path == path or not times_path.is_file():
        raise InputError(f"{path}: no times file beside it ({times_path.name})")
    caps, times = _load(path), _load(times_path)
    ids = _split_ids(path.parent, split)
    for vname, segments in times.items():
        where = f"{times_path}: {vname!r}"

        def fail(m, where=where):
            return InputError(f"{where}: {m}")

        if vname not in caps or not isinstance(caps[vname], list) or not isinstance(segments, list):
            raise fail(f"no caption list in {path.name}, or times not a list")
        if len(caps[vname]) != len(segments):
            raise fail(f"{len(caps[vname])} captions for {len(segments)} windows")
        if ids is not None and vname not in ids:
            yield Skip("not_in_split", where)
            continue
        windows = [window(s, fail) for s in segments]
        if windows and max(max(w) for w in windows) > MAX_SECONDS:
            yield Skip("video_too_long", where)
            continue
        sentences = [_caption(c, fail).strip(" ") for c in caps[vname]]
        video = vname if vname.lower().endswith(VIDEO_EXTS) else f"{vname}.mp4"
        if task == "dvc":
            yield Events(video, tuple(Event(s, e, t) for (s, e), t in zip(windows, sentences)), where, id=vname)
            continue
        for (s, e), text in zip(windows, sentences):
            yield Grounding(video, text, s, e, where, strip_period=True, point_if_equal=True)


def _caption(tokens, fail) -> str:
    if isinstance(tokens, str):
        return tokens
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise fail(f"caption {tokens!r:.60} is not a list of words")
    return " ".join(tokens)


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def _load(path: Path) -> dict:
    if path.suffix.lower() == ".json":
        from timechat_core.fileio import read_json

        data = read_json(path)
    else:
        try:
            data = _PlainUnpickler(io.BytesIO(path.read_bytes())).load()
        except OSError as e:
            raise InputError(f"{path}: cannot read: {e.strerror}") from None
        except (pickle.UnpicklingError, EOFError, ValueError) as e:
            raise InputError(f"{path}: not a pickle of plain dicts and lists ({e}); convert it to JSON") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a dict keyed by video")
    return data


def _split_ids(folder: Path, split: str) -> set[str] | None:
    if split == "all":
        return None
    for name in (f"exists_{split}_list.txt", f"{split}_list.txt"):
        if (folder / name).is_file():
            return read_ids(folder / name)
    return None
