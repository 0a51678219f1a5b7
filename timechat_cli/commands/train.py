"""`timechat train`: instruction tuning on TimeIT, one process or many (torchrun), resumable."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Annotated

import typer

from timechat_cli.console import emit, err, say

HELP = """Train TimeChat (the reference's trainable set: Q-Formers, query tokens, frame positions, projection, LoRA) on TimeIT / Valley records.

CONFIG is a preset (timechat-7b-timeit, youcook2, charades, qvhighlights, tiny: configs/train/) or a YAML file; KEY=VALUE arguments override it (dotted keys, YAML values; unknown keys are all reported at once). The resolved config.yaml, metrics.jsonl, TensorBoard events (when installed) and checkpoints go to out_dir; a run with checkpoints in out_dir resumes from the latest one (--resume auto). Progress (step, loss, lr, samples/s, ETA) goes to stderr; one JSON summary to stdout.

Several processes: --nproc N launches torchrun for you, or run torchrun yourself (DDP: gloo on CPU, NCCL on GPU; strategy=fsdp shards parameters).

Examples:

  timechat train --config tiny

  timechat train --config timechat-7b-timeit model.folder=models/timechat-init out_dir=runs/timeit --nproc 8

  torchrun --nproc_per_node 8 -m timechat_cli train --config youcook2 data.video_root=/data/youcook2
"""


def train(
    overrides: Annotated[list[str] | None, typer.Argument(help="Config overrides KEY=VALUE.", metavar="[KEY=VALUE]...", show_default=False)] = None,
    config: Annotated[str, typer.Option("--config", "-c", help="Training preset name or YAML file.")] = "tiny",
    resume: Annotated[str, typer.Option(help="auto (latest checkpoint of out_dir, if any), never, or a checkpoint folder.")] = "auto",
    nproc: Annotated[int, typer.Option("--nproc", min=1, help="Processes to launch on this machine through torchrun (1: this process).")] = 1,
) -> None:
    from timechat_core.train.config import resolve

    cfg = resolve(config, overrides or [])  # every config problem before anything heavy starts
    if nproc > 1:
        raise typer.Exit(_launch(nproc, config, resume, overrides or []))
    _run(cfg, resume)


train.__doc__ = HELP


def _launch(nproc: int, config: str, resume: str, overrides: list[str]) -> int:
    """Re-run this command under `torch.distributed.run` (torchrun) with `nproc` local processes."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
           "-m", "timechat_cli", "train", "--config", config, "--resume", resume, *overrides]
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    say(f"launching {nproc} processes: {' '.join(cmd[1:])}")
    return subprocess.call(cmd, env=env)


def _run(cfg, resume: str) -> None:
    from timechat_core.train.loop import train as core_train

    rank0 = int(os.environ.get("RANK", "0")) == 0
    view = _Progress() if rank0 else None
    try:
        result = core_train(cfg, resume=resume, on_log=view.row if view else None,
                            log=say if rank0 else None,
                            on_start=view.start if view else None)
    finally:
        if view is not None:
            view.stop()
    if rank0:
        say(f"done: {result.steps} steps, loss {result.loss if result.loss is not None else float('nan'):.4f}, "
                  f"{result.samples_per_s:.1f} samples/s, {result.skipped} videos skipped; checkpoint "
                  f"{result.checkpoint}")
        emit(result.to_dict())


class _Progress:
    """Rich progress on stderr (a live bar on a terminal, a plain line every ~5% otherwise)."""

    def __init__(self):
        self.bar = None
        self.task = None
        self.total = 0
        self.every = 1

    def start(self, trainer) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.total = trainer.total_steps
        self.every = max(1, self.total // 20)
        c = trainer.cfg
        say(f"training {trainer.env.world} process(es) x batch {c.batch_size} x accumulate {c.accum_grad_iters}, "
            f"{self.total} optimizer steps, {len(trainer.dataset)} records -> {c.out_dir}")
        if err.is_terminal:
            self.bar = Progress(TextColumn("step"), MofNCompleteColumn(), BarColumn(),
                                TextColumn("loss {task.fields[loss]}  lr {task.fields[lr]}  {task.fields[rate]}"),
                                TimeRemainingColumn(), console=err)
            self.task = self.bar.add_task("train", total=self.total, completed=trainer.step, loss="-", lr="-", rate="")
            self.bar.start()

    def row(self, row: dict) -> None:
        loss, lr, rate = f"{row['loss']:.4f}", f"{row['lr']:.2e}", f"{row['samples_per_s']:.1f} samples/s"
        if self.bar is not None:
            self.bar.update(self.task, completed=row["step"], loss=loss, lr=lr, rate=rate)
        elif row["step"] % self.every == 0 or row["step"] == self.total:
            err.print(f"step {row['step']}/{self.total}  loss {loss}  lr {lr}  {rate}  eta {row['eta_s']:.0f} s",
                      markup=False)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
