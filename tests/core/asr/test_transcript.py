"""Transcript format, the reference's cleaning rules, and ASR injection against the reference logic."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from timechat_core.asr.inject import asr_text, inject_asr, select_lines
from timechat_core.asr.transcript import (
    Segment, clean_segments, format_transcript, parse_transcript, read_transcript,
)
from timechat_core.errors import InputError

texts = st.text(alphabet=st.sampled_from(list("abc xyz.,!")), min_size=0, max_size=30)
times = st.floats(min_value=0, max_value=5000, allow_nan=False).map(lambda x: float(f"{x:.2f}"))
segments = st.lists(st.builds(lambda s, d, t: Segment(s, s + d, t.strip()), times, times, texts), max_size=60)


def test_format_and_parse_round_trip(tmp_path):
    segs = [Segment(0.0, 8.02, "And so my fellow Americans"), Segment(8.02, 10.5, "ask not.")]
    text = format_transcript(segs)
    assert text == "0.00\t8.02\tAnd so my fellow Americans\n8.02\t10.50\task not.\n"
    path = tmp_path / "v.txt"
    path.write_text(text + "\n")
    assert read_transcript(path) == segs


def test_malformed_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("0.00\t1.00\tfine words here\nnot a segment\n")
    with pytest.raises(InputError, match=r"bad\.txt:2: expected"):
        read_transcript(path)


def _reference_clean(lines):
    """utils/asr/clean_asr.py, on the lines of a file."""
    out, last_text = [], ""
    for line in lines:
        s, e, text = line.split("\t")
        s, e = float(s), float(e)
        text = text.strip()
        if len(text.split()) < 3:
            continue
        if text == last_text:
            continue
        last_text = text
        out.append(f"{s:.2f}\t{e:.2f}\t{text}\n")
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(segments)
def test_clean_matches_the_reference_and_is_idempotent(segs):
    text = format_transcript(segs)
    cleaned = clean_segments(parse_transcript(text))
    assert format_transcript(cleaned) == _reference_clean(text.splitlines(keepends=True))
    assert clean_segments(cleaned) == cleaned


def test_clean_compares_with_the_last_kept_segment():
    segs = [Segment(0, 1, "one two three"), Segment(1, 2, "hi"), Segment(2, 3, "one two three"),
            Segment(3, 4, "four five six"), Segment(4, 5, "one two three")]
    assert [s.text for s in clean_segments(segs)] == ["one two three", "four five six", "one two three"]
    assert len(clean_segments(segs, min_words=1, dedup=False)) == 5


def _reference_asr(lines):
    """The injection of utils/asr/asr_data_process.py / evaluate.py, on the lines of a file."""
    final_asr = ""
    stride = len(lines) // 15
    stride = stride if stride > 0 else 1
    for idx in range(1, len(lines), stride):
        asr = lines[idx].strip()
        if not asr.endswith("."):
            asr = asr + "."
        asr = asr.split("\t")
        s, e, caption = float(asr[0]), float(asr[1]), asr[2]
        final_asr += f"{s:.1f} - {e:.1f} seconds, {caption} "
    return final_asr or "None."


@settings(max_examples=300, deadline=None)
@given(st.lists(st.builds(lambda s, d, t: Segment(s, s + d, t), times, times,
                          st.text(alphabet=st.sampled_from(list("abc xy.")), min_size=1, max_size=20)
                          .map(str.strip).filter(bool)), max_size=70))
def test_injection_matches_the_reference(segs):
    lines = format_transcript(segs).splitlines(keepends=True)
    assert asr_text(segs) == _reference_asr(lines)
    # straight from Whisper (unrounded times): the same text as via the 2-decimal file
    jittered = [Segment(s.start + 0.0004, s.end + 0.0003, s.text) for s in segs]
    assert asr_text(jittered) == asr_text(parse_transcript("".join(lines)))


def test_injection_line_selection_and_prompt():
    assert select_lines(1) == [] and asr_text([Segment(0, 1, "only line")]) == "None."  # line 0 skipped
    assert select_lines(20) == list(range(1, 20))  # 19 lines: more than 15 below 30
    assert select_lines(45) == list(range(1, 45, 3)) and len(select_lines(45)) == 15
    assert select_lines(20, mode="even") == [0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 16, 17, 18]
    assert select_lines(3, mode="even") == [0, 1, 2]
    assert asr_text(None) == asr_text([]) == "None."
    q = inject_asr("Localize the steps.", [Segment(0, 1.04, "a b c"), Segment(1.25, 2.0, "Next.")])
    assert q == ("Transcribed speech: 1.2 - 2.0 seconds, Next.  Based on the video content and possible "
                 "transcribed speech, Localize the steps.")


def test_a_folder_lookup_never_leaves_the_folder(tmp_path):
    """`TranscriptFolder`: `<dir>/<rel stem>.txt` first, then the name's; an absolute or `../` video path is looked
    up by its name inside the folder, never next to the video."""
    from timechat_core.asr.transcript import TranscriptFolder

    root, outside = tmp_path / "asr", tmp_path / "videos"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    (root / "sub" / "a.txt").write_text("0.0\t1.0\tinside, by path\n")
    (root / "a.txt").write_text("0.0\t1.0\tinside, by name\n")
    (outside / "a.txt").write_text("0.0\t1.0\tnext to the video\n")
    folder = TranscriptFolder(root)
    text = lambda video: [s.text for s in folder.segments(video)]  # noqa: E731
    assert text("sub/a.mp4") == ["inside, by path"]
    assert text(str(outside / "a.mp4")) == ["inside, by name"]
    assert text("../videos/a.mp4") == ["inside, by name"]
    assert folder.segments("../videos/b.mp4") is None
