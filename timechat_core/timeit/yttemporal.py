"""YT-Temporal transcribed speech generation, from ASR transcripts.

A raw record (one transcript file per video, `<video id>.txt`, the reference format written by
`timechat asr` / `timechat clean-asr`: `start<TAB>end<TAB>text` per Whisper segment):

    0.00	4.22	Hi, this is Vera on behalf of How2Expo.com
    4.22	9.80	and I'll be preparing very simple salad.

YT-Temporal-180M (https://rowanzellers.com/merlot/#data) releases video ids only; TimeChat
transcribes the videos with Whisper `tiny.en`, cleans the transcripts and answers
`Transcribed speech: {asr}` with at most 15 lines chosen as its ASR prompt (`process_tsg_data.py`,
c60b332; `timechat_core.asr.inject`, `docs/reference-model.md` §2.9). The input is the folder of
transcripts (or one transcript); the video is `<video id>.mp4`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from timechat_core.asr.transcript import read_transcript
from timechat_core.errors import InputError
from timechat_core.timeit.record import Speech

NAME = "yttemporal"
TASK = "tsg"


def find(folder: Path, split: str) -> list[tuple[Path, str]]:
    files = sorted(folder.glob("*.txt"))
    if not files:
        raise InputError(f"{folder}: no transcripts (<video id>.txt) for yttemporal")
    return [(f, "all") for f in files]


def read(path: Path, split: str) -> Iterator[Speech]:
    """One `Speech` per transcript file.

    Raises:
        InputError: a line that is not `start<TAB>end<TAB>text` (file and line named).
    """
    yield Speech(f"{path.stem}.mp4", tuple(read_transcript(path)), str(path))
