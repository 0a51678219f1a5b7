"""What a `timechat synth` video says about itself: its scene kind, seed and index, in the mp4's `comment` tag.

A media-metadata floor: `timechat synth` writes the tag, the answer loop reads it. The renderer writes `{"timechat_synth": {"scenes": KIND, "seed": S, "index": I}}` (JSON) into each video's
container metadata; `synth_kind` reads it back. A model trained on one kind of synth scenes (its folder's
`manifest.json` `trained_on.synth_scenes`, `timechat_core.model.folder.trained_on`) checks the videos it is
asked about against it: any other video, real ones included, carries no such tag.
"""

from __future__ import annotations

import json
import os

TAG = "timechat_synth"


def tag_comment(kind: str, seed: int, index: int) -> str:
    """The `comment` metadata of video `index` of `seed`, scene kind `kind` (`full` or `static`)."""
    return json.dumps({TAG: {"scenes": kind, "seed": seed, "index": index}}, sort_keys=True)


def read_tag(path: str | os.PathLike) -> dict | None:
    """`{"scenes", "seed", "index"}` of a `timechat synth` video; None for any other or unreadable file."""
    from timechat_core.errors import MediaError
    from timechat_core.video.probe import open_container

    try:
        with open_container(path) as container:
            comment = container.metadata.get("comment", "")
    except MediaError:
        return None
    try:
        tag = json.loads(comment).get(TAG)
    except (ValueError, AttributeError):
        return None
    return tag if isinstance(tag, dict) else None


def synth_kind(path: str | os.PathLike) -> str | None:
    """The scene kind of a `timechat synth` video (`full`, `static`), or None for any other video."""
    tag = read_tag(path)
    return tag.get("scenes") if tag else None
