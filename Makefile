# nonlinlab — two commands do everything on a fresh machine:
#   make book   set up .venv, execute every notebook at the ci profile, build the HTML book
#   make test   set up, ruff, unit/oracle/structure tests, every notebook via nbmake,
#               and the book build with warnings as errors
# Also: make full SLUG=<slug>   one chapter at the full profile (papermill) into _build/full/
#       make full-all            every chapter at the full profile on a Ray cluster ($RAY_ADDRESS)

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
# face-api.js weights (npm tarball, sha512-checked) for the adatrans chapter's real faces.
FACE_API := $(VENV)/share/nonlinlab/vladmandic-face-api-1.7.15.tgz

# Small torch steps on two busy cores run ~50x slower with torch's default threads.
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export NONLINLAB_PROGRESS := plain
export PYTHONHASHSEED := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help setup book test lint unit execute colab-check ray-check pages html html-strict check-executed full \
	full-all clean

help:
	@echo "make book   - set up, execute every notebook (ci profile), build _build/html"
	@echo "make test   - set up, lint, tests, every notebook, strict book build"
	@echo "make full SLUG=<slug> - run one chapter at the full profile into _build/full/"
	@echo "make full-all [CHAPTERS=a,b] - tools/run_book.py --profile full: every chapter (or those)"
	@echo "              at the full profile, one Ray task (1 GPU) each, on \$$RAY_ADDRESS or a local Ray"
	@echo "make ray-check - two chapters at the ci profile through run_book.py on a local Ray"
	@echo "make colab-check - one chapter per extras group, alone, in a fresh Colab-like venv"

setup: $(VENV)/.installed $(MATHJAX) $(FACE_API)

$(VENV)/.installed: requirements-dev.txt requirements-nodeps.txt lib/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements-dev.txt -e lib
	$(PY) -m pip install -q --no-deps -r requirements-nodeps.txt
	touch $@

$(MATHJAX): tools/vendor_mathjax.py
	$(PYTHON) tools/vendor_mathjax.py $(dir $@)

$(FACE_API): | $(VENV)/.installed
	$(PY) -m nonlinlab.models.face_api fetch $@

book: setup execute pages html check-executed
	@echo "The book is at file://$(CURDIR)/_build/html/index.html"

test: setup lint unit execute colab-check ray-check pages html-strict check-executed
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

# The Colab path as a new reader meets it: one chapter per extras group (and one without),
# each alone in an empty folder and a fresh Colab-like environment (base cached in
# _build/colab-check/) where its setup cell does the installs; ci profile, papermill.
colab-check: setup
	$(PY) tools/colab_check.py --jobs $(JOBS)

# The Ray runner (tools/run_book.py) on a local Ray, whatever $RAY_ADDRESS says: two chapters
# at the ci profile into _build/ray-ci/ (never _build/claims), then their claim records checked.
RAY_CHECK_CHAPTERS := task-structure-nonlinearity-geometry,weight-decay-scaling
ray-check: setup
	rm -rf _build/ray-ci
	RAY_ADDRESS= $(PY) tools/run_book.py --profile ci --chapters $(RAY_CHECK_CHAPTERS) \
	  --num-cpus 2 --out _build/ray-ci
	$(PY) tools/run_book.py --verify --profile ci --chapters $(RAY_CHECK_CHAPTERS) --out _build/ray-ci

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

# Every chapter of _toc.yml (or CHAPTERS=a,b) at the full profile, one Ray task with one GPU
# each, on the cluster at $RAY_ADDRESS (else a local Ray): see the README. More options of
# tools/run_book.py in RUN_BOOK_ARGS.
full-all: setup
	$(PY) tools/run_book.py --profile full $(if $(CHAPTERS),--chapters $(CHAPTERS)) $(RUN_BOOK_ARGS)

clean:
	rm -rf _build _stage
