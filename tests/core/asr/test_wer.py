"""Word error rate as the ASR tests and benchmark score Whisper (jiwer on case- and punctuation-free words)."""

import pytest

from timechat_core.asr.wer import word_error_rate, words


def test_case_and_punctuation_do_not_count():
    assert words("And so, my fellow Americans: ask not!") == "and so my fellow americans ask not"
    assert word_error_rate("And so, my fellow Americans.", "and so my fellow americans") == 0.0


def test_substitutions_deletions_and_insertions_over_reference_words():
    assert word_error_rate("we chop the onions", "we chop an onion") == pytest.approx(2 / 4)
    assert word_error_rate("we chop the onions", "we chop") == pytest.approx(2 / 4)
    assert word_error_rate("we chop", "you we chop it") == pytest.approx(2 / 2)
