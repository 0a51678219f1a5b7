"""Locally trained tokenizers behave like the official ones wherever the toolkit relies on it."""

from __future__ import annotations

import pytest

from timechat_core.model.processor import IGNORE_INDEX, TimeChatProcessor, eval_prompt, training_conversation
from timechat_core.model.tokenizers import train_bert_vocab, train_llm_tokenizer
from timechat_core.video.sampling import frame_texts, timestamp_message

CORPUS = [
    "The given query happens in 12.5 - 30.0 seconds.",
    "Find the start and end time of the event: the red circle appears.",
    "0.0 - 9.5 seconds, a blue square moves left.  9.5 - 20.0 seconds, the screen flashes.",
    "This frame is sampled at 3.5 second.",
    "The video contains 8 frames sampled at 0.0, 1.5, 3.0 seconds. ",
] * 20


@pytest.fixture(scope="module")
def processor(tmp_path_factory):
    root = tmp_path_factory.mktemp("tok")
    train_llm_tokenizer(CORPUS, root / "llm", vocab_size=160)
    train_bert_vocab(CORPUS, root / "bert", vocab_size=120)
    return TimeChatProcessor(root / "llm", root / "bert")


def test_special_ids_match_llama(processor):
    tok = processor.llama
    assert (tok.unk_token_id, tok.bos_token_id, tok.eos_token_id, tok.pad_token_id) == (0, 1, 2, 0)
    assert processor.image_token_id == len(tok) - 1  # <ImageHere> right after the trained pieces
    ids = tok("in 12.5 seconds").input_ids
    assert ids[0] == 1
    assert [t for t in tok.convert_ids_to_tokens(ids) if t.strip("▁").isdigit()] == ["1", "2", "5"]


def test_labels_supervise_answers_and_eos(processor):
    msg = timestamp_message([0, 10, 20], 10.0)
    conv = training_conversation([("Find the event: the red circle appears.", "The given query happens in 0.0 - 1.5 seconds."),
                                  ("And the square?", "The given query happens in 1.5 - 2.0 seconds.")], msg, 4)
    batch = processor.train_batch([conv], [frame_texts(msg)])
    ids, labels = batch.input_ids[0], batch.labels[0]
    assert int((ids == processor.image_token_id).sum()) == 4
    kept = processor.llama.decode(ids[labels != IGNORE_INDEX])
    assert kept.split() == ("the given query happens in 0.0 - 1.5 seconds. </s> "
                            "the given query happens in 1.5 - 2.0 seconds. </s>").split()


def test_video_after_the_instruction_keeps_the_labels_and_one_video_slot(processor):
    """`PromptSettings.video_after_instruction`: the question, then the video; still only the answers are
    supervised, and the evaluation prompt still has the one <ImageHere> the engine splits on."""
    qa = [("Find the event: the red circle appears.", "The given query happens in 0.0 - 1.5 seconds."),
          ("And the square?", "The given query happens in 1.5 - 2.0 seconds.")]
    first = training_conversation(qa, "", 4)
    last = training_conversation(qa, "", 4, video_last=True)
    assert last.index("<Video>") > last.index("red circle") and first.index("<Video>") < first.index("red circle")
    assert last.count("[INST]") == 2 and last.count("<ImageHere>") == 4
    labels = {}
    for name, conv in (("first", first), ("last", last)):
        batch = processor.train_batch([conv], [["This frame is sampled at 0.0 second."] * 2])
        ids, lab = batch.input_ids[0], batch.labels[0]
        assert int((ids == processor.image_token_id).sum()) == 4
        labels[name] = processor.llama.decode(ids[lab != IGNORE_INDEX]).split()
    assert labels["last"] == labels["first"]
    prompt = eval_prompt("", "Find it.", " ", video_last=True)
    assert prompt.endswith("Find it. <Video><ImageHere></Video> [/INST]"), prompt
    seg0, seg1 = processor.eval_segments(prompt)
    assert processor.llama.decode(seg1).split() == ["</video>", "[/inst]"]


def test_eval_segments_and_decoding(processor):
    seg0, seg1 = processor.eval_segments(eval_prompt("The video contains 2 frames. ", "Find it."))
    assert seg0[0] == 1 and 1 not in seg1.tolist()
    answer = processor.llama("The given query happens in 3.5 - 7.0 seconds.", add_special_tokens=False).input_ids
    assert processor.decode_answer(answer + [2, 0, 0]) == "the given query happens in 3.5 - 7.0 seconds."


def test_bert_vocab_reads_timestamps(processor):
    ids, mask = processor.eval_timestamps(["This frame is sampled at 12.5 second."])
    tokens = processor.bert.convert_ids_to_tokens(ids[0])
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]" and "[UNK]" not in tokens
    assert "".join(t.removeprefix("##") for t in tokens[1:-1]) == "thisframeissampledat12.5second."
    assert "[UNK]" not in processor.bert.tokenize("at 98.7 seconds, zebra!")
    assert processor.bert.convert_tokens_to_ids("[DEC]") == len(processor.bert) - 1


def test_same_texts_same_vocabularies(tmp_path):
    """The WordPiece trainer orders pieces of equal count at random (a hash map); the written files
    must not depend on it, or a rerun of the demo recipe would give the Q-Former other ids."""
    texts = frame_texts(timestamp_message(list(range(400)), 10.0))
    for k in range(3):
        train_bert_vocab(texts, tmp_path / f"bert{k}", vocab_size=1000)  # every piece: ties cut at a limit stay random
        train_llm_tokenizer(CORPUS, tmp_path / f"llm{k}", vocab_size=160)
    for k in (1, 2):
        assert (tmp_path / f"bert{k}" / "vocab.txt").read_bytes() == (tmp_path / "bert0" / "vocab.txt").read_bytes()
        for f in (tmp_path / "llm0").iterdir():
            assert (tmp_path / f"llm{k}" / f.name).read_bytes() == f.read_bytes(), f.name
