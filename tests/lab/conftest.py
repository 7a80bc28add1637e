"""A lab of its own for the lab's tests: `vmseries-lab up` on free ports in a temporary state
directory, with short timings, stopped at the end of the session."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List

import boto3
import pytest

CLI = str(Path(sys.executable).parent / "vmseries-lab")
# The lab's tests upgrade firewalls and run Palo Alto's readiness checks, which need the update
# server the lab plays on request; a lab without one is in tests/integration (test_panos_modules_lab).
TIMINGS = ["--profile", "fast", "--timing", "boot_no_tcp=0.5", "--timing", "commit=0.2", "--update-server"]


class RunningLab:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir

    @property
    def state(self) -> Dict[str, Any]:
        return json.loads((self.state_dir / "state.json").read_text())

    def client(self, service: str) -> Any:
        state = self.state
        return boto3.client(service, endpoint_url=state["aws_endpoint_url"], region_name=state["region"],
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def firewall(self, instance_id: str) -> Dict[str, Any]:
        return next(f for f in self.state["firewalls"] if f["instance_id"] == instance_id)

    def wait_for(self, condition: Any, timeout: float = 20.0, interval: float = 0.05, what: str = "condition",
                 last_seen: Any = None) -> Any:
        """``last_seen`` (a callable) describes the state the condition was waiting on, for the
        failure message."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(interval)
        seen = f"; last seen: {last_seen()}" if last_seen else ""
        raise AssertionError(f"timed out after {timeout} s waiting for {what}{seen}")

    def wait_up(self, instance_id: str, timeout: float = 20.0) -> Dict[str, Any]:
        def up():
            try:
                fw = self.firewall(instance_id)
            except StopIteration:
                return None
            return fw if fw["state"] == "up" else None

        return self.wait_for(up, timeout, what=f"firewall {instance_id} to boot")

    def counters(self, instance_id: str) -> Dict[str, Any]:
        return json.loads(self.cli("counters", "--json", instance_id).stdout)[instance_id]

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([CLI, *args, "--state-dir", str(self.state_dir)], capture_output=True, text=True,
                              timeout=60, check=False)


# Phases and jobs long enough for a test to see each of them (the fast profile's are fractions of
# a second): the boot phases, a commit in progress, an HA-Sync job on the peer.
OBSERVABLE_TIMINGS = ["--profile", "fast", "--timing", "boot_no_tcp=0.5", "--timing", "boot_ssh_key_refused=1.5",
                      "--timing", "boot_api_auth_starting=1.5", "--timing", "boot_chassis_not_ready=1.5",
                      "--timing", "boot_autocommit=2", "--timing", "commit=1", "--timing", "ha_sync=1",
                      "--update-server"]


def start_lab(tmp_path_factory: pytest.TempPathFactory, name: str, timings: List[str]) -> Iterator[Path]:
    state_dir = tmp_path_factory.mktemp(name)
    started = subprocess.run([CLI, "up", "--state-dir", str(state_dir), *timings], capture_output=True, text=True,
                             timeout=60, check=False)
    assert started.returncode == 0, started.stdout + started.stderr
    yield state_dir
    subprocess.run([CLI, "down", "--state-dir", str(state_dir)], capture_output=True, timeout=60, check=False)


@pytest.fixture(scope="session")
def lab_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield from start_lab(tmp_path_factory, "vmseries-lab", TIMINGS)


@pytest.fixture(scope="session")
def running_lab(lab_dir: Path) -> RunningLab:
    return RunningLab(lab_dir)


@pytest.fixture(scope="session")
def observable_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    """A second lab whose phases and jobs last long enough to be seen (boot phases, jobs in progress)."""
    for state_dir in start_lab(tmp_path_factory, "observable-lab", OBSERVABLE_TIMINGS):
        yield RunningLab(state_dir)
