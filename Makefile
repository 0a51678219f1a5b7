# Quick start: `make demo` and `make test` bootstrap .venv themselves.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test demo bench clean-venv

# Re-install only when pyproject.toml changed (or the venv is missing).
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[asr,models,openai-whisper,eval,dev]"
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps openai-whisper==20250625
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

demo: $(STAMP)
	$(PY) scripts/demo.py

bench: $(STAMP)
	$(PY) benchmarks/bench_frames.py
	$(PY) benchmarks/bench_compress.py
	$(PY) benchmarks/bench_asr.py
	$(PY) benchmarks/bench_dvc.py
	$(PY) benchmarks/bench_windows.py
	$(PY) benchmarks/bench_infer.py

clean-venv:
	rm -rf $(VENV)
