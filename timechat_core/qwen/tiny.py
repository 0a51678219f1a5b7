"""Small random Qwen2.5-VL and Qwen3-VL folders: the real classes at toy sizes, saved as transformers saves them.

A byte-level BPE tokenizer is trained here with the `tokenizers` library (Qwen2's pre-tokenizer and the
families' special tokens: `<|im_start|>`, `<|im_end|>`, `<|vision_start|>`, `<|video_pad|>`, ...) on the
shipped prompt templates, so nothing is downloaded. The chat template is written for these folders in
the layout of the families' own (`<|im_start|>role\\n...<|im_end|>`, a video as
`<|vision_start|><|video_pad|><|vision_end|>`, Qwen2.5-VL's default system message); a released
folder brings its own. Weights are random (seeded): answers are noise, but every step from the file to
the parsed record runs for real. Used by the tests and `benchmarks/bench_qwen.py`.
"""

from __future__ import annotations

import json
from pathlib import Path

TINY_TYPES = ("qwen2_5_vl", "qwen3_vl")
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
                  "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
                  "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>"]
VOCAB_SIZE = 640
CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{%- if loop.first and message['role'] != 'system' and default_system -%}"
    "<|im_start|>system\n{{ default_system }}<|im_end|>\n"
    "{%- endif -%}"
    "<|im_start|>{{ message['role'] }}\n"
    "{%- if message['content'] is string -%}{{ message['content'] }}"
    "{%- else -%}{%- for part in message['content'] -%}"
    "{%- if part['type'] == 'video' -%}<|vision_start|><|video_pad|><|vision_end|>"
    "{%- elif part['type'] == 'text' -%}{{ part['text'] }}{%- endif -%}"
    "{%- endfor -%}{%- endif -%}<|im_end|>\n"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}<|im_start|>assistant\n{%- endif -%}"
)
DEFAULT_SYSTEM = {"qwen2_5_vl": "You are a helpful assistant.", "qwen3_vl": ""}


def train_tokenizer(vocab_size: int = VOCAB_SIZE):
    """A `Qwen2Tokenizer` trained on the shipped prompt templates, with the families' special tokens."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import Qwen2Tokenizer
    from transformers.models.qwen2.tokenization_qwen2 import PRETOKENIZE_REGEX

    from timechat_core.resources import templates_dir

    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(PRETOKENIZE_REGEX), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    corpus = [p.read_text(encoding="utf-8") for p in sorted(templates_dir().rglob("*")) if p.suffix in (".yaml", ".json")]
    corpus.append(" ".join(f"{t / 10:.1f} - {t / 10 + 7:.1f} seconds." for t in range(0, 2000, 7)))
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus, trainer)
    model = json.loads(tok.to_str())["model"]
    return Qwen2Tokenizer(vocab=model["vocab"], merges=[tuple(m) if isinstance(m, list) else tuple(m.split(" "))
                                                        for m in model["merges"]],
                          eos_token="<|im_end|>", pad_token="<|endoftext|>", unk_token=None,
                          extra_special_tokens=SPECIAL_TOKENS[1:])


def tiny_config(model_type: str, tokenizer):
    """A toy config of the family whose token ids are the tokenizer's."""
    from transformers import Qwen2_5_VLConfig, Qwen3VLConfig

    from timechat_core.qwen.sizes import token_ids

    ids = token_ids(tokenizer)
    special = {k: ids.pop(k) for k in ("bos_token_id", "eos_token_id", "pad_token_id")}
    text = dict(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=32768, **special)
    if model_type == "qwen2_5_vl":
        return Qwen2_5_VLConfig(
            text_config={**text, "rope_parameters": {"rope_type": "default", "rope_theta": 1e6,
                                                     "mrope_section": [2, 3, 3]}},
            vision_config=dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=64,
                               patch_size=14, window_size=56, fullatt_block_indexes=[1], tokens_per_second=2),
            tie_word_embeddings=True, **ids)
    if model_type == "qwen3_vl":
        return Qwen3VLConfig(
            text_config={**text, "head_dim": 16, "rope_parameters": {"rope_type": "default", "rope_theta": 5e6,
                                                                      "mrope_section": [2, 3, 3],
                                                                      "mrope_interleaved": True}},
            vision_config=dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=64,
                               patch_size=16, num_position_embeddings=64, deepstack_visual_indexes=[0]),
            tie_word_embeddings=True, **ids)
    raise ValueError(f"no tiny config for model_type {model_type!r}; choose from {', '.join(TINY_TYPES)}")


def save_tiny_folder(model_type: str, out_dir: str | Path, seed: int = 0) -> Path:
    """Write a random model folder of the family: config, safetensors, tokenizer, chat template, processor configs."""
    import torch

    from timechat_core.qwen.folder import family

    out_dir = Path(out_dir)
    fam = family(model_type)
    tokenizer = train_tokenizer()
    config = tiny_config(model_type, tokenizer)
    torch.manual_seed(seed)
    model = fam.model_class()(config).eval()
    model.generation_config.do_sample = False
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    patch = config.vision_config.patch_size
    mean, std = ((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)) \
        if model_type == "qwen2_5_vl" else ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
    processor = {"image_processor": {"image_processor_type": "Qwen2VLImageProcessor", "patch_size": patch,
                                     "temporal_patch_size": 2, "merge_size": 2, "image_mean": mean, "image_std": std},
                 "video_processor": {"video_processor_type": fam.video_processor_type, "patch_size": patch,
                                     "temporal_patch_size": 2, "merge_size": 2, "image_mean": mean, "image_std": std},
                 "processor_class": fam.processor_class_name}
    (out_dir / "processor_config.json").write_text(json.dumps(processor, indent=1), encoding="utf-8")
    template = CHAT_TEMPLATE.replace("default_system", json.dumps(DEFAULT_SYSTEM[model_type]))
    (out_dir / "chat_template.jinja").write_text(template, encoding="utf-8")
    return out_dir
