"""YT-Temporal from transcripts in the reference format (timechat asr / clean-asr output)."""

from tests.core.timeit.helpers import answers, build_one
from timechat_core.asr.inject import asr_text
from timechat_core.asr.transcript import read_transcript


def test_transcribed_speech_answer(tmp_path):
    lines = [f"{i * 2:.2f}\t{i * 2 + 1.5:.2f}\tsegment number {i}" for i in range(40)]
    (tmp_path / "abc123.txt").write_text("\n".join(lines) + "\n")
    records, _ = build_one("yttemporal", tmp_path)
    assert records[0]["video"] == "yttemporal/abc123.mp4" and records[0]["task"] == "tsg"
    a = answers(records)[0]
    assert a == "Transcribed speech: " + asr_text(read_transcript(tmp_path / "abc123.txt"))
    # docs/reference-model.md §2.9: stride 40 // 15 = 2, lines 1, 3, 5, ... (line 0 skipped)
    assert a.startswith("Transcribed speech: 2.0 - 3.5 seconds, segment number 1. 6.0 - 7.5 seconds, segment number 3. ")
