# UPI Checkout — developer and CI entry points.
# `make test` is what CI runs (via .ci/run). Everything installs from this repo's files.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# Two stamps: `make run` needs the runtime set only; test, lint and fmt add the dev set.
RUN_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: help venv run test lint browser-deps fmt clean catalogues

help: ## List the targets
	@echo "UPI Checkout — make targets:"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "} {printf "  %-14s %s\n", $$1, $$2}'

venv: $(DEV_STAMP) ## Create .venv (if missing) and install requirements-dev.txt

# Each set reinstalls only when its requirements file is newer than its stamp.
$(RUN_STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -r requirements.txt
	@touch $@

$(DEV_STAMP): $(RUN_STAMP) requirements-dev.txt
	$(PY) -m pip install -r requirements-dev.txt
	@touch $@

run: $(RUN_STAMP) ## Run the app (installs requirements.txt only; PORT, HOST, ... from the environment)
	$(PY) app.py

test: venv browser-deps ## Lint, then run the whole test suite
	bash scripts/ensure-dovecot
	$(MAKE) --no-print-directory lint
	$(PY) -m pytest -q

lint: venv ## ruff check, ruff format --check, mypy (files set in pyproject.toml)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

browser-deps: ## Make sure Debian's Chromium is at /usr/bin/chromium (apt-get as root)
	bash scripts/ensure-chromium

fmt: venv ## Format the code and apply ruff's automatic fixes
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The customer pages' catalogues (README, "Languages"): extract every marked string into
# messages.pot, merge it into each translations/<code>/LC_MESSAGES/messages.po, compile .mo.
# New or changed strings come out untranslated (or fuzzy); tests/functional/test_i18n.py
# fails until each has its translation and the .mo is compiled again.
BABEL_KEYWORDS := -k lazy_gettext -k N_
catalogues: venv ## Extract, update and compile the message catalogues (translations/)
	$(VENV)/bin/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output \
		--project "UPI Checkout" -o translations/messages.pot .
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations --no-wrap \
		--ignore-obsolete
	$(VENV)/bin/pybabel compile -d translations --statistics

clean: ## Remove caches and test artifacts (keeps .venv)
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis test-artifacts
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +
