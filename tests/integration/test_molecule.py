"""The molecule scenarios, as CI runs them: `default` deploys two pairs against a lab of its own on
the realistic profile, one per AWS HA method (interface move, secondary-IP move), both booted from
their S3 bootstrap packages (vmseries_bootstrap s3), proves idempotence (changed=0 and no commit
on the re-run), stops each active and checks the failover reports, secondary-IP move the faster,
the pairs after the restore, a re-run of the network stage, the commit counters (none: the
firewalls booted configured) and the teardown, buckets included. `secondary_ip` runs the same
playbooks for the secondary-IP pair alone; CI checks its syntax (the default scenario runs that
pair). The admin password over SSH (vmseries_bootstrap ssh) is deployed on the fast profile by
the AWX Deploy job template's test (tests/integration/test_awx_runner.py) and by `make deploy`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


def molecule(*args: str, timeout: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}", "ANSIBLE_NOCOLOR": "1",
           "NO_COLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "PY_COLORS": "0"}
    env.pop("VMSERIES_LAB_STATE_DIR", None)  # the scenario runs a lab of its own
    return subprocess.run([str(VENV_BIN / "molecule"), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def test_default_scenario():
    proc = molecule("test", timeout=1800)
    # molecule itself fails the run on a changed task in the idempotence step or a failed verify.
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-8000:]


def test_secondary_ip_scenario_syntax():
    proc = molecule("syntax", "--scenario-name", "secondary_ip", timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
