# nonlinlab — two commands do everything on a fresh machine:
#   make book   set up .venv, execute every notebook at the ci profile, build the HTML book
#   make test   set up, ruff, unit/oracle/structure tests, every notebook via nbmake,
#               and the book build with warnings as errors
# Also: make full SLUG=<slug>   one chapter at the full profile (papermill) into _build/full/

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAGE := _stage
JOBS ?= 2
NB_TIMEOUT ?= 600
MATHJAX := book/_vendor/mathjax/tex-mml-chtml.js

# Small torch steps on two busy cores run ~50x slower with torch's default threads.
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export NONLINLAB_PROGRESS := plain
export PYTHONHASHSEED := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help setup book test lint unit execute pages html html-strict check-executed full clean

help:
	@echo "make book   - set up, execute every notebook (ci profile), build _build/html"
	@echo "make test   - set up, lint, tests, every notebook, strict book build"
	@echo "make full SLUG=<slug> - run one chapter at the full profile into _build/full/"

setup: $(VENV)/.installed $(MATHJAX)

$(VENV)/.installed: requirements-dev.txt requirements-nodeps.txt lib/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements-dev.txt -e lib
	$(PY) -m pip install -q --no-deps -r requirements-nodeps.txt
	touch $@

$(MATHJAX): tools/vendor_mathjax.py
	$(PYTHON) tools/vendor_mathjax.py $(dir $@)

book: setup execute pages html check-executed
	@echo "The book is at file://$(CURDIR)/_build/html/index.html"

test: setup lint unit execute pages html-strict check-executed
	@echo "make test: all passed"

lint:
	$(BIN)/ruff check lib tests notebooks tools

unit:
	$(PY) -m pytest -p no:cacheprovider -q -n $(JOBS) tests

# Execute every notebook on a staged copy of the book (committed notebooks are never
# rewritten). Each chapter writes its claim record to _build/claims/<slug>.json.
execute:
	rm -rf $(STAGE) _build/claims _build/execute.failed
	mkdir -p $(STAGE) _build/claims
	cp -r _config.yml _toc.yml references.bib book notebooks $(STAGE)/
	NONLINLAB_PROFILE=ci NONLINLAB_CLAIMS_DIR=$(CURDIR)/_build/claims \
	  $(PY) -m pytest -p no:cacheprovider -q -n $(JOBS) --nbmake --overwrite \
	    --nbmake-timeout=$(NB_TIMEOUT) $(STAGE)/notebooks \
	  || touch _build/execute.failed

# The scoreboard and execution-status pages are generated from the claim records.
pages:
	$(PY) tools/book_pages.py --stage $(STAGE) --claims _build/claims --full-claims _build/full/claims

html:
	$(BIN)/jupyter-book build $(STAGE) --path-output . --keep-going

html-strict:
	$(BIN)/jupyter-book build $(STAGE) --path-output . -W -n --keep-going

check-executed:
	@if [ -f _build/execute.failed ]; then echo "some notebooks failed (see above)"; exit 1; fi
	$(PY) tools/book_pages.py --stage $(STAGE) --claims _build/claims --check

full: setup
	@test -n "$(SLUG)" || { echo "usage: make full SLUG=<slug>"; exit 2; }
	nb=$$(ls notebooks/*/$(SLUG).ipynb) && mkdir -p _build/full && \
	  NONLINLAB_CLAIMS_DIR=$(CURDIR)/_build/full/claims $(BIN)/papermill "$$nb" \
	    _build/full/$(SLUG).ipynb -p profile full --cwd "$$(dirname "$$nb")"
	@echo "executed notebook: _build/full/$(SLUG).ipynb, claims: _build/full/claims/$(SLUG).json"

clean:
	rm -rf _build _stage
