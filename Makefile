# Every check has a target here, run the same way locally and in CI (.ci/run calls `make test`).
# Python tools and the package live in $(VENV), created on first use.

VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-14s %s\n", $$1, $$2}'

.PHONY: example
example: ## Build and run the main example, in Rust then in Python (slow first call, fast second)
	cargo run --release -p miniperscache --example basics_sync
	$(MAKE) --no-print-directory python-install
	$(PY) examples/basics.py

.PHONY: test
test: fmt lint docs test-rust python-install lint-python typecheck test-python ## Every check and test, as CI runs them

.PHONY: fmt
fmt: ## Check Rust formatting
	cargo fmt --all -- --check

.PHONY: lint
lint: ## Clippy on every crate and target, warnings denied; the engine must not depend on pyo3
	cargo clippy --workspace --all-targets -- -D warnings
	cargo check -q -p miniperscache --no-default-features
	@if cargo tree -p miniperscache -e normal | grep -q pyo3; then \
		echo "crates/core must not depend on pyo3"; exit 1; fi

.PHONY: docs
docs: ## Rust API docs, with broken links and other rustdoc warnings denied
	RUSTDOCFLAGS="-D warnings" cargo doc -q --workspace --no-deps

.PHONY: test-rust
test-rust: ## Rust tests: unit, integration, UI (trybuild) and doc tests
	cargo test --workspace

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

.PHONY: python-install
python-install: $(PY) ## Build the Python package with maturin and install it (and the test tools) into .venv
	$(PY) -m pip install -q ".[test]"

.PHONY: lint-python
lint-python: ## ruff on the Python sources and tests
	$(PY) -m ruff check python tests typing_tests examples benchmarks
	$(PY) -m ruff format --check python tests typing_tests examples benchmarks

.PHONY: typecheck
typecheck: ## mypy --strict on the package and typing_tests; stubtest checks _rust.pyi against the binary
	$(PY) -m mypy
	$(PY) -m mypy.stubtest miniperscache._rust

.PHONY: test-python
test-python: ## The pytest suite, against the installed package
	$(PY) -m pytest -q -p no:cacheprovider

.PHONY: clean
clean: ## Remove build outputs and the virtualenv
	cargo clean
	rm -rf $(VENV) .miniperscache

.PHONY: bench
bench: python-install ## Python cache-hit benchmark beside installed peers (diskcache, joblib, cachier)
	$(PY) benchmarks/bench_hit.py
