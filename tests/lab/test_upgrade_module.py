"""vmseries.aws_ha.pair_upgrade through ansible-playbook on a lab pair launched from the lab's 10.2
AMI: the rolling upgrade to a maintenance release of the next feature release (its base image
downloaded first), observed from outside - at every sample one firewall active or passive, never
two actives - then a re-run that changes nothing and restarts nothing."""

from __future__ import annotations

import pytest

from ansible_collections.vmseries.aws_ha.plugins.module_utils import ha_state

from .pairs import Watcher
from .test_failover import build_pair
from .test_failover_module import pair_task, run
from .test_licensing import add_code, wait_restarted

TARGET = "11.0.6"


def licenser(running_lab, support_days=365):
    """build_pair's prepare step that licenses both firewalls (Palo Alto's readiness checks refuse an
    unlicensed firewall), from an auth code with `support_days` of support left."""
    def license_both(devices):
        code = add_code(running_lab, count=2, support_days=support_days)
        for device in devices.values():
            device.activate_feature_using_authorization_code(code)
        for device in devices.values():
            wait_restarted(running_lab, device)
            # The restarted management server runs its AutoCom first; HA's commit comes after it.
            running_lab.wait_for(lambda d=device: all(j.findtext("status") == "FIN" for j in d.op(
                "<show><jobs><all></all></jobs></show>", cmd_xml=False).findall("result/job")), what="jobs done")

    return license_both


@pytest.fixture(scope="module")
def old_pair(running_lab):
    """A licensed pair from the 10.2 AMI."""
    return build_pair(running_lab, version_line="10.2", prepare=licenser(running_lab))


def assert_never_without_a_firewall(watcher, result):
    """At every sample one firewall active or passive and never two actives; the stretches with
    neither active no longer than the failovers themselves (plus the sampling's own delay)."""
    assert watcher.samples, "no samples"
    for _, sample in watcher.samples:
        values = list(sample.values())
        assert values.count("active") <= 1, sample
        assert any(v in ("active", "passive") for v in values), sample
    no_active = [t for t, sample in watcher.samples if "active" not in sample.values()]
    longest = sum(w["seconds"] for w in result["outage_windows"]) + 5
    assert not no_active or no_active[-1] - no_active[0] < longest, (no_active[0], no_active[-1])


def readiness_task(**options):
    return pair_task("upgrade_readiness", pair_name="{{ pair_name }}", **options)


def boots(running_lab, instance_id):
    return running_lab.counters(instance_id)["counts"].get("events.boot", 0)


@pytest.mark.parametrize("target, check, words", [
    ("99.0.0", "target_offered", "not offered by the update server"),
    ("10.2.0", "upgrade_path", "older than the running"),
    ("11.1.6", "upgrade_path", "crosses the feature release(s) 11.0"),
])
def test_readiness_refuses_a_path_naming_the_check(old_pair, running_lab, tmp_path, target, check, words):
    pair, _ = old_pair
    proc, result = run(running_lab, tmp_path, pair, [{**readiness_task(target_version=target), "ignore_errors": True}])
    assert f"{check} FAIL" in proc.stdout, [c for c in (result or {}).get("checks", []) if c["node"] is None]
    assert f"{check} FAIL" in proc.stdout and words in proc.stdout, proc.stdout[-3000:]
    assert "Nothing was downloaded or changed" in proc.stdout


def test_readiness_refuses_pending_changes_and_a_full_disk(old_pair, running_lab, tmp_path):
    pair, devices = old_pair
    tags = "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']/tag"
    devices["secondary"].xapi.set(xpath=tags, element="<entry name='uncommitted'/>")
    try:
        proc, _ = run(running_lab, tmp_path, pair, [{**readiness_task(target_version="11.0.6"), "ignore_errors": True}])
    finally:
        devices["secondary"].xapi.delete(xpath=tags + "/entry[@name='uncommitted']")
    assert "candidate_config on secondary FAIL" in proc.stdout and "commit or revert" in proc.stdout, proc.stdout[-3000:]



def test_readiness_refuses_an_unhealthy_pair_and_old_content(old_pair, running_lab, tmp_path):
    pair, devices = old_pair
    devices["secondary"].op(ha_state.SUSPEND, cmd_xml=False)
    try:
        proc, _ = run(running_lab, tmp_path, pair, [{**readiness_task(target_version="11.0.6", content_version="9999-9999"),
                                                     "ignore_errors": True}])
    finally:
        devices["secondary"].op(ha_state.FUNCTIONAL, cmd_xml=False)
        running_lab.wait_for(lambda: ha_state.parse_ha_all(devices["secondary"].op(ha_state.SHOW_HA_ALL, cmd_xml=False))
                             ["local"]["state"] == "passive", what="the secondary passive again")
    text = " ".join(proc.stdout.split())
    assert "pair_healthy FAIL: secondary is suspended" in text, proc.stdout[-3000:]
    assert "content_version on primary FAIL" in text and "install a newer content release" in text


def test_readiness_refuses_a_running_job_expired_licences_and_lapsed_support(running_lab, tmp_path):
    """A download someone started still running on the primary; the pair licensed from an auth code
    whose support term is over."""
    pair, devices = build_pair(running_lab, prepare=licenser(running_lab, support_days=-1))
    assert running_lab.cli("fault", "set", "--kind", "job-stall", "--instance", pair.primary).returncode == 0
    try:
        devices["primary"].op("<request><content><upgrade><download><latest/></download></upgrade></content></request>",
                              cmd_xml=False)
        proc, result = run(running_lab, tmp_path, pair, [{**readiness_task(target_version="11.1.6"),
                                                          "ignore_errors": True}])
    finally:
        assert running_lab.cli("fault", "clear").returncode == 0
    text = " ".join(proc.stdout.split())
    assert "jobs on primary FAIL: At least one job (ID=" in text and "(state=ACT)" in text, proc.stdout[-3000:]
    assert "jobs on secondary" not in text
    for node in ("primary", "secondary"):
        assert f"expired_licenses on {node} FAIL: Found expired licenses: Premium" in text
        assert f"active_support on {node} FAIL: Support License expired" in text
    assert "renew the support contract" in text and "Nothing was downloaded or changed" in text


def test_readiness_refuses_a_firewall_without_room_for_the_images(running_lab, tmp_path):
    pair, devices = build_pair(running_lab)
    device = devices["primary"]
    device.software.check()
    for version in ("11.1.0", "11.2.0", "11.2.4-h4", "10.2.0", "10.2.13", "11.0.0"):
        device.software.download(version, sync=True)
    proc, _ = run(running_lab, tmp_path, pair, [{**readiness_task(target_version="11.1.6", skip_checks=["expired_licenses"]),
                                                 "ignore_errors": True}])
    text = " ".join(proc.stdout.split())
    # pan-os-python downloads with sync-to-peer yes: the secondary filled up as well.
    assert "free_disk_space on primary FAIL" in text and "free_disk_space on secondary FAIL" in text, proc.stdout[-3000:]
    assert "delete unused images" in text

# Last: it leaves the module's pair on the target version.
def test_a_pair_is_upgraded_one_peer_at_a_time_and_a_rerun_changes_nothing(old_pair, running_lab, tmp_path):
    pair, devices = old_pair
    task = pair_task("pair_upgrade", pair_name="{{ pair_name }}", target_version=TARGET, poll_interval=0.25,
                     boot_timeout=120, job_timeout=120, failover_timeout=60)
    tasks = [{**readiness_task(target_version=TARGET), "register": "before"}, {**task, "register": "upgraded"},
             {**readiness_task(compare_to="{{ before.snapshots }}"), "register": "after"},
             {"name": "all", "ansible.builtin.set_fact": {"result": {
                 "before": "{{ before }}", "upgraded": "{{ upgraded }}", "after": "{{ after }}"}}}]
    with Watcher(devices) as watcher:
        proc, results = run(running_lab, tmp_path, pair, tasks)
    assert proc.returncode == 0, proc.stdout[-4000:]
    # Palo Alto's readiness checks ran on both firewalls and passed; the snapshot after the
    # upgrade differs from the one before in nothing but the versions.
    assert {(c["name"], c["node"]) for c in results["before"]["checks"] if c["status"] == "SUCCESS"} >= {
        ("pair_healthy", None), ("upgrade_path", None), ("target_offered", None),
        ("free_disk_space", "primary"), ("candidate_config", "secondary"), ("jobs", "primary")}, results["before"]["checks"]
    assert results["after"]["differences"] == []
    assert results["before"]["snapshots"]["active"]["versions"]["sw_version"] == "10.2.10-h9"
    assert results["after"]["snapshots"]["active"]["versions"]["sw_version"] == TARGET
    result = results["upgraded"]
    assert result["changed"] and result["versions"] == {"primary": TARGET, "secondary": TARGET}, result["report_lines"]
    steps = [(s["step"], s["node"]) for s in result["steps"]]
    # Palo Alto's order: the passive first, then the failover, then the suspended old active.
    installs = [node for step, node in steps if step.startswith("install")]
    assert installs == ["secondary", "primary"], steps
    assert steps.index(("fail over from primary", "primary")) < steps.index((f"install {TARGET}", "primary")), steps
    assert len(result["outage_windows"]) == 1 and result["outage_windows"][0]["seconds"] > 0
    for system in (devices[n].op("<show><system><info></info></system></show>", cmd_xml=False) for n in devices):
        assert system.findtext("result/system/sw-version") == TARGET
    assert_never_without_a_firewall(watcher, result)

    before = {node: boots(running_lab, getattr(pair, node)) for node in ("primary", "secondary")}
    proc, result = run(running_lab, tmp_path, pair, [task])
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert not result["changed"] and not result["steps"], result["steps"]
    assert {node: boots(running_lab, getattr(pair, node)) for node in ("primary", "secondary")} == before
