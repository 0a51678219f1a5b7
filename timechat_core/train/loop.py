"""The training loop: one process or many (torchrun), DDP or FSDP, exact resume.

Reference: LAVIS `RunnerBase` + `BaseTask.train_inner_loop` as TimeChat runs them
(`docs/reference-model.md` §2.7, §2.10, §3):

- the lr is set every iteration (micro-batch) from the global iteration count; the optimizer steps
  when `(i + 1) % accum_grad_iters == 0` with `i` the iteration within the epoch (a remainder of an
  epoch carries its gradients into the next epoch, as in the reference); the loss is divided by
  `accum_grad_iters`;
- on CUDA the forward runs under fp16 autocast with a GradScaler (`precision: auto`), bf16 without a
  scaler as an option; on CPU everything is fp32;
- process seed `seed + rank`; DDP averages gradients over processes.

Core code never prints: progress goes to the `on_log` callback (rank 0 only) and to
`<out_dir>/metrics.jsonl`; messages to `log` (rank 0 only).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from timechat_core.devices import DTYPES, resolve_device, resolve_dtype
from timechat_core.errors import InputError, TimechatError
from timechat_core.train import checkpoint as ckpt
from timechat_core.train.config import TrainConfig, flatten
from timechat_core.train.data import Batch, Batches, Collator, TrainDataset, loader, read_records
from timechat_core.train.optim import learning_rate, make_optimizer, set_lr


# -----------------------------------------------------------------------------------------------
# processes and devices
# -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Env:
    rank: int
    world: int
    local_rank: int
    device: torch.device

    @property
    def distributed(self) -> bool:
        return self.world > 1

    def barrier(self) -> None:
        if self.distributed:
            torch.distributed.barrier()


def init_env(device: str = "auto") -> Env:
    """Read torchrun's environment; join the process group (NCCL on CUDA, gloo on CPU)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    dev = resolve_device(device)
    use_cuda = dev.type == "cuda"
    if use_cuda:
        torch.cuda.set_device(dev)
    else:
        # Subnormal floats appear in the Adam moments of a small model after a few steps and make
        # x86 CPUs 10-100x slower (measured: 3.6 s instead of 0.06 s per tiny iteration).
        torch.set_flush_denormal(True)
    if world > 1 and not torch.distributed.is_initialized():
        torch.distributed.init_process_group("nccl" if use_cuda else "gloo")
    return Env(rank, world, local, dev)


def resolve_precision(precision: str, device: torch.device) -> str:
    if precision == "auto":
        return "fp16" if device.type == "cuda" else "fp32"
    if precision == "fp16" and device.type != "cuda":
        raise InputError("precision: fp16 (autocast + GradScaler) needs CUDA; use fp32 or bf16 on CPU")
    return precision


# -----------------------------------------------------------------------------------------------
# the model
# -----------------------------------------------------------------------------------------------
def build_model(cfg: TrainConfig, device: torch.device):
    """(model, processor) at the configured start, with the reference's trainable set."""
    from timechat_core.model.config import resolve_model_config

    m = cfg.model
    llm_dtype = resolve_dtype(m.llm_dtype, device)
    overrides = flatten(m.overrides)
    if m.init == "folder":
        from timechat_core.model.folder import load_model_folder

        model, processor = load_model_folder(m.folder, dtype=llm_dtype, device=device, trainable=True, **overrides)
    elif m.init == "reference":
        from timechat_core.model.convert_lavis import ReferenceFiles, load_reference

        r = m.reference
        files = ReferenceFiles(vit=r.vit, qformer=r.qformer, llm=r.llm, video_llama=r.video_llama,
                               checkpoint=r.checkpoint, bert=r.bert)
        model, processor, _ = load_reference(files, resolve_model_config(m.config, overrides), dtype=llm_dtype,
                                             device=str(device), trainable=True)
    else:
        from timechat_core.model.folder import random_model

        model, processor = random_model(resolve_model_config(m.config, overrides), m.llama_tokenizer, seed=m.seed,
                                        dtype=llm_dtype, trainable=True)
        model.place(device)
    processor.max_txt_len = cfg.data.max_txt_len
    freeze(model, cfg.freeze)
    if not cfg.dropout:
        disable_dropout(model)
    if cfg.gradient_checkpointing:
        enable_gradient_checkpointing(model)
    return model, processor


def freeze(model: nn.Module, prefixes: tuple[str, ...]) -> None:
    """`requires_grad = False` on every parameter named `prefix` or under `prefix.`, for each of `prefixes`."""
    for prefix in prefixes:
        hits = [p for n, p in model.named_parameters() if n == prefix or n.startswith(prefix + ".")]
        if not hits:
            tops = sorted({n.split(".")[0] for n, _ in model.named_parameters()})
            raise InputError(f"freeze: no parameter is named {prefix!r} or under it (top level: {', '.join(tops)})")
        for p in hits:
            p.requires_grad_(False)


def disable_dropout(model: nn.Module) -> None:
    """Every dropout to p = 0, so the training forward draws no random numbers: the `nn.Dropout`
    modules (Q-Former hidden states, LoRA) and the float `attention_dropout` that transformers'
    attention functions read (the Q-Formers' attention probabilities)."""
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.p = 0.0
        if isinstance(getattr(module, "attention_dropout", None), float):
            module.attention_dropout = 0.0


def enable_gradient_checkpointing(model: nn.Module) -> None:
    """Activation recomputation in the LLM and both Q-Formers (non-reentrant: works with frozen inputs)."""
    llm = model.language_model
    base = llm.get_base_model() if hasattr(llm, "get_base_model") else llm
    for part in (base, model.qformer, model.video_qformer):
        if getattr(part, "supports_gradient_checkpointing", False):
            part.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})


class TrainStep(nn.Module):
    """The loss of one collated batch; the module DDP/FSDP wrap.

    Videos with equal frame counts go through `TimeChatModel.forward` as one batch; otherwise each
    video is encoded on its own with its rows of the batch-padded timestamp ids (the reference's
    list path), spliced row by row, and the LLM runs on the whole batch.
    """

    def __init__(self, model, image_token_id: int, autocast: Callable[[], contextlib.AbstractContextManager]):
        super().__init__()
        self.model = model
        self.image_token_id = image_token_id
        self.autocast = autocast

    def forward(self, pixel_values: list[torch.Tensor], qformer_input_ids, qformer_attention_mask, input_ids,
                attention_mask, labels) -> torch.Tensor:
        m = self.model
        with self.autocast():
            lengths = [p.shape[0] for p in pixel_values]
            if len(set(lengths)) == 1:
                return m(torch.stack(pixel_values), qformer_input_ids, qformer_attention_mask, input_ids,
                         attention_mask, labels, self.image_token_id)["loss"]
            rows, start = [], 0
            for b, (pv, t) in enumerate(zip(pixel_values, lengths)):
                tokens = m.encode_video(pv[None], qformer_input_ids[start:start + t],
                                        qformer_attention_mask[start:start + t])
                rows.append(m.splice_video(input_ids[b:b + 1], tokens, self.image_token_id))
                start += t
            return m.lm_loss(torch.cat(rows), attention_mask, labels)["loss"]


def wrap(step: TrainStep, env: Env, strategy: str) -> nn.Module:
    """DDP (the reference's engine) or FSDP around the step module; unchanged on one process."""
    if not env.distributed:
        return step
    if strategy == "fsdp":
        # FSDP2 (per-parameter sharding: frozen and trained weights may share a unit; runs on gloo/CPU too)
        from torch.distributed.fsdp import fully_shard
        from transformers.models.llama.modeling_llama import LlamaDecoderLayer

        for module in step.modules():
            if isinstance(module, LlamaDecoderLayer):
                fully_shard(module)
        return fully_shard(step)
    from torch.nn.parallel import DistributedDataParallel as DDP

    return DDP(step, device_ids=[env.device.index] if env.device.type == "cuda" else None)


# -----------------------------------------------------------------------------------------------
# the run
# -----------------------------------------------------------------------------------------------
@dataclass
class Result:
    out_dir: str
    checkpoint: str | None
    steps: int
    iterations: int
    loss: float | None
    skipped: int
    samples_per_s: float
    world_size: int
    resumed_from: str | None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class Trainer:
    """Set up and run one training run.

    Args:
        cfg: the resolved `TrainConfig`.
        resume: "auto" (the latest checkpoint of `out_dir`, if any), "never", or a checkpoint folder.
        on_log: called on rank 0 with each metrics row (also written to metrics.jsonl).
        log: called on rank 0 with messages (skipped videos, resume notes).
    """

    def __init__(self, cfg: TrainConfig, resume: str | None = "auto", on_log: Callable[[dict], None] | None = None,
                 log: Callable[[str], None] | None = None):
        self.cfg = cfg
        self.env = init_env(cfg.device)
        rank0 = self.env.rank == 0
        self.on_log = on_log if rank0 else None
        self.log = (log or (lambda _msg: None)) if rank0 else (lambda _msg: None)
        self.out = Path(cfg.out_dir)
        self.resume_path = ckpt.resolve_resume(resume, self.out)
        self.precision = resolve_precision(cfg.precision, self.env.device)

        records = read_records(cfg.data.train)
        self.model, self.processor = build_model(cfg, self.env.device)
        self._check_timestamp_tokenizer()
        self.dataset = TrainDataset(records, self.model.config, cfg.data, cfg.seed)
        lengths = [sum(len(q) + len(a) for q, a in r.qa) for r in records] if cfg.data.group_by_length else None
        self.batches = Batches(len(records), cfg.batch_size, self.env.world, self.env.rank, cfg.seed, cfg.data.shuffle,
                               lengths, cfg.data.group_by_length, cfg.accum_grad_iters)
        self.iters_per_epoch = cfg.iters_per_epoch or self.batches.per_epoch
        self.total_iters = cfg.max_epoch * self.iters_per_epoch
        self.end_iter = min(self.total_iters, cfg.max_iters) if cfg.max_iters else self.total_iters

        self.model.train()
        self.model.vision_model.eval()  # the reference runs the frozen ViT in eval mode
        self.step_module = TrainStep(self.model, self.processor.image_token_id, self._autocast)
        self.engine = wrap(self.step_module, self.env, cfg.strategy)
        # after wrapping: FSDP2 swaps the parameters for sharded DTensors in place
        self.trainable = [(n, p) for n, p in self.model.named_parameters() if p.requires_grad]
        self.optimizer = make_optimizer(self.trainable, cfg.optim)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.precision == "fp16")
        self.iteration = self.step = self.skipped = 0
        self.writer = ckpt.CheckpointWriter(self.out, self.env.rank, self.env.world, cfg.keep_checkpoints,
                                            self.env.barrier)
        torch.manual_seed(cfg.seed + self.env.rank)
        random.seed(cfg.seed + self.env.rank)
        np.random.seed(cfg.seed + self.env.rank)
        if self.resume_path is not None:
            self._restore(self.resume_path)
        if rank0:
            self._write_config()
        self.tb = self._tensorboard() if rank0 and cfg.tensorboard else None

    def _check_timestamp_tokenizer(self) -> None:
        """The reference trains the image Q-Former on LLaMA ids of "This frame is sampled at t second." and
        evaluates it on BERT ids; say so, and refuse LLaMA ids the Q-Former's embedding cannot hold."""
        config = self.model.config
        if config.train_timestamp_tokenizer != "llama" or not config.timestamp_text:
            return
        ids = self.processor.llama("This frame is sampled at 1234567890.5 second.",  # every digit
                                  add_special_tokens=False).input_ids
        if max(ids) >= config.qformer.vocab_size:
            raise InputError(f"train_timestamp_tokenizer: llama gives the image Q-Former LLaMA token ids up to "
                             f"{max(ids)}, beyond its vocabulary of {config.qformer.vocab_size}: set "
                             f"train_timestamp_tokenizer: bert in the model config")
        self.log("note: the image Q-Former reads LLaMA token ids of the timestamp text in training and BERT ids at "
                 "inference, as the reference does (train_timestamp_tokenizer: bert makes them agree)")

    # -- precision ------------------------------------------------------------------------------
    def _autocast(self):
        if self.precision == "fp32":
            return contextlib.nullcontext()
        return torch.autocast(self.env.device.type, dtype=DTYPES[self.precision])

    # -- bookkeeping ----------------------------------------------------------------------------
    def _write_config(self) -> None:
        from timechat_core.fileio import write_text_atomic

        write_text_atomic(self.out / "config.yaml", self.cfg.to_yaml())
        write_text_atomic(self.out / "model_config.yaml", self.model.config.to_yaml())

    def _tensorboard(self):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:  # tensorboard is optional
            return None
        return SummaryWriter(str(self.out / "tensorboard"), purge_step=self.step or None)

    def _metrics(self, row: dict) -> None:
        if self.env.rank != 0:
            return
        with open(self.out / "metrics.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
        if self.tb is not None:
            for key in ("loss", "lr", "samples_per_s", "grad_norm"):
                if row.get(key) is not None:
                    self.tb.add_scalar(f"train/{key}", row[key], row["step"])
        if self.on_log is not None:
            self.on_log(row)

    # -- state ----------------------------------------------------------------------------------
    def _trainable_state(self) -> dict[str, torch.Tensor]:
        """Our names -> fp32 CPU tensors of the trainable weights (gathered under FSDP)."""
        if self.cfg.strategy == "fsdp" and self.env.distributed:
            from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

            sd = get_model_state_dict(self.engine, options=StateDictOptions(
                full_state_dict=True, cpu_offload=True, ignore_frozen_params=True))
            return {k.removeprefix("model."): v for k, v in sd.items()}
        return {n: p.detach().to("cpu", copy=True) for n, p in self.trainable}

    def _optimizer_state(self) -> dict:
        from torch.distributed.checkpoint.state_dict import StateDictOptions, get_optimizer_state_dict

        return get_optimizer_state_dict(self.engine, self.optimizer,
                                        options=StateDictOptions(full_state_dict=True, cpu_offload=True))

    def save(self) -> Path:
        from timechat_core.model.convert_lavis import to_reference

        weights = self._trainable_state()
        optim_state = self._optimizer_state()
        epoch = self.iteration // self.iters_per_epoch
        state = {"trainable": weights, "optimizer": optim_state, "scaler": self.scaler.state_dict(),
                 "iteration": self.iteration, "step": self.step, "data_position": self.iteration,
                 "skipped": self.skipped, "world_size": self.env.world, "global_batch": self._global_batch(),
                 "config": self.cfg.to_dict()}
        reference = {"model": to_reference(weights), "epoch": epoch, "step": self.step}
        folder = None
        if self.cfg.save_model_folder and not (self.cfg.strategy == "fsdp" and self.env.distributed):
            from timechat_core.model.folder import save_model_folder

            def folder(path):
                save_model_folder(self.model, self.processor, path, overwrite=True,
                                  provenance={"trained": str(self.out), "step": self.step})
        return self.writer.save(self.step, reference=reference, state=state, rng=ckpt.rng_state(self.env.device),
                                write_model_folder=folder)

    def _global_batch(self) -> int:
        return self.cfg.batch_size * self.cfg.accum_grad_iters * self.env.world

    def _restore(self, path: Path) -> None:
        from torch.distributed.checkpoint.state_dict import (StateDictOptions, set_model_state_dict,
                                                             set_optimizer_state_dict)

        state, rng = ckpt.load(path, self.env.rank)
        weights = state["trainable"]
        own = {n for n, _ in self.trainable}
        if set(weights) != own:
            raise InputError(f"{path}: its trainable weights do not fit this model "
                             f"({len(set(weights) - own)} unexpected, {len(own - set(weights))} missing)")
        if self.cfg.strategy == "fsdp" and self.env.distributed:
            opts = StateDictOptions(full_state_dict=True, strict=False)
            set_model_state_dict(self.engine, {f"model.{k}": v for k, v in weights.items()}, options=opts)
        else:
            with torch.no_grad():
                for n, p in self.trainable:
                    p.copy_(weights[n].to(p.device))
        set_optimizer_state_dict(self.engine, self.optimizer, state["optimizer"],
                                 options=StateDictOptions(full_state_dict=True))
        self.scaler.load_state_dict(state["scaler"])
        self.iteration, self.step, self.skipped = state["iteration"], state["step"], state["skipped"]
        if state.get("global_batch") != self._global_batch() or state.get("world_size") != self.env.world:
            self.log(f"note: {path} was written with {state.get('world_size')} processes and global batch "
                     f"{state.get('global_batch')}; now {self.env.world} and {self._global_batch()}: the data order "
                     "and the random draws differ from an uninterrupted run")
        if rng is not None and state.get("world_size") == self.env.world:
            ckpt.set_rng_state(rng, self.env.device)
        if self.env.rank == 0:
            self._truncate_metrics()
        self.log(f"resumed from {path} (step {self.step}, iteration {self.iteration})")

    def _truncate_metrics(self) -> None:
        """Drop the rows a killed run wrote after its last checkpoint."""
        from timechat_core.fileio import write_text_atomic

        path = self.out / "metrics.jsonl"
        if not path.is_file():
            return
        keep = [line for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip() and json.loads(line).get("step", 0) <= self.step]
        write_text_atomic(path, "".join(line + "\n" for line in keep))

    # -- the loop -------------------------------------------------------------------------------
    @property
    def total_steps(self) -> int:
        """Optimizer steps of the whole run (for progress bars)."""
        full, rest = divmod(self.end_iter, self.iters_per_epoch)
        return full * (self.iters_per_epoch // self.cfg.accum_grad_iters) + rest // self.cfg.accum_grad_iters

    def run(self) -> Result:
        cfg, env = self.cfg, self.env
        accum = cfg.accum_grad_iters
        data = iter(loader(self.dataset, self.batches, Collator(self.processor), self.iteration,
                           cfg.data.num_workers))
        losses: list[torch.Tensor] = []
        window_samples, window_t0 = 0, time.perf_counter()
        run_samples, run_t0 = 0, time.perf_counter()
        start_step, last_loss, last_saved = self.step, None, None
        while self.iteration < self.end_iter:
            lr = learning_rate(self.iteration, cfg.optim, self.total_iters)
            set_lr(self.optimizer, lr)
            batch: Batch = next(data)
            self._note_skips(batch)
            sync = (self.iteration % self.iters_per_epoch + 1) % accum == 0
            loss = self._backward(batch.to(env.device), accum, sync)
            losses.append(loss)
            window_samples += len(batch)
            run_samples += len(batch)
            self.iteration += 1
            if not sync:
                continue
            grad_norm = self._optimizer_step()
            self.step += 1
            if self.step % cfg.log_every == 0 or self.iteration >= self.end_iter:
                now = time.perf_counter()
                stats = self._reduce([torch.stack(losses).mean().item(), float(window_samples), float(self.skipped)])
                last_loss = stats[0] / env.world
                rate = stats[1] / max(now - window_t0, 1e-9)
                left = self.total_steps - self.step
                elapsed = now - run_t0
                eta = elapsed / max(self.step - start_step, 1) * left
                self._metrics({"step": self.step, "iteration": self.iteration,
                               "epoch": self.iteration / self.iters_per_epoch, "loss": last_loss, "lr": lr,
                               "samples_per_s": rate, "grad_norm": grad_norm, "skipped": int(stats[2]),
                               "eta_s": eta, "time": time.time()})
                window_samples, window_t0 = 0, now
            losses = []
            if cfg.save_every and self.step % cfg.save_every == 0:
                last_saved = self.save()
        if last_saved is None or last_saved.name != ckpt.step_name(self.step):
            last_saved = self.save()
        total_skipped = int(self._reduce([float(self.skipped)])[0])
        if self.tb is not None:
            self.tb.close()
        rate = self._reduce([float(run_samples)])[0] / max(time.perf_counter() - run_t0, 1e-9)
        return Result(str(self.out), str(last_saved) if last_saved else None, self.step, self.iteration, last_loss,
                      total_skipped, rate, env.world, str(self.resume_path) if self.resume_path else None)

    def _note_skips(self, batch: Batch) -> None:
        for message in batch.skipped:
            self.skipped += 1
            self.log(f"skipped unreadable video: {message}")

    def _backward(self, batch: Batch, accum: int, sync: bool) -> torch.Tensor:
        if not self.env.distributed:
            ctx = contextlib.nullcontext()
        elif self.cfg.strategy == "fsdp":
            self.engine.set_requires_gradient_sync(sync)  # FSDP2: reduce-scatter only on the last micro-batch
            ctx = contextlib.nullcontext()
        else:
            ctx = contextlib.nullcontext() if sync else self.engine.no_sync()
        with ctx:
            if len(batch) == 0:
                # every record of this micro-batch was unreadable: a zero loss keeps the processes in step
                loss = sum(p.sum() * 0.0 for _, p in self.trainable)
            else:
                loss = self.engine(batch.pixel_values, batch.qformer_input_ids, batch.qformer_attention_mask,
                                   batch.input_ids, batch.attention_mask, batch.labels)
            if not torch.isfinite(loss) and self.precision != "fp16":
                raise TimechatError(f"loss is {loss.item()} at iteration {self.iteration}")
            self.scaler.scale(loss / accum).backward()
        return loss.detach().float()

    def _optimizer_step(self) -> float | None:
        grad_norm = None
        if self.cfg.optim.max_grad_norm is not None:
            self.scaler.unscale_(self.optimizer)
            params = [p for g in self.optimizer.param_groups for p in g["params"]]
            norm = torch.nn.utils.clip_grad_norm_(params, self.cfg.optim.max_grad_norm)
            grad_norm = float(norm.full_tensor() if hasattr(norm, "full_tensor") else norm)  # FSDP2: a DTensor
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.optimizer.zero_grad(set_to_none=True)
        return grad_norm

    def _reduce(self, values: list[float]) -> list[float]:
        """Sums over processes."""
        if not self.env.distributed:
            return values
        t = torch.tensor(values, dtype=torch.float64, device=self.env.device)
        torch.distributed.all_reduce(t)
        return t.tolist()

    def close(self) -> None:
        if self.env.distributed and torch.distributed.is_initialized():
            # every rank leaves together: a rank tearing gloo down while another is still in its last
            # collective aborted the process at exit ("terminate called without an active exception")
            torch.distributed.barrier()
            torch.distributed.destroy_process_group()


def train(cfg: TrainConfig, resume: str | None = "auto", on_log=None, log=None, on_start=None) -> Result:
    """Run `cfg` to the end (or resume it); returns the summary (same on every process)."""
    trainer = Trainer(cfg, resume=resume, on_log=on_log, log=log)
    try:
        if on_start is not None and trainer.env.rank == 0:
            on_start(trainer)
        return trainer.run()
    finally:
        trainer.close()
