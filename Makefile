# The two entry points of the README. Both set up .venv first (once, and again when a
# requirements file changes), so a fresh machine needs nothing but python3 and make.
SHELL := /bin/bash
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: deploy test venv lab-up lab-down bench bench-failover bench-upgrade ee-context ee clean

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

# What a converge costs: one pair's full converge and no-op re-run, then 4 and 8 pairs at once, each
# on a fresh lab (fast profile): time, tasks, AWS and PAN-OS calls per pair (about 15 minutes).
bench: $(STAMP)
	$(VENV)/bin/python scripts/bench.py --markdown

# Both AWS HA methods deployed and failed over in one lab on the realistic profile, their timelines
# side by side (about 10 minutes; a lab of its own, stopped afterwards).
bench-failover: $(STAMP)
	$(VENV)/bin/python scripts/bench_failover.py --markdown

# Both AWS HA methods deployed and upgraded to another PAN-OS version in one lab on the realistic
# profile, their steps and dataplane outage side by side (about 20 minutes; a lab of its own).
bench-upgrade: $(STAMP)
	$(VENV)/bin/python scripts/bench_upgrade.py --markdown

# The execution environment for AWX (execution-environment.yml): the build context alone, or the
# image (needs podman or docker).
ee-context: $(STAMP)
	scripts/ee create --context context

ee: $(STAMP)
	scripts/ee build --context context

clean:
	-$(VENV)/bin/vmseries-lab down
	rm -rf $(VENV) .lab .pytest_cache dist context
