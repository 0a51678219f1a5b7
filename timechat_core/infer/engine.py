"""TimeChat's steps of the answer loop (`timechat_core.answering`): frames -> prompt -> TimeChat -> text.

Per batch, as the reference's batched Chat (`conversation_video_batch.py`): videos with the same
frame count share one BERT tokenization of their timestamp strings (`padding="longest"`, so a
video's tokens can depend on its batch-mates, as in the reference), prompts are left-padded, and
generation runs once for the batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch

from timechat_core.answering import AnswerLoop, Prepared
from timechat_core.errors import TimechatError
from timechat_core.infer.manifest import Item
from timechat_core.prompts import build_prompt, system_prompt


class Engine(AnswerLoop):
    """Answers items with a loaded TimeChat model (the loop itself: `timechat_core.answering`).

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
        domain: the `timechat synth` scene kind the model was trained on (`model.folder.trained_on`), or None;
            with one, every record says `in_domain` (`AnswerLoop.record`).
    """

    def __init__(self, model, processor, decoding, *, num_frames: int = 96, batch_size: int = 1, prefetch: int = 2,
                 backend: str = "auto", transcripts: Callable[[Item], list | None] | None = None,
                 model_name: str = "", model_digest: str = "", domain: str | None = None):
        super().__init__(model, processor, decoding, num_frames=num_frames, batch_size=batch_size, prefetch=prefetch,
                         backend=backend, model_name=model_name, model_digest=model_digest, domain=domain)
        self.transcripts = transcripts
        self.prompts = model.config.prompts
        self.system = system_prompt() if self.prompts.eval_system is None else self.prompts.eval_system

    # -- preparation (runs in worker threads) ---------------------------------------------------
    def prepare(self, item: Item) -> Prepared:
        from timechat_core.asr.inject import inject_asr
        from timechat_core.model.processor import eval_prompt
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
        return Prepared(item, frames, instruction, prompt,
                        decode_s=time.perf_counter() - t0)

    # -- the model ------------------------------------------------------------------------------
    def batch_key(self, prep: Prepared) -> int:
        """The reference tokenizes one batch's timestamps together only when the frame counts agree."""
        return len(prep.frames.indices)

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
