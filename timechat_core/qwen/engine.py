"""The answer loop's steps for a Qwen2.5-VL / Qwen3-VL folder: video -> qwen-vl-utils frames -> the family's
processor -> `model.generate` -> text.

As the models' authors run them (the Qwen2.5-VL and Qwen3-VL READMEs and cookbooks, TimeLens'
`evaluation/`): one user turn holding the video and the instruction, rendered by the folder's chat
template with the generation prompt; frames chosen and sized by qwen-vl-utils' rules
(`qwen.sampling`) and handed to the processor with their metadata and `do_resize=False`; greedy
decoding unless sampling is asked for; the new tokens decoded with special tokens skipped. A batch
is left-padded (the processor's tokenizer pads on the left) and generated in one call.
"""

from __future__ import annotations

import time

from timechat_core.answering import AnswerLoop, Prepared
from timechat_core.errors import TimechatError
from timechat_core.prompts import build_prompt, prompt_table, prompt_variant
from timechat_core.qwen.folder import Family
from timechat_core.qwen.sampling import SPATIAL_MERGE_SIZE, VideoSettings, load_video

TABLE = "qwen"


class QwenEngine(AnswerLoop):
    """Answers items with a loaded Qwen-VL model.

    Args:
        model, processor: from `qwen.folder.load_qwen_model` and `qwen.processor.load_processor`.
        fam: the folder's `Family`.
        num_frames: qwen-vl-utils' `nframes` for every video (None: the prompt variant's frame settings,
            else qwen-vl-utils' defaults: 2 frames per second, 4 to 768 frames).
        decoding, batch_size, prefetch, backend, model_name, model_digest: as `AnswerLoop`.
    """

    prompt_table = TABLE

    def __init__(self, model, processor, fam: Family, decoding, *, num_frames: int | None = None,
                 batch_size: int = 1, prefetch: int = 2, backend: str = "auto", model_name: str = "",
                 model_digest: str = ""):
        super().__init__(model, processor, decoding, num_frames=num_frames, batch_size=batch_size, prefetch=prefetch,
                         backend=backend, model_name=model_name, model_digest=model_digest)
        self.family = fam
        self.defaults = prompt_table(self.prompt_table)["defaults"].get(fam.model_type, {})

    # -- preparation (runs in worker threads) ---------------------------------------------------
    def video_settings(self, variant: dict) -> VideoSettings:
        """`--num-frames`, else the prompt variant's frame settings, else qwen-vl-utils' defaults."""
        if self.num_frames is not None:
            return VideoSettings(nframes=self.num_frames)
        return VideoSettings.in_tokens(self.family.patch_size * SPATIAL_MERGE_SIZE, **(variant.get("video") or {}))

    def prepare(self, item) -> Prepared:
        """The frames and the chat text; a `--prompt` of one's own follows the video, with default frames."""
        t0 = time.perf_counter()
        try:
            prompt = build_prompt(item.task, item.query, variant=item.variant or self.defaults.get(item.task),
                                  dataset=item.dataset, custom=item.prompt, table=self.prompt_table)
            variant = {} if item.prompt is not None else prompt_variant(item.task, prompt.variant, self.prompt_table)
            frames = load_video(item.path, self.video_settings(variant), self.family.patch_size, self.backend)
            parts = [{"type": "video"}, {"type": "text", "text": prompt.text}]
            if variant.get("text_first"):
                parts.reverse()
            chat = self.processor.apply_chat_template([{"role": "user", "content": parts}], tokenize=False,
                                                      add_generation_prompt=True)
        except (TimechatError, ValueError, TypeError, OSError) as e:  # this item fails, the run goes on
            return Prepared(item, error=str(e), decode_s=time.perf_counter() - t0)
        return Prepared(item, frames, prompt.text, chat, decode_s=time.perf_counter() - t0)

    # -- the model ------------------------------------------------------------------------------
    def generate(self, batch: list[Prepared]) -> list[str]:
        import torch

        videos = [torch.from_numpy(p.frames.frames).permute(0, 3, 1, 2).to(torch.float32) for p in batch]
        inputs = self.processor(text=[p.prompt for p in batch], videos=videos,
                                video_metadata=[p.frames.metadata() for p in batch], do_resize=False,
                                do_sample_frames=False, padding=True, return_tensors="pt")
        inputs = inputs.to(self.model.device)
        if self.decoding.do_sample and self.decoding.seed is not None:
            torch.manual_seed(self.decoding.seed)
        with torch.inference_mode():
            out = self.model.generate(**inputs, **self.decoding.generate_kwargs())
        new = out[:, inputs["input_ids"].shape[1]:]
        return self.processor.batch_decode(new, skip_special_tokens=True, clean_up_tokenization_spaces=False)


    def frames_record(self, frames) -> dict:
        """The frames and their times, plus the frame size the model saw and qwen-vl-utils' sample fps."""
        return {**super().frames_record(frames), "size": list(frames.frames.shape[1:3]),
                "sample_fps": frames.sample_fps}
