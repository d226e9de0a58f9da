# Two commands: `make run` (the app with the demo trust) and `make test` (everything, both databases, browser).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := app

.PHONY: run test bench load system-deps clean

$(VENV)/.run-deps: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-deps: $(VENV)/.run-deps requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.run-deps
	$(BIN)/flask db upgrade
	$(BIN)/flask demo-data
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: $(VENV)/.dev-deps system-deps
	$(BIN)/python -m pytest

bench: $(VENV)/.dev-deps
	$(BIN)/python -m bench

# 50 respondents against gunicorn on SQLite, then on a throwaway PostgreSQL, with a kill and restart.
load: $(VENV)/.dev-deps system-deps
	$(BIN)/python -m bench.load --backend both

system-deps:
	@bash scripts/system-deps.sh

clean:
	rm -rf $(VENV) .pytest_cache
