# The front door: `make run` sets up and starts the service, `make test` sets up and runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup model run test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# Train the default model from data/ when no active model exists.
model: setup
	@$(BIN)/triage model-ready || $(BIN)/triage train

run: model
	$(BIN)/triage predict --help >/dev/null
	@echo "The HTTP service arrives with issue #4; the language core is ready:"
	@echo "  $(BIN)/triage predict INPUT.jsonl -o OUTPUT.jsonl"

test: setup
	$(BIN)/python -m pytest -q

bench: model
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) models/*/ models/registry.json
