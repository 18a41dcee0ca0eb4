# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SOURCE_DIRS := libs services/requests services/inventory services/approvals
SERVICES := request_service inventory_service approval_service
export DATA_DIR ?= var

.PHONY: run seed migrate test test-unit test-e2e test-faults lint format bench check-stock clean-data clean browser

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

# The browser tests drive Debian's Chromium; nothing downloads a browser.
browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

test: $(STAMP) browser lint
	$(BIN)/pytest -m "not faults"
	$(BIN)/pytest -m "not faults and not e2e and not browser" --db=postgresql

test-faults: $(STAMP)
	$(BIN)/pytest -m faults

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python -m bench

clean-data:
	rm -rf "$(DATA_DIR)"

clean: clean-data
	rm -rf $(VENV)
