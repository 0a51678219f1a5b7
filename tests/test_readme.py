"""Every invocation in README.md's ```bash blocks runs as written, through the CLI, from a fresh folder.

The folder holds what the README's commands name: small generated videos (`raw_videos/`, `raw/*.mkv`,
`video.mp4`), jfk.mp4 as the speech (`videos/`, `talk.mp4`), tests/data's files under the names the
README uses (`charades_pred.json`, `highlight_val_release.jsonl`, ...; `datasets/`: its release folders
with train files), and `tests/` for the paths the README gives inside the repository. The invocations run in README order (later ones read
what earlier ones wrote) and each must exit 0; where the README says what comes out, that is checked too.

Adapted to stay fast, and only where the README does not fix the value: `timechat synth` makes 2 videos of
32 px, 4 fps and 8-10 s (the README asks for 200-2000 of the default size); the `tiny` training preset runs
2 epochs; `MODEL` is the shipped demo model; `timechat ui` takes any free port, is asked for its info and
stopped. `make demo` runs its Makefile recipe (`$(PY) scripts/demo.py`) writing to this folder.

Invocations that need files this project cannot have (the official TimeChat-7B weights, dataset videos,
GPUs) or hours of work are not run: `NOT_RUN` lists each with its reason. A README invocation that is in
neither group fails the test, as does an entry of `NOT_RUN` the README no longer has.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import DATA, REPO, run_cli, ui_url

pytestmark = pytest.mark.slow

WEIGHTS = "needs the official TimeChat-7B weights (`timechat convert` of files this project cannot download)"
QWEN = "needs a released Qwen-VL folder (weights from a model hub, which this machine cannot reach)"
NOT_RUN = {
    "make test": "runs this test suite, this test included",
    "timechat build-timeit --ann charades=Charades/charades_sta_train.txt --ann didemo=DiDeMo/ --video-root videos/ "
    "--check-videos --asr-dir asr/tiny.en.cleaned -o timeit_asr.jsonl":
        "needs the Charades-STA and DiDeMo releases with their videos",
    "make demo-model": "trains the demo model: 52 min to 3 h of CPU (scripts/demo_model.py)",
    "python scripts/demo_model.py data": "a step of make demo-model: 6,000+ videos",
    "python scripts/demo_model.py init": "a step of make demo-model, after `data`",
    "python scripts/demo_model.py train": "a step of make demo-model: the 52 min to 3 h of training",
    "python scripts/demo_model.py select": "a step of make demo-model, after `train`",
    "python scripts/demo_model.py test": "a step of make demo-model, after `select`",
    "python scripts/demo_model.py ship": "a step of make demo-model, after `test`",
    "python scripts/demo_model.py kinds": "answers 3,274 questions about 500 videos (31 min here)",
    "timechat convert --vit eva_vit_g.pth --qformer instruct_blip_vicuna7b_trimmed.pth --llm llama-2-7b-chat-hf "
    "--checkpoint timechat_7b.pth -o models/timechat-7b": "needs the official checkpoints (EVA ViT-g, InstructBLIP, "
                                                         "LLaMA-2-7B-chat, timechat_7b.pth)",
    "timechat infer video.mp4 --task grounding --query 'a person puts a book on a shelf' --model models/timechat-7b":
        WEIGHTS,
    "timechat infer cooking.mp4 --task dvc --format srt --model models/timechat-7b > steps.srt": WEIGHTS,
    "timechat infer video.mp4 --task highlight --query 'the dog catches the ball' --plot saliency.png --model ...":
        WEIGHTS,
    "timechat infer talk.mp4 --task ask --query 'When does she open the box?' --asr auto --model ...": WEIGHTS,
    "timechat infer --manifest charades_test.json --video-root charades_6fps_224/ -o charades_pred.jsonl --model "
    "models/timechat-7b --batch-size 8": WEIGHTS + ", and the Charades videos",
    "timechat eval --task tvg --pred charades_pred.jsonl --gt charades_test.json":
        "scores the output of the TimeChat-7B run above",
    "timechat ui --model models/timechat-7b --data synth_out/": WEIGHTS,
    "torchrun --nproc_per_node 8 -m timechat_cli train --config timechat-7b-timeit model.folder=models/timechat-init":
        WEIGHTS + ", and 8 GPUs",
    "timechat train --config charades optim.init_lr=2e-5 out_dir=runs/charades-lr2e-5 --nproc 8":
        WEIGHTS + " (its start folder), the Charades videos, and 8 processes",
    # Qwen-VL folders: their released weights are not on this machine (tests/cli/test_infer_qwen.py runs the same
    # commands on tiny random folders of both families).
    "timechat infer video.mp4 --task grounding --query 'a person turns on the light' --model Qwen3-VL-2B-Instruct/":
        QWEN,
    "timechat infer --manifest charades_test.json --video-root charades/ -o qwen_pred.jsonl --model Time-R1-7B/ "
    "--variant time-r1 --batch-size 4": QWEN + ", and the Charades videos",
    "timechat eval --task tvg --pred qwen_pred.jsonl --gt charades_test.json": "scores the output of the Time-R1 run above",
    "timechat ui --model TimeLens-8B/ --data charades/": QWEN + ", and the Charades videos",
}

SMALL_SYNTH = ["--size", "32", "--fps", "4", "--duration-range", "8,10"]


def readme_invocations() -> list[list[str]]:
    """The README's ```bash lines as shell words (continuation lines joined, comments dropped)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words:
                out.append(words)
    return out


OPERATORS = ("&&", "|", ">")


def key(words: list[str]) -> str:
    """An invocation as one line, as the README writes it (operators bare, other words quoted where needed)."""
    return " ".join(w if w in OPERATORS else shlex.quote(w) for w in words)


def adapted(words: list[str]) -> list[str]:
    """The invocation as this test runs it (the module docstring lists the adaptations)."""
    words = [str(REPO / "models" / "demo") if w == "MODEL" else w for w in words]
    if words[:2] == ["timechat", "synth"]:
        words = [*words[:words.index("--num-videos") + 1], "2", *words[words.index("--num-videos") + 2:], *SMALL_SYNTH]
    if words[:4] == ["timechat", "train", "--config", "tiny"]:
        words = [*words, "max_epoch=2"]
    if words[:2] == ["timechat", "ui"]:
        words = [*words, "--port", "0"]
    return words


def make_demo_recipe() -> list[str]:
    """The Makefile's `demo` recipe, checked to be what this test runs for `make demo`."""
    recipe = re.search(r"^demo: .*\n\t(.*)$", (REPO / "Makefile").read_text(), re.M).group(1)
    assert recipe == "$(PY) scripts/demo.py", recipe
    return [sys.executable, str(REPO / "scripts" / "demo.py")]


@pytest.fixture(scope="module")
def work(tmp_path_factory, media, jfk) -> Path:
    """A folder laid out as the README's commands expect."""
    root = tmp_path_factory.mktemp("readme")
    for link, target in (("tests", REPO / "tests"), ("charades_sta", DATA / "charades_sta"),
                         ("synth_out", root / "data" / "synth_test")):
        (root / link).symlink_to(target)
    (root / "datasets").mkdir()  # the release folders of tests/data that hold train files
    for name in ("charades_sta", "youcook2", "qvhighlights", "tvsum"):
        (root / "datasets" / name).symlink_to(DATA / name)
    (root / "raw_videos").mkdir()
    for name in ("a.mp4", "b.mp4"):
        shutil.copy(media.video(f"readme_{name}", width=160, height=120, duration=1.5), root / "raw_videos" / name)
    (root / "video_filenames.txt").write_text("# the reference's list format\na.mp4\nb.mp4\n")
    (root / "raw").mkdir()
    shutil.copy(media.video("readme_clip.mkv", width=160, height=120, duration=1.5), root / "raw" / "clip.mkv")
    shutil.copy(media.video("readme_video.mp4", width=160, height=120, duration=3, audio=False), root / "video.mp4")
    (root / "videos").mkdir()
    shutil.copy(jfk, root / "videos" / "jfk.mp4")
    shutil.copy(jfk, root / "talk.mp4")
    for name, source in (("charades_pred.json", "timechat_metrics/tvg/example_pred_file.json"),
                         ("test.caption_coco_format.json", "timechat_metrics/tvg/example_gt_file.json"),
                         ("charades_test_f96_result.json", "reference_chain/tvg/raw_results.json"),
                         ("highlight_val_release.jsonl", "qvhighlights/highlight_val_release.jsonl"),
                         ("fmt_youcook2.json", "timechat_metrics/dvc/subset20_pred.json"),
                         ("val.caption_coco_format.json", "timechat_metrics/dvc/subset20_val.caption_coco_format.json")):
        shutil.copy(DATA / source, root / name)
    qids = [json.loads(line)["qid"] for line in (DATA / "qvhighlights" / "highlight_val_release.jsonl").open()]
    (root / "answers.jsonl").write_text("".join(json.dumps({"qid": q, "text": "There are 2 highlight moments in the "
                                                            "4, 6 second. Their saliency scores are 3.0, 2.5"}) + "\n"
                                                for q in qids))
    return root


def run_stage(words: list[str], stdin: str | None, work: Path) -> subprocess.CompletedProcess:
    if words[0] == "timechat":
        return run_cli(*words[1:], input=stdin, cwd=work)
    if words[:2] == ["make", "demo"]:
        return subprocess.run([*make_demo_recipe(), str(work / "demo_out")], input=stdin, capture_output=True,
                              text=True, cwd=work)
    command = [sys.executable, *words[1:]] if words[0] == "python" else words
    return subprocess.run(command, input=stdin, capture_output=True, text=True, cwd=work)


def split_on(words: list[str], operator: str) -> list[list[str]]:
    parts = [[]]
    for w in words:
        if w == operator:
            parts.append([])
        else:
            parts[-1].append(w)
    return parts


def run_shell_line(words: list[str], work: Path) -> list[subprocess.CompletedProcess]:
    """`a && b`, `a | b`, `a > file` as a shell would, without one; every process, in order."""
    done = []
    for command in split_on(words, "&&"):
        stdin = None
        for stage in split_on(command, "|"):
            stage, target = (stage[:-2], stage[-1]) if stage[-2:-1] == [">"] else (stage, None)
            result = run_stage(stage, stdin, work)
            done.append(result)
            if result.returncode != 0:
                return done
            if target:
                (work / target).write_text(result.stdout)
            stdin = result.stdout
    return done


def serve_ui(words: list[str], work: Path) -> dict:
    """`timechat ui ...` started, its /api/info read, then stopped as Ctrl-C does."""
    proc = subprocess.Popen([str(Path(sys.executable).with_name("timechat")), *words[1:]], cwd=work, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        info = json.loads(urllib.request.urlopen(ui_url(proc) + "/api/info", timeout=30).read())
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    assert proc.returncode == 0
    return info


def jsonl_rows(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# What the README says comes out, where it says it: invocation (as in the README) -> check of its processes.
SAYS = {
    "echo 'The event happens from 1:23 to 1:45.' | timechat parse --task tvg":
        lambda r, w: jsonl_rows(r[-1].stdout)[0]["windows"] == [[83.0, 105.0]],
    "timechat build-timeit --data-root tests/data --split all -o timeit.json":  # "what is here: 38,080 records"
        lambda r, w: len(json.loads((w / "timeit.json").read_text())) == 38080,
    "timechat asr talk.mp4 -o asr --word-timestamps | jq -r '.segments[] | \"\\(.start) \\(.text)\"'":
        lambda r, w: "And so my fellow Americans" in r[-1].stdout.splitlines()[0],
    "timechat frames video.mp4 --strategy rand --seed 0 | jq .timestamps":
        lambda r, w: len(json.loads(r[-1].stdout)) == 90,  # 96 asked of a 90-frame video: every frame
    "timechat frames video.mp4 -n 8 --save frames/": lambda r, w: len(list((w / "frames").glob("*.png"))) == 8,
    "make demo": lambda r, w: all((w / "demo_out" / f"timeline_{t}.png").is_file() for t in ("grounding", "dvc",
                                                                                            "highlight")),
}


def test_every_readme_invocation_runs(work):
    invocations = readme_invocations()
    keys = [key(words) for words in invocations]
    assert not set(NOT_RUN) - set(keys), f"NOT_RUN names invocations the README no longer has: {set(NOT_RUN) - set(keys)}"
    assert not set(SAYS) - set(keys), f"SAYS names invocations the README no longer has: {set(SAYS) - set(keys)}"
    failures, ran = [], 0
    for words, line in zip(invocations, keys):
        if line in NOT_RUN:
            continue
        ran += 1
        words = adapted(words)
        if words[:2] == ["timechat", "ui"]:
            info = serve_ui(words, work)
            if info["model"] != str(REPO / "models" / "demo") or info["num_frames"] != 32 or info["trained_on"] != "static":
                failures.append(f"{line}: served {info}")
            continue
        results = run_shell_line(words, work)
        bad = [r for r in results if r.returncode != 0]
        if bad:
            failures.append(f"{line}: exit {bad[0].returncode}: {bad[0].stderr[-600:]}")
        elif line in SAYS and not SAYS[line](results, work):
            failures.append(f"{line}: not what the README says it gives: {results[-1].stdout[-300:]}")
    assert not failures, "\n".join(failures)
    assert ran == len(invocations) - len(NOT_RUN) and ran >= 30


def test_the_readme_parser_sees_pipes_chains_and_redirections():
    """The test above runs what a shell would: `&&` chains, `|` pipes and `>` redirections found by the parser."""
    by_key = {key(w): w for w in readme_invocations()}
    assert by_key["timechat parse answers.jsonl --task dvc --parser timechat > parsed.jsonl"][-2:] == [">", "parsed.jsonl"]
    chained = [k for k, w in by_key.items() if "&&" in w]
    assert chained and all(k.startswith("timechat infer --manifest data/synth_test") for k in chained)
    assert {k.split(" | ")[0] for k, w in by_key.items() if "|" in w} >= {"find raw -name '*.mkv'",
                                                                           "timechat frames video.mp4 --strategy rand --seed 0"}
