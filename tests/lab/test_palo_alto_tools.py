"""Palo Alto's readiness library, panos-upgrade-assurance, unmodified against a licensed, synchronized
lab pair: its default readiness run (every check but environmentals) and every snapshot type finish,
each with the status a VM-Series in the lab's state gives - the lab's documented state (no NTP
server, no Panorama, content older than the update server's latest, one virtual router) where it
is not success. Then the same firewall with no route to Palo Alto's update server, and
napalm-panos's getters."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pan.xapi
import pytest
import yaml
from napalm import get_network_driver
from panos_upgrade_assurance.check_firewall import CheckFirewall
from panos.device import AdvancedRoutingEngine
from panos.network import EthernetInterface, LogicalRouter, VirtualRouter, Vrf, VrfStaticRoute
from panos_upgrade_assurance.firewall_proxy import FirewallProxy

from .pairs import PASSWORD, connect, launch_pair, set_password
from .test_fidelity import element_paths
from .test_failover import build_pair
from .test_upgrade_module import licenser


@pytest.fixture(scope="module")
def licensed_pair(running_lab):
    """Licensed, synchronized, with the untrust interface of a deployment in a virtual router."""
    pair, devices = build_pair(running_lab, prepare=licenser(running_lab))
    primary = devices["primary"]
    primary.add(EthernetInterface("ethernet1/2", mode="layer3", ip=[pair.ips["untrust"] + "/24"])).create()
    primary.add(VirtualRouter("default", interface=["ethernet1/2"])).create()
    assert primary.commit(sync=True)["success"]
    running_lab.wait_for(lambda: all(checker(d).run_readiness_checks(["ha"])["ha"]["status"] == "SUCCESS"
                                     for d in devices.values()), what="the pair in sync again")
    return pair, devices


def checker(device):
    # The library forces the en_US.UTF-8 locale unless told not to; CI machines may not have it.
    return CheckFirewall(FirewallProxy(device), skip_force_locale=True)


# What each check says of a healthy lab pair, and why where it is not SUCCESS.
EXPECTED_CHECKS = {
    "panorama": ("ERROR", "Device not configured with Panorama."),
    "ha": ("SUCCESS", ""),
    "ntp_sync": ("ERROR", "No NTP server configured."),  # the collection configures none
    "candidate_config": ("SUCCESS", ""),
    "expired_licenses": ("SUCCESS", ""),
    "active_support": ("SUCCESS", ""),
    # A firewall boots with the content of its image; the update server has newer.
    "content_version": ("FAIL", "Installed content DB version (8800-8920) is not the latest one (8941-9310)."),
    "session_exist": ("SKIPPED", None),
    "arp_entry_exist": ("SKIPPED", None),
    "ip_sec_tunnel_status": ("SKIPPED", None),
    "free_disk_space": ("SUCCESS", ""),
    "planes_clock_sync": ("SUCCESS", ""),
    "certificates_requirements": ("SKIPPED", None),  # no certificate in <shared>
    "dynamic_updates": ("SKIPPED", None),  # no update schedule configured
    "jobs": ("SUCCESS", ""),
    "global_jumbo_frame": ("SKIPPED", None),
    "dp_cpu_utilization": ("SUCCESS", ""),
    "mp_cpu_utilization": ("SUCCESS", ""),
    "mp_mem_utilization": ("SUCCESS", ""),
    "config_locks": ("SUCCESS", ""),
}


def test_the_default_readiness_run_finishes_with_the_labs_state(licensed_pair):
    _, devices = licensed_pair
    for node, device in devices.items():
        results = checker(device).run_readiness_checks()
        seen = {name: (r["status"], r["reason"]) for name, r in results.items()}
        assert set(seen) == set(EXPECTED_CHECKS), (node, sorted(seen))
        for name, (status, reason) in EXPECTED_CHECKS.items():
            assert seen[name][0] == status, (node, name, seen[name])
            if reason is not None:
                assert seen[name][1] == reason, (node, name, seen[name])


FIXTURE_SHAPES = yaml.safe_load((Path(__file__).parent / "fixture_shapes.yml").read_text())


@pytest.mark.parametrize("command", FIXTURE_SHAPES, ids=[c["command"] for c in FIXTURE_SHAPES])
def test_the_answers_have_the_fixtures_element_paths(licensed_pair, command):
    """tests/lab/fixture_shapes.yml: no element the fixtures of the command lack (but those named
    lab_only, with the reason), and every element of a fixture taken in the lab firewall's state."""
    _, devices = licensed_pair
    answer = devices["primary"].op(command["cmd"], cmd_xml=False)
    assert answer.get("status") == "success", ET.tostring(answer)
    found = element_paths(answer)
    known = set().union(*(fixture["paths"] for fixture in command["fixtures"]), command.get("lab_only", {}).get("paths", []))
    assert found <= known, sorted(found - known)
    for fixture in command["fixtures"]:
        if fixture["same_state"]:
            assert set(fixture["paths"]) <= found, (fixture["source"], sorted(set(fixture["paths"]) - found))


def test_checks_given_what_to_look_for(licensed_pair):
    pair, devices = licensed_pair
    results = checker(devices["primary"]).run_readiness_checks([
        {"arp_entry_exist": {"ip": pair.ips["untrust"].rsplit(".", 1)[0] + ".1"}},
        {"global_jumbo_frame": {"mode": False}},
        {"free_disk_space": {"image_version": "11.1.6"}},
        {"content_version": {"version": "8800-8920"}},
        {"planes_clock_sync": {"diff_threshold": 2}},
        {"dp_cpu_utilization": {"threshold": 50, "minutes": 5}},
    ])
    assert {name: r["status"] for name, r in results.items()} == {
        "arp_entry_exist": "SUCCESS", "global_jumbo_frame": "SUCCESS", "free_disk_space": "SUCCESS",
        "content_version": "SUCCESS", "planes_clock_sync": "SUCCESS", "dp_cpu_utilization": "SUCCESS"}, results


# Every snapshot type; the advanced routing engine's are not SUCCESS, for the reason given (they
# succeed on a firewall switched to that engine: test_the_advanced_routing_snapshots_...).
EXPECTED_SNAPSHOTS = {
    "nics": "SUCCESS", "routes": "SUCCESS", "bgp_peers": "SUCCESS", "license": "SUCCESS", "arp_table": "SUCCESS",
    "content_version": "SUCCESS", "session_stats": "SUCCESS", "ip_sec_tunnels": "SUCCESS",
    "fib_routes": "SUCCESS",
    "global_jumbo_frame": "SUCCESS", "mtu": "SUCCESS",
    # The collection deploys the legacy routing engine, which has no `show advanced-routing`.
    "are_routes": "ERROR", "are_fib_routes": "ERROR",
}


def test_every_snapshot_type(licensed_pair):
    pair, devices = licensed_pair
    snapshots = checker(devices["primary"]).run_snapshots()
    assert {name: s["status"] for name, s in snapshots.items()} == EXPECTED_SNAPSHOTS, snapshots
    assert snapshots["license"]["snapshot"]["PA-VM"]["expired"] == "no"
    assert set(snapshots["nics"]["snapshot"]) >= {"ethernet1/1"}
    assert snapshots["mtu"]["snapshot"]["ethernet1/1"] == {"mtu": 1500}
    assert snapshots["ip_sec_tunnels"]["snapshot"] == {}
    untrust = pair.ips["untrust"].rsplit(".", 1)[0] + ".0/24"
    assert snapshots["fib_routes"]["snapshot"][f"{untrust}_ethernet1/2_0.0.0.0"]["Flags"] == "u"


def test_the_advanced_routing_snapshots_on_a_firewall_switched_to_the_advanced_engine(running_lab):
    """The engine PAN-OS 10.2+ offers beside the legacy one: advance-routing turned on, committed, and
    in effect after a restart; a logical router with the untrust interface and a default route.
    Then the library's advanced-routing snapshots succeed and read that router, and the legacy ones
    find no virtual router."""
    pair = launch_pair(running_lab)
    fw = running_lab.wait_up(pair.primary)
    set_password(fw, pair.key_file)
    device = connect(fw)
    device.add(AdvancedRoutingEngine(enable=True)).create()
    assert device.commit(sync=True)["success"]
    assert checker(device).run_snapshots(["are_routes"])["are_routes"]["status"] == "ERROR", "on before the restart"
    boots = running_lab.counters(pair.primary)["counts"]["events.boot"]
    device.restart()
    running_lab.wait_for(lambda: running_lab.counters(pair.primary)["counts"]["events.boot"] > boots, what="the restart")
    device = connect(running_lab.wait_up(pair.primary))
    assert device.op("show system info", xml=True).decode().count("<advanced-routing>on</advanced-routing>") == 1

    untrust = pair.ips["untrust"]
    gateway = untrust.rsplit(".", 1)[0] + ".1"
    device.add(EthernetInterface("ethernet1/2", mode="layer3", ip=[untrust + "/24"])).create()
    vrf = device.add(LogicalRouter("lr-untrust")).add(Vrf("default", interface=["ethernet1/2"]))
    vrf.add(VrfStaticRoute("default", destination="0.0.0.0/0", nexthop=gateway, interface="ethernet1/2"))
    device.find("lr-untrust", LogicalRouter).create()
    assert device.commit(sync=True)["success"]

    snapshots = checker(device).run_snapshots(["are_routes", "are_fib_routes", "routes", "fib_routes"])
    assert {name: s["status"] for name, s in snapshots.items()} == {
        "are_routes": "SUCCESS", "are_fib_routes": "SUCCESS", "routes": "SUCCESS", "fib_routes": "SUCCESS"}, snapshots
    routes = snapshots["are_routes"]["snapshot"]["lr-untrust"]
    subnet = untrust.rsplit(".", 1)[0] + ".0/24"
    assert [(r["protocol"], r["nexthops"][0].get("ip")) for r in routes["0.0.0.0/0"]] == [("static", gateway)]
    assert routes["0.0.0.0/0"][0]["installed"] is True
    assert [r["protocol"] for r in routes[subnet]] == ["connected"]
    assert [r["protocol"] for r in routes[untrust + "/32"]] == ["local"]
    assert snapshots["are_fib_routes"]["snapshot"][f"0.0.0.0/0_ethernet1/2_{gateway}"]["Flags"] == "ug"
    assert snapshots["routes"]["snapshot"] == {} and snapshots["fib_routes"]["snapshot"] == {}
    interface = device.op("<show><interface>ethernet1/2</interface></show>", cmd_xml=False, xml=True).decode()
    assert "<fwd_type>lr</fwd_type>" in interface.replace(" ", "")


def test_a_firewall_without_the_update_server(licensed_pair, running_lab):
    pair, devices = licensed_pair
    assert running_lab.cli("fault", "set", "--kind", "update-server-unreachable",
                           "--instance", pair.secondary).returncode == 0
    try:
        check = checker(devices["secondary"])
        results = check.run_readiness_checks(["active_support", {"free_disk_space": {"image_version": "11.1.6"}}])
        assert results["active_support"] == {
            "state": False, "status": "ERROR", "reason": "Can not reach update servers to check active support license."}
        assert results["free_disk_space"]["status"] == "ERROR"
        assert "most probably due to network issues" in results["free_disk_space"]["reason"]
        # The library lets the content check's error through: a caller sees PAN-OS's words.
        with pytest.raises(pan.xapi.PanXapiError, match="Failed to check content upgrade info"):
            check.run_readiness_checks(["content_version"])
        # The other firewall still reaches it.
        assert checker(devices["primary"]).run_readiness_checks(["active_support"])["active_support"]["status"] == "SUCCESS"
    finally:
        assert running_lab.cli("fault", "clear").returncode == 0


def test_napalm_panos_reads_the_interfaces_and_facts(licensed_pair, running_lab):
    """napalm-panos, as a network engineer's inventory tool would call it (its driver takes no port:
    pan-python's hostname carries the lab's)."""
    pair, _ = licensed_pair
    fw = running_lab.firewall(pair.primary)
    driver = get_network_driver("panos")(hostname=f"{fw['api_host']}:{fw['api_port']}", username="admin",
                                         password=PASSWORD)
    driver.open()
    try:
        interfaces = driver.get_interfaces()
        facts = driver.get_facts()
        addresses = driver.get_interfaces_ip()
    finally:
        driver.close()
    assert {"ethernet1/1", "ethernet1/2", "vlan", "loopback", "tunnel"} <= set(interfaces), sorted(interfaces)
    assert interfaces["vlan"]["is_up"] and interfaces["ethernet1/2"]["mac_address"]
    assert facts["os_version"] == "11.1.4-h7" and facts["vendor"] == "Palo Alto Networks"
    assert "ethernet1/2" in facts["interface_list"]
    assert addresses["ethernet1/2"]["ipv4"] == {pair.ips["untrust"]: {"prefix_length": 24}}
