# The two commands the README promises: `make sample` builds the sample review, `make test` runs the tests.
# Both set everything up on a fresh Debian machine with Python 3.11, pip and make.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT := out
AS_OF := 2026-11-03
MONTH := 2026-10

.PHONY: sample test test-deep lint samples clean bench docs bytecode

$(VENV)/.installed: pyproject.toml tools/system-deps.sh
	bash tools/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# What pip does for an installed package, done for this editable one: every command then loads reportgen's
# compiled modules instead of compiling them first (PYTHONDONTWRITEBYTECODE, set on many machines, keeps Python
# from saving them itself): 0.98x a sample build's time, paired runs; a no-op when they are up to date.
bytecode: $(VENV)/.installed
	$(BIN)/python -m compileall -q reportgen

sample: $(VENV)/.installed bytecode
	mkdir -p $(OUT)
	$(BIN)/reportgen check samples/northwind-en.xlsx --as-of $(AS_OF)
	$(BIN)/reportgen build samples/northwind-en.xlsx --month $(MONTH) --as-of $(AS_OF) \
		-o $(OUT)/northwind-en-$(MONTH).pdf --json $(OUT)/northwind-en-$(MONTH).json
	$(BIN)/reportgen check samples/xinghe-zh.xlsx --as-of $(AS_OF)
	$(BIN)/reportgen build samples/xinghe-zh.xlsx --month $(MONTH) --as-of $(AS_OF) \
		-o $(OUT)/xinghe-zh-$(MONTH).pdf --json $(OUT)/xinghe-zh-$(MONTH).json

samples: $(VENV)/.installed
	$(BIN)/python samples/make_samples.py samples

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check reportgen
	$(BIN)/mypy
	$(BIN)/lint-imports

# the documentation site (mkdocs.yml, docs/) into site/; tests/test_docs.py builds it too, so `make test` fails
# on any warning
docs: $(VENV)/.installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# two pytest-xdist workers; a module whose tests share a module-scoped fixture stays on one (tests/conftest.py)
test: $(VENV)/.installed bytecode lint
	bash tools/system-deps.sh --test
	$(BIN)/pytest -n 2 --dist loadgroup --durations=25

# the claims of 5,000 generated workbooks instead of CI's 300 (about 12 minutes), and 1,000 sequences of the
# monthly cycle's model on each back end instead of CI's 200 and 40
test-deep: $(VENV)/.installed bytecode
	bash tools/system-deps.sh --test
	HYPOTHESIS_PROFILE=deep $(BIN)/pytest tests/unit/figures/test_claims_generated.py
	HYPOTHESIS_PROFILE=deep MODEL_EXAMPLES=1000 $(BIN)/pytest tests/unit/cycle/test_lifecycle_model.py

$(VENV)/.bench-installed: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

bench: $(VENV)/.bench-installed bytecode
	bash tools/system-deps.sh --test
	$(BIN)/python benchmarks/bench_all.py

clean:
	rm -rf $(OUT) .pytest_cache .ruff_cache .mypy_cache
