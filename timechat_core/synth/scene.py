"""Seeded scene descriptions: coloured shapes on a background, with exactly timed events.

A scene (one video) is drawn from `random.Random(f"timechat-synth/v1/{seed}/{index}")`, so it
depends only on (seed, index) and the settings: the same seed always gives the same scenes, on any
platform, and two seeds give disjoint sets (video ids carry the seed). What a scene holds:

- a background colour, changed by 0-2 scene cuts (each at least 20 % of the video from the ends
  and from each other);
- 1-3 objects, each a (colour, shape) from {red, green, blue, yellow} x {circle, square, triangle}
  in a cell of a 3 x 3 grid, visible during its own window of 12-45 % of the video (at least 3 s);
  an object may change colour once (an instant change that splits the window in two phases) and may
  move once, in a straight line to another cell of its row or column (left, right, up or down),
  inside one colour phase;
- at most one flash: the whole frame is blended 60 % towards white for 5-10 % of the video.

No (colour, shape) pair occurs twice in a scene and no background colour twice, so every query
names exactly one window. Times are rounded to 0.1 s; the video lasts a whole number of seconds.
A frame at time t = i / fps shows an event whose window is [start, end) when start <= t < end.

`events(scene)` lists the events with their windows, their dense caption and their grounding
query; the annotation writers (`annotations.py`) derive every native file from that list.
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass

SCENE_VERSION = 1
"""Bumped whenever the same (seed, index, settings) would give a different scene."""

COLOURS = {"red": (215, 48, 39), "green": (26, 152, 80), "blue": (43, 90, 200), "yellow": (250, 210, 40)}
SHAPES = ("circle", "square", "triangle")
BACKGROUNDS = {"grey": (128, 128, 128), "black": (24, 24, 24), "white": (232, 232, 232), "purple": (112, 64, 136)}

GRID = 3
"""Objects sit in the cells of a GRID x GRID grid (distinct cells at the start), so they do not overlap
unless one moves across another."""
RADIUS = (0.12, 0.16)
"""Object radius as a fraction of the shorter side (a cell is 1/3 of it)."""
VISIBLE = (0.12, 0.45)
"""An object's visible window as a fraction of the video; at least MIN_EVENT seconds."""
MIN_EVENT = 3.0
MOVE = (0.1, 0.3)
"""A move's length as a fraction of the video, inside one colour phase."""
FLASH = (0.05, 0.10)
FLASH_WHITE = 0.6
"""How far a flash blends the frame towards white."""
P_COLOUR_CHANGE, P_MOVE, P_FLASH = 0.3, 0.5, 0.4
CUTS = ((0, 0.5), (1, 0.3), (2, 0.2))
"""(number of scene cuts, probability)."""
CUT_GAP = 0.2
"""Cuts are at least this fraction of the video from the ends and from each other."""


@dataclass(frozen=True)
class Span:
    """A colour over a window [start, end): an object's visibility in one colour, or a background."""

    colour: str
    start: float
    end: float


@dataclass(frozen=True)
class Move:
    """A straight move at constant speed during [start, end) to the point `to` (fractions of W, H)."""

    start: float
    end: float
    to: tuple[float, float]
    direction: str
    """left, right, up or down."""


@dataclass(frozen=True)
class Shape:
    shape: str
    radius: float
    """Fraction of the shorter side."""
    at: tuple[float, float]
    """Centre at the start, as fractions of (width, height)."""
    phases: tuple[Span, ...]
    """One phase, or two when the object changes colour (the second starts where the first ends)."""
    move: Move | None = None

    @property
    def start(self) -> float:
        return self.phases[0].start

    @property
    def end(self) -> float:
        return self.phases[-1].end


@dataclass(frozen=True)
class Scene:
    video: str
    """The video id (file `{video}.mp4`)."""
    seed: int
    index: int
    duration: float
    backgrounds: tuple[Span, ...]
    objects: tuple[Shape, ...]
    flash: tuple[float, float] | None = None

    def to_dict(self) -> dict:
        return {
            "video": self.video, "seed": self.seed, "index": self.index, "duration": self.duration,
            "version": SCENE_VERSION,
            "backgrounds": [asdict(b) for b in self.backgrounds],
            "objects": [{
                "shape": o.shape, "radius": o.radius, "at": list(o.at),
                "phases": [asdict(p) for p in o.phases],
                "move": None if o.move is None else {"start": o.move.start, "end": o.move.end,
                                                      "to": list(o.move.to), "direction": o.move.direction},
            } for o in self.objects],
            "flash": None if self.flash is None else list(self.flash),
            "events": [e.to_dict() for e in events(self)],
        }


@dataclass(frozen=True)
class Event:
    """One timed event with the sentences the annotations use."""

    kind: str
    """appear, colour, move, flash or cut."""
    start: float
    end: float
    caption: str
    """Dense-captioning sentence (YouCook2 style, no final period)."""
    query: str
    """Grounding / highlight query naming exactly this window."""
    subject: str
    """What the event is about: "red circle", "screen", "background"."""

    def to_dict(self) -> dict:
        return {"kind": self.kind, "start": self.start, "end": self.end, "caption": self.caption,
                "query": self.query, "subject": self.subject}


def video_id(seed: int, index: int, static: bool = False) -> str:
    return f"synth-{'static-' if static else ''}{seed}-{index:05d}"


def make_scene(seed: int, index: int, duration_range: tuple[float, float] = (20, 60), static: bool = False) -> Scene:
    """The scene of video `index` of `seed` (see the module docstring for what is drawn).

    `static`: the simple kind: a grey background without cuts or flash, objects that only appear
    and vanish (no colour change, no move); the other draws as in the full kind.
    """
    rng = random.Random(f"timechat-synth/v{SCENE_VERSION}{'/static' if static else ''}/{seed}/{index}")
    lo, hi = math.ceil(duration_range[0]), math.floor(duration_range[1])
    D = float(rng.randint(lo, hi))
    backgrounds = [Span("grey", 0.0, D)] if static else _backgrounds(rng, D)
    pairs = [(c, s) for s in SHAPES for c in COLOURS]
    rng.shuffle(pairs)
    cells = [(x, y) for y in range(GRID) for x in range(GRID)]
    rng.shuffle(cells)
    n = rng.randint(1, 3)
    start_cells = cells[:n]
    objects = [_object(rng, D, pairs, start_cells[k], start_cells, static) for k in range(n)]
    flash = None
    if not static and rng.random() < P_FLASH:
        length = _t(rng.uniform(*FLASH) * D)
        s = _t(rng.uniform(0, D - length))
        flash = (s, _t(s + length))
    return Scene(video_id(seed, index, static), seed, index, D, tuple(backgrounds), tuple(objects), flash)


def _t(x: float) -> float:
    return round(x, 1)


def _backgrounds(rng: random.Random, D: float) -> list[Span]:
    r, n = rng.random(), 0
    for count, p in CUTS:
        if r < p:
            n = count
            break
        r -= p
    # n cut times with gaps >= CUT_GAP * D from the ends and each other: spread the slack uniformly.
    slack = 1 - CUT_GAP * (n + 1)
    offsets = sorted(rng.uniform(0, slack) for _ in range(n))
    cuts = [_t((CUT_GAP * (k + 1) + off) * D) for k, off in enumerate(offsets)]
    colours = rng.sample(list(BACKGROUNDS), n + 1)
    bounds = [0.0, *cuts, D]
    return [Span(c, bounds[k], bounds[k + 1]) for k, c in enumerate(colours)]


def _object(rng: random.Random, D: float, pairs: list, cell: tuple[int, int], taken: list, static: bool) -> Shape:
    colour, shape = pairs.pop()
    length = max(MIN_EVENT, rng.uniform(*VISIBLE) * D)
    start = _t(rng.uniform(0, D - length))
    end = min(D, _t(start + length))
    phases = [Span(colour, start, end)]
    other = next((p for p in reversed(pairs) if p[1] == shape), None)  # an unused colour, same shape
    if not static and rng.random() < P_COLOUR_CHANGE and end - start >= 2 * MIN_EVENT and other is not None:
        length = end - start  # each phase lasts at least MIN_EVENT
        change = _t(rng.uniform(max(start + 0.35 * length, start + MIN_EVENT),
                                min(start + 0.65 * length, end - MIN_EVENT)))
        pairs.remove(other)
        phases = [Span(colour, start, change), Span(other[0], change, end)]
    radius = round(rng.uniform(*RADIUS), 3)
    at = tuple(round((c + 0.5 + rng.uniform(-1, 1) * (0.5 - radius * GRID)) / GRID, 3) for c in cell)
    move = None
    if not static and rng.random() < P_MOVE:
        move = _move(rng, D, max(phases, key=lambda p: p.end - p.start), cell, taken, at)
    return Shape(shape, radius, at, tuple(phases), move)


def _move(rng: random.Random, D: float, phase: Span, cell, taken, at) -> Move | None:
    room = phase.end - phase.start
    longest = min(MOVE[1] * D, 0.8 * room)
    shortest = max(MOVE[0] * D, MIN_EVENT)
    targets = [(x, y) for x in range(GRID) for y in range(GRID)
               if (x == cell[0]) != (y == cell[1]) and (x, y) not in taken]
    if longest < shortest or not targets:
        return None
    tx, ty = rng.choice(targets)
    length = rng.uniform(shortest, longest)
    start = _t(rng.uniform(phase.start, phase.end - length))
    end = _t(start + length)
    if tx != cell[0]:
        direction = "right" if tx > cell[0] else "left"
    else:
        direction = "down" if ty > cell[1] else "up"
    # The same offset inside the target cell as in the start cell.
    to = (round(at[0] + (tx - cell[0]) / GRID, 3), round(at[1] + (ty - cell[1]) / GRID, 3))
    return Move(start, end, to, direction)


def events(scene: Scene) -> list[Event]:
    """Every event of the scene, ordered by (start, end, caption).

    - an object's first phase: "a red circle appears" / query "the red circle is visible";
    - its second phase: "the circle turns blue" / "the blue circle is visible";
    - a move: "the red circle moves left" (colour of the phase it is in), same query;
    - the flash: "the screen flashes";
    - when there are cuts, every background phase is a query ("the background is black"), and
      each phase after a cut an event "the scene cuts to a black background".
    """
    out = []
    for o in scene.objects:
        for k, p in enumerate(o.phases):
            name = f"{p.colour} {o.shape}"
            caption = f"a {name} appears" if k == 0 else f"the {o.shape} turns {p.colour}"
            out.append(Event("appear" if k == 0 else "colour", p.start, p.end, caption, f"the {name} is visible", name))
        if o.move is not None:
            colour = next(p.colour for p in o.phases if p.start <= o.move.start < p.end)
            text = f"the {colour} {o.shape} moves {o.move.direction}"
            out.append(Event("move", o.move.start, o.move.end, text, text, f"{colour} {o.shape}"))
    if scene.flash is not None:
        out.append(Event("flash", *scene.flash, "the screen flashes", "the screen flashes", "screen"))
    if len(scene.backgrounds) > 1:
        for k, b in enumerate(scene.backgrounds):
            caption = f"the scene cuts to a {b.colour} background" if k else ""
            out.append(Event("cut" if k else "background", b.start, b.end, caption,
                             f"the background is {b.colour}", "background"))
    return sorted(out, key=lambda e: (e.start, e.end, e.caption))


def state_at(scene: Scene, t: float, width: int, height: int) -> tuple:
    """What frame time `t` shows: (background rgb, flash, ((shape, radius px, x px, y px, rgb), ...)).

    Hashable, so identical frames are rendered once.
    """
    bg = next((b for b in scene.backgrounds if b.start <= t < b.end), scene.backgrounds[-1])
    side = min(width, height)
    shapes = []
    for o in scene.objects:
        phase = next((p for p in o.phases if p.start <= t < p.end), None)
        if phase is None:
            continue
        x, y = o.at
        if o.move is not None and t >= o.move.start:
            f = min(1.0, (t - o.move.start) / (o.move.end - o.move.start))
            x, y = x + f * (o.move.to[0] - x), y + f * (o.move.to[1] - y)
        shapes.append((o.shape, round(o.radius * side), round(x * width), round(y * height), COLOURS[phase.colour]))
    flash = scene.flash is not None and scene.flash[0] <= t < scene.flash[1]
    return BACKGROUNDS[bg.colour], flash, tuple(shapes)
