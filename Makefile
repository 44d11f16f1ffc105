# docc: every target sets up what it needs on a fresh Debian machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DOCC := $(BIN)/docc
DEMO_OUT ?= out/demo
COMPILE_FLAGS ?=
# ACCEPT_WEAK=1: lock doc types whose required fields score under the held-out floor (named in the compile report)
ACCEPT_WEAK ?=

.PHONY: help demo test system-deps test-system-deps venv llm-setup compile-extractors report report-baseline bench bench-ocr samples devset report-devset devset-scans report-devset-scans clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

APT_PACKAGES := tesseract-ocr tesseract-ocr-eng poppler-utils
TEST_APT_PACKAGES := chromium

define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing with apt-get:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

system-deps: ## install Tesseract and poppler with apt-get when missing
	$(call apt_install,$(APT_PACKAGES))

test-system-deps: ## install Chromium (for the HTML report test) with apt-get when missing
	$(call apt_install,$(TEST_APT_PACKAGES))

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[test]'
	@touch $(STAMP)

venv: system-deps $(STAMP) ## project virtualenv with docc and its dependencies

llm-setup: venv ## embedded vLLM (CPU build) in .venv-vllm and the model weights (cached)
	$(BIN)/python -m extractors.llm.embedded setup

demo: venv ## run the main job end to end on data/samples
	$(DOCC) run data/samples --out $(DEMO_OUT)
	$(DOCC) export $(DEMO_OUT) --ndjson $(DEMO_OUT)/ndjson
	@if [ -n "$$DOCC_FHIR_URL" ]; then $(DOCC) export $(DEMO_OUT) --fhir-url "$$DOCC_FHIR_URL"; fi
	$(DOCC) eval --out $(DEMO_OUT)/report
	@echo
	@echo "results:   $(DEMO_OUT)/results.jsonl  (manifest: $(DEMO_OUT)/manifest.json)"
	@echo "FHIR:      $(DEMO_OUT)/fhir/  and  $(DEMO_OUT)/ndjson/"
	@echo "report:    $(DEMO_OUT)/report/report.html"

test: venv test-system-deps llm-setup ## the test suite (real Tesseract, vLLM, FHIR server, Great Expectations)
	$(BIN)/python -m pytest -p no:cacheprovider -ra

compile-extractors: venv ## compile every doc type under data/samples into a temporary folder; replace extractors/compiled only when the regression check passes
	@if [ -z "$$DOCC_LLM_URL" ]; then $(MAKE) --no-print-directory llm-setup; \
	else echo "model server: $$DOCC_LLM_URL (the embedded model is not set up)"; fi
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	mkdir -p "$$tmp/compiled" "$$tmp/report"; cp -a extractors/compiled/. "$$tmp/compiled/"; \
	flags="$(COMPILE_FLAGS)"; \
	if [ -z "$$flags" ] && [ -z "$$DOCC_LLM_URL" ]; then flags="--freeform 0"; echo "embedded CPU model: label proposals only (COMPILE_FLAGS='--freeform 1' for free-form functions too)"; fi; \
	$(DOCC) compile $$flags $(if $(ACCEPT_WEAK),--accept-weak) --out "$$tmp/compiled"; \
	if [ -f reports/compiled/report.json ]; then $(DOCC) eval --extractors "$$tmp/compiled" --out "$$tmp/report" --against reports/compiled/report.json; \
	else $(DOCC) eval --extractors "$$tmp/compiled" --out "$$tmp/report"; fi; \
	sed -i "s#$$tmp/compiled#extractors/compiled#g" "$$tmp"/report/*.json "$$tmp"/report/*.md "$$tmp"/report/*.html 2>/dev/null || true; \
	if [ -f "$$tmp/report/gate.yaml" ]; then cp "$$tmp/report/gate.yaml" "$$tmp/compiled/gate.yaml"; fi; \
	rm -rf extractors/compiled.new && cp -a "$$tmp/compiled" extractors/compiled.new && \
	rm -rf extractors/compiled && mv extractors/compiled.new extractors/compiled; \
	mkdir -p reports/compiled && cp -a "$$tmp/report/." reports/compiled/; \
	echo "extractors/compiled and reports/compiled replaced (regression check passed)"

report: venv ## accuracy report (JSON, Markdown, HTML) for the locked extractors
	$(DOCC) eval --out reports/latest

report-baseline: venv llm-setup ## accuracy report with the direct-LLM baseline on every document
	$(DOCC) eval --out reports/baseline --baseline direct-llm

bench: venv ## benchmarks: ingest and batch throughput, written to eval/bench/results/
	$(BIN)/python -m eval.bench.extract_bench
	$(BIN)/python -m eval.bench.ingest_bench
	$(BIN)/python -m eval.bench.batch_bench
	$(BIN)/python -m eval.bench.ocr_bench

bench-ocr: venv ## OCR pages/s of the scan profile against its bound (cores / one-thread s per page), beside the default profile
	$(BIN)/python -m eval.bench.ocr_bench

samples: venv ## regenerate the labeled sample corpus and held-out sets
	$(BIN)/python -m eval.corpus --out data/samples --heldout tests/heldout

DEVSET_SOURCE ?= $(firstword $(wildcard ../shared/devsets/onc-2015-ccda ../../shared/devsets/onc-2015-ccda) ../shared/devsets/onc-2015-ccda)
DEVSET_DIR ?= .cache/devset

devset: venv test-system-deps ## build the real-document dev set (C-CDA renderings) into $(DEVSET_DIR)
	$(BIN)/python -m eval.devset --source "$(DEVSET_SOURCE)" --out $(DEVSET_DIR)

report-devset: devset ## compile (synth) on the dev set's compile layouts, score every other layout: reports/devset/
	$(DOCC) compile --samples $(DEVSET_DIR)/compile --backend synth --out $(DEVSET_DIR)/extractors --force
	$(DOCC) eval $$(for d in $(DEVSET_DIR)/layouts/*/; do printf -- '--samples %s ' "$${d%/}"; done) \
	  --extractors $(DEVSET_DIR)/extractors --out reports/devset
	$(BIN)/python -m eval.devset.summary reports/devset/report.json --manifest $(DEVSET_DIR)/manifest.json --out reports/devset/summary.md

DEVSET_SCANS_DIR ?= .cache/devset-scans
# heavy: the corpus's HEAVY damage chain; light: an office scan's slight skew, blur and noise
DEVSET_SCAN_DAMAGE ?= heavy

devset-scans: devset ## the dev set printed and scanned (DEVSET_SCAN_DAMAGE=heavy|light, seeded per document) into $(DEVSET_SCANS_DIR)
	$(BIN)/python -m eval.devset.scans --devset $(DEVSET_DIR) --out $(DEVSET_SCANS_DIR) --workers 2 --damage $(DEVSET_SCAN_DAMAGE)

report-devset-scans: devset-scans ## compile on the compile split with its scans; score every layout as text and as scan: reports/devset-scans/ (summary: text -> scan)
	$(DOCC) compile --samples $(DEVSET_SCANS_DIR)/compile --backend synth --out $(DEVSET_SCANS_DIR)/extractors --force --accept-weak
	$(DOCC) eval $$(for d in $(DEVSET_DIR)/layouts/*/; do printf -- '--samples %s ' "$${d%/}"; done) \
	  --extractors $(DEVSET_SCANS_DIR)/extractors --out reports/devset-scans/text
	$(DOCC) eval $$(for d in $(DEVSET_SCANS_DIR)/layouts/*/; do printf -- '--samples %s ' "$${d%/}"; done) \
	  --extractors $(DEVSET_SCANS_DIR)/extractors --out reports/devset-scans/scan
	$(BIN)/python -m eval.devset.summary reports/devset-scans/scan/report.json --before reports/devset-scans/text/report.json \
	  --out reports/devset-scans/summary.md

clean: ## remove outputs (keeps the venvs and caches)
	rm -rf out reports/latest
