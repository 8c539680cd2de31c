# Two entry points do everything on a fresh machine: `make demo` and `make test`.
# Each creates or reuses .venv; the second run only re-installs when pyproject.toml changed.
PYTHON ?= python3
VENV ?= .venv
# The CPU build of torch by default. On a GPU machine pass e.g. TORCH="torch==2.13.0" with your index.
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-stamp

.PHONY: setup demo test test-kernels test-benchmarks lint docs wheel-check wheel-check-quick

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first and pinned, so nothing below can pull a multi-GB CUDA build.
	$(BIN)/pip install --quiet --disable-pip-version-check "$(TORCH)"
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	# Inseq's wheel pins CUDA 11 libraries on Linux; its real needs are in the `reference` extra.
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps "inseq==0.7.1"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/tokendistill demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

# The config reference (docs/config.md) and the JSON Schemas presets name, from the config
# models; tests/reference fails when the checked-in copies differ from what this writes.
docs: $(STAMP)
	$(BIN)/python -m tokendistill.reference docs

# One pytest worker per core (at most 4; tests run one torch thread each), a module per worker.
test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/pytest -n auto --maxprocesses 4 --dist loadscope --no-loadscope-reorder

# The tests that compare float32 results, again under other CPU kernel sets of torch: a pin
# that holds only on one machine's kernels fails here (CI runs it after `make test`).
KERNEL_SETS ?= default avx2
test-kernels: $(STAMP)
	for kernels in $(KERNEL_SETS); do \
		echo "ATEN_CPU_CAPABILITY=$$kernels"; \
		ATEN_CPU_CAPABILITY=$$kernels $(BIN)/pytest -q -m kernels -n auto --maxprocesses 4 --dist loadscope || exit 1; \
	done

# Every benchmark script at a smoke size, so that none rots (CI runs it after `make test`).
test-benchmarks: $(STAMP)
	$(BIN)/pytest -q -m benchmark -n auto --maxprocesses 4 --dist loadscope tests/benchmarks

# The package as a user installs it: build the wheel, install it (not editable) into a fresh venv
# after CPU torch, validate every preset and run the demo from it, outside the checkout
# (.ci/wheel-check; the quick variant, which CI runs, shrinks the demo to one seed).
wheel-check:
	PYTHON=$(PYTHON) TORCH="$(TORCH)" .ci/wheel-check

wheel-check-quick:
	PYTHON=$(PYTHON) TORCH="$(TORCH)" .ci/wheel-check --quick
