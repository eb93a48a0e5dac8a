# Two entry points for a fresh machine; see README "Quick start".
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint templates samples docs

$(BIN)/selfscore: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $@

setup: $(BIN)/selfscore

## Check the shipped sample workbooks: prints the summary, writes out/*.checked.xlsx and out/report.json
demo: setup
	$(BIN)/selfscore check sample_data -o out --json out/report.json --summary out/汇总.xlsx || test $$? -eq 1

## Lint, layer contracts, the whole test suite on every core (a module's tests stay on one worker, so a corpus or
## server its module-scoped fixture builds is built once), then the docs site (site/, git-ignored)
test: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q -n auto --dist loadfile
	$(BIN)/mkdocs build --strict

templates: setup
	$(BIN)/selfscore template -o templates_xlsx --force

samples: setup
	$(BIN)/python sample_data/samples.py

## Rewrite the docs pages rendered from the code (the finding catalogue, rule vocabulary, JSON report, web API, architecture)
docs: setup
	$(BIN)/python docs/generate.py
