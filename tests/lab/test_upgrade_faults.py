"""vmseries.aws_ha.pair_upgrade when things go wrong, on lab pairs from the 11.1 AMI going to 11.1.6:
a failed download or install on the passive leaves the pair healthy on its version with nothing
restarted; a passive that never comes back fails the run clearly with the dataplane on the active,
and once it is back a re-run finishes; a run killed mid-upgrade is resumed by running it again.
And preemption, a pair half upgraded by hand, and the VM-Series plugin on its own. (Both HA methods
are upgraded end to end through playbooks/upgrade.yml in test_upgrade_playbook.py.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from ansible_collections.vmseries.aws_ha.plugins.module_utils import ha_state

from .test_failover import build_pair
from .test_failover_module import PLAYBOOK, REPO, pair_task, run
from .pairs import Watcher
from .test_upgrade_module import assert_never_without_a_firewall, boots

TARGET = "11.1.6"
OLD = "11.1.4-h7"


def upgrade_task(**options):
    options = {"poll_interval": 0.25, "boot_timeout": 60, "job_timeout": 60, "failover_timeout": 60,
               "target_version": TARGET, **options}
    return pair_task("pair_upgrade", pair_name="{{ pair_name }}", **options)


def states(devices):
    return {node: ha_state.parse_ha_all(d.op(ha_state.SHOW_HA_ALL, cmd_xml=False))["local"] for node, d in devices.items()}


def versions(devices):
    return {node: d.op("<show><system><info></info></system></show>", cmd_xml=False).findtext("result/system/sw-version")
            for node, d in devices.items()}


def fault(running_lab, kind, instance_id, **extra):
    args = ["fault", "set", "--kind", kind, "--instance", instance_id, "--count", "1"]
    for key, value in extra.items():
        args += [f"--{key}", str(value)]
    assert running_lab.cli(*args).returncode == 0


@pytest.mark.parametrize("kind, words", [("download-fail", "Failed to download"), ("install-fail", "injected install-fail")])
def test_a_failed_job_on_the_passive_leaves_the_pair_healthy_on_its_version(running_lab, tmp_path, kind, words):
    pair, devices = build_pair(running_lab)
    fault(running_lab, kind, pair.secondary, message="Failed to download file from update server"
          if kind == "download-fail" else "injected install-fail")
    before = {node: boots(running_lab, getattr(pair, node)) for node in ("primary", "secondary")}
    proc, _ = run(running_lab, tmp_path, pair, [{**upgrade_task(), "ignore_errors": True}])
    assert words in proc.stdout and "Nothing was restarted by this step" in proc.stdout, proc.stdout[-3000:]
    assert versions(devices) == {"primary": OLD, "secondary": OLD}
    assert {n: s["state"] for n, s in states(devices).items()} == {"primary": "active", "secondary": "passive"}
    assert {node: boots(running_lab, getattr(pair, node)) for node in ("primary", "secondary")} == before


def test_a_passive_that_never_comes_back_fails_clearly_then_a_rerun_finishes(running_lab, tmp_path):
    pair, devices = build_pair(running_lab)
    fault(running_lab, "no-boot", pair.secondary)
    proc, _ = run(running_lab, tmp_path, pair, [{**upgrade_task(boot_timeout=15), "ignore_errors": True}])
    assert "secondary did not come back from its restart" in proc.stdout, proc.stdout[-3000:]
    assert "The dataplane is on primary" in proc.stdout
    assert states({"primary": devices["primary"]})["primary"]["state"] == "active"
    # The operator brings it back (here: stops and starts its instance), and runs the upgrade again.
    ec2 = running_lab.client("ec2")
    ec2.stop_instances(InstanceIds=[pair.secondary])
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[pair.secondary], WaiterConfig={"Delay": 1})
    # moto stops at once: let the lab see it stopped before it starts again.
    running_lab.wait_for(lambda: running_lab.firewall(pair.secondary)["instance_state"] == "stopped",
                         what="the lab to see the secondary stopped")
    ec2.start_instances(InstanceIds=[pair.secondary])
    proc, result = run(running_lab, tmp_path, pair, [upgrade_task()])
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert result["versions"] == {"primary": TARGET, "secondary": TARGET}


def test_a_run_killed_mid_upgrade_is_resumed_by_running_it_again(running_lab, tmp_path):
    pair, devices = build_pair(running_lab)
    # The first run's playbook, killed (controller gone) once the primary is suspended.
    run(running_lab, tmp_path, pair, [upgrade_task()], start_only=True)
    process = subprocess.Popen([PLAYBOOK, str(tmp_path / "play.yml"), "-i", "localhost,", "-c", "local",
                                "-e", f"ansible_python_interpreter={sys.executable}"], cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                               env={**os.environ, "ANSIBLE_NOCOLOR": "1"})

    def primary_suspended():
        try:
            return states({"primary": devices["primary"]})["primary"]["state"] == "suspended"
        except Exception:  # noqa: BLE001
            return False

    try:
        running_lab.wait_for(primary_suspended, timeout=90, interval=0.2, what="the primary suspended")
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert versions({"secondary": devices["secondary"]}) == {"secondary": TARGET}
    secondary_boots = boots(running_lab, pair.secondary)
    proc, result = run(running_lab, tmp_path, pair, [upgrade_task()])
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert result["versions"] == {"primary": TARGET, "secondary": TARGET}
    # Resumed from the pair's state: the secondary is not installed or restarted again.
    assert [s["node"] for s in result["steps"] if s["step"].startswith("install")] == ["primary"], result["steps"]
    assert boots(running_lab, pair.secondary) == secondary_boots


def test_preemption_is_turned_off_for_the_upgrade_and_on_again_after_failing_back(running_lab, tmp_path):
    pair, devices = build_pair(running_lab, preemptive=True)
    with Watcher(devices) as watcher:
        proc, result = run(running_lab, tmp_path, pair, [upgrade_task()])
    assert proc.returncode == 0, proc.stdout[-4000:]
    steps = [(s["step"], s["node"]) for s in result["steps"]]
    assert steps[0] == ("preemption off", "primary") and steps[-1] == ("preemption on again", "primary"), steps
    # Failed back to the better priority before preemption came back: it did not have to preempt.
    assert [w["step"] for w in result["outage_windows"]] == ["fail over from primary", "fail back to primary"]
    final = states(devices)
    assert {n: (s["state"], s["preemptive"]) for n, s in final.items()} == {
        "primary": ("active", True), "secondary": ("passive", True)}
    tagged = running_lab.client("ec2").describe_tags(Filters=[{"Name": "key", "Values": ["vmseries:upgrade-preemption"]}])
    assert tagged["Tags"] == []
    assert_never_without_a_firewall(watcher, result)


def test_readiness_refuses_peers_on_two_versions(running_lab, tmp_path):
    """A pair half upgraded by hand: the readiness check names it before anything is downloaded."""
    pair, devices = build_pair(running_lab)
    secondary = devices["secondary"]
    secondary.software.check()
    secondary.software.download(TARGET, sync_to_peer=False, sync=True)
    secondary.software.install(TARGET, sync=True)
    secondary.restart()
    assert secondary.syncreboot(interval=0.1) == TARGET
    readiness = pair_task("upgrade_readiness", pair_name="{{ pair_name }}", target_version=TARGET,
                          skip_checks=["expired_licenses"])
    proc, _ = run(running_lab, tmp_path, pair, [{**readiness, "ignore_errors": True}])
    text = " ".join(proc.stdout.split())
    assert f"same_version FAIL: primary runs {OLD}, secondary runs {TARGET}" in text, proc.stdout[-3000:]
    assert "Nothing was downloaded or changed" in text


def test_a_pair_at_the_target_is_given_only_the_plugin_passive_first(running_lab, tmp_path):
    """A plugin-only upgrade: the plugin the update server offers refused when it offers no such
    version, then installed on the passive and the active without a restart or a failover; pan-os-python
    lists it; a re-run changes nothing."""
    pair, devices = build_pair(running_lab)
    readiness = pair_task("upgrade_readiness", pair_name="{{ pair_name }}", target_version=OLD, plugin_version="9.9.9",
                          skip_checks=["expired_licenses", "active_support"])
    proc, _ = run(running_lab, tmp_path, pair, [{**readiness, "ignore_errors": True}])
    text = " ".join(proc.stdout.split())
    assert "plugin_offered on primary FAIL: vm_series-9.9.9 is not offered" in text, proc.stdout[-3000:]
    restarts = {node: boots(running_lab, getattr(pair, node)) for node in ("primary", "secondary")}
    with Watcher(devices) as watcher:
        proc, result = run(running_lab, tmp_path, pair, [upgrade_task(target_version=OLD, plugin_version="5.1.4")])
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert [(s["step"], s["node"]) for s in result["steps"]] == [
        ("install the VM-Series plugin 5.1.4", "secondary"), ("install the VM-Series plugin 5.1.4", "primary")]
    assert result["changed"] and result["plugins"] == {"primary": "5.1.4", "secondary": "5.1.4"}
    assert result["outage_windows"] == []
    assert {node: boots(running_lab, getattr(pair, node)) for node in ("primary", "secondary")} == restarts
    assert all(sample == {"primary": "active", "secondary": "passive"} for _, sample in watcher.samples), watcher.samples
    listed = {p["version"]: p for p in devices["primary"].plugins() if p["name"] == "vm_series"}
    assert listed["5.1.4"]["installed"] == "yes" and listed["5.1.2"]["release_date"] == "Built-in"
    proc, again = run(running_lab, tmp_path, pair, [upgrade_task(target_version=OLD, plugin_version="5.1.4")])
    assert proc.returncode == 0 and not again["changed"] and again["steps"] == [], proc.stdout[-3000:]
