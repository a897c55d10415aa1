# The front door: `make run` sets up and starts the service, `make test` sets up and runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup model run test bench clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# Train the default model from data/ when no active model exists.
model: setup
	@$(BIN)/triage model-ready || $(BIN)/triage train

# Set up, train the default model if none exists, migrate the SQLite database, create and
# print a first admin key once, then serve on http://127.0.0.1:8000 (docs at /docs).
run: model
	$(BIN)/triage migrate
	$(BIN)/triage create-key --role admin --if-none
	$(BIN)/triage serve --host 127.0.0.1 --port 8000

# The console's browser test drives Debian's Chromium through Playwright (Playwright's own
# browser download is not available): install the package when it is missing and apt can run.
CHROMIUM ?= /usr/bin/chromium
browser:
	@if [ ! -x $(CHROMIUM) ] && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "installing chromium for the console's browser test"; \
	  (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || \
	   (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)) || \
	  echo "could not install chromium: the browser test will say why it cannot run"; \
	fi

test: setup browser
	$(BIN)/python -m pytest -q

PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# The benchmark's PostgreSQL: TRIAGE_TEST_DATABASE_URL when set, else PG_URL (its tables are dropped).
BENCH_PG = $(or $(TRIAGE_TEST_DATABASE_URL),$(PG_URL))
# Stored items of the duplicate-index benchmark. 1,000,000 took 37 min on the shared 2-core
# machine the first time (22 of them generating the items, which are then cached in
# bench-results/spool/, ~2 GB) and 7 min after; DEDUP_ITEMS=50000 for a quick run.
# labelled-case counts of the training-scale section (TRAIN_SIZES=10000 for a quicker run)
TRAIN_SIZES ?= 10000,50000
DEDUP_ITEMS ?= 1000000

bench: model
	@if $(BIN)/python -c "import sys, psycopg; psycopg.connect(sys.argv[1].replace('+psycopg', '')).close()" '$(BENCH_PG)' 2>/dev/null; \
	then TRIAGE_TEST_DATABASE_URL='$(BENCH_PG)' $(BIN)/python benchmarks/run.py --dedup-items $(DEDUP_ITEMS) --train-sizes $(TRAIN_SIZES); \
	else $(BIN)/python benchmarks/run.py --dedup-items $(DEDUP_ITEMS) --train-sizes $(TRAIN_SIZES); fi

clean:
	rm -rf $(VENV) models/*/ models/registry.json
