"""The lab's HA pair end to end with real clients: election, config sync only when PAN-OS does it,
and the failover that moves the dataplane ENIs, through EC2's attaching/detaching states, under
the new active's own IAM role."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import pytest

from .pairs import FOUR_ACTIONS, PASSWORD, SECONDARY_IP_ACTIONS, configure_ha, connect, launch_pair, set_password

DEVICE = "/config/devices/entry[@name='localhost.localdomain']"
TAGS = DEVICE + "/vsys/entry[@name='vsys1']/tag"
SYNC = "<request><high-availability><sync-to-remote><running-config></running-config></sync-to-remote></high-availability></request>"


def timings(running_lab):
    """The lab's effective durations (seconds), as its state file reports them."""
    return running_lab.state["profile"]["effective"]


def attachments(ec2, instance_id):
    """device index -> ENI of the attachments EC2 reports finished (status `attached`)."""
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}])
    return {n["Attachment"]["DeviceIndex"]: n["NetworkInterfaceId"] for n in enis["NetworkInterfaces"]
            if n["Attachment"]["Status"] == "attached"}


def ha_all(device):
    return device.op("<show><high-availability><all></all></high-availability></show>", cmd_xml=False)


def running_sync(device):
    return ha_all(device).findtext("result/group/running-sync")


def failover_bound(t):
    """The longest a failover may take in the lab: peer loss (3 recommended heartbeats of 2 s),
    the promotion hold (2 s), then per dataplane ENI its detach and attach, plus 3 s of polls."""
    return t["ha_timer_scale"] * (3 * 2.0 + 2.0) + 2 * (t["eni_detach"] + t["eni_attach"]) + 3.0


def sync_pair(running_lab, devices):
    """What an operator does once the pair has formed: sync the active's config to the peer."""
    devices["primary"].op(SYNC, cmd_xml=False)
    running_lab.wait_for(lambda: running_sync(devices["primary"]) == running_sync(devices["secondary"]) == "synchronized",
                         what="running-sync synchronized on both")


def build_pair(running_lab, actions=FOUR_ACTIONS, preemptive=False, synced=True, method="interface_move",
               version_line="11.1", prepare=None, http_tokens="required"):
    """`prepare(devices)` runs on the reachable firewalls before HA is configured (licensing, say)."""
    pair = launch_pair(running_lab, actions, method, version_line=version_line, http_tokens=http_tokens)
    fws = {node: running_lab.wait_up(getattr(pair, node)) for node in ("primary", "secondary")}
    devices = {}
    for node, fw in fws.items():
        set_password(fw, pair.key_file)
        devices[node] = connect(fw)
    if prepare is not None:
        prepare(devices)
    configure_ha(devices["primary"], 7, pair.ips["secondary-mgmt"], 100, pair.ips["primary-ha2"], preemptive)
    configure_ha(devices["secondary"], 7, pair.ips["primary-mgmt"], 110, pair.ips["secondary-ha2"], preemptive)
    # Something only the primary has, as the dataplane configuration is in a deployment.
    devices["primary"].xapi.set(xpath=TAGS, element="<entry name='primary-only'><comments>sync me</comments></entry>")
    assert devices["primary"].commit(sync=True)["success"]
    assert devices["secondary"].commit(sync=True)["success"]
    running_lab.wait_for(lambda: devices["primary"].show_highavailability_state()[0] == "active"
                         and devices["secondary"].show_highavailability_state()[0] == "passive",
                         what="one active, one passive",
                         last_seen=lambda: (pair.ips, {node: ET.tostring(ha_all(device), encoding="unicode")
                                                        for node, device in devices.items()}))
    if synced:
        sync_pair(running_lab, devices)
    return pair, devices


@pytest.fixture(scope="module")
def pair(running_lab):
    return build_pair(running_lab, synced=False)


def test_election_by_priority(pair):
    _, devices = pair
    assert devices["primary"].show_highavailability_state()[0] == "active"
    assert devices["secondary"].show_highavailability_state()[0] == "passive"


def test_a_pair_formed_with_two_configurations_is_not_synchronized(pair, running_lab):
    _, devices = pair
    # Several hello intervals later still not synchronized: PAN-OS does not sync a joining peer by itself.
    time.sleep(3 * timings(running_lab)["ha_timer_scale"] * 8.0)
    assert running_sync(devices["primary"]) == running_sync(devices["secondary"]) == "not synchronized"
    assert devices["secondary"].xapi.get(TAGS + "/entry[@name='primary-only']").find("result/entry") is None


def test_sync_to_remote_runs_an_ha_sync_job_on_the_peer(pair, running_lab):
    _, devices = pair
    answer = devices["primary"].op(SYNC, cmd_xml=False)
    assert answer.get("status") == "success"
    assert answer.findtext("msg/line") == ("HA synchronization job has been queued on peer. "
                                           "Please check job status on peer.")
    jobs = devices["secondary"].op("<show><jobs><all></all></jobs></show>", cmd_xml=False)
    sync_jobs = [j for j in jobs.findall("result/job") if j.findtext("type") == "HA-Sync"]
    assert len(sync_jobs) == 1 and sync_jobs[0].findtext("status") in ("ACT", "FIN")
    job_id = sync_jobs[0].findtext("id")
    running_lab.wait_for(lambda: devices["secondary"].op(f"<show><jobs><id>{job_id}</id></jobs></show>", cmd_xml=False)
                         .findtext("result/job/result") == "OK", what="the HA-Sync job to finish")
    running_lab.wait_for(lambda: running_sync(devices["primary"]) == running_sync(devices["secondary"]) == "synchronized",
                         what="running-sync synchronized on both")
    synced = devices["secondary"].xapi.show(TAGS + "/entry[@name='primary-only']")
    assert synced.findtext("result/entry/comments") == "sync me"


def test_a_commit_in_a_formed_pair_syncs_to_the_peer(pair, running_lab):
    _, devices = pair
    devices["primary"].xapi.set(xpath=TAGS, element="<entry name='after-forming'><comments>pushed</comments></entry>")
    assert devices["primary"].commit(sync=True)["success"]
    running_lab.wait_for(lambda: devices["secondary"].xapi.get(TAGS + "/entry[@name='after-forming']")
                         .find("result/entry") is not None, what="the commit to reach the passive")
    running_lab.wait_for(lambda: running_sync(devices["secondary"]) == "synchronized", what="synchronized again")


def test_admin_commit_counts(pair, running_lab):
    p, _ = pair
    # Primary: the password over SSH, the HA commit, the commit pushed to the peer; the secondary
    # only the first two (what it got from its peer came in HA-Sync jobs).
    assert running_lab.firewall(p.primary)["commits"] == 3
    assert running_lab.firewall(p.secondary)["commits"] == 2


def test_stopping_the_active_moves_the_dataplane(pair, running_lab):
    p, devices = pair
    ec2 = running_lab.client("ec2")
    assert attachments(ec2, p.primary) == {0: p.enis["primary-mgmt"], 1: p.enis["primary-ha2"],
                                           2: p.enis["untrust"], 3: p.enis["trust"]}
    # AWS throttling during the move: the firewall backs off and retries, as it must on AWS.
    throttle = running_lab.cli("fault", "set", "--kind", "aws-throttle", "--instance", p.secondary, "--count", "2")
    assert throttle.returncode == 0, throttle.stderr
    t = timings(running_lab)
    started = time.monotonic()
    ec2.stop_instances(InstanceIds=[p.primary])
    seen = set()

    def moved():
        enis = ec2.describe_network_interfaces(NetworkInterfaceIds=[p.enis["untrust"], p.enis["trust"]])
        seen.update((n["Attachment"] or {}).get("Status", "detached") if n.get("Attachment") else "detached"
                    for n in enis["NetworkInterfaces"])
        return attachments(ec2, p.secondary) == {0: p.enis["secondary-mgmt"], 1: p.enis["secondary-ha2"],
                                                 2: p.enis["untrust"], 3: p.enis["trust"]}

    bound = failover_bound(t)
    running_lab.wait_for(moved, timeout=bound, interval=0.02, what="both dataplane ENIs on the secondary at 2 and 3")
    assert time.monotonic() - started <= bound
    # What EC2 showed on the way: the attachment states of AWS, not an instant move.
    assert {"detaching", "attaching"} <= seen, seen
    assert devices["secondary"].show_highavailability_state()[0] == "active"
    running_lab.wait_for(lambda: ha_all(devices["secondary"]).findtext("result/group/dataplane-interface-move/status") == "ok",
                         what="the move reported done")
    assert running_lab.firewall(p.primary)["state"] == "down"
    assert running_lab.state["faults"] == []  # both throttled calls happened and were retried
    phases = [e["phase"] for e in running_lab.counters(p.secondary)["events"] if e["kind"] == "eni_move"]
    assert phases == ["detaching", "detached", "attaching", "attached"] * 2


def test_restarted_primary_rejoins_as_passive(pair, running_lab):
    p, devices = pair
    ec2 = running_lab.client("ec2")
    ec2.start_instances(InstanceIds=[p.primary])
    # Polled from the moment its API answers at boot: a restarted VM-Series comes back in
    # `initial`, never in the state it had before the stop (two actives PAN-OS would not show).
    samples = []

    def rejoined():
        try:
            samples.append(devices["primary"].show_highavailability_state()[0])
        except Exception:  # noqa: BLE001 - still booting: refused connections and credentials
            return False
        return samples[-1] == "passive"

    running_lab.wait_for(rejoined, timeout=30, what="the old active to rejoin as passive", last_seen=lambda: samples[-5:])
    assert "active" not in samples and samples[0] in ("initial", "passive"), samples
    # No preemption: the dataplane stays on the secondary.
    assert set(attachments(ec2, p.primary)) == {0, 1}


def test_a_stop_and_start_quicker_than_the_labs_polling_is_a_restart(pair, running_lab):
    """EC2 in the lab stops an instance at once: stopped and started again between two polls of the
    lab's supervisor, the guest still goes down and boots, and never reports its old state."""
    p, devices = pair
    ec2 = running_lab.client("ec2")
    boots = running_lab.counters(p.primary)["counts"].get("events.boot", 0)
    ec2.stop_instances(InstanceIds=[p.primary])
    ec2.start_instances(InstanceIds=[p.primary])
    samples = []

    def passive_again():
        try:
            samples.append(devices["primary"].show_highavailability_state()[0])
        except Exception:  # noqa: BLE001 - down, then booting
            samples.append("down")
            return False
        return samples[-1] == "passive" and running_lab.counters(p.primary)["counts"].get("events.boot", 0) > boots

    running_lab.wait_for(passive_again, timeout=30, what="the primary back as passive", last_seen=lambda: samples[-5:])
    # The boot counter is the proof that the guest went down: on a loaded machine the whole boot
    # (about 2 s in this profile) can fall before the first sample, so no sample need read "down".
    assert running_lab.counters(p.primary)["counts"]["events.boot"] == boots + 1
    assert "active" not in samples, samples


def test_missing_attach_permission_is_reported(running_lab):
    p, devices = build_pair(running_lab, [a for a in FOUR_ACTIONS if a != "ec2:AttachNetworkInterface"])
    ec2 = running_lab.client("ec2")
    ec2.stop_instances(InstanceIds=[p.primary])
    running_lab.wait_for(lambda: ha_all(devices["secondary"]).findtext("result/group/dataplane-interface-move/status") == "failed",
                         what="the failed move to be reported")
    error = ha_all(devices["secondary"]).findtext("result/group/dataplane-interface-move/error")
    assert "not authorized to perform: ec2:AttachNetworkInterface" in error
    assert set(attachments(ec2, p.secondary)) == {0, 1}
    assert PASSWORD  # the pair was configured with the shared lab password


def test_a_plugin_older_than_imdsv2_fails_the_move_where_tokens_are_required(running_lab):
    """PAN-OS 10.1 ships plugin 2.1: it asks the metadata service without a session token, which an
    instance launched as the instances stage launches it refuses; the move fails and says why."""
    p, devices = build_pair(running_lab, version_line="10.1")
    assert devices["secondary"].refresh_system_info().version.startswith("10.1.")
    ec2 = running_lab.client("ec2")
    ec2.stop_instances(InstanceIds=[p.primary])
    running_lab.wait_for(lambda: ha_all(devices["secondary"]).findtext("result/group/dataplane-interface-move/status") == "failed",
                         what="the failed move to be reported")
    assert devices["secondary"].show_highavailability_state()[0] == "active"
    error = ha_all(devices["secondary"]).findtext("result/group/dataplane-interface-move/error")
    assert "VM-Series plugin 2.1.9" in error and "401 Unauthorized" in error and "IMDSv2" in error, error
    assert set(attachments(ec2, p.secondary)) == {0, 1}


def test_the_same_plugin_moves_the_enis_where_imdsv1_is_allowed(running_lab):
    p, devices = build_pair(running_lab, version_line="10.1", http_tokens="optional")
    ec2 = running_lab.client("ec2")
    ec2.stop_instances(InstanceIds=[p.primary])
    running_lab.wait_for(lambda: set(attachments(ec2, p.secondary)) == {0, 1, 2, 3}, what="failover to the secondary")
    assert ha_all(devices["secondary"]).findtext("result/group/dataplane-interface-move/status") in ("in-progress", "ok")


def test_preemption_takes_the_active_role_and_the_enis_back(running_lab):
    p, devices = build_pair(running_lab, preemptive=True)
    ec2 = running_lab.client("ec2")
    ec2.stop_instances(InstanceIds=[p.primary])
    running_lab.wait_for(lambda: set(attachments(ec2, p.secondary)) == {0, 1, 2, 3}, what="failover to the secondary")
    running_lab.wait_for(lambda: ha_all(devices["secondary"]).findtext("result/group/dataplane-interface-move/status") == "ok",
                         what="the move reported done")
    ec2.start_instances(InstanceIds=[p.primary])
    running_lab.wait_up(p.primary)
    # Preemption hold time: 1 min, scaled; never both active meanwhile.
    def primary_back():
        states = (devices["primary"].show_highavailability_state()[0], devices["secondary"].show_highavailability_state()[0])
        assert states != ("active", "active"), "split brain"
        return states == ("active", "passive") and set(attachments(ec2, p.primary)) == {0, 1, 2, 3}

    running_lab.wait_for(primary_back, timeout=60 * timings(running_lab)["ha_timer_scale"] + 15, interval=0.1,
                         what="the primary to preempt with the ENIs")
    assert set(attachments(ec2, p.secondary)) == {0, 1}


def floating(ec2, pair):
    """Which ENI holds each floating address, where the Elastic IP is, and where the route points."""
    holders = {}
    for interface in ("untrust", "trust"):
        found = ec2.describe_network_interfaces(
            Filters=[{"Name": "addresses.private-ip-address", "Values": [pair.ips[f"{interface}-floating"]]}])
        holders[interface] = [n["NetworkInterfaceId"] for n in found["NetworkInterfaces"]]
    address = ec2.describe_addresses(PublicIps=[pair.ips["untrust-public"]])["Addresses"][0]
    holders["eip"] = (address.get("NetworkInterfaceId"), address.get("PrivateIpAddress"))
    routes = ec2.describe_route_tables(RouteTableIds=[pair.route_table])["RouteTables"][0]["Routes"]
    holders["route"] = next(r.get("NetworkInterfaceId") for r in routes if r.get("DestinationCidrBlock") == "0.0.0.0/0")
    return holders


def on(pair, node):
    return {"untrust": [pair.enis[f"{node}-untrust"]], "trust": [pair.enis[f"{node}-trust"]],
            "eip": (pair.enis[f"{node}-untrust"], pair.ips["untrust-floating"]), "route": pair.enis[f"{node}-trust"]}


def test_secondary_ip_failover_moves_addresses_eip_and_route(running_lab):
    p, devices = build_pair(running_lab, SECONDARY_IP_ACTIONS, method="secondary_ip")
    ec2 = running_lab.client("ec2")
    assert floating(ec2, p) == on(p, "primary")
    t = timings(running_lab)
    started = time.monotonic()
    ec2.stop_instances(InstanceIds=[p.primary])
    # No NIC is hot-plugged: peer loss, promotion hold, then a handful of EC2 calls and the remap.
    bound = t["ha_timer_scale"] * (3 * 2.0 + 2.0) + 10 * t["ec2_call"] + 2 * t["ip_remap"] + 3.0
    running_lab.wait_for(lambda: floating(ec2, p) == on(p, "secondary"), timeout=bound, interval=0.02,
                         what="floating IPs, EIP and route on the secondary", last_seen=lambda: floating(ec2, p))
    assert time.monotonic() - started <= bound
    # Each firewall keeps its own ENIs.
    assert set(attachments(ec2, p.secondary)) == {0, 1, 2, 3}
    running_lab.wait_for(lambda: ha_all(devices["secondary"]).findtext("result/group/dataplane-interface-move/status") == "ok",
                         what="the move reported done")
    assert ha_all(devices["secondary"]).findtext("result/group/dataplane-interface-move/method") == "secondary_ip"
    kinds = [e["kind"] for e in running_lab.counters(p.secondary)["events"]
             if e["kind"] in ("ip_move", "route_replace", "eni_move")]
    assert kinds == ["ip_move", "ip_move", "route_replace"]
    state = devices["secondary"].op("<show><plugins><vm_series><aws><ha><state></state></ha></aws></vm_series></plugins></show>",
                                    cmd_xml=False).findtext("result")
    assert "HA mode: secondary-ip" in state and "HA state: active" in state
    ips = devices["secondary"].op("<show><plugins><vm_series><aws><ha><ips></ips></ha></aws></vm_series></plugins></show>",
                                  cmd_xml=False).findtext("result")
    assert p.ips["untrust-floating"] in ips and p.ips["untrust-public"] in ips and p.ips["trust-floating"] in ips


# (A missing ec2:ReplaceRoute is named by failover_verify in test_failover_module.)
@pytest.mark.parametrize("missing", ["ec2:AssignPrivateIpAddresses"])
def test_secondary_ip_missing_permission_is_reported(running_lab, missing):
    p, devices = build_pair(running_lab, [a for a in SECONDARY_IP_ACTIONS if a != missing], method="secondary_ip")
    ec2 = running_lab.client("ec2")
    ec2.stop_instances(InstanceIds=[p.primary])
    running_lab.wait_for(lambda: ha_all(devices["secondary"]).findtext("result/group/dataplane-interface-move/status") == "failed",
                         what="the failed move to be reported")
    error = ha_all(devices["secondary"]).findtext("result/group/dataplane-interface-move/error")
    assert f"not authorized to perform: {missing}" in error
    # What the firewall could not do stayed where it was.
    assert floating(ec2, p) == on(p, "primary")
