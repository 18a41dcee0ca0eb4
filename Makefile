# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SOURCE_DIRS := libs services/requests services/inventory services/approvals
SERVICES := request_service inventory_service approval_service
export DATA_DIR ?= var

.PHONY: venv run seed migrate test test-faults lint format bench bench-instructions check-stock clean-data clean test-tools screenshots

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/python scripts/source_path.py $(SOURCE_DIRS)
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	@$(BIN)/python scripts/check_broker.py
	@for s in $(SERVICES); do $(BIN)/python -m $$s seed || exit 1; done
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile

seed: $(STAMP)
	@for s in $(SERVICES); do $(BIN)/python -m $$s seed || exit 1; done

migrate: $(STAMP)
	@for s in $(SERVICES); do $(BIN)/python -m $$s migrate || exit 1; done

check-stock: $(STAMP)
	$(BIN)/python -m inventory_service check-stock

# Debian's Chromium for the browser tests (nothing downloads a browser) and
# docker-compose to validate docker-compose.yml offline.
test-tools:
	@test -x /usr/bin/chromium && command -v docker-compose >/dev/null || \
	  (apt-get update -qq && apt-get install -y -qq chromium docker-compose >/dev/null)

# Each test makes its own databases, virtual host and ports, so the suite runs
# in one pytest-xdist process per core; at most four keep PostgreSQL's 100
# connections in reach.
PARALLEL := -n auto --maxprocesses 4

test: $(STAMP) test-tools lint
	$(BIN)/pytest $(PARALLEL) -m "not faults"
	$(BIN)/pytest $(PARALLEL) -m "not faults and not e2e and not browser" --db=postgresql

# Stops RabbitMQ and restarts PostgreSQL on purpose: never run it beside other work.
test-faults: $(STAMP)
	$(BIN)/pytest -m faults -s -p no:cacheprovider tests/faults
	$(BIN)/pytest -s -p no:cacheprovider tests/backbone/test_delivery.py -k "killed or dead_letter"

# Retake the screenshots in docs/ from the browser test; the test data has
# Chinese text, which Chromium draws as boxes without a CJK font.
screenshots: $(STAMP) test-tools
	@test -n "$$(fc-list :lang=zh)" || apt-get install -y -qq fonts-noto-cjk >/dev/null
	UPDATE_SCREENSHOTS=1 $(BIN)/pytest -p no:cacheprovider tests/requests/test_browser.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python -m bench

bench-instructions: $(STAMP)
	$(BIN)/python -m bench.instructions

clean-data:
	rm -rf "$(DATA_DIR)"

clean: clean-data
	rm -rf $(VENV)
