"""Training checkpoints: written atomically, readable by the reference's tools, resumable exactly.

    <out_dir>/checkpoints/
        latest                     name of the newest complete checkpoint (written last)
        step_00000400/
            timechat.pth           {"model": trainable weights with the reference's names, "epoch", "step"}
                                   (the layout of `timechat_7b.pth`; LAVIS/TimeChat load it as `ckpt`)
            model/                 the project's model folder (config.yaml, model.safetensors, adapter/, ...)
            state.pt               trainable weights (our names), optimizer, GradScaler, iteration,
                                   data position, skip count, world size
            rng_rank{R}.pt         python / numpy / torch (/ CUDA) RNG states of process R

A checkpoint is assembled in `.step_N.part/` and renamed when every process has written its part;
`latest` is replaced after the rename, so a run killed at any moment leaves the previous
checkpoint intact and `latest` pointing at a complete one.

Every file holds tensors and plain containers only (the numpy RNG state as a list), so a resume reads
them with `torch.load(weights_only=True)`: a run folder from elsewhere cannot execute code. A file
that needs full unpickling (a planted payload, or a checkpoint written before this format) is refused.
"""

from __future__ import annotations

import os
import pickle
import random
import re
import shutil
from pathlib import Path

import numpy as np
import torch

from timechat_core.errors import InputError

LATEST = "latest"
REFERENCE = "timechat.pth"
STATE = "state.pt"
MODEL = "model"


def step_name(step: int) -> str:
    return f"step_{step:08d}"


def rng_state(device: torch.device) -> dict:
    """This process's RNG states as tensors, ints and lists (what `torch.load(weights_only=True)` reads)."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    state = {"python": random.getstate(), "numpy": [kind, keys.tolist(), pos, has_gauss, gauss],
             "torch": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def set_rng_state(state: dict, device: torch.device) -> None:
    random.setstate(state["python"])
    kind, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((kind, np.array(keys, dtype=np.uint32), pos, has_gauss, gauss))
    torch.set_rng_state(state["torch"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)


def find_latest(out_dir: str | os.PathLike) -> Path | None:
    """The newest complete checkpoint of a run, or None."""
    root = Path(out_dir) / "checkpoints"
    pointer = root / LATEST
    if pointer.is_file():
        path = root / pointer.read_text(encoding="utf-8").strip()
        if (path / STATE).is_file():
            return path
    done = sorted(p for p in root.glob("step_*") if (p / STATE).is_file())
    return done[-1] if done else None


def resolve_resume(resume: str | None, out_dir: str | os.PathLike) -> Path | None:
    """`auto`: the latest checkpoint of `out_dir` if any; `never`/None: none; else a checkpoint folder."""
    if resume in (None, "never"):
        return None
    if resume == "auto":
        return find_latest(out_dir)
    path = Path(resume)
    if (path / "checkpoints").is_dir():
        found = find_latest(path)
        if found is None:
            raise InputError(f"{path}: no complete checkpoint to resume from")
        return found
    if not (path / STATE).is_file():
        raise InputError(f"{path}: not a training checkpoint (no {STATE})")
    return path


class CheckpointWriter:
    """Writes checkpoints of one run; every process calls `save` (each writes its RNG state)."""

    def __init__(self, out_dir: str | os.PathLike, rank: int, world: int, keep: int | None, barrier):
        self.root = Path(out_dir) / "checkpoints"
        self.rank, self.world, self.keep, self.barrier = rank, world, keep, barrier

    def save(self, step: int, *, reference: dict, state: dict, rng: dict, write_model_folder=None) -> Path:
        """Write checkpoint `step`.

        Args:
            reference: the `timechat.pth` object (rank 0's is written).
            state: the `state.pt` object (rank 0's is written).
            rng: this process's RNG states.
            write_model_folder: rank 0 calls it with the folder path to write the model folder.
        """
        final = self.root / step_name(step)
        tmp = self.root / f".{step_name(step)}.part"
        if self.rank == 0:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
        self.barrier()
        torch.save(rng, tmp / f"rng_rank{self.rank}.pt")
        if self.rank == 0:
            torch.save(reference, tmp / REFERENCE)
            torch.save(state, tmp / STATE)
            if write_model_folder is not None:
                write_model_folder(tmp / MODEL)
        self.barrier()
        if self.rank == 0:
            _fsync_dir(tmp)
            if final.exists():
                shutil.rmtree(final)
            os.replace(tmp, final)
            from timechat_core.fileio import write_text_atomic

            write_text_atomic(self.root / LATEST, final.name + "\n")
            self._prune()
        self.barrier()
        return final

    def _prune(self) -> None:
        if not self.keep:
            return
        done = sorted(p for p in self.root.glob("step_*") if p.is_dir())
        for old in done[:-self.keep]:
            shutil.rmtree(old, ignore_errors=True)


def _fsync_dir(folder: Path) -> None:
    """Flush the checkpoint's files before the rename makes it visible."""
    for path in folder.iterdir():
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())


def load(path: Path, rank: int) -> tuple[dict, dict | None]:
    """(state, this rank's RNG states or None when the checkpoint came from fewer processes).

    Raises:
        InputError: a file that is not tensors and plain containers (it would need full unpickling,
            which can run code), or that cannot be read.
    """
    state = read_safely(path / STATE)
    rng_file = path / f"rng_rank{rank}.pt"
    rng = read_safely(rng_file) if rng_file.is_file() else None
    return state, rng


def read_safely(file: Path) -> dict:
    """A checkpoint file read with `torch.load(weights_only=True)`: tensors and plain containers only."""
    try:
        obj = torch.load(file, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        found = re.search(r"GLOBAL (\S+)", str(e))
        what = f"`{found.group(1)}`, which" if found else "objects that"
        raise InputError(f"{file}: refused: it holds {what} only full unpickling restores (and unpickling can run "
                         "code); resume only from checkpoints this version of timechat wrote") from None
    except (OSError, RuntimeError, EOFError) as e:
        raise InputError(f"{file}: cannot read the checkpoint ({type(e).__name__}: {str(e).splitlines()[0][:200]})") from None
    if not isinstance(obj, dict):
        raise InputError(f"{file}: not a timechat checkpoint (a {type(obj).__name__}, not a dict)")
    return obj
