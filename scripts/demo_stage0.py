"""Stage 0 of the demo recipe: the frame encoder alone learns to show each frame's shapes (and time), read out
linearly from its video tokens; then the readout is folded into the projection.

A linear head reads, from token k of window w of the 32 video tokens (the LLM's inputs, after the projection),
the 12 (colour, shape) flags of the frame 8w + k shows (the training sampler's `rand` draw), trained with BCE
on the videos of a `timechat synth --scenes static` folder (AdamW, batch 32). By default the frame encoder is
frozen: the readout measures what a model folder's tokens already carry. With `--train-encoder` the ViT, both
Q-Formers and the projection train with the head (a stage 0 before the LLM sees the tokens, as BLIP-2 pretrains
its Q-Former); `--save DIR` then writes the model folder with that encoder (the head is dropped, the LLM
unchanged). `--time` also reads each frame's time from its token, as three digits ("07.3" -> 0, 7, 3;
cross-entropy each). `--fold NORM --save DIR` (frozen or not) folds the trained head into the projection: the
LLM's inputs become a fresh random linear map of the head's logits (everything else the tokens carried is
dropped), scaled to a mean token norm of NORM on the held-out videos (the LLM's text embeddings start at ~0.23).
`scripts/demo_model.py train` runs both (models/demo/README.md, "How it was made").

Every `--eval-every` steps one JSON line on stdout, on the frames of the held-out videos that show at least one
shape: `colour` / `shape` (share with the set of visible colours / shapes exactly right), `exact` (all 12 flags
right), `time` (all three digits right, on every frame, with `--time`), and the training batch's loss.

    python scripts/demo_stage0.py --model models/demo --steps 300
    python scripts/demo_stage0.py --model runs/demo/init --train-encoder --steps 1200 --save runs/demo/pre
    python scripts/demo_stage0.py --model runs/demo/pre --time --steps 300 --num-train 1000 --fold 2 \
        --save runs/demo/pre_folded

About 0.2 s per step frozen and 0.4 s with `--train-encoder` on the 2-core machine, plus about a minute to
decode 3000 videos.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

BATCH = 32


def load_videos(folder: Path, n: int | None, size: int) -> list:
    """(scene, all decoded frames) of the first `n` scenes of a synth folder."""
    from timechat_core.video.frames import load_frames

    out = []
    for path in sorted((folder / "scenes").glob("*.json"))[:n]:
        scene = json.loads(path.read_text())
        out.append((scene, load_frames(folder / "videos" / f"{scene['video']}.mp4", 2**31 - 1, size, "uniform")))
    return out


def main(argv=None) -> None:
    import torch

    from timechat_core.model.folder import load_model_folder, save_model_folder
    from timechat_core.model.processor import normalize_frames
    from demo_parts import frame_flags, time_digits
    from timechat_core.video.sampling import frame_texts, frame_timestamps, sample_indices, timestamp_message

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, default=REPO / "models" / "demo")
    ap.add_argument("--train", type=Path, default=REPO / "runs" / "demo" / "train_static", help="synth folder")
    ap.add_argument("--val", type=Path, default=REPO / "runs" / "demo" / "val_static", help="synth folder")
    ap.add_argument("--num-train", type=int, default=None, help="first N training videos (default: all)")
    ap.add_argument("--num-val", type=int, default=100)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--lr", type=float, default=None, help="default 3e-3 frozen, 1e-3 with --train-encoder")
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--train-encoder", action="store_true", help="train the frame encoder with the head")
    ap.add_argument("--time", action="store_true", help="also read each frame's time (three digits)")
    ap.add_argument("--save", type=Path, default=None, help="with --train-encoder or --fold: write the model folder here")
    ap.add_argument("--fold", type=float, default=None, metavar="NORM",
                    help="with --save: the projection becomes a random linear map of the readout's logits (the "
                         "head folded in, everything else the tokens carry dropped), scaled to this mean token norm")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.save and not (args.train_encoder or args.fold):
        ap.error("--save needs --train-encoder or --fold (a frozen encoder is the folder it came from)")
    torch.set_num_threads(2)
    torch.manual_seed(args.seed)

    model, proc = load_model_folder(args.model, dtype=torch.float32, trainable=args.train_encoder)
    cfg = model.config
    if cfg.num_frames != 32 or cfg.window_size != cfg.window_stride or cfg.video_qformer.num_query_tokens != cfg.window_size:
        raise SystemExit(f"{args.model}: needs 32 frames in windows of as many frames as video query tokens")
    encoder = [p for n, p in model.named_parameters()  # the ViT only where the model config trains it
               if not n.startswith("language_model.") and (cfg.train_vision or not n.startswith("vision_model."))]
    model.requires_grad_(False)
    for p in encoder:
        p.requires_grad_(args.train_encoder)
    model.train(args.train_encoder)
    head = torch.nn.Linear(cfg.llm.hidden_size, 12 + (30 if args.time else 0))
    params = list(head.parameters()) + (encoder if args.train_encoder else [])
    opt = torch.optim.AdamW(params, args.lr or (1e-3 if args.train_encoder else 3e-3), betas=(0.9, 0.98),
                            weight_decay=0.01)
    warmup = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 50))

    t0 = time.time()
    train = load_videos(args.train, args.num_train, cfg.vision.image_size)
    val = load_videos(args.val, args.num_val, cfg.vision.image_size)
    print(f"{len(train)} training and {len(val)} held-out videos decoded in {time.time() - t0:.0f} s", file=sys.stderr)

    def forward(items, seeds):
        frames, texts, ys, ts = [], [], [], []
        for (scene, full), seed in zip(items, seeds):
            idx = [int(i) for i in sample_indices(full.vlen, cfg.num_frames, "rand", seed)]
            frames.append(torch.from_numpy(full.frames[idx]))
            texts.append(frame_texts(timestamp_message(idx, full.fps)))
            times = frame_timestamps(idx, full.fps)
            ys.append(torch.tensor(frame_flags(scene, times), dtype=torch.float32))
            ts.append(torch.tensor(time_digits(times)))
        enc = proc.eval_batch(["<ImageHere>"] * len(items), texts)
        pixels = normalize_frames(torch.stack(frames), cfg.image_mean, cfg.image_std)
        with torch.set_grad_enabled(args.train_encoder and torch.is_grad_enabled()):
            tokens = model.encode_video(pixels, enc.qformer_input_ids, enc.qformer_attention_mask)
        return head(tokens), torch.stack(ys), torch.stack(ts)

    def losses(logits, y, t):
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits[..., :12], y)
        if args.time:
            loss = loss + torch.nn.functional.cross_entropy(logits[..., 12:].unflatten(-1, (3, 10)).flatten(0, -2),
                                                             t.flatten())
        return loss

    g = torch.Generator().manual_seed(args.seed)
    for step in range(1, args.steps + 1):
        pick = torch.randint(len(train), (BATCH,), generator=g).tolist()
        logits, y, t = forward([train[i] for i in pick], [step * 1000 + k for k in range(BATCH)])
        loss = losses(logits, y, t)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        warmup.step()
        if step % args.eval_every == 0 or step == args.steps:
            model.eval()
            with torch.no_grad():
                logits, y, t = forward(val, range(len(val)))
            model.train(args.train_encoder)
            pred, true = logits[..., :12] > 0, y.bool()
            shown = true.any(-1)
            colours = lambda t: t.unflatten(-1, (3, 4)).any(-2)  # noqa: E731
            shapes = lambda t: t.unflatten(-1, (3, 4)).any(-1)  # noqa: E731
            right = lambda a, b: round((a == b).all(-1)[shown].float().mean().item(), 3)  # noqa: E731
            row = {"step": step, "loss": round(loss.item(), 4), "colour": right(colours(pred), colours(true)),
                   "shape": right(shapes(pred), shapes(true)), "exact": right(pred, true)}
            if args.time:
                row["time"] = round((logits[..., 12:].unflatten(-1, (3, 10)).argmax(-1) == t).all(-1).float().mean().item(), 3)
            print(json.dumps({**row, "seconds": round(time.time() - t0)}), flush=True)
    if args.save and args.fold:
        fold(model, head, args.fold, lambda: forward(val, range(len(val)))[0])
    if args.save:
        save_model_folder(model, proc, args.save, overwrite=True,
                          provenance={"frame_readout": {"from": str(args.model), "steps": args.steps}})
        print(f"wrote {args.save}", file=sys.stderr)


def fold(model, head, norm: float, logits) -> None:
    """Projection := M . head . projection, M a fresh (logits -> LLM width) linear map, scaled so the video tokens'
    mean norm is `norm`: the LLM then sees the readout's logits only."""
    import torch

    proj = model.language_projection
    mix = torch.nn.Linear(head.out_features, proj.out_features)
    with torch.no_grad():
        tokens = mix(logits())  # before the projection changes: the same tokens it will give
        weight = mix.weight @ head.weight @ proj.weight
        bias = mix.weight @ (head.weight @ proj.bias + head.bias) + mix.bias
        proj.weight.copy_(weight)
        proj.bias.copy_(bias)
        scale = norm / tokens.norm(dim=-1).mean().item()
        proj.weight.mul_(scale)
        proj.bias.mul_(scale)


if __name__ == "__main__":
    main()
