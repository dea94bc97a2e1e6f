# journal-me — two commands on a fresh machine:
#   make demo   install the app and open it on the bundled sample vault
#   make test   install what the tests need and run the full suite
# The first install compiles llama.cpp (llama-cpp-python): about 8 minutes on 2 cores.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
# CPU torch: an exact pin, so pip never pulls a multi-GB CUDA build on machines without a GPU
TORCH  ?= torch==2.13.0

.PHONY: demo test install install-dev lint typecheck bench eval clean

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	touch $@

$(VENV)/.app: $(VENV)/.created pyproject.toml
	$(PIP) install -e '.[net]'
	touch $@

$(VENV)/.dev: $(VENV)/.created pyproject.toml
	$(PIP) install $(TORCH)
	$(PIP) install -e '.[train,net,dev]'
	touch $@

install: $(VENV)/.app
install-dev: $(VENV)/.dev

demo: $(VENV)/.app
	$(VENV)/bin/journal-me --vault vault

test: $(VENV)/.dev
	$(PY) -m pytest -q -p no:cacheprovider

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check journal_me trainer tests bench
	$(VENV)/bin/mypy journal_me trainer

eval: $(VENV)/.dev
	$(PY) bench/retrieval_eval.py

bench: $(VENV)/.dev
	$(PY) bench/bench_core.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
