"""TimeIT: TimeChat's instruction set, rebuilt from the native annotations of its sources.

One adapter module per source (`youcook2.py`, `charades_sta.py`, ...) reads the release format into
task items (`record.py`); `build.py` applies the hygiene policies (`hygiene.py`), picks seeded
templates (`templates.py`) and formats the answers; `eval_format.py` writes the coco-format
evaluation ground truth; `stats.py` summarises a build.
"""
