"""The answer loop every model backend shares: items in, one result record per item out, in order.

A backend (TimeChat's `infer.engine.Engine`, the Qwen-VL `qwen.engine.QwenEngine`) subclasses
`AnswerLoop` and defines two steps, and what its answers depend on:

- `prepare(item) -> Prepared`: decode the frames and build the prompt (runs in worker threads while
  the model answers earlier items; decord and PyAV release the GIL);
- `generate(batch) -> list[str]`: the answers of prepared items that share a `batch_key`;
- `conditions() -> dict`: what an answer depends on besides its item, recorded in every result;
  `timechat infer --manifest` resumes only answers made under equal ones. By default the backend's
  `model_digest` (weights), `decoding` (settings with `to_dict()`) and `num_frames`.

The loop batches `batch_size` prepared items per `generate` call, keeps `prefetch` decoding threads
ahead of the model, records failed items (an unreadable video) without stopping, and writes the
record schema `timechat eval`, `--format`, `--plot` and the ui read: raw text, parsed result and
parse status (`eval.parsers`, robust), prompt, frames and their times, model, conditions, timings.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from timechat_core.prompts import PARSE_KIND, TIMECHAT_TABLE


@dataclass
class Prepared:
    """An item with its frames decoded and its prompt built (or the error that stopped it)."""

    item: object
    """`infer.manifest.Item`."""
    frames: object | None = None
    """The backend's frames: uint8 `frames` (T, H, W, 3), `indices`, `timestamps`, `fps`, `vlen`, `backend`."""
    instruction: str | None = None
    """The task instruction, as recorded."""
    prompt: object | None = None
    """What the backend's `generate` reads (TimeChat: the conversation text)."""
    error: str | None = None
    decode_s: float = 0.0


class AnswerLoop:
    """Batching, prefetching and result records around a backend's `prepare` and `generate`.

    Args:
        model, processor: the backend's model and its input processor.
        decoding: `DecodingSettings` (its `generate_kwargs()` and `to_dict()`).
        num_frames: frames per video (the backend says what None means).
        batch_size: prepared items per `generate` call.
        prefetch: background preparation threads (0: prepare inline).
        backend: video decoder ("auto", "decord", "pyav").
        model_name: recorded in every result.
        model_digest: fingerprint of the weights, recorded in every result.
        domain: the `timechat synth` scene kind the model was trained on, or None (it does not say); with one,
            every record says `in_domain`: whether its video is a synth video of that kind (`video.tag`; real
            videos are not).
    """

    prompt_table = TIMECHAT_TABLE
    """The prompt table (`templates/infer/<name>.yaml`) the backend's prompts come from."""

    def __init__(self, model, processor, decoding, *, num_frames: int | None = None, batch_size: int = 1,
                 prefetch: int = 2, backend: str = "auto", model_name: str = "", model_digest: str = "",
                 domain: str | None = None):
        self.model = model
        self.processor = processor
        self.decoding = decoding
        self.num_frames = num_frames
        self.backend = backend
        self.model_digest = model_digest
        self.batch_size = max(1, batch_size)
        self.prefetch = max(0, prefetch)
        self.model_name = model_name
        self.domain = domain

    def prepare(self, item) -> Prepared:
        raise NotImplementedError

    def generate(self, batch: list[Prepared]) -> list[str]:
        raise NotImplementedError

    def conditions(self) -> dict:
        """What an answer depends on besides its item: recorded in every result."""
        return {"model_digest": self.model_digest, "decoding": self.decoding.to_dict(), "num_frames": self.num_frames}

    def batch_key(self, prep: Prepared):
        """Prepared items answered in one `generate` call share this key (default: any may be batched)."""
        return None

    def frames_record(self, frames) -> dict:
        """The `frames` field of a result."""
        return {"indices": frames.indices, "timestamps": frames.timestamps, "fps": frames.fps, "vlen": frames.vlen,
                "backend": frames.backend}

    # -- the loop ---------------------------------------------------------------------------------
    def _prepared(self, items: list) -> Iterator[Prepared]:
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

    def run(self, items: Iterable) -> Iterator[dict]:
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
        groups: dict[object, list[int]] = {}
        for i, p in enumerate(batch):
            groups.setdefault(self.batch_key(p), []).append(i)
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

    # -- results ----------------------------------------------------------------------------------
    def record(self, prep: Prepared, text: str | None, model_s: float, batch_n: int) -> dict:
        from timechat_core.eval.parsers import parse_dvc, parse_tvg, parse_vhd

        item, fr = prep.item, prep.frames
        duration = item.duration
        if fr is not None and fr.fps:
            duration = duration if duration is not None else round(fr.vlen / fr.fps, 3)
        rec = {"index": item.index, "id": item.id, **item.extra, "video": item.video, "task": item.task,
               "query": item.query, "duration": duration, "status": "ok" if text is not None else "failed"}
        if self.domain is not None:
            from timechat_core.video.tag import synth_kind

            rec["in_domain"] = synth_kind(item.path) == self.domain
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
                       prompt=prep.instruction, frames=self.frames_record(fr))
        rec.update(model=self.model_name, **self.conditions(),
                   timings={"decode_s": round(prep.decode_s, 4), "batch_model_s": round(model_s, 4), "batch_size": batch_n})
        return rec
