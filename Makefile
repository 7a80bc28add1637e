# The two entry points of the README. Both set up .venv first (once, and again when a
# requirements file changes), so a fresh machine needs nothing but python3 and make.
SHELL := /bin/bash
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: deploy test venv lab-up lab-down ee-context ee clean

deploy: $(STAMP)
	scripts/deploy-lab

test: $(STAMP)
	scripts/test

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt constraints.txt lab/pyproject.toml
	scripts/bootstrap-venv
	@touch $@

lab-up: $(STAMP)
	$(VENV)/bin/vmseries-lab up

lab-down: $(STAMP)
	$(VENV)/bin/vmseries-lab down

# The execution environment for AWX (execution-environment.yml): the build context alone, or the
# image (needs podman or docker).
ee-context: $(STAMP)
	scripts/ee create --context context

ee: $(STAMP)
	scripts/ee build --context context

clean:
	-$(VENV)/bin/vmseries-lab down
	rm -rf $(VENV) .lab .pytest_cache dist context
