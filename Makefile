# Two commands set everything up on a fresh machine:
#   make demo   install into .venv, score the seed articles with the shipped model, and write
#               demo/report.html (corpus report) and demo/articles/ (each article highlighted)
#   make test   install into .venv (with dev tools) and run ruff, mypy and the tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,parquet,dask,report]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/framing score seeds/
	@mkdir -p demo
	$(BIN)/python -c 'import json, pathlib; print("".join(json.dumps({"id": p.stem, "text": p.read_text(encoding="utf-8")}) + "\n" for p in sorted(pathlib.Path("seeds").glob("*.txt"))), end="")' > demo/seeds.jsonl
	$(BIN)/framing score-corpus demo/seeds.jsonl -o demo/scores.jsonl --sentences demo/sentences.jsonl
	$(BIN)/framing report demo/scores.jsonl --sentences demo/sentences.jsonl -o demo/report.html --link 'articles/{id}.html' --title "Framing report: the seed articles"
	$(BIN)/framing score seeds/ --format html -o demo/articles
	@echo "open demo/report.html and demo/articles/index.html in a browser"

lint: $(STAMP)
	$(BIN)/ruff check framing tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache demo
