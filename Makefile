# One command to set up and run the search engine, one to run the tests.
#   make run    create .venv, install, index corpus/, serve at http://localhost:$(PORT)/
#   make test   create .venv, install (with the cluster extra, Ray), run the test suite
VENV ?= .venv
PYTHON ?= python3
PORT ?= 8000
INDEX ?= index
BIN := $(VENV)/bin
# Keep PyTorch on its CPU build: an unpinned torch pulls gigabytes of CUDA packages.
PIP_INSTALL := $(BIN)/python -m pip install --quiet -c constraints.txt

.PHONY: setup run index test lint clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(PIP_INSTALL) torch==2.13.0
	$(PIP_INSTALL) -e . --group dev
	touch $@

index: setup
	$(BIN)/clinsearch reindex --corpus corpus --index $(INDEX)

run: index
	$(BIN)/clinsearch serve --port $(PORT) --index $(INDEX)

# The tests also need the cluster extra (Ray); serving on one machine does not.
$(VENV)/.cluster: $(VENV)/.installed
	$(PIP_INSTALL) -e ".[cluster]" --group dev
	touch $@

test: $(VENV)/.cluster
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) $(INDEX)
