"""Training data: TimeIT / Valley records -> sampled, augmented frames + the llama-2 training conversation.

Reference (`Video_Instruct_Dataset`, `alpro_video_train`; `docs/reference-model.md` §2.8-2.9):

- frames with the `rand` strategy (`timechat_core.video.sampling`), squashed to the model's image
  size by the decoder;
- `RandomResizedCropVideo(size, scale=(0.5, 1), ratio=(3/4, 4/3))` with bicubic `F.interpolate`
  (`align_corners=False`) on the whole clip, then `ToUint8` **without clamping**: values outside
  [0, 255] wrap around (-1.5 -> 255, 256.2 -> 0), then /255 and the CLIP normalisation;
- the first question gets `<Video>` + `<ImageHere>` * Nv + `</Video> ` + the frame-time message;
  the llama-2 template with system " " (`timechat_core.model.processor.training_conversation`);
- collation as the reference's `collater`: ids padded with 0, labels with -100, mask = ids != 0;
  timestamp ids tokenized per record and re-padded together.

Every random draw of a record (frame indices, crop) is seeded from (seed, epoch, record index) only,
so the data a record yields does not depend on the number of processes, workers, or on resuming.
An unreadable or missing video is skipped: the next record (in dataset order) takes its place and
the skip is reported with the batch.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from timechat_core.errors import InputError, MediaError

MAX_REPLACEMENTS = 32
"""Consecutive unreadable videos tolerated before a record gives up (then the batch is smaller)."""


@dataclass(frozen=True)
class Record:
    video: str
    qa: tuple[tuple[str, str], ...]
    where: str
    """file:line or file[index], for messages."""


def read_records(paths: Sequence[str | os.PathLike]) -> list[Record]:
    """TimeIT JSON/JSONL (`{"video", "QA": [{"q", "a"}]}`) or Valley conversations
    (`{"video", "conversations": [{"from": "human", "value"}, {"from": "gpt", "value"}]}`).

    Raises:
        InputError: every malformed record of every file, at once (file:line named).
    """
    from timechat_core.fileio import read_json, read_jsonl_located

    records, problems = [], []
    for path in paths:
        path = Path(path)
        if path.suffix.lower() == ".jsonl":
            rows = read_jsonl_located(path)
        else:
            data = read_json(path)
            if not isinstance(data, list):
                problems.append(f"{path}: expected a JSON list of records")
                continue
            rows = [(f"{path}[{i}]", row) for i, row in enumerate(data)]
        for where, row in rows:
            rec = _record(row, where)
            if isinstance(rec, str):
                problems.append(rec)
            else:
                records.append(rec)
    if problems:
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        raise InputError("unusable training records: " + "; ".join(problems[:20]) + more)
    if not records:
        raise InputError("no training records in " + ", ".join(str(p) for p in paths))
    return records


def _record(row, where: str) -> Record | str:
    if not isinstance(row, dict) or not isinstance(row.get("video"), str) or not row["video"]:
        return f"{where}: a record needs a 'video' path"
    if "QA" in row:
        turns = row["QA"]
        if not isinstance(turns, list) or not turns or not all(
                isinstance(t, dict) and isinstance(t.get("q"), str) and isinstance(t.get("a"), str) for t in turns):
            return f"{where}: 'QA' must be a non-empty list of {{'q', 'a'}} strings"
        return Record(row["video"], tuple((t["q"], t["a"]) for t in turns), where)
    turns = row.get("conversations")
    if isinstance(turns, list) and turns and len(turns) % 2 == 0 and all(
            isinstance(t, dict) and isinstance(t.get("value"), str) for t in turns):
        qa = []
        for human, gpt in zip(turns[::2], turns[1::2]):
            if human.get("from") != "human" or gpt.get("from") != "gpt":
                return f"{where}: conversation turns must alternate 'human' and 'gpt'"
            qa.append((human["value"].replace("<video>\n", "").replace("\n<video>", ""), gpt["value"]))
        return Record(row["video"], tuple(qa), where)
    return f"{where}: needs 'QA' [{{'q', 'a'}}] or 'conversations' [human/gpt turns]"


def sample_seed(seed: int, epoch: int, index: int) -> int:
    """A 31-bit seed for one record's draws in one data epoch."""
    digest = hashlib.blake2b(f"{seed}/{epoch}/{index}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "little") & 0x7FFFFFFF


# -----------------------------------------------------------------------------------------------
# the reference's train transform
# -----------------------------------------------------------------------------------------------
def crop_params(height: int, width: int, scale: Sequence[float], ratio: Sequence[float],
                generator: torch.Generator) -> tuple[int, int, int, int]:
    """torchvision `RandomResizedCrop.get_params` (10 tries, then the central crop), on `generator`."""
    area = height * width
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target = area * torch.empty(1).uniform_(scale[0], scale[1], generator=generator).item()
        aspect = math.exp(torch.empty(1).uniform_(log_ratio[0], log_ratio[1], generator=generator).item())
        w = int(round(math.sqrt(target * aspect)))
        h = int(round(math.sqrt(target / aspect)))
        if 0 < w <= width and 0 < h <= height:
            i = int(torch.randint(0, height - h + 1, (1,), generator=generator).item())
            j = int(torch.randint(0, width - w + 1, (1,), generator=generator).item())
            return i, j, h, w
    in_ratio = width / height
    if in_ratio < min(ratio):
        w, h = width, int(round(width / min(ratio)))
    elif in_ratio > max(ratio):
        h, w = height, int(round(height * max(ratio)))
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


def wrap_uint8(x: torch.Tensor) -> torch.Tensor:
    """`tensor.to(torch.uint8)` as the reference's x86 run does it: truncate toward zero, wrap modulo 256.

    Written out because a float -> uint8 cast of out-of-range values is undefined in C++ and differs
    between CPUs; bicubic overshoot makes such values (`docs/reference-model.md` §2.8).
    """
    return torch.remainder(x.trunc().to(torch.int64), 256).to(torch.uint8)


def train_transform(frames_uint8: torch.Tensor, size: int, scale: Sequence[float], ratio: Sequence[float],
                    generator: torch.Generator) -> torch.Tensor:
    """(T, H, W, 3) uint8 -> (T, H, W, 3) uint8: RandomResizedCropVideo + bicubic resize + ToUint8 (wrapping)."""
    clip = frames_uint8.permute(3, 0, 1, 2).float()  # (C, T, H, W), as the reference's load_video
    i, j, h, w = crop_params(clip.shape[-2], clip.shape[-1], scale, ratio, generator)
    crop = clip[..., i:i + h, j:j + w]
    resized = torch.nn.functional.interpolate(crop, size=(size, size), mode="bicubic", align_corners=False)
    return wrap_uint8(resized).permute(1, 2, 3, 0).contiguous()  # ToTHWC


@dataclass
class Sample:
    index: int
    """The record actually used (differs from the requested one after a skip)."""
    pixel_values: torch.Tensor
    """(T, 3, H, W) normalised."""
    conversation: str
    frame_texts: list[str]
    skipped: list[str] = field(default_factory=list)
    """`where: video: reason` of every unreadable video skipped to get this sample."""


class TrainDataset(torch.utils.data.Dataset):
    """Map-style dataset of training samples; `dataset[(epoch, index)]` or `dataset[index]` (epoch 0).

    Args:
        records: from `read_records`.
        model_config: the model's `TimeChatConfig` (frames, image size, normalisation, video tokens).
        data: the `DataConfig`.
        seed: the run's seed.
    """

    def __init__(self, records: Sequence[Record], model_config, data, seed: int):
        self.records = list(records)
        self.model_config = model_config
        self.data = data
        self.seed = seed
        self.num_frames = model_config.num_frames
        self.size = model_config.vision.image_size
        self.video_root = Path(data.video_root) if data.video_root else None
        self._asr = None
        self._frames: dict = {}
        """Path -> every decoded frame of the video (`data.cache_frames`)."""
        if data.asr_dir:
            from timechat_core.asr.transcript import TranscriptFolder  # the lookup build-timeit uses

            self._asr = TranscriptFolder(Path(data.asr_dir))

    def __len__(self) -> int:
        return len(self.records)

    def video_path(self, rec: Record) -> Path:
        p = Path(rec.video)
        return p if p.is_absolute() or self.video_root is None else self.video_root / p

    def __getitem__(self, key) -> Sample | None:
        epoch, index = key if isinstance(key, tuple) else (0, key)
        skipped = []
        for k in range(min(MAX_REPLACEMENTS, len(self.records))):
            i = (index + k) % len(self.records)
            try:
                sample = self.load(epoch, i)
            except MediaError as e:
                skipped.append(f"{self.records[i].where}: {e}")
                continue
            sample.skipped = skipped
            return sample
        return Sample(index, torch.empty(0), "", [], skipped)  # empty: dropped by the collator

    def load(self, epoch: int, index: int) -> Sample:
        """One record with its draws for `epoch`.

        Raises:
            MediaError: the video is missing or cannot be decoded.
        """
        from timechat_core.model.processor import normalize_frames, training_conversation
        from timechat_core.video.frames import load_frames
        from timechat_core.video.sampling import frame_texts

        rec = self.records[index]
        seed = sample_seed(self.seed, epoch, index)
        if self.data.cache_frames:
            sampled = self._cached_frames(self.video_path(rec), seed)
        else:
            sampled = load_frames(self.video_path(rec), self.num_frames, self.size, strategy="rand", seed=seed,
                                  backend=self.data.backend)
        frames = torch.from_numpy(sampled.frames)
        if self.data.augment:
            gen = torch.Generator().manual_seed(seed)
            frames = train_transform(frames, self.size, self.data.crop_scale, self.data.crop_ratio, gen)
        pixel_values = normalize_frames(frames, self.model_config.image_mean, self.model_config.image_std)
        qa = list(rec.qa)
        if self._asr is not None:
            from timechat_core.asr.inject import inject_asr

            segments = self._asr.segments(rec.video, "")
            qa = [(inject_asr(q, segments, mode=self.data.asr_mode), a) for q, a in qa]
        n_video = self.model_config.num_video_tokens(len(sampled.indices))
        msg = sampled.message if self.model_config.prompts.frame_time_message else ""
        conversation = training_conversation(qa, msg, n_video,
                                             video_last=self.model_config.prompts.video_after_instruction)
        return Sample(index, pixel_values, conversation, frame_texts(sampled.message))

    def _cached_frames(self, path: Path, seed: int):
        """`load_frames(path, ..., "rand", seed)` drawn from the video's decoded frames (decoded once)."""
        from timechat_core.video.frames import load_frames
        from timechat_core.video.sampling import frame_timestamps, sample_indices, timestamp_message

        full = self._frames.get(path)
        if full is None:  # every frame: uniform sampling of vlen frames out of vlen
            full = self._frames[path] = load_frames(path, 2 ** 31 - 1, self.size, "uniform", backend=self.data.backend)
        indices = [int(i) for i in sample_indices(full.vlen, self.num_frames, "rand", seed)]
        return dataclasses.replace(full, frames=full.frames[indices], indices=indices,
                                   timestamps=frame_timestamps(indices, full.fps),
                                   message=timestamp_message(indices, full.fps))


@dataclass
class Batch:
    """A collated micro-batch."""

    pixel_values: list[torch.Tensor]
    """Per video (T_i, 3, H, W); videos of different lengths are encoded separately, as the reference."""
    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    labels: torch.Tensor
    qformer_input_ids: torch.Tensor
    qformer_attention_mask: torch.Tensor
    indices: list[int]
    skipped: list[str]

    def __len__(self) -> int:
        return len(self.pixel_values)

    def to(self, device) -> "Batch":
        move = (lambda t: t.to(device, non_blocking=True))
        return Batch([move(p) for p in self.pixel_values], move(self.input_ids), move(self.attention_mask),
                     move(self.labels), move(self.qformer_input_ids), move(self.qformer_attention_mask),
                     self.indices, self.skipped)


class Collator:
    """Reference collation through `TimeChatProcessor.train_batch`; empty samples are dropped."""

    def __init__(self, processor):
        self.processor = processor

    def __call__(self, samples: Sequence[Sample]) -> Batch:
        skipped = [s for sample in samples for s in sample.skipped]
        kept = [s for s in samples if s.frame_texts]
        if not kept:
            empty = torch.zeros(0, 0, dtype=torch.long)
            return Batch([], empty, empty.bool(), empty, empty, empty, [], skipped)
        tb = self.processor.train_batch([s.conversation for s in kept], [s.frame_texts for s in kept])
        return Batch([s.pixel_values for s in kept], tb.input_ids, tb.attention_mask, tb.labels,
                     tb.qformer_input_ids, tb.qformer_attention_mask, [s.index for s in kept], skipped)


class Batches:
    """The deterministic stream of micro-batch index lists for one process.

    Each data epoch `e` shuffles the records with `seed + e` (as `DistributedSampler.set_epoch`) and
    pads by wrapping so every process gets the same number of batches. Global micro-batch `k` of an
    epoch is `order[k*W*B : (k+1)*W*B]` and process `r` takes its slice `[r*B, (r+1)*B)`, dropping a
    last partial batch (`drop_last=True`). So one process accumulating W*A micro-batches sees, per
    optimizer step, exactly the micro-batches W processes accumulating A see (the same records in the
    same groups, hence the same gradient); DistributedSampler's interleaved split would regroup them.
    Micro-batch `g` of the run is batch `g % per_epoch` of data epoch `g // per_epoch`.

    With `lengths` and `group` > 0 (`data.group_by_length`), each run of `group` optimizer steps' records
    (W*B*A each) of an epoch's order is sorted by length, longest first, and cut into steps, whose
    order in the run is shuffled with the epoch's seed: the same records per epoch, each step's
    micro-batches of similar lengths, and still the same steps for every (W, A) with the same W*A.
    """

    def __init__(self, n_records: int, batch_size: int, world: int, rank: int, seed: int, shuffle: bool,
                 lengths: Sequence[int] | None = None, group: int = 0, accum: int = 1):
        self.n, self.batch_size, self.world, self.rank = n_records, batch_size, world, rank
        self.seed, self.shuffle, self.accum = seed, shuffle, accum
        if group and (lengths is None or len(lengths) != n_records):
            raise ValueError("group_by_length needs one length per record")
        self.lengths, self.group = lengths, group
        self.per_epoch = math.ceil(n_records / world) // batch_size
        if self.per_epoch < 1:
            raise InputError(f"{n_records} records are too few for batch size {batch_size} on {world} processes")

    def epoch_order(self, epoch: int) -> list[list[int]]:
        """This process's batches of data epoch `epoch`."""
        if self.shuffle:
            order = torch.randperm(self.n, generator=torch.Generator().manual_seed(self.seed + epoch)).tolist()
        else:
            order = list(range(self.n))
        b, w = self.batch_size, self.world
        order = (order * math.ceil(self.per_epoch * w * b / self.n))[:self.per_epoch * w * b]
        if self.group:
            order = self._grouped(order, epoch)
        return [order[(k * w + self.rank) * b:(k * w + self.rank + 1) * b] for k in range(self.per_epoch)]

    def _grouped(self, order: list[int], epoch: int) -> list[int]:
        step = self.world * self.batch_size * self.accum
        rng = torch.Generator().manual_seed(self.seed + epoch)
        out = []
        for start in range(0, len(order), self.group * step):
            run = sorted(order[start:start + self.group * step], key=lambda i: -self.lengths[i])
            steps = [run[k:k + step] for k in range(0, len(run), step)]
            out += [i for k in torch.randperm(len(steps), generator=rng).tolist() for i in steps[k]]
        return out

    def iterate(self, start: int) -> Iterator[list[tuple[int, int]]]:
        """Endless batches of (epoch, index) keys from micro-batch `start` on."""
        epoch, k = divmod(start, self.per_epoch)
        while True:
            for indices in self.epoch_order(epoch)[k:]:
                yield [(epoch, i) for i in indices]
            epoch, k = epoch + 1, 0


def loader(dataset: TrainDataset, batches: Batches, collator: Collator, start: int, num_workers: int):
    """A DataLoader over `batches.iterate(start)`; it never touches the global RNG (resume stays exact)."""
    return torch.utils.data.DataLoader(
        dataset, batch_sampler=_Sampler(batches, start), collate_fn=collator, num_workers=num_workers,
        generator=torch.Generator().manual_seed(0), persistent_workers=False,
        prefetch_factor=2 if num_workers else None)


class _Sampler(torch.utils.data.Sampler):
    def __init__(self, batches: Batches, start: int):
        self.batches, self.start = batches, start

    def __iter__(self):
        return self.batches.iterate(self.start)
