# Two commands on a fresh machine: `make run` and `make test`. See README.md.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
LOCKS := requirements.lock requirements-dev.lock
STAMP := $(VENV)/.installed-$(shell cat $(LOCKS) pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test browser tools messages lock clean-data

$(STAMP): $(LOCKS) pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock -r requirements-dev.lock
	rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP)
	$(PY) ops/run.py

# Whole suite on embedded PostgreSQL + Redis (.data/test), or on DATABASE_URL / REDIS_URL when set;
# the app runs as the app role, as in production (tests/db_roles.py).
test: $(STAMP) browser tools
	$(PY) ops/services.py exec --instance test --db-user app -- $(PY) -m pytest $(PYTEST_ARGS)

# Debian's Chromium for the e2e tests (Playwright's own browser download is blocked here).
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

# What the backup drill and the deploy rehearsal run for real: Debian's age, rclone, nginx and the
# PostgreSQL client tools, and s3rver (an S3-compatible server on a local directory, from npm; Debian's
# rclone 1.60 has no `serve s3`) as the off-site store; LibreOffice Calc (headless), the accountant's
# spreadsheet, opens the exports in tests/integration/test_accountant_files.py. GNU gettext: `make messages`,
# and the test that the committed Swahili catalogue is its compiled .po. PurgeCSS (npm): `manage.py
# trim_styles` and the test that the committed trimmed stylesheet is up to date.
S3RVER := $(VENV)/s3rver/node_modules/.bin/s3rver
PURGECSS := $(VENV)/purgecss/node_modules/.bin/purgecss
DEBS := age rclone nginx postgresql-client libreoffice-calc-nogui gettext
tools: $(S3RVER) $(PURGECSS)
	@command -v age >/dev/null && command -v rclone >/dev/null && command -v nginx >/dev/null \
	  && command -v pg_dump >/dev/null && command -v soffice >/dev/null && command -v msgfmt >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $(DEBS) >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq $(DEBS) >/dev/null; fi; }
$(S3RVER):
	npm install --silent --no-audit --no-fund --prefix $(VENV)/s3rver s3rver@3.7.1
$(PURGECSS):
	npm install --silent --no-audit --no-fund --prefix $(VENV)/purgecss purgecss@8.0.0

# Translations (README: Languages): collect every marked string into locale/sw/LC_MESSAGES/django.po
# (new ones arrive untranslated, the translated ones stay), then compile the django.mo that is committed.
MESSAGES_IGNORE := --ignore=tests --ignore=staticfiles --ignore=media --ignore=ops
messages: $(STAMP) tools
	$(PY) manage.py makemessages --locale sw --no-wrap --no-obsolete $(MESSAGES_IGNORE)
	$(PY) manage.py compilemessages --locale sw $(MESSAGES_IGNORE)

# Regenerate the pinned locks from pyproject.toml (run after changing a dependency):
# requirements.lock is what production installs, requirements-dev.lock adds the test tools.
lock:
	rm -rf $(VENV)/lock && $(PYTHON) -m venv $(VENV)/lock
	$(PY) -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
	  print('\n'.join(p['dependencies'])); open('$(VENV)/dev.txt', 'w').write('\n'.join(p['optional-dependencies']['dev']))" > $(VENV)/prod.txt
	$(VENV)/lock/bin/pip install --quiet -r $(VENV)/prod.txt && $(VENV)/lock/bin/pip freeze > requirements.lock
	$(PY) -m pip install --quiet -r requirements.lock -r $(VENV)/dev.txt
	$(PY) -m pip freeze | grep -vxF -f requirements.lock > requirements-dev.lock; rm -rf $(VENV)/lock

clean-data:
	$(PY) ops/services.py down --instance dev; $(PY) ops/services.py down --instance test; rm -rf .data
