# Moscow EMC FHIR server. `make run` serves with demo data; `make test` runs the whole suite;
# `make lint` runs ruff and mypy (configured in pyproject.toml).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test bench lint clean

install: $(STAMP)

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

run: install
	FHIR_AUTH=$${FHIR_AUTH:-on} $(BIN)/python -m fhir_server serve --demo

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

# wrk (a C load generator) keeps the client from competing with the server for the two cores;
# without it the benchmarks fall back to Python clients.
bench: install
	command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -q wrk >/dev/null; } || \
		echo "wrk not installed: using Python load clients"
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache
