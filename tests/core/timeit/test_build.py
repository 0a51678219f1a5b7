"""The builder: seed determinism, video checks, ASR injection, stats, output files."""

import json

import pytest

from tests.core.timeit.helpers import answers, build_one, question
from timechat_core.asr.inject import inject_asr
from timechat_core.asr.transcript import read_transcript
from timechat_core.errors import InputError
from timechat_core.timeit.build import BuildOptions, SourceInput, build, write_records
from timechat_core.timeit.stats import compute_stats, distribution

CHARADES = "AO8RW 0.0 6.9##a person is putting a book on a shelf.\nY6R7T 20.8 30.0##person begins to play on a phone.\n"


@pytest.fixture()
def charades(tmp_path):
    f = tmp_path / "charades_sta_train.txt"
    f.write_text(CHARADES)
    return f


def test_same_seed_byte_identical(datadir, tmp_path):
    data = datadir
    inputs = [SourceInput("charades", (data / "charades_sta",), "all"),
              SourceInput("qvhighlights", (data / "qvhighlights" / "highlight_val_release.jsonl",), "val"),
              SourceInput("youcook2", (data / "youcook2",), "all")]
    outs = []
    for i, seed in enumerate((3, 3, 4)):
        out = tmp_path / f"{i}.json"
        write_records(out, build(inputs, BuildOptions(seed=seed, shuffle=True)).records)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    assert outs[0] != outs[2]
    rows = json.loads(outs[0])
    assert set(rows[0]) == {"video", "QA", "source", "task", "template"}


def test_adding_a_source_keeps_the_others_choices(datadir):
    data = datadir
    alone = build([SourceInput("charades", (data / "charades_sta",), "test")], BuildOptions()).records
    both = build([SourceInput("youcook2", (data / "youcook2",), "val"),
                  SourceInput("charades", (data / "charades_sta",), "test")], BuildOptions()).records
    assert [r for r in both if r.source == "charades"] == alone


def test_jsonl_output(charades, tmp_path):
    out = write_records(tmp_path / "o.jsonl", build([SourceInput("charades", (charades,))], BuildOptions()).records)
    lines = out.read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["QA"][0]["a"] == "The given query happens in 0.0 - 6.9 seconds."


def test_missing_videos_are_dropped(charades, tmp_path):
    root = tmp_path / "videos"
    (root / "charades").mkdir(parents=True)
    (root / "charades" / "AO8RW.mp4").write_bytes(b"x")
    records, report = build_one("charades", charades, video_root=root)
    assert [r["video"] for r in records] == ["charades/AO8RW.mp4"]
    assert report.skipped["video_missing"] == 1
    flagged, report = build_one("charades", charades, video_root=root, flag_bad_videos=True)
    assert len(flagged) == 2 and report.flagged["video_missing"] == 1
    assert [r.get("video_problem") for r in flagged] == [None, "video_missing"]


def test_check_videos_probes_and_decodes(charades, tmp_path, media):
    root = tmp_path / "videos"
    root.mkdir()
    clip = media.video("timeit_clip.mp4", duration=3.0)
    (root / "AO8RW.mp4").write_bytes(clip.read_bytes())
    (root / "Y6R7T.mp4").write_bytes(b"not a video at all")
    ticks = []
    records, report = build_one("charades", charades, video_root=root, video_dir="", check_videos=True,
                                on_video=ticks.append)
    assert [r["video"] for r in records] == ["AO8RW.mp4"]
    assert ticks == [2, 0, 0]
    assert report.skipped["video_unreadable"] == 1
    # the probed duration (3 s) stands in for the missing annotation duration: 6.9 is past it
    assert report.flagged["end_past_duration"] == 1


def test_check_videos_needs_a_root(charades):
    with pytest.raises(InputError, match="--check-videos needs --video-root"):
        build_one("charades", charades, check_videos=True)


def test_asr_injection_uses_the_reference_prompt(charades, tmp_path, datadir):
    asr = tmp_path / "asr"
    asr.mkdir()
    (asr / "AO8RW.txt").write_text("0.00\t1.00\tfirst line\n1.00\t2.50\tsecond line\n2.50\t4.00\tthird line.\n")
    records, report = build_one("charades", charades, asr_dir=asr)
    plain, _ = build_one("charades", charades)
    assert question(records[0]) == inject_asr(question(plain[0]), read_transcript(asr / "AO8RW.txt"))
    # docs/reference-model.md §2.9: line 0 is skipped; "." appended; 1 decimal
    assert question(records[0]).startswith("Transcribed speech: 1.0 - 2.5 seconds, second line. 2.5 - 4.0 seconds, "
                                           "third line.  Based on the video content and possible transcribed speech, ")
    assert question(records[1]).startswith("Transcribed speech: None. Based on the video content")
    assert report.flagged["asr_missing"] == 1
    assert answers(records) == answers(plain)


def test_stats():
    assert distribution([3, 1, 2]) == {"count": 3, "mean": 2, "min": 1, "p10": 1, "median": 2, "p90": 3, "max": 3}
    assert distribution([]) == {"count": 0}


def test_stats_of_a_build(datadir):
    result = build([SourceInput("activitynet", (datadir / "activitynet_captions" / "val_1.json",), "val")],
                   BuildOptions())
    st = compute_stats(result.records)
    assert st["records"] == {"dvc": {"anet": len(result.records)}}
    assert st["video_seconds"]["count"] == len({r.video for r in result.records})
    assert st["answer_words"]["dvc"]["min"] > 0


def test_unknown_source_and_split(charades):
    with pytest.raises(InputError, match="unknown source 'nope'"):
        build([SourceInput("nope", (charades,))], BuildOptions())
    with pytest.raises(InputError, match="unknown split 'dev'"):
        build([SourceInput("charades", (charades,), "dev")], BuildOptions())


def test_all_input_problems_are_reported_together(tmp_path):
    with pytest.raises(InputError) as e:
        build([SourceInput("charades", (tmp_path / "nope.txt",)), SourceInput("didemo", (tmp_path,))],
              BuildOptions(check_videos=True))
    message = str(e.value)
    assert "nope.txt: no such file" in message and "no didemo train file" in message and "--video-root" in message


def test_eval_prompts_add_the_inference_instruction(datadir):
    """--eval-prompts: each record once more, asked with `timechat infer`'s prompt, same answer."""
    from timechat_core.prompts import build_prompt
    from timechat_core.timeit.build import BuildOptions, SourceInput, build

    inputs = [SourceInput("charades", (datadir / "charades_sta" / "charades_sta_test.txt",), "test"),
              SourceInput("qvhighlights", (datadir / "qvhighlights" / "highlight_val_release.jsonl",), "val")]
    plain = build(inputs, BuildOptions()).records
    both = build(inputs, BuildOptions(eval_prompts=True)).records
    assert len(both) == 2 * len(plain)
    assert both[0::2] == plain
    first, extra = both[0], both[1]
    assert extra.template == "eval/charades" and extra.qa[0][1] == first.qa[0][1]
    import re

    query = re.search(r"'([^']+)'", first.qa[0][0]).group(1)  # TimeIT quotes the query
    assert extra.qa[0][0] == build_prompt("grounding", query).text
    vhd = next(r for r in both if r.template.startswith("eval/") and r.task == "vhd")
    assert vhd.qa[0][0].startswith("You are given a video from the qvhighlights dataset.")
