"""The molecule scenarios, as CI runs them: `default` deploys the pair (interface move) against a lab
of its own on the realistic profile, proves idempotence (changed=0 and no commit on the re-run),
stops the active and checks the failover report, the pair after the restore and the commit
counters; `secondary_ip` does the same for secondary-IP move on the fast profile, then re-runs the
network stage after the failover and tears the pair down."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("scenario", ["default", "secondary_ip"])
def test_scenario(scenario):
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}", "ANSIBLE_NOCOLOR": "1",
           "NO_COLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "PY_COLORS": "0"}
    env.pop("VMSERIES_LAB_STATE_DIR", None)  # the scenario runs a lab of its own
    proc = subprocess.run([str(VENV_BIN / "molecule"), "test", "--scenario-name", scenario], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=1200, check=False)
    output = proc.stdout + proc.stderr
    # molecule itself fails the run on a changed task in the idempotence step or a failed verify.
    assert proc.returncode == 0, output[-8000:]
