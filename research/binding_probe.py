"""Can the demo model's LLM learn which shape a grounding question asks about, given perfect video tokens?

The demo model (models/demo/README.md) answers grounding questions from where shapes come and go, whichever
shape is asked (`scripts/demo_model.py` `asks`). This probe separates the two halves of the task: it trains only
a randomly initialised LLM of the demo config (models/demo/config.yaml, the shipped tokenizers) and a linear map
from ground-truth video tokens instead of the frame encoder. Token k of a question's 32 tokens is, for the k-th
sampled frame (the training sampler's `rand` draw at 8 fps), a one-hot of each (colour, shape) visible then and
one-hots of the three digits of its time. Scenes are `timechat synth --scenes static`'s, drawn fresh every step
(seeds 10000+, not rendered); the question is one of TimeIT's six grounding templates about one of the scene's
shapes, the answer TimeIT's "The given query happens in S - E seconds.".

Every `--eval-every` steps, on 160 questions about held-out videos with 2-3 shapes (seed 99999), one JSON line
on stdout: the training loss, the held-out loss (grounding: on the answer's digits), and
`right_over_alternative`: the share of questions where the true question and answer get a lower loss than the
alternative. For grounding the alternative is the same question naming another shape of the video (same
answer): about 0.5 means the LLM does not use which shape is asked. `--oracle` shows the tokens of the asked
shape only (no choice to make; the other question gets the other shape's tokens): the ceiling, and a check of
the measure. Two controls: `--task exists` ("Is the red circle visible in the video?" -> "appears." / "no.",
half each: matching the named shape against the tokens without reading any time) and `--task copy` (the
answer is the colour the question names: reading the question, no video needed). `--mix-copy F` /
`--mix-exists F`: that share of every training batch is copy / exists questions; `--lm-loss`: train on every
text token (the question too), not only the answers as TimeChat does. How it is asked: `--restate` starts
grounding and exists answers with the shape's name ("red circle 3.5 - 12.0 seconds.", "red circle appears."),
so the token that decides follows it; `--video-last` puts the question before the video tokens
(`prompts.video_after_instruction`). With both the LLM learns grounding within 750 steps; with either alone it
did not (models/demo/README.md, "Why not"). How the real frame encoder's tokens differ, one at a time:
`--pool N` draws every step's scenes from N fixed ones (a rendered training set is 3000 videos), `--noise C S`
gives colours and shapes as separate flags, each object's colour / shape misread with chances C / S per frame
(the real encoder's readout gets the shapes of a frame right about half the time), `--token-scale X` multiplies
the tokens (a stage-0 encoder's are ~150x the norm of the LLM's text embeddings, these ~10x).

    python research/binding_probe.py --steps 3000
    python research/binding_probe.py --steps 500 --oracle
    python research/binding_probe.py --steps 1500 --task exists
    python research/binding_probe.py --steps 750 --restate --video-last
    python research/binding_probe.py --steps 750 --restate --video-last --pool 3000 --noise 0.1 0.5 --token-scale 15

About 0.3 s per step of 32 questions on the 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))  # the demo recipe's parts: frame labels, per-token losses

T = 32  # video tokens = sampled frames
FPS = 8.0
VAL_SEED, VAL_SIZE, BATCH = 99999, 160, 32


def _names(scene: dict) -> list[tuple[str, dict]]:
    """(shape name as the questions say it, its visible span) per object."""
    return [(f"{o['phases'][0]['colour']} {o['shape']}", o["phases"][0]) for o in scene["objects"]]


def tokens(scene: dict, seed: int, only: str | None = None, noise: tuple | None = None):
    """The (T, 42) ground-truth video tokens of one scene: 12 (colour, shape) + 3 x 10 time digits."""
    import torch

    from demo_parts import COMBOS, frame_flags, time_digits
    from timechat_core.video.sampling import frame_timestamps, sample_indices

    times = frame_timestamps(sample_indices(int(round(scene["duration"] * FPS)), T, "rand", seed), FPS)
    flags = torch.tensor(frame_flags(scene, times), dtype=torch.float32)
    if only is not None:  # the asked shape's column only
        keep = COMBOS.index(tuple(only.split()))
        flags[:, [j for j in range(len(COMBOS)) if j != keep]] = 0
    digits = torch.nn.functional.one_hot(torch.tensor(time_digits(times)), 10).flatten(1).float()
    if noise is not None:  # colour and shape flags apart, each object's misread with these chances per frame
        from timechat_core.synth.scene import COLOURS, SHAPES

        g = random.Random(seed)
        seen = torch.zeros(len(times), len(COLOURS) + len(SHAPES))
        for f, row in enumerate(flags.tolist()):
            for j, on in enumerate(row):
                if on:
                    colour, shape = COMBOS[j]
                    c = g.randrange(len(COLOURS)) if g.random() < noise[0] else list(COLOURS).index(colour)
                    s = g.randrange(len(SHAPES)) if g.random() < noise[1] else SHAPES.index(shape)
                    seen[f, c] = seen[f, len(COLOURS) + s] = 1
        flags = seen
    return torch.cat([flags, digits], 1)


def question(scene: dict, rng: random.Random, templates, task: str, restate: bool = False) -> tuple:
    """(question, answer, asked shape) and the alternative it is scored against, (question, answer, shape):
    grounding: the same question naming another shape of the video (None with one shape);
    exists: "Is the X visible in the video?", answered "appears." for one of its shapes or "no." for one
    of the 9-11 others (half each), against the other answer; copy: "Which colour does 'the X is visible'
    name?", answered with that colour (no video needed), against another colour. `restate`: grounding and
    exists answers start with the shape's name ("red circle 3.5 - 12.0 seconds.", "red circle appears."), so
    the token that decides comes right after it (the alternative restates its own shape)."""
    names = _names(scene)
    if task == "grounding":
        k = rng.randrange(len(names))
        name, span = names[k]
        text = rng.choice(templates).text.replace("<query_placeholder>", f"'the {name} is visible'").rstrip()

        def answer(said):
            if restate:
                return f"{said} {span['start']} - {span['end']} seconds."
            return f"The given query happens in {span['start']} - {span['end']} seconds."

        if len(names) == 1:
            return (text, answer(name), name), None
        other = names[(k + 1) % len(names)][0]
        return (text, answer(name), name), (text.replace(f"'the {name} ", f"'the {other} "), answer(other), other)
    from timechat_core.synth.scene import COLOURS, SHAPES

    present = [n for n, _ in names]
    yes = rng.random() < 0.5
    name = rng.choice(present if yes else [f"{c} {s}" for s in SHAPES for c in COLOURS if f"{c} {s}" not in present])
    text = f"Is the {name} visible in the video?"
    if task == "exists":
        said = f"{name} " if restate else ""
        return (text, said + ("appears." if yes else "no."), name), (text, said + ("no." if yes else "appears."), name)
    colour = name.split()[0]
    text = f"Which colour does 'the {name} is visible' name?"
    return (text, f"{colour}.", name), (text, f"{'blue' if colour != 'blue' else 'red'}.", name)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, default=REPO / "models" / "demo", help="config.yaml and tokenizer/ of")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--task", choices=("grounding", "exists", "copy"), default="grounding")
    ap.add_argument("--oracle", action="store_true", help="tokens of the asked shape only")
    ap.add_argument("--mix-copy", type=float, default=0.0, help="this share of each batch: copy questions")
    ap.add_argument("--mix-exists", type=float, default=0.0, help="this share of each batch: exists questions")
    ap.add_argument("--restate", action="store_true", help="answers start with the asked shape's name")
    ap.add_argument("--video-last", action="store_true", help="the question before the video tokens, not after")
    ap.add_argument("--lm-loss", action="store_true", help="train on every text token, not only the answers")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--noise", type=float, nargs=2, metavar=("COLOUR", "SHAPE"),
                    help="tokens show colours and shapes apart (not which colour goes with which shape), each "
                         "object's misread with these chances per frame")
    ap.add_argument("--token-scale", type=float, default=1.0,
                    help="multiply the mapped tokens by this (the real tokens' norm is up to ~150x the text's)")
    ap.add_argument("--pool", type=int, default=0,
                    help="draw each step's scenes from this many fixed ones (as a rendered training set) "
                         "instead of fresh ones; 0: fresh")
    args = ap.parse_args(argv)

    import torch

    from timechat_core.model.config import resolve_model_config
    from timechat_core.model.folder import random_model
    from timechat_core.model.processor import training_conversation
    from demo_parts import digit_ids, next_token_losses
    from timechat_core.synth.scene import make_scene
    from timechat_core.timeit.templates import load_templates

    torch.manual_seed(args.seed)
    cfg = resolve_model_config(str(args.model / "config.yaml"), {})
    model, proc = random_model(cfg, args.model / "tokenizer" / "llama", args.model / "tokenizer" / "bert",
                               seed=args.seed, trainable=True)
    llm = model.language_model
    templates = load_templates("tvg")
    frame_text = ["This frame is sampled at 0.0 second."] * T  # unused: the visual stack is bypassed
    digit = digit_ids(proc)

    def losses(scenes, qas, seeds, asked, lm=False):
        """Per question: (mean loss over the answer's tokens, over its digits, or all its tokens but for grounding)."""
        b = proc.train_batch([training_conversation([qa], "", T, video_last=args.video_last) for qa in qas],
                             [frame_text] * len(qas))
        x = torch.stack([tokens(s, seed, name if args.oracle else None, args.noise) for s, seed, name in zip(scenes, seeds, asked)])
        logits = llm(inputs_embeds=model.splice_video(b.input_ids, args.token_scale * to_llm(x), proc.image_token_id),
                     attention_mask=b.attention_mask).logits
        labels = b.labels
        if lm:  # every text token is a target (not just the answer's): language modelling on the prompt too
            labels = b.input_ids.masked_fill((b.input_ids == proc.image_token_id) | (b.attention_mask == 0), -100)
        ce, target, answer = next_token_losses(logits, labels)
        digits = answer & digit[target.clamp(min=0)] if args.task == "grounding" else answer
        return (ce * answer).sum(1) / answer.sum(1), (ce * digits).sum(1) / digits.sum(1)

    vrng = random.Random(args.seed)
    val, i = [], 0
    while len(val) < VAL_SIZE:
        scene = make_scene(VAL_SEED, i, static=True).to_dict()
        i += 1
        if len(scene["objects"]) > 1:
            val.append((scene, *question(scene, vrng, templates, args.task, args.restate)))
    to_llm = torch.nn.Linear(tokens(val[0][0], 0, None, args.noise).shape[1], cfg.llm.hidden_size)
    params = list(llm.parameters()) + list(to_llm.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, betas=(0.9, 0.98), weight_decay=0.01)
    rng = random.Random(args.seed)
    pool = [make_scene(10000, k, static=True).to_dict() for k in range(args.pool)]
    n_copy, n_exists = round(args.mix_copy * BATCH), round(args.mix_exists * BATCH)
    kinds = ["copy"] * n_copy + ["exists"] * n_exists + [args.task] * (BATCH - n_copy - n_exists)
    t0 = time.time()
    for step in range(1, args.steps + 1):
        for group in opt.param_groups:
            group["lr"] = args.lr * min(1.0, step / args.warmup)
        if args.pool:
            scenes = [pool[rng.randrange(args.pool)] for _ in range(BATCH)]
        else:
            scenes = [make_scene(10000 + step, k, static=True).to_dict() for k in range(BATCH)]
        qs = [question(s, rng, templates, kind, args.restate)[0] for kind, s in zip(kinds, scenes)]
        loss, _ = losses(scenes, [(q, a) for q, a, _ in qs], [step * 1000 + k for k in range(BATCH)],
                         [n for _, _, n in qs], lm=args.lm_loss)
        loss = loss.mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if step % args.eval_every == 0 or step == args.steps:
            scenes, seeds = [v[0] for v in val], list(range(len(val)))
            with torch.no_grad():
                # Under --oracle the other shape's question gets that shape's tokens: a model that reads them
                # scores ~1 on grounding, which checks the measure.
                _, true = losses(scenes, [v[1][:2] for v in val], seeds, [v[1][2] for v in val])
                _, alt = losses(scenes, [v[2][:2] for v in val], seeds, [v[2][2] for v in val])
            print(json.dumps({"task": args.task, "oracle": args.oracle, "mix_copy": args.mix_copy,
                              "mix_exists": args.mix_exists, "restate": args.restate, "video_last": args.video_last,
                              "lm_loss": args.lm_loss, "pool": args.pool, "noise": args.noise, "token_scale": args.token_scale,
                              "step": step,
                              "loss": round(loss.item(), 4), "val_loss": round(true.mean().item(), 4),
                              "right_over_alternative": round((true < alt).float().mean().item(), 3),
                              "seconds": round(time.time() - t0)}), flush=True)


if __name__ == "__main__":
    main()
