# jobtro: `make demo` runs the demo, `make test` runs every test. Both bootstrap everything they need
# (.venv with the locked dependencies, DKFDS from npm, compiled message catalogues) on a fresh clone.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The demo and the tests run in debug mode, with development-only keys (see jobtro/settings.py).
DEV_ENV := JOBTRO_DEBUG=1

.PHONY: demo test bootstrap check lock clean

demo: bootstrap
	$(DEV_ENV) $(BIN)/jobtro migrate --noinput
	$(DEV_ENV) $(BIN)/jobtro demo
	@echo "Serving http://127.0.0.1:8000 with the task worker for uploads (Ctrl-C stops both)."
	@$(DEV_ENV) $(BIN)/jobtro db_worker --no-reload --verbosity 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(DEV_ENV) $(BIN)/jobtro runserver 127.0.0.1:8000

test: bootstrap
	$(DEV_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

# Lint and types: ruff (style, Django, security, datetime rules) and mypy with django-stubs.
check: bootstrap
	$(BIN)/ruff check jobtro bench
	$(DEV_ENV) $(BIN)/mypy jobtro

bootstrap: $(VENV)/.installed node_modules/.installed jobtro/locale/da/LC_MESSAGES/django.mo

$(VENV)/.installed: requirements-dev.lock requirements.lock pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "jobtro needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Message catalogues are compiled with Babel (a locked dependency), so no GNU gettext is needed.
jobtro/locale/%/LC_MESSAGES/django.mo: jobtro/locale/%/LC_MESSAGES/django.po $(VENV)/.installed
	$(BIN)/pybabel -q compile -i $< -o $@

# Re-create the lock files from pyproject.toml's exact pins (needs network access to PyPI).
lock:
	rm -rf var/lock-venv && $(PYTHON) -m venv var/lock-venv
	var/lock-venv/bin/pip install --quiet --disable-pip-version-check . && \
		var/lock-venv/bin/pip freeze --exclude-editable | grep -v '^jobtro' > requirements.lock
	var/lock-venv/bin/pip install --quiet --disable-pip-version-check '.[dev]' && \
		(echo '-r requirements.lock'; var/lock-venv/bin/pip freeze --exclude-editable | grep -v '^jobtro' \
		| grep -vxFf requirements.lock; echo setuptools==80.9.0) > requirements-dev.lock
	rm -rf var/lock-venv

clean:
	rm -rf $(VENV) node_modules var/static jobtro/locale/*/LC_MESSAGES/django.mo
