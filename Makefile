# docc: every target sets up what it needs on a fresh Debian machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DOCC := $(BIN)/docc
DEMO_OUT ?= out/demo

.PHONY: help demo test system-deps venv llm-setup compile-extractors report report-baseline bench samples clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

system-deps: ## install Tesseract and poppler with apt-get when missing
	@if ! command -v tesseract >/dev/null || ! command -v pdftoppm >/dev/null; then \
	  echo "installing tesseract-ocr and poppler-utils (apt-get)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq tesseract-ocr tesseract-ocr-eng poppler-utils >/dev/null; \
	fi

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $(STAMP)

venv: system-deps $(STAMP) ## project virtualenv with docc and its dependencies

llm-setup: venv ## embedded vLLM (CPU build) in .venv-vllm and the model weights (cached)
	$(BIN)/python -m extractors.llm.embedded setup

demo: venv ## run the main job end to end on data/samples
	$(DOCC) ingest data/samples

test: venv ## the test suite (real Tesseract, vLLM, FHIR server, Great Expectations)
	$(BIN)/python -m pytest -q -p no:cacheprovider

compile-extractors: venv ## compile extractors for every doc type under data/samples
	$(DOCC) compile

samples: venv ## regenerate the labeled sample corpus and held-out sets
	$(BIN)/python -m eval.corpus --out data/samples --heldout tests/heldout

clean: ## remove outputs (keeps the venvs and caches)
	rm -rf out reports/latest
