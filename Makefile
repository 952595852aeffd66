# rotation-bot: one command per job. Every target installs what it needs first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# pytest worker processes (pytest-xdist); TEST_WORKERS=0 runs in one process
TEST_WORKERS ?= 4
STAMP := $(VENV)/.installed

.PHONY: install demo run test lint bench bench-save soak wheel-check ci clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q -m "not slow" -n $(TEST_WORKERS)

demo: install
	$(BIN)/rotation-bot demo

run: install
	$(BIN)/rotation-bot run

# Writes bench/out/results.json (untracked); bench-save copies that run into the committed
# record bench/results.json.
bench: install
	$(BIN)/python -m bench

bench-save: install
	$(BIN)/python -m bench.save

soak: install
	$(BIN)/pytest -q -m slow --timeout 1800 -n $(TEST_WORKERS)

# The wheel as a user installs it: built, installed (not editable) in a fresh venv outside the
# checkout, `demo` and `ask` run from there (a module or data file left out of it fails).
wheel-check:
	PY=$(PY) .ci/wheel-check

# What CI runs: the installed wheel, then lint and the suite.
ci:
	.ci/run

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache .ruff_cache
