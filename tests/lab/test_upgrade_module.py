"""vmseries.aws_ha.pair_upgrade through ansible-playbook on a lab pair launched from the lab's 10.2
AMI: the rolling upgrade to a maintenance release of the next feature release (its base image
downloaded first), observed from outside - at every sample one firewall active or passive, never
two actives - then a re-run that changes nothing and restarts nothing."""

from __future__ import annotations

import threading
import time

import pytest

from ansible_collections.vmseries.aws_ha.plugins.module_utils import ha_state

from .test_failover import build_pair
from .test_failover_module import pair_task, run

TARGET = "11.0.6"


class Watcher:
    """Both firewalls' HA states through the XML API, sampled until stopped."""

    def __init__(self, devices):
        self.devices = devices
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _state(self, device):
        try:
            return ha_state.parse_ha_all(device.op(ha_state.SHOW_HA_ALL, cmd_xml=False))["local"]["state"]
        except Exception:  # noqa: BLE001 - restarting: no answer
            return "down"

    def _run(self):
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), {node: self._state(d) for node, d in self.devices.items()}))
            self._stop.wait(0.1)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


@pytest.fixture(scope="module")
def old_pair(running_lab):
    return build_pair(running_lab, version_line="10.2")


def boots(running_lab, instance_id):
    return running_lab.counters(instance_id)["counts"].get("events.boot", 0)


def test_a_pair_is_upgraded_one_peer_at_a_time_and_a_rerun_changes_nothing(old_pair, running_lab, tmp_path):
    pair, devices = old_pair
    task = pair_task("pair_upgrade", pair_name="{{ pair_name }}", target_version=TARGET, poll_interval=0.25,
                     boot_timeout=120, job_timeout=120, failover_timeout=60)
    with Watcher(devices) as watcher:
        proc, result = run(running_lab, tmp_path, pair, [task])
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert result["changed"] and result["versions"] == {"primary": TARGET, "secondary": TARGET}, result["report_lines"]
    steps = [(s["step"], s["node"]) for s in result["steps"]]
    # Palo Alto's order: the passive first, then the failover, then the suspended old active.
    installs = [node for step, node in steps if step.startswith("install")]
    assert installs == ["secondary", "primary"], steps
    assert steps.index(("fail over from primary", "primary")) < steps.index((f"install {TARGET}", "primary")), steps
    assert len(result["outage_windows"]) == 1 and result["outage_windows"][0]["seconds"] > 0
    for system in (devices[n].op("<show><system><info></info></system></show>", cmd_xml=False) for n in devices):
        assert system.findtext("result/system/sw-version") == TARGET
    states = [sample for _, sample in watcher.samples]
    assert states, "no samples"
    for sample in states:
        values = list(sample.values())
        assert values.count("active") <= 1, sample
        assert any(v in ("active", "passive") for v in values) or "suspended" in values and "initial" not in values, sample
    # The stretches with neither active are the failover itself, no longer.
    no_active = [t for t, sample in watcher.samples if "active" not in sample.values()]
    assert not no_active or no_active[-1] - no_active[0] < result["outage_windows"][0]["seconds"] + 5, no_active[:3]

    before = {node: boots(running_lab, getattr(pair, node)) for node in ("primary", "secondary")}
    proc, result = run(running_lab, tmp_path, pair, [task])
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert not result["changed"] and not result["steps"], result["steps"]
    assert {node: boots(running_lab, getattr(pair, node)) for node in ("primary", "secondary")} == before
