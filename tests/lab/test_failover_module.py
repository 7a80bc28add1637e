"""vmseries.aws_ha.pair_state, config_sync and failover_verify through ansible-playbook against a
lab pair built with the real clients (the collection's own PAN-OS stages are not needed for this)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .pairs import PASSWORD, Watcher

SUSPEND = "<request><high-availability><state><suspend></suspend></state></high-availability></request>"
FUNCTIONAL = "<request><high-availability><state><functional></functional></state></high-availability></request>"
from .test_failover import build_pair, failover_bound, running_sync, timings

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")


def run(running_lab, tmp_path, pair, tasks, start_only=False):
    """Run the tasks against the pair in a playbook; its process and `result` (or with start_only,
    write the playbook to tmp_path/play.yml and run nothing)."""
    state = running_lab.state
    providers = {node: {"ip_address": fw["api_host"], "port": fw["api_port"], "username": "admin", "password": PASSWORD}
                 for node, fw in (("primary", running_lab.firewall(pair.primary)),
                                  ("secondary", running_lab.firewall(pair.secondary)))}
    play = [{
        "name": "failover module test", "hosts": "localhost", "gather_facts": False,
        "module_defaults": {"group/vmseries.aws_ha.aws": {
            "region": state["region"], "endpoint_url": state["aws_endpoint_url"],
            "access_key": "testing", "secret_key": "testing"}},
        "vars": {"providers": providers, "pair_name": pair.name},
        "tasks": tasks + [{"name": "save", "ansible.builtin.copy": {
            "content": "{{ result | to_json }}", "dest": str(tmp_path / "result.json"), "mode": "0600"}}],
    }]
    (tmp_path / "play.yml").write_text(json.dumps(play))
    if start_only:
        return None, None
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_DEPRECATION_WARNINGS": "0"}
    proc = subprocess.run([PLAYBOOK, str(tmp_path / "play.yml"), "-i", "localhost,", "-c", "local",
                           "-e", f"ansible_python_interpreter={sys.executable}"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    result = json.loads((tmp_path / "result.json").read_text()) if (tmp_path / "result.json").exists() else None
    return proc, result


def pair_task(module, register="result", ignore_errors=False, **options):
    if module == "pair_state":
        options = {"pair_name": "{{ pair_name }}", **options}
    return {"name": module, f"vmseries.aws_ha.{module}": {"primary": "{{ providers.primary }}",
                                                         "secondary": "{{ providers.secondary }}", **options},
            "register": register, "ignore_errors": ignore_errors}


def verify_task(**options):
    return {"name": "verify", "vmseries.aws_ha.failover_verify": {
        "pair_name": "{{ pair_name }}", "primary": "{{ providers.primary }}", "secondary": "{{ providers.secondary }}",
        **options}, "register": "result", "ignore_errors": True}


@pytest.fixture(scope="module")
def pair(running_lab):
    return build_pair(running_lab)


def test_pair_state_sees_a_healthy_pair(pair, running_lab, tmp_path):
    p, _ = pair
    proc, result = run(running_lab, tmp_path, p, [pair_task("pair_state", expect_active="primary", wait_timeout=30)])
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (result["active"], result["passive"]) == ("primary", "secondary")
    assert "Lab-Secret" not in proc.stdout


def judged_by_both(running_lab, tmp_path, pair):
    """The pair check's module and failover verification's health check (check mode: nothing is
    triggered) on the pair as it is now: both results."""
    tasks = [pair_task("pair_state", register="checked", ignore_errors=True, wait_timeout=2),
             {**verify_task(), "check_mode": True, "register": "verified"},
             {"name": "both", "ansible.builtin.set_fact": {"result": {"checked": "{{ checked }}", "verified": "{{ verified }}"}}}]
    proc, result = run(running_lab, tmp_path, pair, tasks)
    assert result is not None, proc.stdout[-3000:]
    return result["checked"], result["verified"]


def assert_both_refuse(running_lab, tmp_path, pair, expected):
    """Both refuse the pair, name the same conditions, and `expected` is among them."""
    checked, verified = judged_by_both(running_lab, tmp_path, pair)
    assert checked.get("failed") and verified.get("failed"), (checked.get("msg"), verified.get("msg"))
    assert "Refusing to fail over" in verified["msg"]
    assert checked["problems"] == verified["problems"], (checked["problems"], verified["problems"])
    assert any(expected in problem for problem in checked["problems"]), checked["problems"]
    return checked["problems"]


def test_the_pair_check_and_failover_verification_refuse_the_same_conditions(pair, running_lab, tmp_path):
    """Each way a deployed interface-move pair can be unhealthy while both firewalls answer, made in
    the lab and put right again: the pair check and failover verification refuse it with the same
    reasons. (Not synchronized: test_without_the_config_sync_the_pair_check_fails; licences that
    differ: tests/lab/test_licensing.py.)"""
    p, devices = pair
    ec2 = running_lab.client("ec2")
    checked, verified = judged_by_both(running_lab, tmp_path, p)
    assert not checked.get("failed") and not verified.get("failed"), (checked.get("msg"), verified.get("msg"))
    allocation = ec2.describe_addresses(PublicIps=[p.ips["untrust-public"]])["Addresses"][0]["AllocationId"]

    ec2.associate_address(AllocationId=allocation, NetworkInterfaceId=p.enis["secondary-ha2"], AllowReassociation=True)
    assert_both_refuse(running_lab, tmp_path, p, f"Elastic IP {p.ips['untrust-public']} of untrust is associated "
                                                 "through secondary, not the active primary")
    ec2.associate_address(AllocationId=allocation, NetworkInterfaceId=p.enis["untrust"], AllowReassociation=True)

    ec2.replace_route(RouteTableId=p.route_table, DestinationCidrBlock="0.0.0.0/0", NetworkInterfaceId=p.enis["secondary-ha2"])
    assert_both_refuse(running_lab, tmp_path, p, f"route 0.0.0.0/0 of {p.route_table} leads to secondary "
                                                 f"({p.enis['secondary-ha2']}), not the active primary")
    ec2.replace_route(RouteTableId=p.route_table, DestinationCidrBlock="0.0.0.0/0", NetworkInterfaceId=p.enis["trust"])

    devices["secondary"].op(SUSPEND, cmd_xml=False)
    running_lab.wait_for(lambda: devices["secondary"].show_highavailability_state()[0] == "suspended", what="suspended")
    assert_both_refuse(running_lab, tmp_path, p, "secondary is suspended")
    devices["secondary"].op(FUNCTIONAL, cmd_xml=False)
    running_lab.wait_for(lambda: devices["secondary"].show_highavailability_state()[0] == "passive", timeout=30,
                         what="passive again")

    def attachment_of(eni):
        return ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0].get("Attachment") or {}

    def move_trust_to(instance, index):
        ec2.detach_network_interface(AttachmentId=attachment_of(p.enis["trust"])["AttachmentId"])
        running_lab.wait_for(lambda: not attachment_of(p.enis["trust"]), what="trust ENI detached")
        ec2.attach_network_interface(NetworkInterfaceId=p.enis["trust"], InstanceId=instance, DeviceIndex=index)
        running_lab.wait_for(lambda: attachment_of(p.enis["trust"]).get("Status") == "attached", what="trust ENI attached")

    move_trust_to(p.secondary, 2)
    problems = assert_both_refuse(running_lab, tmp_path, p, f"the trust ENI {p.enis['trust']} is attached to "
                                                            "secondary, not to the active primary")
    # The route through that ENI now leads to the passive as well: every condition is named.
    assert any(problem.startswith(f"route 0.0.0.0/0 of {p.route_table} leads to secondary") for problem in problems)
    move_trust_to(p.primary, 3)
    proc, result = run(running_lab, tmp_path, p, [pair_task("pair_state", expect_active="primary", wait_timeout=30)])
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_without_the_config_sync_the_pair_check_fails(running_lab, tmp_path):
    """A pair configured as the collection configures it (the dataplane on the firewall holding
    the ENIs only) forms not synchronized, and the lab, like PAN-OS, leaves it so: the pair check
    fails until the collection's explicit sync has run, which is requested once and not again."""
    p, devices = build_pair(running_lab, synced=False)
    # Judged once both firewalls report the settled state (each judgement below reads both, at
    # different moments: one still reporting its first exchange would name other conditions).
    running_lab.wait_for(lambda: running_sync(devices["primary"]) == running_sync(devices["secondary"]) == "not synchronized",
                         what="running-sync not synchronized on both")
    # Failover verification refuses it for the same reason.
    assert_both_refuse(running_lab, tmp_path, p, "running config not synchronized")
    proc, result = run(running_lab, tmp_path, p, [pair_task("config_sync")])
    assert proc.returncode == 0 and result["changed"], proc.stdout[-3000:]
    assert "was not synchronized; synced from primary" in result["msg"] and result["peer_jobs"][0]["type"] == "HA-Sync"
    proc, result = run(running_lab, tmp_path, p, [pair_task("pair_state", expect_active="primary", wait_timeout=30)])
    assert proc.returncode == 0 and result["active"] == "primary", proc.stdout[-3000:]
    proc, result = run(running_lab, tmp_path, p, [pair_task("config_sync")])
    assert result["changed"] is False and "nothing to sync" in result["msg"]


def test_failover_by_stopping_the_active_and_restore(pair, running_lab, tmp_path):
    """Both firewalls polled from outside throughout the failover and the restore (the old active
    started again): never two actives, as PAN-OS never shows them."""
    p, devices = pair
    with Watcher(devices) as watcher:
        proc, result = run(running_lab, tmp_path, p, [verify_task(trigger="stop_instance", timeout=30, restore_timeout=60)])
    assert proc.returncode == 0 and not result.get("failed"), proc.stdout[-4000:]
    assert len(watcher.samples) > 20 and all(list(s.values()).count("active") <= 1 for _, s in watcher.samples), \
        [s for _, s in watcher.samples]
    assert watcher.samples[-1][1] == {"primary": "passive", "secondary": "active"}, watcher.samples[-5:]
    steps = [row["step"] for row in result["timeline"]]
    assert steps[0] == "trigger" and {"promoted", "attached:untrust", "attached:trust", "eip:untrust",
                                      f"route:{p.route_table}:0.0.0.0/0"} <= set(steps)
    assert result["ha_method"] == "interface_move"
    assert result["total_seconds"] <= failover_bound(timings(running_lab))
    # The attachment states EC2 went through, as the module saw them.
    assert {"detaching:untrust", "attaching:untrust"} & set(steps), steps
    assert result["restore"]["active"] == "secondary" and result["restore"]["enis_moved_back"] is False
    assert any("t (s)" in line for line in result["report_lines"])


def test_refuses_an_unhealthy_pair(pair, running_lab, tmp_path):
    p, _ = pair
    running_lab.client("ec2").stop_instances(InstanceIds=[p.primary])  # the passive now: the pair is degraded
    running_lab.wait_for(lambda: running_lab.firewall(p.primary)["state"] == "down", what="primary down")
    proc, result = run(running_lab, tmp_path, p, [verify_task(timeout=10, restore=False)])
    assert result["failed"] and "Refusing to fail over" in result["msg"], proc.stdout[-3000:]
    running_lab.client("ec2").start_instances(InstanceIds=[p.primary])


def test_missing_detach_permission_is_named(running_lab, tmp_path):
    from .pairs import FOUR_ACTIONS

    p, _ = build_pair(running_lab, [a for a in FOUR_ACTIONS if a != "ec2:DetachNetworkInterface"])
    proc, result = run(running_lab, tmp_path, p, [verify_task(timeout=5, restore=False)])
    assert result["failed"], proc.stdout[-3000:]
    assert "ec2:DetachNetworkInterface" in result["msg"] and result["stuck_step"] == "detached:untrust"


def test_the_wrong_method_is_refused_with_the_layout_found(pair, running_lab, tmp_path):
    p, _ = pair
    proc, result = run(running_lab, tmp_path, p, [verify_task(ha_method="secondary_ip", timeout=5, restore=False)])
    assert result["failed"] and "set vmseries_ha_method=interface_move" in result["msg"], proc.stdout[-3000:]


def test_missing_replace_route_permission_is_named(running_lab, tmp_path):
    from .pairs import SECONDARY_IP_ACTIONS

    p, _ = build_pair(running_lab, [a for a in SECONDARY_IP_ACTIONS if a != "ec2:ReplaceRoute"], method="secondary_ip")
    proc, result = run(running_lab, tmp_path, p, [verify_task(ha_method="secondary_ip", timeout=5, restore=False)])
    assert result["failed"], proc.stdout[-3000:]
    # The addresses and their EIP moved; the route did not, and the firewall says why.
    assert result["missing_steps"] == [f"route:{p.route_table}:0.0.0.0/0"]
    assert "not authorized to perform: ec2:ReplaceRoute" in result["msg"]
