"""`check-reference`: run a conformance fixture through the real loading chain, stage by stage.

A fixture (format of `tests/data/reference_tiny/`, described in `docs/conformance-fixture.md`) holds
official-format checkpoints, inputs and what the reference code computed from them. Every stage
below is computed here with timechat's own code (frame sampling, tokenizers, load chain, model,
decoding) and compared with the fixture. Tolerances follow `docs/conformance-fixture.md` §8.

The bf16 variant's token ids are advisory (`required: false`): bf16 matmuls differ between CPU
kernels, and the ids only have to match where the logits are bit-identical
(`docs/conformance-fixture.md` §9).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from timechat_core.errors import InputError

EXACT = 0.0
FP32_VISUAL = 1e-5
FP32_LOGITS = 1e-4
BF16_LOGITS = 0.1
BF16_LOSS = 0.07


@dataclass
class Stage:
    stage: str
    max_abs_diff: float | None
    tolerance: float
    ok: bool
    required: bool = True
    detail: str = ""


def _diff(a: torch.Tensor, b: torch.Tensor) -> float:
    if tuple(a.shape) != tuple(b.shape):
        return float("inf")
    if a.numel() == 0:
        return 0.0
    return (a.detach().double() - b.detach().double()).abs().max().item()


class _Stages:
    def __init__(self):
        self.items: list[Stage] = []

    def tensor(self, name: str, got: torch.Tensor, want: torch.Tensor, tol: float, required: bool = True):
        d = _diff(got, want)
        detail = "" if tuple(got.shape) == tuple(want.shape) else f"shape {tuple(got.shape)} vs {tuple(want.shape)}"
        self.items.append(Stage(name, d, tol, d <= tol, required, detail))

    def equal(self, name: str, got, want, required: bool = True, detail: str = ""):
        ok = got == want
        self.items.append(Stage(name, 0.0 if ok else None, EXACT, ok, required, detail if not ok else ""))

    def scalar(self, name: str, got: float, want: float, tol: float):
        d = abs(got - want)
        self.items.append(Stage(name, d, tol, d <= tol, True, f"got {got:.6g}, expected {want:.6g}"))


def _load(fixture: Path, name: str):
    from safetensors.torch import load_file

    path = fixture / name
    if not path.is_file():
        raise InputError(f"{path}: missing fixture file")
    return load_file(str(path)) if path.suffix == ".safetensors" else json.loads(path.read_text(encoding="utf-8"))


def check_reference(fixture_dir: str | Path, variants: tuple[str, ...] = ("fp32", "bf16"),
                    on_stage: Callable[[Stage], None] | None = None) -> dict:
    """Compare every stage with the fixture.

    Returns:
        `{"fixture", "ok", "stages": [{stage, max_abs_diff, tolerance, ok, required, detail}]}`;
        `ok` is True when every required stage is within tolerance.
    """
    from timechat_core.model.config import config_from_fixture
    from timechat_core.model.convert_lavis import ReferenceFiles, load_reference
    from timechat_core.model.generate import DecodingSettings, generate_ids
    from timechat_core.model.processor import eval_prompt, normalize_frames
    from timechat_core.video.sampling import frame_texts, sample_indices, timestamp_message

    fixture = Path(fixture_dir)
    cfg = config_from_fixture(fixture)
    fc = _load(fixture, "config.json")
    inputs = _load(fixture, "inputs/inputs.json")
    frames = _load(fixture, "inputs/frames.safetensors")
    visual_exp = _load(fixture, "expected/eval_visual.safetensors")
    context_exp = _load(fixture, "expected/eval_context.safetensors")
    text_exp = _load(fixture, "expected/eval_text.json")
    train_exp = _load(fixture, "expected/train.safetensors")
    train_json = _load(fixture, "expected/train.json")
    vl_exp = _load(fixture, "expected/video_llama_init.safetensors")
    files = {k: fixture / v for k, v in fc["files"].items()}
    ref_files = ReferenceFiles(vit=files["eva_vit_g"], qformer=files["instruct_blip"], llm=files["llama_dir"],
                               checkpoint=files["timechat_ckpt"], bert=files["bert_dir"])
    st = _Stages()
    report = {"fixture": str(fixture), "stages": st.items}

    # -- frame sampling, timestamps, normalisation ------------------------------------------
    videos = inputs["videos"]
    msgs, per_frame = [], []
    for v in videos:
        idx = sample_indices(v["vlen"], v["n_frms"], "uniform")
        msg = timestamp_message(idx, v["fps"])
        msgs.append(msg)
        per_frame.append(frame_texts(msg))
        st.equal(f"sampling/{v['name']}: indices, message, timestamp strings",
                 (idx, msg, per_frame[-1]), (v["frame_indices"], v["msg"], v["timestamp_strings"]))
    pixel_values = normalize_frames(frames["frames_uint8"], cfg.image_mean, cfg.image_std)
    st.tensor("frames: normalisation", pixel_values, frames["frames_normalized"].permute(0, 2, 1, 3, 4), EXACT)
    ev = inputs["eval"]
    prompts = []
    for v, msg in zip(videos, msgs):
        user = ev["prompt_template_first_line"].format(ev["dataset"], v["query"].strip("."))
        prompts.append(eval_prompt(msg, user, ev["system"]))
    st.equal("prompt strings", prompts, [v["final_prompt_string"] for v in videos])

    for variant in variants:
        dtype = torch.float32 if variant == "fp32" else torch.bfloat16
        model, processor, _ = load_reference(ref_files, cfg, dtype=dtype)
        model.eval()
        llm_exp = _load(fixture, f"expected/eval_llm_{variant}.safetensors")
        with torch.inference_mode():
            batch = processor.eval_batch(prompts, per_frame)
            if variant == variants[0]:
                st.tensor("timestamp token ids (BERT)", batch.qformer_input_ids, visual_exp["ts_input_ids"], EXACT)
                st.tensor("timestamp attention mask", batch.qformer_attention_mask, visual_exp["ts_attention_mask"], EXACT)
                st.equal("prompt segment token ids", [[s.tolist() for s in seg] for seg in batch.segments],
                         [s["token_ids"] for s in text_exp["segments"]])
                image_embeds = model.vision_model(pixel_values=pixel_values.flatten(0, 1)).last_hidden_state
                st.tensor("vision: image_embeds (ViT + ln_vision)", image_embeds, visual_exp["image_embeds"], FP32_VISUAL)
            tokens, stages = model.encode_video(pixel_values, batch.qformer_input_ids, batch.qformer_attention_mask,
                                                return_stages=True)
            if variant == variants[0]:
                st.tensor("image Q-Former output (with text positions)", stages["qformer_last_hidden_state"],
                          visual_exp["qformer_last_hidden_state"], FP32_VISUAL)
                st.tensor("video Q-Former outputs per window", stages["video_qformer_last_hidden_state"].transpose(0, 1),
                          visual_exp["video_qformer_last_hidden_state"], FP32_VISUAL)
                st.tensor("video tokens after the projection", tokens, visual_exp["video_tokens"], FP32_VISUAL)
            embeds, mask = model.context_embeds(batch.segments, tokens)
            st.tensor(f"{variant}: spliced inputs_embeds", embeds, context_exp["inputs_embeds"], FP32_VISUAL)
            st.tensor(f"{variant}: attention mask", mask.float(), context_exp["attention_mask"], EXACT)
            logits = model.language_model(inputs_embeds=model.llm_inputs(embeds), attention_mask=mask).logits
            tol = FP32_LOGITS if variant == "fp32" else BF16_LOGITS
            st.tensor(f"{variant}: logits at the last prompt position", logits[:, -1], llm_exp["logits_last"], tol)
            if "logits_all_video0" in llm_exp:
                st.tensor(f"{variant}: logits at every position (video 0)", logits[0], llm_exp["logits_all_video0"], tol)
            gen = fc["eval_generation"]
            n_new, sampled = gen["max_new_tokens_in_fixture"], gen["sampled"]
            for mode, settings in (("greedy", DecodingSettings(max_new_tokens=n_new)),
                                   ("sampled", DecodingSettings.reference_sampling(
                                       max_new_tokens=n_new, seed=sampled["seed"], top_p=sampled["top_p"],
                                       top_k=sampled["top_k"], temperature=sampled["temperature"]))):
                ids = generate_ids(model, embeds, mask, settings)
                want = text_exp["llm_variants"][variant][mode]
                texts = [processor.decode_answer(r) for r in ids.tolist()]
                st.equal(f"{variant}: {mode} token ids", ids.tolist(), [r[1:] for r in want["raw_ids"]],
                         required=variant == "fp32")
                st.equal(f"{variant}: {mode} answer text", texts, want["answer_texts"], required=variant == "fp32")
        _training_stages(st, model, processor, variant, inputs, videos, msgs, per_frame, pixel_values, train_exp,
                         train_json)
        del model

    # -- Video-LLaMA init chain ---------------------------------------------------------------
    vl_files = ReferenceFiles(vit=ref_files.vit, qformer=ref_files.qformer, llm=ref_files.llm,
                              video_llama=files["video_llama_ckpt"], bert=ref_files.bert)
    model, processor, _ = load_reference(vl_files, cfg, dtype=torch.float32)
    model.eval()
    with torch.inference_mode():
        st.tensor("Video-LLaMA chain: interpolated frame positions", model.frame_position_embedding.weight,
                  vl_exp["video_frame_position_embedding"], EXACT)
        tokens, stages = model.encode_video(pixel_values, visual_exp["ts_input_ids"], visual_exp["ts_attention_mask"],
                                            return_stages=True)
        st.tensor("Video-LLaMA chain: image Q-Former output", stages["qformer_last_hidden_state"],
                  vl_exp["qformer_last_hidden_state"], FP32_VISUAL)
        st.tensor("Video-LLaMA chain: video tokens", tokens, vl_exp["video_tokens"], FP32_VISUAL)
    report["ok"] = all(s.ok for s in st.items if s.required)
    report["stages"] = [asdict(s) for s in st.items]
    if on_stage:
        for s in st.items:
            on_stage(s)
    return report


def _training_stages(st: _Stages, model, processor, variant, inputs, videos, msgs, frame_texts, pixel_values,
                     train_exp, train_json):
    from timechat_core.model.processor import training_conversation

    by_name = {v["name"]: i for i, v in enumerate(videos)}
    records = inputs["train"]["records"]
    order = [by_name[r["video"]] for r in records]
    n_video = model.config.num_video_tokens(pixel_values.shape[1])
    convs = [training_conversation([(qa["q"], qa["a"]) for qa in r["QA"]], msgs[i], n_video) for r, i in zip(records, order)]
    batch = processor.train_batch(convs, [frame_texts[i] for i in order])
    if variant == "fp32":
        st.equal("training: conversation strings", convs, train_json["conversation_strings"])
        st.tensor("training: input_ids", batch.input_ids, train_exp["input_ids"], EXACT)
        st.tensor("training: labels", batch.labels, train_exp["labels"], EXACT)
        st.tensor("training: attention mask", batch.attention_mask.long(), train_exp["attention_mask"].long(), EXACT)
        st.tensor("training: timestamp ids (LLaMA tokenizer)", batch.qformer_input_ids, train_exp["ts_llama_input_ids"], EXACT)
    with torch.inference_mode():
        pv = pixel_values[order]
        if variant == "fp32":
            tokens = model.encode_video(pv, batch.qformer_input_ids, batch.qformer_attention_mask)
            st.tensor("training: video tokens", tokens, train_exp["video_tokens_train"], FP32_VISUAL)
            embeds = model.splice_video(batch.input_ids, tokens, processor.image_token_id)
            st.tensor("training: spliced inputs_embeds", embeds, train_exp["inputs_embeds_train"], FP32_VISUAL)
        out = model(pv, batch.qformer_input_ids, batch.qformer_attention_mask, batch.input_ids, batch.attention_mask,
                    batch.labels, processor.image_token_id)
    want = train_json["losses"][variant]["batch"]["value"]
    tol = abs(want) * 1e-5 if variant == "fp32" else BF16_LOSS
    st.scalar(f"{variant}: training-path loss", float(out["loss"]), float(want), tol)
