"""The lab's HA pair end to end with real clients: election, config sync, and the failover that
moves the dataplane ENIs under the new active's own IAM role."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import pytest

from .pairs import FOUR_ACTIONS, PASSWORD, configure_ha, connect, launch_pair, set_password

SCALE = 0.25  # conftest's --ha-timer-scale
PROMOTION_HOLD, HELLO = 2.0 * SCALE, 8.0 * SCALE  # recommended timers, in seconds


def attachments(ec2, instance_id):
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}])
    return {n["Attachment"]["DeviceIndex"]: n["NetworkInterfaceId"] for n in enis["NetworkInterfaces"]}


def ha_all(device):
    return device.op("<show><high-availability><all></all></high-availability></show>", cmd_xml=False)


def build_pair(running_lab, actions=FOUR_ACTIONS, preemptive=False):
    pair = launch_pair(running_lab, actions)
    fws = {node: running_lab.wait_up(getattr(pair, node)) for node in ("primary", "secondary")}
    devices = {}
    for node, fw in fws.items():
        set_password(fw, pair.key_file)
        devices[node] = connect(fw)
    configure_ha(devices["primary"], 7, pair.ips["secondary-mgmt"], 100, pair.ips["primary-ha2"], preemptive)
    configure_ha(devices["secondary"], 7, pair.ips["primary-mgmt"], 110, pair.ips["secondary-ha2"], preemptive)
    assert devices["primary"].commit(sync=True)["success"]
    assert devices["secondary"].commit(sync=True)["success"]
    running_lab.wait_for(lambda: devices["primary"].show_highavailability_state()[0] == "active"
                         and devices["secondary"].show_highavailability_state()[0] == "passive",
                         what="one active, one passive",
                         last_seen=lambda: (pair.ips, {node: ET.tostring(ha_all(device), encoding="unicode")
                                                        for node, device in devices.items()}))
    return pair, devices


@pytest.fixture(scope="module")
def pair(running_lab):
    return build_pair(running_lab)


def test_election_by_priority(pair):
    _, devices = pair
    assert devices["primary"].show_highavailability_state()[0] == "active"
    assert devices["secondary"].show_highavailability_state()[0] == "passive"


def test_config_sync_reaches_the_passive(pair, running_lab):
    _, devices = pair
    running_lab.wait_for(lambda: ha_all(devices["secondary"]).findtext("result/group/running-sync") == "synchronized",
                         what="running-sync synchronized")
    synced = devices["secondary"].xapi.show(
        "/config/devices/entry[@name='localhost.localdomain']/network/interface/ethernet/entry[@name='ethernet1/1']")
    assert synced.find("result/entry/ha") is not None


def test_admin_commit_counts(pair, running_lab):
    p, _ = pair
    # The password over SSH and the HA commit: two per firewall.
    assert running_lab.firewall(p.primary)["commits"] == 2
    assert running_lab.firewall(p.secondary)["commits"] == 2


def test_stopping_the_active_moves_the_dataplane(pair, running_lab):
    p, devices = pair
    ec2 = running_lab.client("ec2")
    assert attachments(ec2, p.primary) == {0: p.enis["primary-mgmt"], 1: p.enis["primary-ha2"],
                                           2: p.enis["untrust"], 3: p.enis["trust"]}
    # AWS throttling during the move: the firewall backs off and retries, as it must on AWS.
    throttle = running_lab.cli("fault", "set", "--kind", "aws-throttle", "--instance", p.secondary, "--count", "2")
    assert throttle.returncode == 0, throttle.stderr
    started = time.monotonic()
    ec2.stop_instances(InstanceIds=[p.primary])
    bound = PROMOTION_HOLD + HELLO + 2.0
    running_lab.wait_for(lambda: attachments(ec2, p.secondary) == {0: p.enis["secondary-mgmt"], 1: p.enis["secondary-ha2"],
                                                                   2: p.enis["untrust"], 3: p.enis["trust"]},
                         timeout=bound, what="both dataplane ENIs on the secondary at 2 and 3")
    elapsed = time.monotonic() - started
    assert elapsed <= bound
    assert devices["secondary"].show_highavailability_state()[0] == "active"
    assert ha_all(devices["secondary"]).findtext("result/group/dataplane-interface-move/status") == "ok"
    assert running_lab.firewall(p.primary)["state"] == "down"
    assert running_lab.state["faults"] == []  # both throttled calls happened and were retried


def test_restarted_primary_rejoins_as_passive(pair, running_lab):
    p, devices = pair
    ec2 = running_lab.client("ec2")
    ec2.start_instances(InstanceIds=[p.primary])
    running_lab.wait_up(p.primary)
    running_lab.wait_for(lambda: devices["primary"].show_highavailability_state()[0] == "passive",
                         what="the old active to rejoin as passive")
    # No preemption: the dataplane stays on the secondary.
    assert set(attachments(ec2, p.primary)) == {0, 1}


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


def test_preemption_takes_the_active_role_and_the_enis_back(running_lab):
    p, devices = build_pair(running_lab, preemptive=True)
    ec2 = running_lab.client("ec2")
    ec2.stop_instances(InstanceIds=[p.primary])
    running_lab.wait_for(lambda: set(attachments(ec2, p.secondary)) == {0, 1, 2, 3}, what="failover to the secondary")
    ec2.start_instances(InstanceIds=[p.primary])
    running_lab.wait_up(p.primary)
    # Preemption hold time: 1 min, scaled by 0.1; never both active meanwhile.
    def primary_back():
        states = (devices["primary"].show_highavailability_state()[0], devices["secondary"].show_highavailability_state()[0])
        assert states != ("active", "active"), "split brain"
        return states == ("active", "passive") and set(attachments(ec2, p.primary)) == {0, 1, 2, 3}

    running_lab.wait_for(primary_back, timeout=60 * SCALE + 10, interval=0.1, what="the primary to preempt with the ENIs")
    assert set(attachments(ec2, p.secondary)) == {0, 1}
