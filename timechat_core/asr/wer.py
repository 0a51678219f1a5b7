"""Word error rate of a transcript against the words said, with jiwer: case and punctuation ignored (Whisper
writes "Americans," where a reference may write "americans"). How the ASR tests and `benchmarks/bench_asr.py`
score Whisper."""

from __future__ import annotations

import re

_NOT_A_WORD = re.compile(r"[^a-z0-9' ]")


def words(text: str) -> str:
    """Lower-cased words separated by single spaces, punctuation dropped (apostrophes kept)."""
    return " ".join(_NOT_A_WORD.sub(" ", text.lower()).split())


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, on `words` of both."""
    import jiwer

    return jiwer.wer(words(reference), words(hypothesis))
