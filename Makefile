# quizbot: the few commands everyone runs. Each bootstraps .venv itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: demo run test check unit integration e2e bench clean venv messages messages-extract messages-update messages-compile

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "quizbot needs Python 3.11+"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev,bench,embedded]'
	@rm -f $(VENV)/.installed-* && touch $@

demo: $(STAMP)
	$(BIN)/quizbot demo --players $${PLAYERS:-200} --mode $${MODE:-group}

check: $(STAMP)
	$(BIN)/ruff check services tests
	$(BIN)/ruff format --check services tests
	$(BIN)/mypy
	$(BIN)/lint-imports

# Most of the suite waits on real processes (stacks, outages, timeouts), not on
# the CPU: three workers, each taking whole files (module fixtures stay per file).
test: check
	$(BIN)/pytest -n $${TEST_WORKERS:-3} --dist loadfile tests

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: $(STAMP)
	$(BIN)/pytest tests/integration

e2e: $(STAMP)
	$(BIN)/pytest tests/e2e

# The bot's own texts (docs/architecture.md, "Languages"): extract the messages
# from the sources into the template, merge it into each language's catalog,
# compile the catalogs. The compiled .mo files are committed, so a fresh clone,
# `pip install` and the VM need no Babel step; a unit test fails when they are stale.
LOCALES := services/quizbot/locales
BABEL_KEYWORDS := -k N_ -k count:2,3

messages: messages-extract messages-update messages-compile

messages-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output \
		--project quizbot --no-wrap -o $(LOCALES)/quizbot.pot .

messages-update: $(STAMP)
	$(BIN)/pybabel update -i $(LOCALES)/quizbot.pot -d $(LOCALES) -D quizbot --no-wrap \
		--no-fuzzy-matching --ignore-obsolete

messages-compile: $(STAMP)
	$(BIN)/pybabel compile -d $(LOCALES) -D quizbot --statistics

# The deployment bundle applied for real: ansible/site.yml on a booted Debian
# root, twice, then smoke tests (root only; docs/operations.md).
test-deploy:
	scripts/test-deploy

# The multi-host inventory on five booted machines (lb+web1, web2, workers1,
# workers2+db2, db1), twice, then a live quiz through HAProxy with a web
# program stopped, a worker host powered off and the replica stopped (root only).
test-deploy-multi:
	scripts/test-deploy-multi

clean:
	rm -rf $(VENV) .var .mypy_cache .ruff_cache .pytest_cache

# The same stack against the real Telegram (needs TELEGRAM_BOT_TOKEN and BOT_USERNAME;
# WEBHOOK_PUBLIC_URL for a webhook, otherwise a getUpdates bridge).
run: $(STAMP)
	$(BIN)/quizbot run
