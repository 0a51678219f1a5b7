"""An inference engine from a model folder and the run's options: what `timechat infer` and `timechat ui` load.

A folder whose `config.json` has a Qwen2.5-VL / Qwen3-VL `model_type` is answered by `qwen.engine.QwenEngine`
(transformers' classes, qwen-vl-utils' frames); any other folder is a TimeChat folder (`infer.engine.Engine`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from timechat_core.errors import InputError


@dataclass(frozen=True)
class EngineOptions:
    """How a model folder is loaded and asked."""

    num_frames: int | None = None
    """Frames per video (None: the model's `num_frames`; Qwen-VL: the prompt's frame settings or 2 per second)."""
    batch_size: int = 1
    prefetch: int = 2
    backend: str = "auto"
    """Video decoder: auto, decord, pyav."""
    asr: str | None = None
    """Transcripts to inject: a file (one video), a folder of `<video>.txt`, or "auto" (faster-whisper)."""
    sample: bool = False
    seed: int = 42
    max_new_tokens: int = 512
    device: str = "auto"
    dtype: str = "auto"
    quantize: str = "none"
    """none, or int8 (the CPU's int8 path: `timechat_core/model/quantize.py`)."""
    threads: int = 0
    """torch CPU threads (0: torch's default)."""


def load_engine(model_dir: str | Path, options: EngineOptions, *, single_video: bool = False,
                say: Callable[[str], None] | None = None):
    """The model folder loaded on its device, wrapped in its answer loop (`infer.engine.Engine` for TimeChat,
    `qwen.engine.QwenEngine` for a Qwen-VL folder) with the options' decoding and transcripts.

    Args:
        single_video: the run answers one video (an `asr` file is only allowed then).
        say: receives one line describing what was loaded.
    """
    import torch

    from timechat_core.devices import dtype_name, precision_note, resolve_device, resolve_dtype
    from timechat_core.infer.engine import Engine
    from timechat_core.model.folder import load_model_folder, read_folder_config, trained_on, weights_digest
    from timechat_core.model.generate import DecodingSettings
    from timechat_core.model.meta import load_bytes
    from timechat_core.qwen.folder import folder_family, weight_count
    from timechat_core.qwen.sampling import FRAME_FACTOR

    if options.threads:
        torch.set_num_threads(options.threads)
    fam = folder_family(model_dir)
    device = resolve_device(options.device)
    if fam is not None:
        if options.quantize != "none":
            raise InputError(f"--quantize {options.quantize}: the int8 path is TimeChat's; {model_dir} is a "
                             f"{fam.name} folder (use --dtype bf16 to halve its memory)")
        if options.num_frames is not None and options.num_frames < FRAME_FACTOR:
            raise InputError(f"--num-frames {options.num_frames}: a {fam.name} folder takes at least {FRAME_FACTOR} "
                             f"frames (qwen-vl-utils rounds nframes to a multiple of {FRAME_FACTOR})")
        count = weight_count(model_dir)
        dtype = resolve_dtype(options.dtype, device, None if count is None else lambda dt: count * dt.itemsize,
                              int8_hint=False)
        note = precision_note(dtype, device)
        if say is not None and note:
            say(note)
        return _qwen_engine(model_dir, fam, options, device, dtype, say)
    transcripts = transcript_source(options.asr, single_video)
    overrides = {"num_frames": options.num_frames} if options.num_frames else {}
    cfg = read_folder_config(model_dir, **overrides)
    dtype = resolve_dtype(options.dtype, device, lambda dt: load_bytes(cfg, dt, options.quantize, device),
                          quantize=options.quantize)
    note = precision_note(dtype, device)
    if say is not None and note:
        say(note)
    model, processor = load_model_folder(model_dir, dtype=dtype, device=device, quantize=options.quantize, **overrides)
    model.eval()
    num_frames = model.config.num_frames
    settings = DecodingSettings(do_sample=options.sample, seed=options.seed, max_new_tokens=options.max_new_tokens)
    if say is not None:
        precision = dtype_name(dtype)
        if options.quantize != "none":
            precision = f"{options.quantize}, {precision} activations"
        say(f"model {model_dir} on {device} ({precision}), {num_frames} frames, "
            f"{'sampled (seed %d)' % options.seed if options.sample else 'greedy'}")
    return Engine(model, processor, settings, num_frames=num_frames, batch_size=options.batch_size,
                  prefetch=options.prefetch, backend=options.backend, transcripts=transcripts,
                  model_name=str(model_dir), model_digest=weights_digest(model_dir),
                  domain=trained_on(model_dir).get("synth_scenes"))


def _qwen_engine(model_dir, fam, options: EngineOptions, device, dtype, say):
    """A `QwenEngine`: greedy (or sampled) with the folder's own repetition penalty, recorded with the answers."""
    from timechat_core.devices import dtype_name
    from timechat_core.fileio import files_digest
    from timechat_core.model.generate import DecodingSettings
    from timechat_core.qwen.engine import QwenEngine
    from timechat_core.qwen.folder import load_qwen_model
    from timechat_core.qwen.processor import load_processor

    if options.asr is not None:
        raise InputError(f"--asr: transcripts are injected the TimeChat way only; {model_dir} is a {fam.name} folder")
    model = load_qwen_model(model_dir, fam, dtype, device)
    settings = DecodingSettings(do_sample=options.sample, seed=options.seed, max_new_tokens=options.max_new_tokens,
                                repetition_penalty=model.generation_config.repetition_penalty or 1.0)
    if say is not None:
        frames = f"{options.num_frames} frames" if options.num_frames else "qwen-vl-utils frames"
        say(f"{fam.name} model {model_dir} on {device} ({dtype_name(dtype)}), {frames}, "
            f"{'sampled (seed %d)' % options.seed if options.sample else 'greedy'}")
    return QwenEngine(model, load_processor(model_dir, fam), fam, settings, num_frames=options.num_frames,
                      batch_size=options.batch_size, prefetch=options.prefetch, backend=options.backend,
                      model_name=str(model_dir), model_digest=files_digest([model_dir]))


def transcript_source(asr: str | None, single_video: bool):
    """`item -> transcript segments | None` for an `asr` option (FILE | DIR | "auto"), or None without one."""
    if asr is None:
        return None
    from timechat_core.asr.transcript import TranscriptFolder, read_transcript

    if asr == "auto":
        from timechat_core.asr.whisper import SAMPLE_RATE, AsrOptions, Transcriber, resolve_model
        from timechat_core.errors import MediaError
        from timechat_core.video.audio import load_audio

        transcriber = Transcriber("faster-whisper", resolve_model("faster-whisper", None), AsrOptions())

        def auto(item):
            try:
                audio = load_audio(item.path, SAMPLE_RATE)
            except MediaError:
                return None  # no audio stream: the reference's "None." transcript
            return transcriber.transcribe(audio)[0]

        return auto
    path = Path(asr)
    if path.is_dir():
        folder = TranscriptFolder(path)
        return lambda item: folder.segments(item.video)
    if not single_video:
        raise InputError("--asr FILE is for a single video; give a folder of <video>.txt or 'auto' with --manifest")
    segments = read_transcript(path)
    return lambda item: segments
