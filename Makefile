# rotation-bot: one command per job. Every target installs what it needs first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo run test lint bench bench-save soak clean

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
	$(BIN)/pytest -q -m "not slow"

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
	$(BIN)/pytest -q -m slow --timeout 1800

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache .ruff_cache
