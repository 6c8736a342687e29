# s2r: `make demo` and `make test` work on a fresh machine (Python 3.10+ with venv).
# Each creates .venv when missing and installs the project into it first.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.s2r-installed
# The CPU build of torch (small); an unpinned torch pulls a multi-GB CUDA build.
TORCH  ?= torch==2.13.0
PIP    := $(PY) -m pip --disable-pip-version-check -q
# Debian packages some tests need (the firmware build; chromium renders the gap report's
# HTML in a test); installed when root.
APT_PKGS := gcc-avr avr-libc binutils-avr simavr libsimavr-dev libsimavrparts1 chromium

.PHONY: demo test test-fast lint bench install system-deps clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing s2r into $(VENV) (first time: about 2 minutes)"
	$(PIP) install "$(TORCH)" 2>&1 | grep -v "is ignored: it is neither" || true
	$(PIP) install -e ".[dev]" 2>&1 | grep -v "is ignored: it is neither" || true
	@$(PY) -c "import s2r, torch, pybullet" || (echo "install failed" >&2; exit 1)
	@touch $(STAMP)

system-deps:
	@if ! command -v avr-gcc >/dev/null 2>&1 || ! command -v simavr >/dev/null 2>&1 \
	    || [ ! -e /usr/include/simavr/sim_avr.h ] || ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing $(APT_PKGS)"; \
	    apt-get update -qq >/dev/null && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PKGS) >/dev/null; \
	  else echo "note: avr-gcc or chromium missing and not root: firmware and report-rendering tests will skip (CI installs them)"; fi; \
	fi

demo: $(STAMP)
	$(VENV)/bin/s2r demo

test: $(STAMP) system-deps
	$(PY) -m pytest -q

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check s2r randomizers hardware tests benchmarks
	$(VENV)/bin/mypy s2r randomizers hardware

bench: $(STAMP)
	$(PY) benchmarks/sim_throughput.py
	$(PY) benchmarks/replay_throughput.py
	$(PY) benchmarks/randomization_overhead.py
	$(PY) benchmarks/serial_loop.py
	$(PY) benchmarks/visual_render.py
	$(PY) benchmarks/effects_overhead.py
	$(PY) benchmarks/policy_inference.py
	$(PY) benchmarks/policy_call.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
