# Two commands matter: `make run` (the app with a demo) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
REDIS_TEST_URL ?= redis://127.0.0.1:6379/0

.PHONY: install python-version run test test-unit test-unit-postgres test-integration test-e2e bench chaos loadtest messages check clean

install: python-version $(STAMP)

# pyproject says requires-python >= 3.11; say so plainly instead of failing deep inside pip.
python-version:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || { \
	  echo "This project needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1 || echo 'not found')."; \
	  echo "Install python3.11 (or newer) and run: make install PYTHON=python3.11"; exit 1; }

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# pytest exits 5 when a suite collects no test (e.g. one not written yet): not a failure.
define pytest_allow_empty
	$(1); rc=$$?; if [ $$rc -eq 5 ]; then echo "(no tests collected)"; exit 0; fi; exit $$rc
endef

# Extract new strings (Korean catalog to translate: locale/ko/LC_MESSAGES/django.po) and
# compile. Compiled catalogs are committed, so a machine without gettext still runs.
messages: install
	$(PY) manage.py makemessages -l ko -l en --ignore=.venv --ignore=tests --ignore=bench
	@if command -v msgfmt >/dev/null; then $(PY) manage.py compilemessages --ignore=.venv -v 0; \
	else echo "msgfmt not found: using the committed .mo files"; fi

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@echo ""
	@echo "  App:   http://127.0.0.1:8000/        Admin: http://127.0.0.1:8000/admin/"
	@echo "  Demo logins are printed above. Ctrl-C stops web, worker and beat."
	@echo ""
	$(BIN)/honcho start -f Procfile

test: install
ifeq ($(CI),true)
	@# Every suite runs even when an earlier one fails, so one CI log shows all failures.
	@status=0; \
	$(MAKE) check || status=1; \
	$(MAKE) test-unit || status=1; \
	$(MAKE) test-unit-postgres || status=1; \
	$(MAKE) test-integration || status=1; \
	$(MAKE) test-e2e || status=1; \
	exit $$status
else
	$(BIN)/pytest -m "not integration and not e2e"
	@echo "(integration and browser suites run with CI=true, or: make test-integration test-e2e)"
endif

test-unit: install
	$(BIN)/pytest -m "not integration and not e2e"

# The same unit suite on the PostgreSQL that production uses (locks, sequences, partial indexes).
test-unit-postgres: install
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -m "not integration and not e2e"

test-integration: install
	$(call pytest_allow_empty,DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) $(BIN)/pytest -m integration tests/integration)

test-e2e: install
	$(call pytest_allow_empty,DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/pytest -m e2e tests/e2e)

# Issue 15's fault scenarios at full size (CI runs them with 12 claims each inside test-integration):
# a private redis-server, Celery workers, PostgreSQL and a misbehaving SMTP sink. CHAOS_CLAIMS=N to resize.
CHAOS_CLAIMS ?= 200
chaos: install
	CHAOS_CLAIMS=$(CHAOS_CLAIMS) DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) $(BIN)/pytest -m integration tests/integration/test_chaos.py -k survive

# All bench/bench_*.py; `make bench BENCH=calendar` runs only those whose name contains it.
bench: install
	$(PY) -m bench $(BENCH)

# The production stack on loopback under Locust (README "Load test"); NOT part of `make test`.
# Needs this machine's PostgreSQL and Redis; takes about 10 minutes; LOADTEST_SECONDS=0.3 for a quick run.
loadtest: install
	$(PY) -m pip install --quiet -e ".[dev,load]"
	$(PY) -m loadtest

# Lint, format, layering contracts (import-linter), migrations and Django's system checks. CI runs it.
check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

clean:
	rm -rf $(VENV) var staticfiles
