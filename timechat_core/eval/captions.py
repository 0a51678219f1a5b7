"""Batched caption scorers backed by pycocoevalcap 1.2: PTB tokenisation, CIDEr-D and METEOR 1.5.

The dense-captioning evaluator (`timechat_core.eval.dvc`) needs thousands of METEOR statistics
and many small CIDEr-D corpora. TimeChat's evaluator (RenShuhuai-Andy/TimeChat,
`metrics/dvc/eval_dvc.py` with `metrics/dvc/metrics/{ptbtokenizer,meteor,cider_scorer}.py`) asks
for them one line at a time. The helpers here give the same numbers with less overhead:

- `tokenize` runs the Stanford PTBTokenizer that pycocoevalcap ships (`stanford-corenlp-3.4.1.jar`,
  `-preserveLines -lowerCase`, one caption per line) once over every distinct string, and drops
  pycocoevalcap's punctuation tokens. Note that `-lowerCase` turns `-LRB-` into `-lrb-`, which the
  punctuation list then no longer removes; kept, as in pycocoevalcap and TimeChat.
- `MeteorProcess` keeps one `meteor-1.5.jar - - -stdio -l en -norm` process alive (the jar and
  `data/paraphrase-en.gz` that pycocoevalcap ships, the command pycocoevalcap runs) and pipelines
  its line protocol: a feeder thread writes every request while a reader thread collects the
  answers, instead of one write/flush/read round trip per line.
- `cider_d` scores one small corpus with pycocoevalcap's `CiderScorer` (clipped tf-idf, Gaussian
  length penalty sigma 6, x10), taking the IDF from that corpus alone as TimeChat does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from timechat_core.errors import TimechatError

# Extra JVM options for both jars; none by default, as in pycocoevalcap. (Measured on the 415-video
# YouCook2 example: the C1-only JIT, -XX:TieredStopAtLevel=1, saves ~20% CPU on a busy 2-core box
# but slows the METEOR start-up from ~8 s to ~13 s on an idle one. The JIT tier never changes
# the scores: identical output here.)
JVM_OPTIONS: tuple[str, ...] = ()
_READ_NAP = 0.01  # seconds between reads of the METEOR output pipe (see _Exchange._read)

# Characters the PTB lexer treats as line breaks. A caption holding one would be split over two
# output lines and shift every later caption of the batch, so they become spaces (TimeChat only
# replaces "\n", and its own batches shift in that case).
_LINE_BREAKS = str.maketrans({c: " " for c in "\n\r\u2028\u2029\u000b\u000c\u0085"})


def _pycocoevalcap_dir() -> Path:
    """The installed pycocoevalcap package folder, which holds the jars."""
    try:
        import pycocoevalcap.meteor.meteor as meteor_module
    except ImportError as e:  # pragma: no cover - the eval extra is missing
        raise TimechatError("caption metrics need pycocoevalcap==1.2 (pip install 'timechat[eval]')") from e
    return Path(meteor_module.__file__).resolve().parents[1]


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise TimechatError("caption metrics need Java (METEOR 1.5 and the Stanford tokenizer are jars)")
    return java


def tokenize(strings: Iterable[str]) -> dict[str, str]:
    """PTB-tokenise strings in one Java call, exactly as pycocoevalcap's `PTBTokenizer` does.

    Same jar, flags, one-caption-per-line file and punctuation list as pycocoevalcap 1.2; the jar
    is run here directly so its "tokenized N tokens" banner goes to a pipe, not the terminal, and
    no temporary file is written into site-packages.

    Args:
        strings: Captions; duplicates are tokenised once.

    Returns:
        Mapping from each input string to its lower-cased, punctuation-stripped tokens joined by
        single spaces.

    Raises:
        TimechatError: Java is missing, the tokenizer fails, or its output does not line up.
    """
    from pycocoevalcap.tokenizer.ptbtokenizer import PUNCTUATIONS, STANFORD_CORENLP_3_4_1_JAR

    unique = list(dict.fromkeys(strings))
    # Blank captions tokenise to "" (checked against the jar); keeping them out of the file means
    # a blank last line cannot go missing from the output.
    out = {s: "" for s in unique if not s.translate(_LINE_BREAKS).strip()}
    unique = [s for s in unique if s not in out]
    if not unique:
        return out
    jar = _pycocoevalcap_dir() / "tokenizer" / STANFORD_CORENLP_3_4_1_JAR
    cmd = [_java(), *JVM_OPTIONS, "-cp", str(jar), "edu.stanford.nlp.process.PTBTokenizer", "-preserveLines",
           "-lowerCase"]
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "captions.txt"
        src.write_bytes("\n".join(s.translate(_LINE_BREAKS) for s in unique).encode("utf-8"))
        try:
            proc = subprocess.run([*cmd, str(src)], capture_output=True, check=False)
        except OSError as e:
            raise TimechatError(f"PTB tokenizer could not start: {e}") from e
    if proc.returncode != 0:
        raise TimechatError(f"PTB tokenizer failed: {proc.stderr.decode('utf-8', 'replace')[-500:]}")
    lines = proc.stdout.decode("utf-8").split("\n")
    # The jar ends its output with a newline: one extra, empty field after the last caption.
    if len(lines) < len(unique) or any(lines[len(unique):]):
        raise TimechatError(f"PTB tokenizer returned {len(lines)} lines for {len(unique)} captions")
    drop = set(PUNCTUATIONS)
    out.update({s: " ".join(w for w in line.rstrip().split(" ") if w not in drop) for s, line in zip(unique, lines)})
    return out


def cider_d(pairs: Sequence[tuple[str, str]]) -> float:
    """CIDEr-D of a corpus of (hypothesis, reference) pairs, one reference each, IDF from the corpus.

    Args:
        pairs: Tokenised (hypothesis, reference) strings, in the order the scores are summed.

    Returns:
        The mean CIDEr-D over the pairs, NaN mapped to 0 (as TimeChat's `np.nan_to_num`).
    """
    from pycocoevalcap.cider.cider_scorer import CiderScorer

    if not pairs:
        return 0.0
    scorer = CiderScorer(n=4, sigma=6.0)
    for hyp, ref in pairs:
        scorer += (hyp, [ref])
    score, _ = scorer.compute_score()
    return float(np.nan_to_num(score))


def meteor_score_line(reference: str, hypothesis: str) -> str:
    """The METEOR `SCORE` request for one pair, with the hypothesis cleaned as pycocoevalcap does."""
    hypothesis = hypothesis.replace("|||", "").replace("  ", " ")
    return f"SCORE ||| {reference} ||| {hypothesis}"


class MeteorProcess:
    """One long-lived `meteor-1.5.jar -stdio` process with a pipelined, batched protocol.

    Use as a context manager. `stats` turns `SCORE` requests into METEOR sufficient statistics;
    `evaluate` turns groups of statistics into (aggregate score, per-segment scores), exactly what
    the jar prints for an `EVAL` line. A feeder thread writes the requests while a reader thread
    collects the answers, so no line waits for a round trip and a full pipe cannot deadlock.

    Args:
        heap: Java maximum heap (`-Xmx`), 2G as in pycocoevalcap and TimeChat.
        jvm_options: Extra JVM options placed before `-jar` (they do not change scores).

    Raises:
        TimechatError: Java or the jar is missing (later: the process died or answered garbage).
    """

    def __init__(self, heap: str = "2G", jvm_options: Sequence[str] = JVM_OPTIONS):
        root = _pycocoevalcap_dir() / "meteor"
        jar = root / "meteor-1.5.jar"
        if not jar.is_file():
            raise TimechatError(f"{jar}: METEOR jar is missing from pycocoevalcap")
        # stderr goes to a file: an unread pipe could fill up and stall the jar.
        self._stderr = tempfile.TemporaryFile()
        cmd = [_java(), *jvm_options, "-jar", f"-Xmx{heap}", str(jar), "-", "-", "-stdio", "-l", "en", "-norm"]
        # cwd = the jar's folder, where it looks for data/paraphrase-en.gz (as pycocoevalcap runs it).
        self._proc = subprocess.Popen(cmd, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=self._stderr)
        self._lock = threading.Lock()
        self._leftover = b""  # bytes of the next answer already read from the pipe (normally none)

    def __enter__(self) -> MeteorProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the Java process (idempotent). It holds no state worth a clean exit, so it is killed
        as pycocoevalcap and TimeChat do; that is also immediate while it is still loading."""
        proc = self._proc
        if proc.poll() is None:
            try:
                proc.stdin.close()
            except OSError:
                pass
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, self._stderr):
            stream.close()

    def stats(self, requests: Sequence[str]) -> list[str]:
        """Send `SCORE` lines (see `meteor_score_line`); return one statistics string per line."""
        return self.submit_stats(requests).result()

    def submit_stats(self, requests: Sequence[str]) -> _Exchange:
        """Like `stats`, but returns at once; `.result()` waits for the answers.

        The caller can do other work meanwhile (the jar scores on its own core). Until `.result()`
        returns, no other request can be made on this process.
        """
        return _Exchange(self, list(requests), [1] * len(requests), lambda lines: lines[0])

    def evaluate(self, groups: Sequence[Sequence[str]]) -> list[tuple[float, list[float]]]:
        """Score groups of statistics; one `EVAL` line per group (each group must be non-empty).

        Returns:
            Per group: (aggregate METEOR over the group, METEOR of each statistics string).
        """
        if any(not g for g in groups):
            raise ValueError("METEOR EVAL needs at least one statistics string per group")
        lines = ["EVAL ||| " + " ||| ".join(g) for g in groups]

        def parse(answer: list[str]) -> tuple[float, list[float]]:
            return float(answer[-1]), [float(x) for x in answer[:-1]]

        return _Exchange(self, lines, [len(g) + 1 for g in groups], parse).result()

    def _stderr_tail(self) -> str:
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace").strip()
        return text[-500:] or f"exit status {self._proc.poll()}"


def default_heap() -> str:
    """METEOR's Java heap: TimeChat and pycocoevalcap use 2G; `TIMECHAT_METEOR_HEAP` overrides it."""
    return os.environ.get("TIMECHAT_METEOR_HEAP", "2G")


class _Exchange:
    """One batch of requests in flight: a feeder thread writes, a reader thread collects."""

    def __init__(self, meteor: MeteorProcess, lines: list[str], n_answers: list[int], parse) -> None:
        self._meteor, self._lines, self._n_answers, self._parse = meteor, lines, n_answers, parse
        self._results: list = []
        self._errors: list[str] = []
        meteor._lock.acquire()
        self._threads = [threading.Thread(target=self._feed, daemon=True),
                         threading.Thread(target=self._read, daemon=True)]
        for thread in self._threads:
            thread.start()

    def _feed(self) -> None:
        stdin = self._meteor._proc.stdin
        try:
            for line in self._lines:
                stdin.write(line.encode("utf-8") + b"\n")
            stdin.flush()
        except (OSError, ValueError) as e:  # the jar died or was closed; the reader says which
            self._errors.append(f"writing to METEOR failed: {e}")

    def _read(self) -> None:
        # The jar flushes every answer line. Reading each as it comes would wake this process
        # thousands of times a second (costly on a busy machine), so the pipe is drained in large
        # chunks with a short nap in between; the jar keeps writing into the pipe meanwhile.
        fd = self._meteor._proc.stdout.fileno()
        lines: list[bytes] = []
        buf = self._meteor._leftover
        total = sum(self._n_answers)
        try:
            while len(lines) < total:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    self._errors.insert(0, f"METEOR stopped unexpectedly: {self._meteor._stderr_tail()}")
                    return
                *complete, buf = (buf + chunk).split(b"\n")
                lines.extend(complete)
                if len(lines) < total:
                    time.sleep(_READ_NAP)
            self._meteor._leftover = b"\n".join(lines[total:] + [buf])
            pos = 0
            for n in self._n_answers:
                self._results.append(self._parse([x.decode("utf-8").strip() for x in lines[pos:pos + n]]))
                pos += n
        except (OSError, ValueError) as e:  # ValueError: a line that is not a number
            self._errors.insert(0, f"unexpected METEOR output: {e}")

    def result(self) -> list:
        """Wait for every answer (in request order)."""
        if self._threads:
            feeder, reader = self._threads
            self._threads = []
            try:
                reader.join()
                if self._errors:
                    # The protocol is out of step: the jar is no use any more, and killing it
                    # also unblocks a feeder stuck on a full pipe.
                    self._meteor._proc.kill()
                feeder.join()
            finally:
                self._meteor._lock.release()
        if self._errors:
            raise TimechatError(self._errors[0])
        return self._results
