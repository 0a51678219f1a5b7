"""The demo model's recipe, step by step (`make demo-model` runs all of it; each step skips finished work).

    python scripts/demo_model.py data        # synthetic train / val / test sets + TimeIT records
    python scripts/demo_model.py init        # tokenizers trained on the records, the initial model folder
    python scripts/demo_model.py train       # stage 0 (scripts/demo_stage0.py: the frame encoder alone,
                                             # then --fold), timechat train --config configs/train/demo-static.yaml
                                             # and demo-static-2.yaml (stage 1), demo-tasks.yaml (stage 2: every
                                             # task), demo.yaml (stage 3: more highlight questions)
    python scripts/demo_model.py select      # score the last checkpoints on the validation seed, pick the best
    python scripts/demo_model.py test        # the picked checkpoint on the held-out test seed, next to the
                                             # video-blind baselines, on both scene kinds; writes runs/demo/scores.json
    python scripts/demo_model.py ship        # copy the picked model folder to models/demo/ (its manifest says
                                             # which synth scenes it knows), write its card (scripts/demo_card.py)
    python scripts/demo_model.py kinds       # the shipped model on both scene kinds' test sets: its scores.json
                                             # and its card's scene-kind section

Everything goes to runs/demo/ (RUN). The model learns on the static scenes (`timechat synth --scenes
static`): seeds train 0, validation 1000, test 2000 (scenes depend only on (kind, seed, index), so the
sets never overlap). The full scenes of seed 0 are made too, for the tokenizers only (below), and those of
seed 2000, to score the model on the kind it never saw (`kinds`).
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

from timechat_core.fileio import write_text_atomic

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "scripts") not in sys.path:  # demo_parts, when loaded as a module (tests)
    sys.path.insert(0, str(REPO / "scripts"))
RUN = REPO / "runs" / "demo"
TIMECHAT = [sys.executable, "-m", "timechat_cli"]
SETS = {"train_static": (0, 3000, "static"), "val_static": (1000, 150, "static"), "test_static": (2000, 250, "static"),
        "train": (0, 3000, "full"), "test_full": (2000, 250, "full")}
"""folder: (seed, videos, scene kind). The full scenes of seed 0 ("train") are only the tokenizers' corpus, so that
the vocabulary covers every event `timechat synth` writes (moves, colour changes, flashes, cuts); those of the test
seed ("test_full") are scored, next to the static ones, to show what the model does on the kind it never saw."""
TRAIN, VAL, TEST = "train_static", "val_static", "test_static"
KINDS = {"static": TEST, "full": "test_full"}
"""The held-out test set of each scene kind (seed 2000, 250 videos): the model card's scores per kind."""
TASKS = {"grounding": ("charades", "tvg"), "dvc": ("youcook2", "dvc"), "highlight": ("qvhighlights", "vhd")}
BUILD_SEEDS = (0, 1)  # two draws of the TimeIT instruction templates
MAX_TURNS = {"tvg": 6, "vhd": 2}
"""The tokenizer corpus is built as the shipped tokenizers' was: each full-scene video's grounding (highlight)
questions packed into conversations of up to 6 (2) turns."""
MAX_VAL_ITEMS = {"grounding": 150, "highlight": 120, "dvc": 60}  # keeps checkpoint selection short
SELECT_LAST = 3  # checkpoints of stage 3 scored on the validation seed: the last three (steps 300, 400, 500)


def run(*args, **kw):
    print("+", " ".join(str(a) for a in args), file=sys.stderr, flush=True)
    return subprocess.run([str(a) for a in args], check=True, cwd=REPO, **kw)


def _synth(folder: str) -> None:
    """`timechat synth` of one of SETS (a finished set is skipped)."""
    seed, n, kind = SETS[folder]
    run(*TIMECHAT, "synth", "-o", RUN / folder, "-n", n, "--seed", seed, "--size", 64, "--split", folder.split("_")[0],
        "--scenes", kind, "-j", 2, stdout=subprocess.DEVNULL)


def _ground_truth(split: str) -> None:
    """The eval-format ground truth of each task of a validation or test set (`_gt`)."""
    for task, (source, _) in TASKS.items():
        gt = _gt(split, task)
        if gt.is_file():
            continue
        if task == "highlight":  # the QVHighlights JSONL is itself the GT and the manifest
            shutil.copy(next((RUN / split / "qvhighlights").glob("*.jsonl")), gt)
            continue
        run(*TIMECHAT, "build-timeit", "--config", RUN / split / "sources.yaml", "--sources", source,
            "--eval-format", "-o", gt)


def data() -> None:
    for folder in SETS:
        _synth(folder)
    corpus = RUN / "train" / "timeit_0_packed.jsonl"
    if not corpus.is_file():
        run(*TIMECHAT, "build-timeit", "--config", RUN / "train" / "sources.yaml", "--seed", 0, "--shuffle",
            *[f"--pack-turns={t}={n}" for t, n in MAX_TURNS.items()], "-o", corpus)
    for build_seed in BUILD_SEEDS:
        grounding = RUN / TRAIN / f"timeit_{build_seed}_grounding.jsonl"  # stage 1 (configs/train/demo-static.yaml)
        if not grounding.is_file():
            run(*TIMECHAT, "build-timeit", "--config", RUN / TRAIN / "sources.yaml", "--sources", "charades",
                "--seed", build_seed, "--shuffle", "-o", grounding)
        records = RUN / TRAIN / f"timeit_{build_seed}_all.jsonl"  # stage 2 (configs/train/demo.yaml)
        if not records.is_file():
            run(*TIMECHAT, "build-timeit", "--config", RUN / TRAIN / "sources.yaml", "--seed", build_seed,
                "--shuffle", f"--pack-turns=vhd={MAX_TURNS['vhd']}", "-o", records)
        if not (RUN / TRAIN / f"timeit_{build_seed}_named.jsonl").is_file():  # stage 1: named answers + yes/no
            _stage1_records(grounding, RUN / TRAIN / "scenes", build_seed, RUN / TRAIN / f"timeit_{build_seed}_named.jsonl",
                            RUN / TRAIN / f"timeit_{build_seed}_exists.jsonl")
        every_task = RUN / TRAIN / f"timeit_{build_seed}_every_task.jsonl"  # stage 2: every task, named answers,
        if not every_task.is_file():                                        # highlight answers with the window
            _named_records(records, every_task, _windows(next((RUN / TRAIN / "qvhighlights").glob("*.jsonl"))))
        highlights = RUN / TRAIN / f"timeit_{build_seed}_highlights.jsonl"  # stage 3: its highlight records
        if not highlights.is_file():
            _task_records(every_task, highlights, "vhd")
    for split in (VAL, *KINDS.values()):
        _ground_truth(split)


QUERY = re.compile(r"'the (\w+ \w+) is visible'")
SPAN = re.compile(r"([\d.]+) - ([\d.]+) seconds")


SCORE_SIGMA = 1.0
"""Seconds: how far off each end of a window the demo model's highlight scores allow for (`expected_saliency`)."""


def expected_saliency(start: float, end: float, duration: float, sigma: float = SCORE_SIGMA,
                      n: int = 41) -> dict[int, float]:
    """{clip id: score}: synth's per-clip saliency, round(4 * coverage), averaged over the window's two ends
    each moved by N(0, sigma) seconds (an n x n grid of the normal's quantiles), to 0.1; clips under 1.0
    left out. Clips deep inside the window keep 4.0, clips near its ends score less: the score a rater sure of
    the shape but not of the exact second would give."""
    import numpy as np
    from statistics import NormalDist

    from timechat_core.synth.annotations import CLIP_SECONDS, clip_score

    offsets = np.array([sigma * NormalDist().inv_cdf((i + 0.5) / n) for i in range(n)])
    starts, ends = (start + offsets)[:, None], (end + offsets)[None, :]
    out = {}
    for c in range(int(duration / CLIP_SECONDS)):
        score = round(float(clip_score(starts, ends, c).mean()), 1)
        if score >= 1.0:
            out[c] = score
    return out


def named(task: str, question: str, answer: str, window: tuple[float, float, float] | None = None) -> str:
    """The answer as the demo model is trained to give it: starting with the shape the question names, so the
    tokens that depend on which shape is asked come right after its name (research/binding_probe.py
    `--restate`): grounding "red circle 3.5 - 12.0 seconds.", highlights "red circle: there are ...";
    dense captions as they are. With the queried shape's `window` (start, end, video duration), a highlight
    answer states the window first and scores its clips by `expected_saliency`: "red circle 3.5 - 12.0
    seconds: there are 5 highlight moments in the 2.0, 4.0, 6.0, 8.0, 10.0 second. Their saliency scores are
    1.3, 3.6, 4.0, 4.0, 3.2."."""
    if task == "tvg":
        start, end = SPAN.search(answer).groups()
        return f"{QUERY.search(question).group(1)} {start} - {end} seconds."
    if task == "vhd":
        if window is None:
            return f"{QUERY.search(question).group(1)}: {answer[0].lower()}{answer[1:]}"
        from timechat_core.timeit.record import Highlights, highlights_answer

        scores = expected_saliency(*window)
        answer = highlights_answer(Highlights(video="", query="", clip_ids=tuple(scores),
                                              scores=tuple((v,) for v in scores.values()), where=""))
        return f"{QUERY.search(question).group(1)} {window[0]} - {window[1]} seconds: {answer[0].lower()}{answer[1:]}"
    return answer


def _task_records(src: Path, dst: Path, task: str) -> None:
    """The lines of `src` whose record is of `task`, unchanged, to `dst`."""
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    write_text_atomic(dst, "".join(line for line in lines if json.loads(line)["task"] == task))


def _windows(qvhighlights: Path) -> dict[tuple[str, str], tuple[float, float, float]]:
    """{(video id, query): (start, end, video duration)} from a QVHighlights JSONL (one window per query in the
    synth scenes)."""
    out = {}
    for line in qvhighlights.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        (window,) = row["relevant_windows"]
        key = (row["vid"], row["query"])
        if key in out:
            raise ValueError(f"{qvhighlights}: query {row['query']!r} asked twice of {row['vid']}")
        out[key] = (*window, row["duration"])
    return out


def _named_record(r: dict, windows: dict | None = None) -> dict:
    """A TimeIT record with `named` answers; highlight answers with their window when `windows` has it."""
    def window(q: str):
        return windows[Path(r["video"]).stem, f"the {QUERY.search(q).group(1)} is visible"] if windows else None
    return {**r, "QA": [{"q": qa["q"], "a": named(r["task"], qa["q"], qa["a"],
                                                   window(qa["q"]) if r["task"] == "vhd" else None)}
                        for qa in r["QA"]]}


def _named_records(src: Path, dst: Path, windows: dict | None = None) -> None:
    """`src`'s TimeIT records with `named` answers (`_named_record`)."""
    write_text_atomic(dst, "".join(json.dumps(_named_record(json.loads(line), windows)) + "\n"
                                   for line in src.read_text(encoding="utf-8").splitlines()))


def _stage1_records(grounding: Path, scenes: Path, seed: int, dst: Path, dst_exists: Path) -> None:
    """Stage 1's records: `grounding`'s questions with `named` answers, and per video one yes/no question ("Is
    the red circle visible in the video?" -> "red circle appears." / "red circle no."; a shape it shows or one
    of the others, half each), shuffled, to `dst`; the yes/no ones also to `dst_exists`, in the same order."""
    from demo_parts import COMBOS

    rng = random.Random(seed)
    out = [_named_record(json.loads(line)) for line in grounding.read_text(encoding="utf-8").splitlines()]
    combos = [f"{c} {s}" for c, s in COMBOS]
    for path in sorted(scenes.glob("*.json")):
        scene = json.loads(path.read_text(encoding="utf-8"))
        shown = [f"{o['phases'][0]['colour']} {o['shape']}" for o in scene["objects"]]
        yes = rng.random() < 0.5
        name = rng.choice(shown if yes else [c for c in combos if c not in shown])
        out.append({"video": f"videos/{scene['video']}.mp4", "QA": [{"q": f"Is the {name} visible in the video?",
                    "a": f"{name} {'appears' if yes else 'no'}."}], "source": "synth", "task": "exists"})
    rng.shuffle(out)
    for path, rows in ((dst, out), (dst_exists, [r for r in out if r["task"] == "exists"])):
        write_text_atomic(path, "".join(json.dumps(r) + "\n" for r in rows))  # json.dumps' ASCII, as trained on


def _gt(split: str, task: str) -> Path:
    return RUN / split / (f"gt_{task}.jsonl" if task == "highlight" else f"gt_{task}.json")


def corpus():
    """Every text the model reads or writes: instructions, answers, prompts, frame messages."""
    import yaml

    from timechat_core.video.sampling import frame_texts, sample_indices, timestamp_message

    with open(RUN / "train" / "timeit_0_packed.jsonl", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            for qa in rec["QA"]:
                yield qa["q"]
                yield qa["a"]
    table = yaml.safe_load((REPO / "templates" / "infer" / "prompts.yaml").read_text())
    yield table["system"]
    for task in table["tasks"].values():
        for v in task["variants"].values():
            yield v["text"]
    for vlen, fps in ((160, 8.0), (480, 8.0), (317, 8.0), (241, 6.0)):
        msg = timestamp_message(sample_indices(vlen, 32), fps)
        yield msg
        yield from frame_texts(msg)


def frame_text_corpus():
    """What the image Q-Former reads: "This frame is sampled at {t} second." for t = 0.0 ... 99.9."""
    from timechat_core.video.sampling import frame_texts, timestamp_message

    yield from frame_texts(timestamp_message(list(range(1000)), 10.0))


def init() -> None:
    import dataclasses

    from timechat_core.model.config import TimeChatConfig
    from timechat_core.model.folder import random_model, save_model_folder
    from timechat_core.model.tokenizers import train_bert_vocab, train_llm_tokenizer

    folder = RUN / "init"
    if folder.is_dir():
        return
    texts = list(corpus())
    tok = RUN / "tokenizer"
    train_llm_tokenizer(texts, tok / "llm", vocab_size=512)
    train_bert_vocab(frame_text_corpus(), tok / "bert", vocab_size=300)
    from timechat_core.model.processor import TimeChatProcessor

    proc = TimeChatProcessor(tok / "llm", tok / "bert")
    cfg = TimeChatConfig.preset("demo")
    cfg = cfg.replace(llm=dataclasses.replace(cfg.llm, vocab_size=proc.image_token_id),
                      qformer=dataclasses.replace(cfg.qformer, vocab_size=len(proc.bert)))
    model, proc = random_model(cfg, tok / "llm", tok / "bert", seed=0)
    save_model_folder(model, proc, folder)
    print(f"initial model: {sum(p.numel() for p in model.parameters()):,} parameters, LLM vocab "
          f"{cfg.llm.vocab_size}, Q-Former vocab {cfg.qformer.vocab_size}", file=sys.stderr)


STAGE0 = ["--train-encoder", "--time", "--steps", 1200]
"""Stage 0 (scripts/demo_stage0.py): the frame encoder alone learns to show each frame's shapes and time."""
FOLD = ["--time", "--steps", 300, "--num-train", 1000, "--fold", 2.0]
"""Then a fresh readout of it, folded into the projection: the LLM sees that readout only, at a token norm of 2."""
STAGES = ("demo-static", "demo-static-2", "demo-tasks", "demo")
"""configs/train/: stage 1 (frozen frame encoder, named grounding + yes/no; two parts), stage 2 (every task),
stage 3 (more highlight questions; its checkpoints are the ones selected from)."""


def train(*overrides: str) -> None:
    """Stage 0 and its fold (runs/demo/pre, runs/demo/pre_folded), then `timechat train` for each of STAGES."""
    readout = [sys.executable, REPO / "scripts" / "demo_stage0.py"]
    for src, dst, args in ((RUN / "init", RUN / "pre", STAGE0), (RUN / "pre", RUN / "pre_folded", FOLD)):
        if not (dst / "config.yaml").is_file():
            with open(RUN / f"{dst.name}.jsonl", "w", encoding="utf-8") as log:  # its readout scores
                run(*readout, "--model", src, *args, "--save", dst, stdout=log)
    for stage in STAGES:
        run(*TIMECHAT, "train", "--config", REPO / "configs" / "train" / f"{stage}.yaml", *overrides)


def _score(model: Path, split: str, limits: dict | None, tag: str) -> dict:
    """Grounding R1/mIoU, highlight HIT@1/mAP, dense-captioning F1 of `model` on a synthetic split."""
    out = RUN / "scores" / tag
    out.mkdir(parents=True, exist_ok=True)
    metrics = {}
    for task, (_, eval_task) in TASKS.items():
        gt = manifest = _gt(split, task)
        if limits:
            manifest = out / f"manifest_{task}{gt.suffix}"
            _head(gt, manifest, limits[task])
        pred = out / f"pred_{task}.jsonl"
        run(*TIMECHAT, "infer", "--manifest", manifest, "--video-root", RUN / split / "videos", "-o", pred,
            "--model", model, "--batch-size", 16, "--max-new-tokens", 256, stdout=subprocess.DEVNULL)
        extra = ["--match-qids", "intersection"] if task == "highlight" else (["--sample"] if task == "grounding" else [])
        res = run(*TIMECHAT, "eval", "--task", eval_task, "--pred", pred, "--gt", manifest, *extra,
                  capture_output=True, text=True)
        metrics[task] = json.loads(res.stdout)
    return metrics


def _head(gt: Path, out: Path, n: int) -> None:
    if gt.suffix == ".jsonl":
        out.write_text("".join(gt.read_text().splitlines(keepends=True)[:n]))
        return
    data = json.loads(gt.read_text())
    rows = data["annotations"] if isinstance(data, dict) else data
    if rows and "segments" in rows[0]:  # dense captions: n videos
        videos = list(dict.fromkeys(r["image_id"] for r in rows))[:n]
        rows = [r for r in rows if r["image_id"] in set(videos)]
    else:
        rows = rows[:n]
    out.write_text(json.dumps({"annotations": rows}))


def headline(metrics: dict) -> dict:
    """The numbers the model card reports, in percent."""
    g, h, d = metrics["grounding"], metrics["highlight"]["brief"], metrics["dvc"]
    return {"grounding": {k: round(g[k], 1) for k in ("R1@0.3", "R1@0.5", "R1@0.7", "mIoU")},
            "highlight": {"HIT@1": round(h["HL-min-VeryGood-Hit1"], 1), "mAP": round(h["HL-min-VeryGood-mAP"], 1)},
            "dvc": {"F1": round(100 * d["F1_Score"], 1), "CIDEr": round(100 * d["CIDER"], 1),
                    "METEOR": round(100 * d["METEOR"], 1)}}


def blind(split: str) -> dict:
    b = json.loads((RUN / split / "blind_baselines.json").read_text())
    return {"grounding": {"R1@0.5": round(b["grounding"]["fixed_window"]["R1@0.5"], 1),
                          "R1@0.5 (best window per query template)": round(b["grounding"]["fixed_window_per_template"]["R1@0.5"], 1),
                          "window": b["grounding"]["fixed_window"]["window"]},
            "highlight": {"HIT@1": round(b["highlights"]["HL-min-VeryGood"]["HL-Hit1"], 1)},
            "dvc": {"F1": round(b["dense_captioning"]["F1_Score"], 1), "segments": b["dense_captioning"]["segments"]}}


def _rank(h: dict) -> float:
    return (h["grounding"]["R1@0.5"] + h["highlight"]["HIT@1"] + h["dvc"]["F1"]) / 3


def select() -> None:
    """Every checkpoint on the validation seed; the best mean of R1@0.5, HIT@1 and F1 is picked."""
    out = RUN / "selection.json"
    done = json.loads(out.read_text()) if out.is_file() else {}
    for ckpt in sorted((RUN / "train_run" / "checkpoints").glob("step_*"))[-SELECT_LAST:]:
        if ckpt.name in done or not (ckpt / "model" / "config.yaml").is_file():
            continue
        done[ckpt.name] = headline(_score(ckpt / "model", VAL, MAX_VAL_ITEMS, f"val_{ckpt.name}"))
        out.write_text(json.dumps(done, indent=1) + "\n")
        print(ckpt.name, done[ckpt.name], file=sys.stderr, flush=True)
    best = max(done, key=lambda k: _rank(done[k]))
    (RUN / "picked").write_text(best + "\n")
    print(f"picked {best}: {done[best]}", file=sys.stderr)


def _teacher_forcing(model_dir: Path):
    """(stage-1 TrainConfig, model in eval mode, processor, collator): what `looks` and `asks` score with."""
    import torch

    from timechat_core.model.folder import load_model_folder
    from timechat_core.train.config import TrainConfig
    from timechat_core.train.data import Collator

    tc = TrainConfig.from_yaml(REPO / "configs" / "train" / "demo-static.yaml")
    model, proc = load_model_folder(model_dir, dtype=torch.float32)
    model.eval()
    return tc, model, proc, Collator(proc)


def _dataset(records, model, tc, video_root: Path):
    """Stage 1's training samples (its frame draws, seed 0) of `records`, videos under `video_root`."""
    import dataclasses

    from timechat_core.train.data import TrainDataset

    return TrainDataset(records, model.config, dataclasses.replace(tc.data, video_root=str(video_root)), 0)


def looks(model_dir: Path, n: int = 64) -> dict:
    """Does the model use the pixels and the frame times? Its training loss on the first `n` grounding
    questions of stage 1 with the true video tokens, and with the tokens of the same frames under
    another record's timestamps, of another record's frames under the true timestamps, and all zero."""
    import torch

    from timechat_core.train.data import read_records

    tc, model, proc, collate = _teacher_forcing(model_dir)
    records = [r for r in read_records([REPO / p for p in tc.data.train]) if QUERY.search(r.qa[0][0])][:n]
    ds = _dataset(records, model, tc, REPO / tc.data.video_root)
    b = collate([ds[(0, i)] for i in range(n)])
    pv = torch.stack(b.pixel_values)
    T = pv.shape[1]

    def other(x):  # the next record's rows of a (n*T, L) Q-Former text tensor
        return x.view(n, T, -1).roll(1, 0).flatten(0, 1)

    def loss(tokens) -> float:
        embeds = model.splice_video(b.input_ids, tokens, proc.image_token_id)
        return round(model.lm_loss(embeds, b.attention_mask, b.labels)["loss"].item(), 4)

    with torch.no_grad():
        true = model.encode_video(pv, b.qformer_input_ids, b.qformer_attention_mask)
        return {"records": n, "true": loss(true),
                "other_frames": loss(model.encode_video(pv.roll(1, 0), b.qformer_input_ids, b.qformer_attention_mask)),
                "other_times": loss(model.encode_video(pv, other(b.qformer_input_ids), other(b.qformer_attention_mask))),
                "zero_tokens": loss(torch.zeros_like(true))}


def asks(model_dir: Path, root: Path) -> dict:
    """Does the model use which shape the question names? On the grounding questions about videos with 2-3
    shapes in `root` (a `timechat synth` folder): the loss on the answer's time digits (teacher-forced, the true
    times) with the true question, and with the same question naming another shape of the same video (same
    frames, same times; as the recipe trains, the answer starts with the shape the question names). A model that finds the named shape has the lower loss with the true question nearly always;
    about 50 % means it does not use which shape is asked."""
    import dataclasses

    import torch

    from demo_parts import digit_ids, next_token_losses
    from timechat_core.train.data import read_records

    def shape(query: str) -> str:  # "the red circle is visible" -> "red circle"
        return QUERY.search(f"'{query}'").group(1)

    records = root / "timeit_0_grounding.jsonl"
    if not records.is_file():
        run(*TIMECHAT, "build-timeit", "--config", root / "sources.yaml", "--sources", "charades", "--seed", 0,
            "-o", records)
    asked, swap = [], {}  # swap: record -> (the shape's query in its question, another shape's query)
    for rec in read_records([records]):
        scene = json.loads((root / "scenes" / f"{Path(rec.video).stem}.json").read_text())
        said = [e["query"] for e in scene["events"] if f"'{e['query']}'" in rec.qa[0][0]]
        others = [e["query"] for e in scene["events"] if e["query"] not in said]
        if len(scene["objects"]) > 1 and len(said) == 1 and others:
            swap[len(asked)] = (said[0], others[0])
            rec = dataclasses.replace(rec, qa=tuple((q, named("tvg", q, a)) for q, a in rec.qa))
            asked.append(rec)
    tc, model, proc, collate = _teacher_forcing(model_dir)
    ds = _dataset(asked, model, tc, root)

    digit = digit_ids(proc)

    def answer_loss(batch, tokens) -> torch.Tensor:  # per question: mean cross-entropy over its answer's digits
        logits = model.lm_loss(model.splice_video(batch.input_ids, tokens, proc.image_token_id),
                               batch.attention_mask, batch.labels)["logits"]
        ce, target, kept = next_token_losses(logits, batch.labels)
        kept = kept & digit[target.clamp(min=0)]
        return (ce * kept).sum(1) / kept.sum(1)

    true, other = [], []
    with torch.no_grad():
        for start in range(0, len(asked), 32):
            samples = [ds[(0, i)] for i in range(start, min(start + 32, len(asked)))]
            b = collate(samples)
            # Each video decoded and encoded once: the other question differs only in the shape it names.
            tokens = model.encode_video(torch.stack(b.pixel_values), b.qformer_input_ids, b.qformer_attention_mask)
            true.append(answer_loss(b, tokens))
            # the query in the question, then (named answers) the shape's name left in the answer
            swapped = [dataclasses.replace(x, conversation=x.conversation.replace(*swap[x.index]).replace(
                *map(shape, swap[x.index]))) for x in samples]
            other.append(answer_loss(collate(swapped), tokens))
    true, other = torch.cat(true), torch.cat(other)
    return {"questions": len(asked), "lower_with_true_question": round(100 * (true < other).float().mean().item(), 1),
            "loss_true_question": round(true.mean().item(), 4), "loss_other_shape": round(other.mean().item(), 4)}


def by_objects(pred: Path, scenes: Path) -> dict:
    """Grounding R1@0.5 by the number of shapes in the video, and the share of questions answered with
    another shape's interval (tIoU >= 0.5 with it, < 0.5 with the queried one): picking the wrong shape
    rather than misreading the time. Percent; `scenes`: the folder of `timechat synth`'s scene files."""
    from timechat_core.eval.iou import tvg_iou

    rows: dict[int, list[tuple[bool, bool]]] = {}
    loaded: dict[str, dict] = {}  # a video's questions share its scene file
    with open(pred, encoding="utf-8") as f:
        for line in f:
            p = json.loads(line)
            stem = Path(p["video"]).stem
            if stem not in loaded:
                loaded[stem] = json.loads((scenes / f"{stem}.json").read_text())
            scene = loaded[stem]
            events = [(e["start"], e["end"]) for e in scene["events"]]
            queried = next((e["start"], e["end"]) for e in scene["events"] if e["query"] == p["query"].rstrip("."))
            windows = (p.get("parsed") or {}).get("windows") or []
            right = bool(windows) and tvg_iou(queried, windows[0]) >= 0.5
            other = bool(windows) and not right and any(tvg_iou(e, windows[0]) >= 0.5 for e in events if e != queried)
            rows.setdefault(len(scene["objects"]), []).append((right, other))
    return {str(n): {"questions": len(r), "R1@0.5": round(100 * sum(a for a, _ in r) / len(r), 1),
                     "another_shape": round(100 * sum(b for _, b in r) / len(r), 1)} for n, r in sorted(rows.items())}


def highlight_tops(pred: Path, gt: Path, scenes: Path) -> dict:
    """Where each highlight answer's top clip (the first of its highest saliency, as HIT@1 takes it) falls, in
    percent of the questions: a "very good" clip of the queried shape (saliency 4 in the ground truth: HIT@1), an
    edge clip of its interval (1-3), another shape's clip, a clip no shape is in, or no parsed answer. 2 s clips;
    `gt`: the QVHighlights-style JSONL, `scenes`: the folder of `timechat synth`'s scene files."""
    from timechat_core.synth.annotations import CLIP_SECONDS

    truth = {}
    with open(gt, encoding="utf-8") as f:
        for line in f:
            g = json.loads(line)
            truth[g["qid"]] = g
    counts = dict.fromkeys(("very_good", "edge_clip", "another_shape", "no_shape", "no_answer"), 0)
    with open(pred, encoding="utf-8") as f:
        for line in f:
            p = json.loads(line)
            g = truth[p["qid"]]
            saliency = (p.get("parsed") or {}).get("saliency") or []
            if not saliency or max(saliency) <= 0:
                counts["no_answer"] += 1
                continue
            top = saliency.index(max(saliency))
            score = dict(zip(g["relevant_clip_ids"], (min(s) for s in g["saliency_scores"]))).get(top, 0)
            if score:
                counts["very_good" if score >= 4 else "edge_clip"] += 1
                continue
            scene = json.loads((scenes / f"{g['vid']}.json").read_text())
            lo, hi = top * CLIP_SECONDS, (top + 1) * CLIP_SECONDS
            other = any(e["start"] < hi and e["end"] > lo for e in scene["events"]
                        if e["query"] != g["query"])
            counts["another_shape" if other else "no_shape"] += 1
    n = sum(counts.values())
    return {"questions": n, **{k: round(100 * v / n, 1) for k, v in counts.items()}}


def scene_kinds(model: Path, tag: str) -> dict:
    """`model`'s scores on the held-out test set of each scene kind (KINDS), next to that set's best video-blind
    answers: {kind: {"test", "blind_baseline"}}. The static set's predictions go to runs/demo/scores/{tag}/, the
    full set's to runs/demo/scores/{tag}_full/."""
    out = {}
    for kind, split in KINDS.items():
        _synth(split)
        _ground_truth(split)
        out[kind] = {"test": headline(_score(model, split, None, tag if kind == "static" else f"{tag}_{kind}")),
                     "blind_baseline": blind(split)}
    return out


def test() -> None:
    best = (RUN / "picked").read_text().strip()
    model = RUN / "train_run" / "checkpoints" / best / "model"
    per_kind = scene_kinds(model, f"test_{best}")
    scores = {"checkpoint": best, "test": per_kind["static"]["test"], "blind_baseline": per_kind["static"]["blind_baseline"],
              "validation": json.loads((RUN / "selection.json").read_text())[best],
              "loss_with": looks(model), "question_swap": asks(model, RUN / TEST),
              "grounding_by_objects": by_objects(RUN / "scores" / f"test_{best}" / "pred_grounding.jsonl",
                                                     RUN / TEST / "scenes"),
              "highlight_tops": highlight_tops(RUN / "scores" / f"test_{best}" / "pred_highlight.jsonl",
                                               _gt(TEST, "highlight"), RUN / TEST / "scenes"),
              "scene_kinds": per_kind}
    (RUN / "scores.json").write_text(json.dumps(scores, indent=1) + "\n")
    print(json.dumps(scores, indent=1))


def kinds() -> None:
    """The shipped model (models/demo/) scored on each scene kind's test set: into its scores.json, and its card's
    scene-kind section (`demo_card.with_kinds`, the section `ship` writes from the same numbers)."""
    from demo_card import with_kinds

    dest = REPO / "models" / "demo"
    scores = json.loads((dest / "scores.json").read_text())
    scores["scene_kinds"] = scene_kinds(dest, "shipped")
    (dest / "scores.json").write_text(json.dumps(scores, indent=1) + "\n")
    (dest / "README.md").write_text(with_kinds((dest / "README.md").read_text(), scores))
    print(json.dumps(scores["scene_kinds"], indent=1))


def ship() -> None:
    """models/demo/ = the picked checkpoint's model folder + the model card (README.md) with its scores."""
    import yaml

    best = (RUN / "picked").read_text().strip()
    dest = REPO / "models" / "demo"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(RUN / "train_run" / "checkpoints" / best / "model", dest)
    manifest = json.loads((dest / "manifest.json").read_text())  # what it knows: `timechat infer` flags other videos
    manifest["trained_on"] = {"synth_scenes": SETS[TRAIN][2]}
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    scores = json.loads((RUN / "scores.json").read_text())
    runs = [yaml.safe_load((REPO / "configs" / "train" / f"{stage}.yaml").read_text())["out_dir"] for stage in STAGES]
    train_metrics = [[json.loads(line) for line in (REPO / run / "metrics.jsonl").read_text().splitlines()]
                     for run in runs]
    stage0 = [[json.loads(line) for line in (RUN / f"{name}.jsonl").read_text().splitlines()]
              for name in ("pre", "pre_folded")]
    from demo_card import card

    (dest / "README.md").write_text(card(sys.modules[__name__], scores, train_metrics,
                                         json.loads((RUN / "selection.json").read_text()),
                                         yaml.safe_load((dest / "config.yaml").read_text()), stage0))
    (dest / "scores.json").write_text(json.dumps(scores, indent=1) + "\n")
    size = sum(f.stat().st_size for f in dest.rglob("*") if f.is_file())
    print(f"models/demo: {size / 1e6:.1f} MB from {best}", file=sys.stderr)


def main() -> None:
    steps = {"data": data, "init": init, "train": train, "select": select, "test": test, "ship": ship, "kinds": kinds}
    step = sys.argv[1] if len(sys.argv) > 1 else "all"
    if step == "all":
        for fn in (data, init, train, select, test, ship):
            fn()
        return
    if step not in steps:
        sys.exit(f"unknown step {step!r}; choose from {', '.join(steps)} or all")
    steps[step](*sys.argv[2:]) if step == "train" else steps[step]()


if __name__ == "__main__":
    main()
