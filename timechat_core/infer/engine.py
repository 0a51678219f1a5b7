"""Batched, prefetching inference: frames -> prompt -> TimeChat -> text -> parsed result.

Per batch, as the reference's batched Chat (`conversation_video_batch.py`): videos with the same
frame count share one BERT tokenization of their timestamp strings (`padding="longest"`, so a
video's tokens can depend on its batch-mates, as in the reference), prompts are left-padded, and
generation runs once for the batch. Frames of the next items are decoded in background threads
while the model runs (decord and PyAV release the GIL).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import torch

from timechat_core.errors import TimechatError
from timechat_core.infer.manifest import Item
from timechat_core.prompts import PARSE_KIND, build_prompt, system_prompt


@dataclass
class Prepared:
    """An item with its frames decoded and its prompt built (or the error that stopped it)."""

    item: Item
    frames: object | None = None
    """`SampledFrames`."""
    instruction: str | None = None
    prompt: str | None = None
    error: str | None = None
    decode_s: float = 0.0
    in_domain: bool | None = None
    """Whether the video is of the kind the model was trained on (None: the model does not say)."""


class Engine:
    """Answers items with a loaded model.

    Args:
        model, processor: from `load_model_folder` (or `load_reference`).
        decoding: `DecodingSettings`.
        num_frames: frames per video (the reference: 96).
        batch_size: videos per generate call.
        prefetch: background decoding threads (0: decode inline).
        backend: video decoder ("auto", "decord", "pyav").
        transcripts: `item -> list[Segment] | None`, for ASR injection (None: no ASR).
        model_name: recorded in every result.
        model_digest: `weights_digest` of the model folder, recorded in every result (a batch run resumes
            only answers of the same weights, decoding settings and frame count: `conditions`).
        domain: the `timechat synth` scene kind the model was trained on (`model.folder.trained_on`), or None.
            With one, every record says `in_domain`: whether its video is a synth video of that kind
            (`synth.tag.synth_kind`; real videos are not).
    """

    def __init__(self, model, processor, decoding, *, num_frames: int = 96, batch_size: int = 1, prefetch: int = 2,
                 backend: str = "auto", transcripts: Callable[[Item], list | None] | None = None,
                 model_name: str = "", model_digest: str = "", domain: str | None = None):
        self.model = model
        self.processor = processor
        self.decoding = decoding
        self.num_frames = num_frames
        self.batch_size = max(1, batch_size)
        self.prefetch = max(0, prefetch)
        self.backend = backend
        self.transcripts = transcripts
        self.model_name = model_name
        self.model_digest = model_digest
        self.domain = domain
        self.prompts = model.config.prompts
        self.system = system_prompt() if self.prompts.eval_system is None else self.prompts.eval_system

    # -- preparation (runs in worker threads) ---------------------------------------------------
    def prepare(self, item: Item) -> Prepared:
        from timechat_core.asr.inject import inject_asr
        from timechat_core.model.processor import eval_prompt
        from timechat_core.synth.tag import synth_kind
        from timechat_core.video.frames import load_frames

        t0 = time.perf_counter()
        try:
            prompt = build_prompt(item.task, item.query, variant=item.variant or self.prompts.variants.get(item.task),
                                  dataset=item.dataset, custom=item.prompt)
            instruction = prompt.text
            if self.transcripts is not None:
                instruction = inject_asr(instruction, self.transcripts(item))
            frames = load_frames(item.path, self.num_frames, self.model.config.vision.image_size, "uniform",
                                 backend=self.backend)
        except (TimechatError, ValueError, OSError) as e:
            return Prepared(item, error=str(e), decode_s=time.perf_counter() - t0)
        msg = frames.message if self.prompts.frame_time_message else ""
        prompt = eval_prompt(msg, instruction, self.system, video_last=self.prompts.video_after_instruction)
        in_domain = None if self.domain is None else synth_kind(item.path) == self.domain
        return Prepared(item, frames, instruction, prompt, decode_s=time.perf_counter() - t0, in_domain=in_domain)

    def _prepared(self, items: list[Item]) -> Iterator[Prepared]:
        if self.prefetch == 0:
            yield from (self.prepare(it) for it in items)
            return
        lookahead = self.batch_size * 2 + self.prefetch
        with ThreadPoolExecutor(self.prefetch, thread_name_prefix="timechat-decode") as pool:
            futures: list[Future] = []
            pending = iter(items)
            for it in pending:
                futures.append(pool.submit(self.prepare, it))
                if len(futures) >= lookahead:
                    break
            while futures:
                done = futures.pop(0).result()
                nxt = next(pending, None)
                if nxt is not None:
                    futures.append(pool.submit(self.prepare, nxt))
                yield done

    # -- the model ------------------------------------------------------------------------------
    def run(self, items: Iterable[Item]) -> Iterator[dict]:
        """One result record per item, in order."""
        batch: list[Prepared] = []
        for prep in self._prepared(list(items)):
            if prep.error is not None:
                yield from self._flush(batch)
                batch = []
                yield self.record(prep, None, 0.0, 0)
                continue
            batch.append(prep)
            if len(batch) >= self.batch_size:
                yield from self._flush(batch)
                batch = []
        yield from self._flush(batch)

    def _flush(self, batch: list[Prepared]) -> Iterator[dict]:
        if not batch:
            return
        # the reference tokenizes one batch's timestamps together only when the frame counts agree
        groups: dict[int, list[int]] = {}
        for i, p in enumerate(batch):
            groups.setdefault(len(p.frames.indices), []).append(i)
        texts: dict[int, str] = {}
        elapsed = {}
        for idx in groups.values():
            t0 = time.perf_counter()
            answers = self.generate([batch[i] for i in idx])
            dt = time.perf_counter() - t0
            for i, a in zip(idx, answers):
                texts[i], elapsed[i] = a, (dt, len(idx))
        for i, p in enumerate(batch):
            yield self.record(p, texts[i], *elapsed[i])

    @torch.inference_mode()
    def generate(self, batch: list[Prepared]) -> list[str]:
        """Answer texts for prepared items that share a frame count."""
        from timechat_core.model.generate import generate_ids
        from timechat_core.model.processor import normalize_frames
        from timechat_core.video.sampling import frame_texts

        cfg = self.model.config
        device = next(self.model.parameters()).device
        frames = torch.stack([torch.from_numpy(p.frames.frames) for p in batch])
        pixel_values = normalize_frames(frames, cfg.image_mean, cfg.image_std).to(device)
        enc = self.processor.eval_batch([p.prompt for p in batch], [frame_texts(p.frames.message) for p in batch])
        tokens = self.model.encode_video(pixel_values, enc.qformer_input_ids.to(device),
                                         enc.qformer_attention_mask.to(device))
        embeds, mask = self.model.context_embeds(enc.segments, tokens)
        ids = generate_ids(self.model, embeds, mask, self.decoding)
        return [self.processor.decode_answer(row) for row in ids.tolist()]

    def conditions(self) -> dict:
        """What an answer depends on besides its item: recorded in every result."""
        return {"model_digest": self.model_digest, "decoding": self.decoding.to_dict(), "num_frames": self.num_frames}

    # -- results ----------------------------------------------------------------------------------
    def record(self, prep: Prepared, text: str | None, model_s: float, batch_n: int) -> dict:
        from timechat_core.eval.parsers import parse_dvc, parse_tvg, parse_vhd

        item, fr = prep.item, prep.frames
        duration = item.duration
        if fr is not None and fr.fps:
            duration = duration if duration is not None else round(fr.vlen / fr.fps, 3)
        rec = {"index": item.index, "id": item.id, **item.extra, "video": item.video, "task": item.task,
               "query": item.query, "duration": duration, "status": "ok" if text is not None else "failed"}
        if prep.in_domain is not None:
            rec["in_domain"] = prep.in_domain
        if text is None:
            rec.update(text="", error=prep.error)
        else:
            kind = PARSE_KIND[item.task]
            parsed = None
            if kind == "tvg":
                parsed = parse_tvg(text, duration=duration)
            elif kind == "dvc":
                parsed = parse_dvc(text, duration=duration)
            elif kind == "vhd":
                parsed = parse_vhd(text, duration=duration)
            rec.update(text=text, parsed=parsed, parse_status=None if parsed is None else parsed["status"],
                       prompt=prep.instruction, frames={"indices": fr.indices, "timestamps": fr.timestamps,
                                                        "fps": fr.fps, "vlen": fr.vlen, "backend": fr.backend})
        rec.update(model=self.model_name, **self.conditions(),
                   timings={"decode_s": round(prep.decode_s, 4), "batch_model_s": round(model_s, 4), "batch_size": batch_n})
        return rec
