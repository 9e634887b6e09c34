# The two commands of the quick start. Each one creates .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.base: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.base $@

# A gradient, an HVP and a gradient check, then the MLP trained on MNIST (downloaded with
# checksums into ~/.cache/tinygrad_gd, or the subset bundled with the package when offline).
demo: $(VENV)/.base
	$(BIN)/python examples/demo.py
	$(BIN)/python examples/train_mnist.py --out runs/demo

test: $(VENV)/.dev
	$(BIN)/python -m pytest tinygrad_gd tests

lint: $(VENV)/.dev
	$(BIN)/ruff check .

bench: $(VENV)/.dev
	for b in overhead layers optim mnist; do $(BIN)/python benchmarks/$$b.py || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
