"""Turn a transcript into the prompt prefix the reference puts before an instruction.

Reference: `utils/asr/asr_data_process.py` (training data) and `evaluate.py` (evaluation), identical
logic (`docs/reference-model.md` §2.9):

- at most `max_lines` = 15 lines, `stride = len(lines) // 15 or 1`;
- lines are taken at indices 1, 1 + stride, 1 + 2*stride, ... (**line 0 is skipped**, and up to
  29 lines are taken when there are fewer than 30);
- each line gets a "." appended unless it ends with one, and becomes
  `f"{start:.1f} - {end:.1f} seconds, {text} "`; the pieces are concatenated;
- no transcript, or nothing selected, gives `None.`;
- the instruction becomes
  `f"Transcribed speech: {asr} Based on the video content and possible transcribed speech, {q}"`.

`mode="reference"` reproduces that, line-0 quirk included (what the released TimeIT "asr version"
and the official checkpoints were trained with). `mode="even"` takes at most `max_lines` lines
evenly spread from line 0 on. Times are rounded to 2 decimals first, as the reference reads them
from its 2-decimal files, so segments straight from Whisper give the same text as their file.
"""

from __future__ import annotations

from collections.abc import Sequence

from timechat_core.asr.transcript import Segment

MODES = ("reference", "even")
NONE_TEXT = "None."


def select_lines(n: int, max_lines: int = 15, mode: str = "reference") -> list[int]:
    """Indices of the transcript lines that go into the prompt."""
    if mode == "reference":
        stride = n // max_lines or 1
        return list(range(1, n, stride))
    if mode == "even":
        k = min(n, max_lines)
        return [i * n // k for i in range(k)] if k else []
    raise ValueError(f"unknown ASR injection mode {mode!r}; choose from {', '.join(MODES)}")


def asr_text(segments: Sequence[Segment] | None, *, max_lines: int = 15, mode: str = "reference") -> str:
    """The transcribed-speech string (`None.` when there is nothing to say)."""
    if not segments:
        return NONE_TEXT
    pieces = []
    for i in select_lines(len(segments), max_lines, mode):
        seg = segments[i]
        text = seg.text.strip()
        if not text.endswith("."):
            text += "."
        start, end = float(f"{seg.start:.2f}"), float(f"{seg.end:.2f}")
        pieces.append(f"{start:.1f} - {end:.1f} seconds, {text} ")
    return "".join(pieces) or NONE_TEXT


def inject_asr(question: str, segments: Sequence[Segment] | None, *, max_lines: int = 15,
               mode: str = "reference") -> str:
    """`question` with the reference's transcribed-speech prefix."""
    asr = asr_text(segments, max_lines=max_lines, mode=mode)
    return f"Transcribed speech: {asr} Based on the video content and possible transcribed speech, {question}"
