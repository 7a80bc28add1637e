"""playbooks/upgrade.yml over a fleet in the lab, in batches of three: in the first, two pairs, one
per AWS HA method, upgraded side by side (readiness, snapshot, upgrade, sync, comparison, reports)
while the third pair of the batch fails on its input; the second batch never starts. Then a re-run
over the two upgraded pairs changes nothing and restarts nothing."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess

import pytest
import yaml
from playbook_output import play_recap

from .pairs import PASSWORD, SECONDARY_IP_ACTIONS, Watcher
from .test_failover import build_pair
from .test_failover_module import PLAYBOOK, REPO
from .test_upgrade_faults import OLD, TARGET, versions
from .test_upgrade_module import assert_never_without_a_firewall, boots, licenser

PLUGIN = "5.1.4"  # newer than the 5.1.3 that 11.1.6 ships


def upgrade(running_lab, inventory, *args):
    env = {**os.environ, "VMSERIES_LAB_STATE_DIR": str(running_lab.state_dir), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_DEPRECATION_WARNINGS": "0", "ANSIBLE_FORCE_COLOR": "0"}
    return subprocess.run([PLAYBOOK, "playbooks/upgrade.yml", "-i", str(inventory),
                           "-e", f"vmseries_panos_target_version={TARGET}", *args],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False)


@pytest.fixture(scope="module")
def fleet(running_lab, tmp_path_factory):
    pairs = {"interface_move": build_pair(running_lab, prepare=licenser(running_lab)),
             "secondary_ip": build_pair(running_lab, SECONDARY_IP_ACTIONS, method="secondary_ip",
                                        prepare=licenser(running_lab))}
    tmp = tmp_path_factory.mktemp("fleet")
    timeouts = {"vmseries_upgrade_job_timeout": 60, "vmseries_upgrade_boot_timeout": 60,
                "vmseries_upgrade_failover_timeout": 60, "vmseries_upgrade_poll_interval": 1,
                "vmseries_upgrade_report_dir": str(tmp / "reports")}
    hosts = {pair.name: {"vmseries_pair_name": pair.name, "vmseries_ha_method": method,
                         "vmseries_admin_password": PASSWORD, **timeouts}
             for method, (pair, _) in pairs.items()}
    # The interface-move pair is given a newer VM-Series plugin than the one 11.1.6 ships.
    hosts[pairs["interface_move"][0].name]["vmseries_upgrade_plugin_version"] = PLUGIN
    hosts["fleet-bad-input"] = {"vmseries_pair_name": "fleet-bad-input", "vmseries_upgrade_poll_interval": 0}
    hosts["fleet-later"] = {"vmseries_pair_name": "fleet-later", "vmseries_admin_password": PASSWORD}
    inventory = tmp / "inventory"
    inventory.mkdir()
    (inventory / "group_vars").symlink_to(REPO / "inventories" / "lab" / "group_vars")
    (inventory / "hosts.yml").write_text(yaml.safe_dump({"vmseries_ha_pairs": {"hosts": hosts}}, sort_keys=False))
    watchers = {method: Watcher(devices) for method, (_, devices) in pairs.items()}
    with contextlib.ExitStack() as stack:
        for watcher in watchers.values():
            stack.enter_context(watcher)
        proc = upgrade(running_lab, inventory, "-e", "vmseries_upgrade_batch=3")
    return {"pairs": pairs, "inventory": inventory, "proc": proc, "watchers": watchers, "reports": tmp / "reports"}


def test_a_failed_pair_stops_the_later_batches_and_not_its_batch_mates(fleet):
    proc = fleet["proc"]
    assert proc.returncode != 0
    ran = play_recap(proc.stdout)
    upgraded = [pair.name for pair, _ in fleet["pairs"].values()]
    assert {host: counters["failed"] for host, counters in ran.items()} == {
        **{name: 0 for name in upgraded}, "fleet-bad-input": 1}, proc.stdout[-5000:]
    text = " ".join(proc.stdout.split())
    assert "vmseries_upgrade_poll_interval" in text
    assert "Pair(s) fleet-bad-input failed: the pairs of later batches are not started" in text


@pytest.mark.parametrize("method", ["interface_move", "secondary_ip"])
def test_each_pair_of_the_first_batch_is_upgraded_checked_and_reported(fleet, method):
    pair, devices = fleet["pairs"][method]
    assert versions(devices) == {"primary": TARGET, "secondary": TARGET}
    reports = fleet["reports"]
    before = json.loads((reports / f"upgrade-{pair.name}-before.json").read_text())
    assert {snapshot["versions"]["sw_version"] for snapshot in before.values()} == {OLD}, before
    report = json.loads((reports / f"upgrade-{pair.name}.json").read_text())
    assert report["versions"] == {"primary": TARGET, "secondary": TARGET}
    if method == "interface_move":
        assert report["plugins"] == {"primary": PLUGIN, "secondary": PLUGIN}
        assert [s["node"] for s in report["steps"] if "plugin" in s["step"]] == ["primary", "secondary"], report["steps"]
    assert [c for c in report["checks_after"] if c["status"] != "SUCCESS"] == []
    failover = report["failovers"][0]["timeline"]
    moved = {"attached:untrust", "attached:trust"} if method == "interface_move" else {"ip:untrust", "ip:trust"}
    assert moved <= {row["step"] for row in failover}, failover
    assert "outage" in (reports / f"upgrade-{pair.name}.txt").read_text()
    assert (reports / f"upgrade-{pair.name}.svg").read_text().startswith("<svg")
    assert_never_without_a_firewall(fleet["watchers"][method], report)


def test_a_rerun_over_the_upgraded_pairs_changes_nothing_and_restarts_nothing(fleet, running_lab):
    names = [pair.name for pair, _ in fleet["pairs"].values()]
    instances = [getattr(pair, node) for pair, _ in fleet["pairs"].values() for node in ("primary", "secondary")]
    boots_before = {instance: boots(running_lab, instance) for instance in instances}
    proc = upgrade(running_lab, fleet["inventory"], "--limit", ",".join(names))
    assert proc.returncode == 0, proc.stdout[-5000:]
    assert {host: counters["changed"] for host, counters in play_recap(proc.stdout).items()} == {name: 0 for name in names}
    text = " ".join(proc.stdout.split())
    assert f"runs {TARGET} on both firewalls: nothing to do" in text
    assert f"runs {TARGET} and the VM-Series plugin {PLUGIN} on both firewalls: nothing to do" in text
    assert {instance: boots(running_lab, instance) for instance in instances} == boots_before
