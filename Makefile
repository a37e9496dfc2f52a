# The autoencoder course — two commands: `make lab` (set up + open the course) and `make test`.
# Everything else is optional. Needs only Python >= 3.11, git and make.

SHELL   := /bin/bash
PYTHON  ?= python3
VENV    := .venv
BIN     := $(abspath $(VENV))/bin
PY      := $(BIN)/python
STAMP   := $(VENV)/.installed
DEV_STAMP := $(VENV)/.dev-installed
# nbgrader calls `alembic` and nbval/nbclient start kernels from PATH: use the venv's first.
export PATH := $(BIN):$(PATH)
export TF_CPP_MIN_LOG_LEVEL ?= 3
# Fewer glibc malloc arenas: ~40 MB less per TensorFlow kernel (binder/start does the same on Binder).
export MALLOC_ARENA_MAX ?= 2

# `make test` runs the notebooks in fast mode unless told otherwise (COURSE_FAST=0 make test).
TEST_FAST ?= $(if $(COURSE_FAST),$(COURSE_FAST),1)
# Tests run in parallel (pytest-xdist), one worker a core up to 4 (each imports TensorFlow: ~1 GB);
# --dist loadfile keeps a file together: a notebook's cells in one kernel, a module's fixtures run once.
# TEST_WORKERS=0 runs everything in this process (debugging).
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); echo $$(( n < 4 ? n : 4 )))
XDIST := $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)
LAB_PORT  ?= 8888
LAB_ARGS  ?=
# Jupyter refuses to run as root (containers, CI) unless told to.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: site site-fast test-site
.PHONY: weights
.PHONY: help install lab test coverage test-quick test-browser test-package test-notebooks lint run-all run-all-fast clean lock \
        export quiz-release grade quiz-report two-kernels bench bench-quick bench-denoising hub-demo test-hub

help:  ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 18

$(PY):
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else f"Python >= 3.11 is needed, found {sys.version.split()[0]}: run e.g. make PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)

# uv (pinned, hashes checked) installs the lock in about 20 s where pip takes 80 s; --compile-bytecode as pip does
# (without it the first imports of TensorFlow write .pyc files while the tests run). pip is the fallback
# wherever uv cannot be installed or cannot reach the index (uv does not read pip's configuration).
$(STAMP): $(PY) requirements/lock.txt requirements/uv.txt pyproject.toml binder/postBuild
	{ $(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/uv.txt && \
	  $(BIN)/uv pip install --quiet --python $(PY) --compile-bytecode --require-hashes -r requirements/lock.txt; } || \
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/lock.txt
	bash binder/postBuild
	touch $@

install: $(STAMP)  ## create .venv and install the pinned course stack + course_utils (editable)

lab: $(STAMP)  ## set up (if needed) and open JupyterLab on the lessons
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/notebooks \
		--ServerApp.port=$(LAB_PORT) $(ROOT_FLAG) $(LAB_ARGS)

test: $(STAMP)  ## set up (if needed) and run every test: package, notebooks (fast mode), quiz pipeline
	MPLBACKEND=Agg COURSE_FAST=$(TEST_FAST) COURSE_OFFLINE=1 $(PY) -m pytest tests notebooks --nbval-lax -m "not classroom" $(XDIST) \
		--durations=20 -p no:cacheprovider

# Coverage has its own target: measured in `make test` it cost 30 s of a 5-minute run (coverage's tracer sees
# every Python call Keras makes). The notebooks run in kernels, which coverage does not see: package tests only.
coverage: $(STAMP)  ## the package tests with line coverage of course_utils and course_quiz; fails under 90 % (CI runs it)
	MPLBACKEND=Agg COURSE_FAST=1 COURSE_OFFLINE=1 $(PY) -m pytest tests -m "not classroom" -q $(XDIST) \
		--cov=course_utils --cov=course_quiz --cov-report=term --cov-fail-under=90 -p no:cacheprovider

test-quick: $(STAMP)  ## the inner loop: unit tests only, no notebooks, no slow tests (under a minute)
	MPLBACKEND=Agg COURSE_FAST=1 COURSE_OFFLINE=1 $(PY) -m pytest tests -m "not slow" -q $(XDIST) --durations=20 -p no:cacheprovider

$(DEV_STAMP): $(STAMP) requirements/dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	touch $@

lint: $(DEV_STAMP)  ## ruff (lint + format check, pyproject.toml) and mypy on course_utils; installs the pinned tools
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

test-browser: $(STAMP)  ## JupyterLab in headless Chromium: run every lesson, move the widgets, check nbgrader's student view
	bash tools/install_browser.sh $(PY)
	COURSE_BROWSER_TESTS=1 COURSE_FAST=1 COURSE_OFFLINE=1 $(PY) -m pytest tests/browser -p no:cacheprovider

SITE_STAMP := $(VENV)/.site-installed
$(SITE_STAMP): $(STAMP) requirements/site.txt
	@# the lock's pins (no hashes, no extras) as constraints: the site's packages never move the course stack
	mkdir -p build && sed -n 's/^\([A-Za-z0-9_.-]*\)\(\[[^]]*\]\)\{0,1\}==\([^ ;\\]*\).*/\1==\3/p' requirements/lock.txt \
		> build/site-constraints.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -c build/site-constraints.txt -r requirements/site.txt
	touch $@

site: $(SITE_STAMP)  ## the course website -> build/site/ (student mode; unchanged lessons come from build/site-cache/)
	COURSE_FAST=$(if $(COURSE_FAST),$(COURSE_FAST),0) COURSE_OFFLINE=$(if $(COURSE_OFFLINE),$(COURSE_OFFLINE),1) $(PY) site/build.py

site-fast: $(SITE_STAMP)  ## the same in fast mode (what CI builds and tests)
	COURSE_FAST=1 COURSE_OFFLINE=$(if $(COURSE_OFFLINE),$(COURSE_OFFLINE),1) $(PY) site/build.py

test-site: $(SITE_STAMP)  ## the built website in headless Chromium + its files (links, buttons, no answers); build it first
	bash tools/install_browser.sh $(PY)
	COURSE_SITE_TESTS=1 COURSE_FAST=1 COURSE_OFFLINE=1 $(PY) -m pytest tests/site -p no:cacheprovider

test-package: $(STAMP)  ## only the pytest suite (no notebooks)
	MPLBACKEND=Agg COURSE_FAST=1 COURSE_OFFLINE=1 $(PY) -m pytest tests -m "not classroom" $(XDIST) --durations=20 -p no:cacheprovider

test-notebooks: $(STAMP)  ## only the notebooks, through nbval (fast mode)
	MPLBACKEND=Agg COURSE_FAST=$(TEST_FAST) COURSE_OFFLINE=1 $(PY) -m pytest --nbval-lax notebooks $(XDIST) -p no:cacheprovider

run-all: $(STAMP)  ## execute every lesson headless in student mode into build/executed/ (time + memory; MEMORY_LIMIT_MB=1000: under a real limit)
	COURSE_FAST=$(if $(COURSE_FAST),$(COURSE_FAST),0) $(PY) -m tools.run_notebooks --json build/run-all.json \
		$(if $(MEMORY_LIMIT_MB),--memory-limit-mb $(MEMORY_LIMIT_MB))

run-all-fast: $(STAMP)  ## the same in fast mode
	COURSE_FAST=1 $(PY) -m tools.run_notebooks --json build/run-all-fast.json

export: $(STAMP)  ## write the notebooks' #@save cells into course_utils/lessons/ (d2l's convention)
	$(PY) tools/export_lessons.py

quiz-release: $(STAMP)  ## instructor: build the student version of the quiz into quizzes/release/
	$(PY) quizzes/manage.py release

grade: $(STAMP)  ## instructor: autograde quizzes/submitted/, feedback into quizzes/feedback/, quizzes/grades.csv
	$(PY) quizzes/manage.py grade

# The JupyterHub demo's extra tools, on demand: jupyterhub (PyPI, on top of the lock) and
# configurable-http-proxy (npm) into build/hub/node_modules.
HUB_STAMP := build/hub/.installed
$(HUB_STAMP): $(STAMP) requirements/hub.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/hub.txt
	mkdir -p build/hub && npm install --silent --no-audit --no-fund --prefix build/hub configurable-http-proxy@5.3.0
	touch $@

hub-demo: $(HUB_STAMP)  ## a class on a real JupyterHub (127.0.0.1): release, fetch, submit, grade, feedback (~3 min); HUB_SERVE=1: log in yourself
	$(PY) -m hub.demo $(if $(HUB_SERVE),serve,run) --json build/hub/summary.json

test-hub: $(HUB_STAMP)  ## a class: the JupyterHub round trip and nbgrader's exchange between students (installs jupyterhub + configurable-http-proxy first)
	COURSE_HUB_TESTS=1 COURSE_OFFLINE=1 $(PY) -m pytest tests/hub -p no:cacheprovider -rs
	COURSE_OFFLINE=1 $(PY) -m pytest tests -m classroom -p no:cacheprovider -rs

quiz-report: $(STAMP)  ## instructor, after grade: item analysis -> quizzes/item_analysis.csv, item_analysis.png
	MPLBACKEND=Agg $(PY) quizzes/manage.py report

bench: $(STAMP)  ## full benchmark report (speed, memory, quality, grading, whole course, denoising) → benchmarks/results.md (35–60 min)
	$(PY) -m benchmarks.run

bench-quick: $(STAMP)  ## the same in minutes (tiny settings) → build/bench-quick/
	$(PY) -m benchmarks.run --quick

weights: $(STAMP)  ## lesson 04's pretrained denoiser: its own code trained longer on the X-rays in COURSE_DATA_DIR (80 epochs of 150 steps: 23 min on a quiet 2-core machine; the card records its own run)
	TF_CPP_MIN_LOG_LEVEL=3 $(PY) -m course_utils.pretrained.train

bench-denoising: $(STAMP)  ## lesson 04's comparison alone (pretrained vs BM3D and the filters) on the X-rays the loader finds (~15-25 min) → results.md
	$(PY) -m benchmarks.run --sections denoising --update

two-kernels: $(STAMP)  ## Binder: lessons 01 and 02 in two live kernels + server under 2 GB (a real limit where possible)
	COURSE_FAST=$(if $(COURSE_FAST),$(COURSE_FAST),0) $(PY) -m tools.two_kernels --json build/two-kernels.json
	COURSE_FAST=$(if $(COURSE_FAST),$(COURSE_FAST),0) $(PY) -m tools.two_kernels --release --json build/two-kernels-release.json

lock: $(DEV_STAMP)  ## re-resolve requirements/lock.txt (hashes included) from requirements/base.in with uv, keeping its versions (UPGRADE=1: newest)
	$(BIN)/uv pip compile requirements/base.in -o requirements/lock.txt --generate-hashes --no-strip-extras --custom-compile-command "make lock" \
		--python-version 3.11.7 --python-platform x86_64-manylinux_2_28 $(if $(UPGRADE),--upgrade)
	{ sed -n '1,2p' binder/requirements.txt; sed 1,2d requirements/lock.txt; } > build/binder.txt && mv build/binder.txt binder/requirements.txt
	{ sed -n '1,2p' requirements/uv.txt; grep '^uv==' requirements/dev.txt | \
	  $(BIN)/uv pip compile - --generate-hashes --no-header --quiet; } > build/uv.txt && mv build/uv.txt requirements/uv.txt

clean:  ## remove the venv, build outputs and grading artefacts (keeps your notebooks)
	rm -rf $(VENV) build .pytest_cache .coverage .mypy_cache .ruff_cache course_utils.egg-info
	rm -rf quizzes/release quizzes/submitted quizzes/autograded quizzes/feedback quizzes/grades.csv quizzes/gradebook.db \
		quizzes/item_analysis.csv quizzes/item_analysis_summary.csv quizzes/item_analysis.png
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
