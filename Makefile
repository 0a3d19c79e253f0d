# The two commands a new user needs: `make run` and `make test`. `make help` lists the rest.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
INSTALLED := $(VENV)/.installed
MODEL := models/triage.tar.gz
# The red-flag component fits its asking layer from redflags/ (code and corpus) and tests/data;
# the trained NLU components in serving/ are code the model is built with.
TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml') \
	$(wildcard redflags/*.py redflags/corpus/*.yml tests/data/*.yml) \
	serving/word_slips.py serving/unknown_words.py serving/intent_repairs.py serving/vocabulary.py

export RASA_PORT ?= 5005
export ACTION_PORT ?= 5055
export WEB_PORT ?= 8080
export RECEPTION_PORT ?= 8081
export TRACKER_DB ?= var/rasa.db
# Every server listens on this machine only unless told otherwise (BIND_HOST=0.0.0.0 for the
# LAN): the action server has no authentication of its own, so nothing but Rasa may reach it.
export BIND_HOST ?= 127.0.0.1
export WEB_HOST ?= $(BIND_HOST)
export RECEPTION_HOST ?= $(BIND_HOST)
# Rasa and TensorFlow are chatty and phone home by default; keep the console readable.
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONWARNINGS := ignore::DeprecationWarning,ignore::PendingDeprecationWarning
export PYTHONPATH := $(CURDIR)

.PHONY: help setup train run test validate story-test pytest eval eval-conversations eval-facts eval-questions eval-safety shell clean \
	browser fonts user purge bench audit simulate

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(PY):
	@py=""; \
	if command -v python3.10 >/dev/null 2>&1 && python3.10 -c 'import sys' >/dev/null 2>&1; then \
	  py=python3.10; \
	elif command -v pyenv >/dev/null 2>&1; then \
	  v=$$(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.|$$)' | tail -n 1); \
	  [ -n "$$v" ] && py="$$(pyenv prefix "$$v")/bin/python"; \
	fi; \
	if [ -z "$$py" ]; then \
	  echo "Rasa 3.6 needs Python 3.10: put python3.10 on PATH or install it with pyenv (pyenv install 3.10.13)." >&2; \
	  exit 1; \
	fi; \
	echo "Creating $(VENV) with $$py"; \
	"$$py" -m venv $(VENV)

$(INSTALLED): $(PY) requirements.txt constraints.txt
	$(PY) -m pip install --quiet --upgrade pip==26.3
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt
	touch $@

setup: $(INSTALLED) ## Create .venv and install the pinned dependencies

$(MODEL): $(INSTALLED) $(TRAINING_INPUTS)
	@mkdir -p models
	@start=$$(date +%s); \
	$(RASA) train --fixed-model-name triage --out models; \
	echo "Training took $$(( $$(date +%s) - start )) s"

train: $(MODEL) ## Train the model (only when data, domain or config changed)

run: $(MODEL) ## Set up, train if needed, and start the assistant on embedded defaults
	@mkdir -p var
	@token_shown='$$RASA_TOKEN'; \
	if [ -z "$$RASA_TOKEN" ]; then \
	  export RASA_TOKEN=$$($(PY) -c 'import secrets; print(secrets.token_hex(24))'); \
	  (umask 077; echo "$$RASA_TOKEN" > var/rasa_token); token_shown='$$(cat var/rasa_token)'; \
	  echo "RASA_TOKEN was not set; generated one for this run, in var/rasa_token (readable by you only)."; \
	fi; \
	export LOG_REF_KEY=$${LOG_REF_KEY:-$$($(PY) -c 'import secrets; print(secrets.token_hex(16))')}; \
	if [ -z "$$RECEPTION_SECRET" ]; then \
	  export RECEPTION_SECRET=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(32))'); \
	  echo "RECEPTION_SECRET was not set; generated one for this run (staff log in again after a restart)."; \
	fi; \
	echo "Rasa server (REST + socket.io): http://localhost:$$RASA_PORT"; \
	echo "  talk to it:  curl -s -XPOST localhost:$$RASA_PORT/webhooks/rest/webhook -d '{\"sender\":\"me\",\"message\":\"hi\"}'"; \
	echo "  a conversation's slots: curl -s \"localhost:$$RASA_PORT/conversations/me/tracker?token=$$token_shown\""; \
	echo "Action server: http://localhost:$$ACTION_PORT"; \
	echo "Website chat page: http://localhost:$$WEB_PORT"; \
	$(PY) -m connectors.settings credentials.yml; \
	echo "Reception (staff only): http://localhost:$$RECEPTION_PORT  (accounts: make user NAME=...)"; \
	echo "Conversations are stored in $$TRACKER_DB. Ctrl-C stops everything."; \
	RASA_TOKEN=$$RASA_TOKEN RECEPTION_SECRET=$$RECEPTION_SECRET exec $(VENV)/bin/honcho start -f Procfile

shell: $(INSTALLED) ## Chat in the terminal with the stack `make run` started
	$(PY) -c "import asyncio, uuid; from rasa.core.channels.console import record_messages; \
	  asyncio.run(record_messages('shell-' + uuid.uuid4().hex[:8], server_url='http://localhost:$(RASA_PORT)'))"

validate: $(INSTALLED) ## rasa data validate, failing on warnings
	$(RASA) data validate --fail-on-warnings

story-test: $(MODEL) ## Run the test stories against the real model and action server
	@mkdir -p results var
	@export ACTION_PORT=$$($(PY) -m scripts.wait_for_port --free); \
	$(RASA) run actions --actions actions --port $$ACTION_PORT > var/story-test-actions.log 2>&1 & \
	actions_pid=$$!; trap "kill $$actions_pid 2>/dev/null" EXIT; \
	$(PY) -m scripts.wait_for_port $$ACTION_PORT && \
	$(RASA) test core --stories tests/stories --model $(MODEL) --endpoints endpoints.yml \
	  --fail-on-prediction-errors --out results

pytest: $(MODEL) browser ## Unit tests and whole conversations against the real servers
	$(PY) -m pytest -q tests

test: $(INSTALLED) browser fonts ## Set up, validate, train, run the test stories and pytest
	$(MAKE) validate
	$(MAKE) train
	$(MAKE) story-test
	$(MAKE) pytest

eval: $(MODEL) ## Intent accuracy and F1 on the held-out messages in tests/nlu_heldout.yml
	$(RASA) test nlu --nlu tests/nlu_heldout.yml --model $(MODEL) --out results/nlu
	$(PY) -m scripts.nlu_report results/nlu/intent_report.json

eval-conversations: $(MODEL) ## Whole scripted conversations (three frozen sets, from patient accounts): outcomes and facts
	$(PY) -m scripts.eval_conversations $(or $(SCRIPTS),tests/holdout/triage_scripts_frozen.yml)
	$(PY) -m scripts.eval_conversations tests/holdout/triage_scripts_frozen_2.yml \
	  --report results/eval_conversations_2.txt
	$(PY) -m scripts.eval_conversations tests/holdout/triage_scripts_frozen_3.yml \
	  --report results/eval_conversations_3.txt

eval-facts: $(INSTALLED) ## Triage facts read from single patient messages (two dev sets, then two frozen ones)
	PRACTICE_NOW=$(or $(PRACTICE_NOW),2027-03-01T08:30) $(PY) -m scripts.eval_facts \
	  tests/facts/triage_facts_dev.yml tests/facts/triage_facts_dev_2.yml \
	  $(wildcard tests/holdout/triage_facts_frozen.yml tests/holdout/triage_facts_frozen_2.yml)

eval-questions: $(MODEL) ## Patients' questions: right answers, wrong answers, honest "not sure" (dev, frozen)
	$(PY) -m scripts.eval_questions tests/faq/faq_questions_dev.yml \
	  $(wildcard tests/holdout/faq_questions_frozen.yml) --model $(MODEL) --validation

# Extra labelled sets: make eval-safety SAFETY_SETS="path/a.yml path/b.yml". The frozen sets
# are read only here, when they exist: never trained or tuned on.
FROZEN_SAFETY_SETS := tests/holdout/red_flag_frozen.yml tests/holdout/red_flag_frozen_2.yml \
  tests/holdout/red_flag_frozen_3.yml tests/holdout/red_flag_frozen_4.yml
SAFETY_SETS ?=
eval-safety: $(INSTALLED) ## Red-flag recall per family and level, false alarms, misses, ms/message
	$(PY) -m redflags.evaluate tests/data/red_flag_eval.yml tests/data/red_flag_holdout.yml \
	  tests/data/red_flag_third.yml $(SAFETY_SETS) $(wildcard $(FROZEN_SAFETY_SETS)) \
	  $(if $(wildcard $(MODEL)),--model $(MODEL))

browser: ## Install Debian's Chromium for the browser tests, only when it is missing
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

fonts: ## Install DejaVu (Debian's fonts-dejavu-core) for PDFs in any script, only when missing
	@if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then \
	  echo "Installing fonts-dejavu-core for reception's PDF exports"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core; \
	fi

user: $(INSTALLED) ## Create a reception account or set its password: make user NAME=thandi [ROLE=owner]
	@if [ -z "$(NAME)" ]; then echo "usage: make user NAME=thandi [ROLE=owner]" >&2; exit 2; fi
	$(PY) -m reception.users add "$(NAME)" --role $(or $(ROLE),staff)

purge: $(INSTALLED) ## Retention: make purge DAYS=365 lists old conversations; add APPLY=1 to delete
	$(PY) -m reception.purge $(if $(DAYS),--days $(DAYS)) $(if $(APPLY),--apply)
bench: $(MODEL) ## Load benchmark: triage conversations at concurrency 1/10/50 vs a stock rasa init bot
	$(PY) -m scripts.bench

simulate: $(MODEL) ## Simulated patients against the real servers: make simulate N=2000 [SEED=1]
	$(PY) -m tests.simulator --n $(or $(N),200) --seed $(or $(SEED),1) --concurrency $(or $(CONCURRENCY),4)

AUDIT_VENV := /tmp/pip-audit-venv
audit: ## pip-audit over constraints.txt, from a throwaway venv (needs PyPI's JSON API or OSV)
	@test -x $(AUDIT_VENV)/bin/pip-audit || { python3 -m venv $(AUDIT_VENV) && \
	  $(AUDIT_VENV)/bin/pip install --quiet pip-audit==2.10.1; }
	$(AUDIT_VENV)/bin/pip-audit -r constraints.txt --no-deps --disable-pip

clean: ## Remove trained models, results and local conversation data
	rm -rf models/*.tar.gz results var .rasa
