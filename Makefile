# Two commands set everything up on a fresh machine:
#   make demo   install into .venv and score the seed articles with the shipped model
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

lint: $(STAMP)
	$(BIN)/ruff check framing tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
