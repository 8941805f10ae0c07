# Kontora: `make run` starts the whole product, `make test` runs the whole test suite.
# Both set everything up first (virtual environment, pinned packages, translations); nothing else is needed
# but Python 3.11+ and a C compiler. PostgreSQL and Redis are the embedded ones unless DATABASE_URL /
# REDIS_URL name servers.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Test processes: xdist workers ("auto" = one per core; 0 = no xdist).
TEST_WORKERS ?= auto
PYTEST_ARGS  ?=

MANAGE := $(BIN)/python manage.py
STAMP  := $(VENV)/.installed

.PHONY: help setup run test lint format check-migrations check-schema check-translations messages \
        check-imports bench requirements stop status clean-var fuzz

help:
	@echo "make run     install, migrate, load demo data and run web + worker + beat (HOST=$(HOST) PORT=$(PORT))"
	@echo "make test    install and run the whole test suite on real PostgreSQL and Redis"
	@echo "make bench   run the benchmarks in bench/ and print their figures"
	@echo "make stop    stop the embedded PostgreSQL and Redis of this checkout (make status: are they running?)"
	@echo "make fuzz    fuzz every API operation against the OpenAPI schema (schemathesis; FUZZ_EXAMPLES=$(FUZZ_EXAMPLES))"
	@echo "make lint | format | messages | requirements"

$(STAMP): requirements/dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Kontora needs Python 3.11 or newer (PYTHON=$(PYTHON) is %d.%d)" % sys.version_info[:2])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	touch $(STAMP)

setup: $(STAMP)
	$(MANAGE) compile_translations --verbosity 0

# serve compiles the translations itself: the first process to touch the database starts the embedded
# servers, and only then does Ctrl-C stop them too.
run: $(STAMP)
	$(MANAGE) serve --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/python -m pytest $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS)) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-migrations: setup
	$(MANAGE) makemigrations --check --dry-run

check-schema: setup
	DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) spectacular --validate --fail-on-warn --file /dev/null

# Extracting messages needs GNU gettext (xgettext), a development tool only: running Kontora does not.
messages: setup
	$(MANAGE) makemessages --locale ru --locale en --ignore '.venv/*' --ignore 'var/*' --no-obsolete
	$(MANAGE) makemessages --domain djangojs --locale ru --locale en --ignore '.venv/*' --ignore 'var/*' --no-obsolete
	$(MANAGE) compile_translations

check-translations: messages
	$(MANAGE) check_translations --language ru

# Schemathesis over every operation of the OpenAPI schema, in-process on the real PostgreSQL as the demo
# organization's owner: no server error, and every answer conforms to the schema. Deterministic
# (derandomized) and bounded: FUZZ_EXAMPLES generated requests per operation, no shrinking.
FUZZ_EXAMPLES ?= 10
fuzz: setup
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/fuzz -m fuzz -q --timeout=300 \
		$(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS))

check-imports: $(STAMP)
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python bench/run.py

requirements:
	$(BIN)/pip-compile --quiet --strip-extras --no-header --no-emit-index-url --no-emit-find-links --annotation-style=line -o requirements/base.txt requirements/base.in
	$(BIN)/pip-compile --quiet --strip-extras --no-header --no-emit-index-url --no-emit-find-links --annotation-style=line -o requirements/dev.txt requirements/dev.in

# `make test` and every manage.py command start the embedded servers when needed and leave them running for
# the next command (`make run` stops what it started). These stop them, or tell whether they run; neither
# loads Django, so neither starts a server.
stop:
	$(BIN)/python -m config.embedded stop

status:
	$(BIN)/python -m config.embedded status

clean-var: stop
	@echo "This deletes the local database and Redis data under var/."
	rm -rf var
