from timechat_core.infer.render import plot, to_srt, to_vtt

REC = {"video": "v.mp4", "task": "dvc", "duration": 3725.0,
       "parsed": {"events": [{"start": 0.0, "end": 9.5, "caption": "crack the eggs"},
                             {"start": 3600.25, "end": 3725.0, "caption": "serve"}], "status": "ok"}}


def test_subtitles():
    assert to_srt(REC) == ("1\n00:00:00,000 --> 00:00:09,500\ncrack the eggs\n\n"
                           "2\n01:00:00,250 --> 01:02:05,000\nserve\n")
    assert to_vtt(REC).startswith("WEBVTT\n\n00:00:00.000 --> 00:00:09.500\ncrack the eggs\n")
    assert to_srt({"parsed": None}) == ""


def test_plots(tmp_path):
    assert plot(REC, tmp_path / "dvc.png").stat().st_size > 1000
    vhd = {"video": "v.mp4", "task": "highlight", "duration": 10.0,
           "parsed": {"highlights": [[2.0, 3.0], [4.0, 1.5]], "saliency": [0, 3, 1.5, 0, 0]}}
    assert plot(vhd, tmp_path / "vhd.png", ground_truth=[[2, 6]]).read_bytes()[:4] == b"\x89PNG"
