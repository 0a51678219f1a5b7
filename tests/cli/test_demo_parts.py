"""scripts/demo_parts.py: the pieces the demo recipe's stages and card measures share."""

from __future__ import annotations

import pytest
import torch

from tests.conftest import load_script


@pytest.fixture(scope="module")
def parts():
    return load_script("demo_parts")


def test_time_digits(parts):
    assert parts.time_digits([7.3, 12.0, 0.45, 99.9]) == [[0, 7, 3], [1, 2, 0], [0, 0, 5], [9, 9, 9]]


def test_combos_put_colours_fastest(parts):
    from timechat_core.synth.scene import COLOURS, SHAPES

    assert len(parts.COMBOS) == len(COLOURS) * len(SHAPES)
    assert parts.COMBOS[: len(COLOURS)] == tuple((c, SHAPES[0]) for c in COLOURS)


def test_digit_ids_are_the_number_pieces(parts, tmp_path):
    """`digit_ids` marks exactly the pieces of an answer's numbers."""
    from timechat_core.model.processor import TimeChatProcessor
    from timechat_core.model.tokenizers import train_bert_vocab, train_llm_tokenizer

    corpus = ["The given query happens in 12.5 - 30.0 seconds.", "This frame is sampled at 3.5 second."] * 20
    train_llm_tokenizer(corpus, tmp_path / "llm", vocab_size=160)
    train_bert_vocab(corpus, tmp_path / "bert", vocab_size=120)
    processor = TimeChatProcessor(tmp_path / "llm", tmp_path / "bert")
    tok = processor.llama
    digit = parts.digit_ids(processor)
    assert digit.shape == (len(tok),) and digit.dtype == torch.bool
    ids = tok("The given query happens in 12.5 - 30.0 seconds.", add_special_tokens=False).input_ids
    assert [tok.convert_ids_to_tokens(i).lstrip("▁") for i in ids if digit[i]] == list("125300")
    assert not digit[tok.unk_token_id] and not digit[tok.eos_token_id] and 0 < int(digit.sum()) <= 20


def test_next_token_losses_are_lm_loss_unreduced(parts):
    """Averaged over the supervised positions, the per-position losses are `lm_loss`'s loss; each row alone is
    that question's loss."""
    from timechat_core.model.config import TimeChatConfig
    from timechat_core.model.timechat import TimeChatModel

    torch.manual_seed(0)
    tiny = TimeChatModel(TimeChatConfig.preset("tiny", num_frames=12, max_frame_pos=12)).eval()
    torch.manual_seed(1)
    embeds = torch.randn(2, 9, tiny.config.llm.hidden_size)
    labels = torch.randint(3, tiny.config.llm.vocab_size, (2, 9))
    labels[:, :4] = -100
    labels[1, 6:] = -100
    with torch.no_grad():
        out = tiny.lm_loss(embeds, torch.ones(2, 9, dtype=torch.long), labels)
        row = tiny.lm_loss(embeds[1:], torch.ones(1, 9, dtype=torch.long), labels[1:])["loss"]
    loss, target, kept = parts.next_token_losses(out["logits"], labels)
    assert kept.tolist() == [[False] * 3 + [True] * 5, [False] * 3 + [True] * 2 + [False] * 3]
    assert torch.equal(target, labels[:, 1:])
    torch.testing.assert_close((loss * kept).sum() / kept.sum(), out["loss"])
    torch.testing.assert_close((loss[1] * kept[1]).sum() / kept[1].sum(), row)
