"""Small tokenizers trained locally with `tokenizers`, for models trained from scratch (the demo model).

Both follow the conventions the official ones have, so every other part of the toolkit treats
them alike:

- the LLM tokenizer: BPE over lower-cased text, a sentencepiece-style `▁` word prefix, every digit
  its own piece (so "12.5" is read digit by digit, as LLaMA's `split_digits` does), special tokens
  `<unk>` = 0 (also the pad), `<s>` = 1 (prepended), `</s>` = 2; `<ImageHere>` is added on top by
  `TimeChatProcessor`, as for LLaMA;
- the Q-Former vocabulary: a BERT WordPiece `vocab.txt` (`[PAD]` 0, `[UNK]`, `[CLS]`, `[SEP]`,
  `[MASK]`), read by `BertTokenizer` (lower-cased, punctuation and digits split), `[DEC]` added on top.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from pathlib import Path

SPECIAL = ["<unk>", "<s>", "</s>"]
BERT_SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
ALPHABET = list(string.ascii_lowercase + string.digits + string.punctuation)


def train_llm_tokenizer(texts: Iterable[str], out_dir: str | Path, vocab_size: int = 400) -> Path:
    """Train the LLM tokenizer on `texts` and save it as a transformers tokenizer folder.

    Returns:
        The folder (loadable with `AutoTokenizer.from_pretrained` and `TimeChatProcessor`).
    """
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True),
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.Punctuation(),
    ])
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL, initial_alphabet=ALPHABET + ["▁"],
                                  show_progress=False)
    tok.train_from_iterator(texts, trainer)
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B",
                                                       special_tokens=[("<s>", tok.token_to_id("<s>"))])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                   pad_token="<unk>")
    out_dir = Path(out_dir)
    fast.save_pretrained(out_dir)
    return out_dir


def train_bert_vocab(texts: Iterable[str], out_dir: str | Path, vocab_size: int = 300) -> Path:
    """Train a WordPiece vocabulary for the Q-Former and write `vocab.txt` + `tokenizer_config.json`.

    The same texts give the same file when the texts hold fewer pieces than `vocab_size` (the demo
    model's frame texts: 251 of 300); at the limit the trainer's choice among pieces of equal count
    is its own (random)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()  # what BertTokenizer does at run time
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=BERT_SPECIAL, initial_alphabet=ALPHABET,
                                        show_progress=False)
    tok.train_from_iterator(texts, trainer)
    # the trainer orders pieces of equal count differently from run to run (a hash map): the specials
    # first, then every piece in sorted order, so the same texts give the same ids (WordPiece's greedy
    # longest match only needs the set)
    pieces = set(tok.get_vocab()) - set(BERT_SPECIAL)
    # every character alone and as a continuation, so no word of these characters is [UNK]
    pieces |= {p for c in ALPHABET for p in (c, "##" + c)}
    vocab = list(BERT_SPECIAL) + sorted(pieces)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "vocab.txt").write_text("".join(t + "\n" for t in vocab), encoding="utf-8")
    (out_dir / "tokenizer_config.json").write_text(
        '{"do_lower_case": true, "tokenizer_class": "BertTokenizer", "model_max_length": 512}\n', encoding="utf-8")
    return out_dir
