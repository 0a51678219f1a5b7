"""Synthetic time-grounding data with exact ground truth (`timechat synth`).

- `scene.py`: seeded scene descriptions (coloured shapes, moves, colour changes, flashes, cuts)
  and their timed events;
- `render.py`: numpy frames piped into ffmpeg (H.264 mp4);
- `annotations.py`: the Charades-STA, YouCook2 and QVHighlights native files;
- `blind.py`: the best video-blind baselines of a ground-truth set;
- `run.py`: a whole set (batch of videos, resume, annotation files).
"""
