"""Scene descriptions: determinism, disjoint seeds, and the invariants the ground truth relies on."""

from __future__ import annotations

import numpy as np
import pytest

from timechat_core.synth.render import draw, frame_count, render_frames, stamp
from timechat_core.synth.scene import (BACKGROUNDS, COLOURS, MIN_EVENT, events, make_scene, state_at,
                                       video_id)

SCENES = [make_scene(seed, i) for seed in (0, 1) for i in range(150)]


def test_same_seed_same_scene_other_seed_disjoint():
    assert make_scene(5, 3) == make_scene(5, 3)
    a = {repr(make_scene(0, i).to_dict() | {"video": None, "seed": None}) for i in range(100)}
    b = {repr(make_scene(1, i).to_dict() | {"video": None, "seed": None}) for i in range(100)}
    assert len(a) == 100 and not a & b
    assert video_id(0, 7) == "synth-0-00007" != video_id(1, 7)


@pytest.mark.parametrize("scene", SCENES[:3] + SCENES[-3:], ids=lambda s: s.video)
def test_scene_dict_is_plain_json(scene):
    import json

    d = scene.to_dict()
    assert json.loads(json.dumps(d)) == d and d["events"] == [e.to_dict() for e in events(scene)]


def test_event_invariants():
    for s in SCENES:
        ev = events(s)
        assert 20 <= s.duration <= 60 and s.duration.is_integer()
        queries = [e.query for e in ev]
        assert len(set(queries)) == len(queries), s.video  # every query names one window
        for e in ev:
            assert 0 <= e.start < e.end <= s.duration, (s.video, e)
            assert round(e.start, 1) == e.start and round(e.end, 1) == e.end
            if e.kind in ("appear", "colour", "move"):
                assert e.end - e.start >= MIN_EVENT - 0.1
        assert [(e.start, e.end) for e in ev] == sorted((e.start, e.end) for e in ev)
        pairs = [(p.colour, o.shape) for o in s.objects for p in o.phases]
        assert len(set(pairs)) == len(pairs) and 1 <= len(s.objects) <= 3
        assert len({b.colour for b in s.backgrounds}) == len(s.backgrounds)
        for o in s.objects:
            if o.move is not None:  # a move stays inside one colour phase
                assert any(p.start <= o.move.start and o.move.end <= p.end for p in o.phases)


def test_all_event_kinds_occur():
    kinds = {e.kind for s in SCENES for e in events(s)}
    assert kinds == {"appear", "colour", "move", "flash", "cut", "background"}


def test_state_follows_the_windows():
    s = next(s for s in SCENES if any(o.move for o in s.objects) and s.flash)
    o = next(o for o in s.objects if o.move)
    p = o.phases[0]
    before, inside = state_at(s, p.start - 0.05, 64, 64), state_at(s, p.start, 64, 64)
    assert len(inside[2]) == len(before[2]) + 1
    moving = [state_at(s, t, 64, 64) for t in (o.move.start, (o.move.start + o.move.end) / 2, o.move.end)]
    xs = [[sh[2:4] for sh in st[2] if sh[0] == o.shape] for st in moving]
    assert xs[0] != xs[1] != xs[2]
    assert state_at(s, s.flash[0], 64, 64)[1] and not state_at(s, s.flash[1], 64, 64)[1]


def test_draw_paints_shapes_and_flash():
    bg = BACKGROUNDS["grey"]
    state = (bg, False, (("circle", 5, 10, 10, COLOURS["red"]), ("square", 4, 62, 46, COLOURS["blue"]),
                         ("circle", 3, 90, 90, COLOURS["red"])))  # the last one is off the frame
    f = draw(state, 64, 48)
    assert f.shape == (48, 64, 3)
    assert tuple(f[10, 10]) == COLOURS["red"] and tuple(f[0, 0]) == bg
    assert tuple(f[47, 63]) == COLOURS["blue"]  # clipped at the border
    assert stamp("triangle", 5)[0, 5] and not stamp("triangle", 5)[0, 0]
    bright = draw((bg, True, ()), 8, 8)
    assert (bright > np.array(bg)).all()


def test_render_frames_size():
    s = make_scene(0, 0, (8, 8))
    data = render_frames(s, 16, 16, 4)
    assert frame_count(s, 4) == 32 and len(data) == 32 * 16 * 16 * 3


def test_static_scenes_only_show_shapes_appearing_on_grey():
    static = [make_scene(0, i, static=True) for i in range(150)]
    kinds = {e.kind for s in static for e in events(s)}
    assert kinds == {"appear"}
    assert all(s.backgrounds[0].colour == "grey" and len(s.backgrounds) == 1 and s.flash is None for s in static)
    assert all(o.move is None and len(o.phases) == 1 for s in static for o in s.objects)
    assert {len(s.objects) for s in static} == {1, 2, 3}
    assert static[7].video == "synth-static-0-00007" != SCENES[7].video  # both kinds can share a folder tree
    assert static[7] == make_scene(0, 7, static=True) and static[7].objects != SCENES[7].objects
