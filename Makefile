# Two commands do all the set-up: `make run` (the hub with demo data, embedded PostgreSQL)
# and `make test`. Both create .venv and install the project into it when needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test mutation docs serve migrate schema bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)  ## start the hub with demo data on http://127.0.0.1:8000/graphql
	$(BIN)/hub demo

test: $(STAMP)  ## lint, type-check, build the docs, then the whole test suite (pytest's "no tests" exit 5 fails the target)
	$(BIN)/ruff check app graphql_schema tests bench migrations
	$(BIN)/mypy
	$(BIN)/mkdocs build --strict
	$(BIN)/pytest

mutation: $(STAMP)  ## mutation tests of the rule modules (about a minute; not part of `make test`)
	$(BIN)/python -m pip install --quiet 'mutmut>=3.8,<4'
	rm -rf mutants
	$(BIN)/mutmut run
	$(BIN)/python tests/mutation/check.py

docs: $(STAMP)  ## the documentation as a site on http://127.0.0.1:8001 (mkdocs)
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8001

serve: $(STAMP)
	$(BIN)/hub serve

migrate: $(STAMP)
	$(BIN)/hub migrate

schema: $(STAMP)  ## regenerate the committed SDL
	$(BIN)/hub schema > graphql_schema/schema.graphql

clean:
	rm -rf $(VENV) .hub .pytest_cache mutants
