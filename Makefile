# Two commands: `make run` (the app with the demo trust) and `make test` (everything, both databases, browser).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := app

.PHONY: run test bench load system-deps clean translations

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

# 50 respondents against gunicorn on SQLite, then on a throwaway PostgreSQL, with a kill and restart:
# first all sending at once (throughput against the baselines), then each taking ~2 s per form.
load: $(VENV)/.dev-deps system-deps
	$(BIN)/python -m bench.load --backend both
	$(BIN)/python -m bench.load --backend both --think 2

# After changing respondent wording: refresh the catalogue, add the Welsh to
# app/translations/cy/LC_MESSAGES/messages.po, then compile (the .mo is committed, so
# `make run` needs no extra step; tests/test_translations.py checks it is up to date).
translations: $(VENV)/.run-deps
	$(BIN)/pybabel extract -F babel.cfg -k _l --no-location --sort-output --omit-header -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --omit-header
	$(BIN)/pybabel compile -d app/translations --statistics

system-deps:
	@bash scripts/system-deps.sh

clean:
	rm -rf $(VENV) .pytest_cache
