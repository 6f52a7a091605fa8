# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
RUNENV := $(PY) -m meso.runenv
export RASA_TELEMETRY_ENABLED := false
export PYTHONDONTWRITEBYTECODE := 1
export TF_CPP_MIN_LOG_LEVEL := 3

TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null)
MODEL_STAMP := models/.trained

.PHONY: help setup train run test eval bench lint clean

help:
	@echo "make run    set up, train if needed, start the assistant (http://127.0.0.1:5005/chat/)"
	@echo "make test   set up and run every test"
	@echo "make eval   NLU cross-validation, the held-out answers evaluation and the Spanish figures (results/)"
	@echo "make bench  benchmark against the stock rasa init bot"

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || "$$(scripts/find_python310.sh)" -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.txt
	$(PY) -m pip check
	@touch $@

# The chat widget's socket.io client, served at /chat/static/socket.io.min.js (never from
# a CDN); npm ci also installs axe-core, which the browser tests inject.
WIDGET_BUNDLE := web/static/socket.io.min.js

$(WIDGET_BUNDLE): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@# Without its source map comment: the map is not served.
	sed -e '/^\/\/# sourceMappingURL=/d' node_modules/socket.io-client/dist/socket.io.min.js > $@

# The answer index's word vectors (meso/content/meaning.py), from a hash-pinned wheel.
MEANING := models/meaning/l2_supercat_256.safetensors

$(MEANING): requirements-meaning.txt | $(VENV)/.installed
	$(PY) scripts/fetch_meaning.py

setup: $(VENV)/.installed $(WIDGET_BUNDLE) $(MEANING)

$(MODEL_STAMP): $(VENV)/.installed $(TRAINING_INPUTS)
	@mkdir -p models
	$(RUNENV) python -m serving train --fixed-model-name meso --out models --quiet
	@touch $@

train: $(MODEL_STAMP)

run: setup train
	@$(RUNENV) python -m meso.notify.alerts
	$(RUNENV) honcho start --env /dev/null --procfile Procfile

test: setup train
	$(RUNENV) rasa data validate --fail-on-warnings --quiet
	$(RUNENV) rasa test core --stories tests/test_stories.yml --model models/meso.tar.gz --fail-on-prediction-errors --out results/core
	$(RUNENV) $(PY) -m pytest

# Dialogue-act NLU cross-validation, then answers on the held-out halves of the second and
# fourth fresh sets (eval/*/heldout2.yml and heldout4.yml: measured, never tuned on) and the
# risk screen on heldout4 (measured, then its gaps fixed: a regression check now).
# Which figures count: docs/EVALUATION.md.
eval: setup train
	bash scripts/eval_nlu.sh
	$(RUNENV) $(PY) scripts/eval_answers.py --split heldout2 --misses
	$(RUNENV) $(PY) scripts/eval_answers.py --split heldout4 --misses
	$(RUNENV) $(PY) scripts/eval_answers.py --split heldout5 --misses
	$(RUNENV) $(PY) scripts/safety_report.py --cases eval/safety/heldout5.yml --quiet
	$(RUNENV) $(PY) scripts/eval_answers.py --set es --split heldout2 --misses
	$(RUNENV) $(PY) scripts/eval_answers.py --set es --split heldout4 --misses
	$(RUNENV) $(PY) scripts/eval_answers.py --set es --split heldout5 --misses
	$(RUNENV) $(PY) scripts/safety_report.py --cases eval/es/heldout5.yml --quiet
	$(RUNENV) $(PY) scripts/sms_segments.py

# Full run takes about 10 minutes (it trains our model and the stock bot once each);
# `$(PY) -m bench --quick` is a 2-minute smoke run. Results: docs/BENCHMARK.md.
bench: setup train
	$(RUNENV) $(PY) -m bench

# Style, types of every package, and the layers (pyproject.toml [tool.importlinter]).
lint: setup
	$(VENV)/bin/ruff check meso actions components channels staff tests scripts serving bench devstack
	$(VENV)/bin/mypy meso actions components channels staff serving bench devstack
	$(VENV)/bin/lint-imports

clean:
	rm -rf models results .pytest_cache

# Soak: 20 concurrent conversations on the real servers for SOAK_SECONDS (default 300);
# figures in results/soak.json (docs/RELIABILITY.md).
.PHONY: soak
soak: setup train
	$(RUNENV) $(PY) scripts/soak.py
