"""A first boot from a bootstrap package in S3, or from the basic keys in user data: the firewall
reads its user data through the instance metadata service, the bucket with its instance role, and
comes up configured, licensed and paired with no configuration through the API, or unconfigured,
saying why in `show system bootstrap status`, which the collection's admin password stage repeats
instead of configuring the firewall some other way."""

from __future__ import annotations

import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, Optional

import pytest
from panos.firewall import Firewall
from panos.ha import HA1, HA2, HighAvailability
from panos.network import EthernetInterface

from vmseries_lab import config as labcfg
from vmseries_lab.accounts import password_hash

from .pairs import FOUR_ACTIONS, PASSWORD, connect, launch_pair, set_password
from .test_failover import attachments, ha_all
from .test_failover_module import run

S3_READ = ["s3:ListBucket", "s3:GetObject"]
STATUS = "<show><system><bootstrap><status></status></bootstrap></system></show>"
PRIORITIES = {"primary": 100, "secondary": 110}


def bootstrap_xml(hostname: str, peer_ip: str, ha2_ip: str, priority: int) -> str:
    """A whole configuration as a bootstrap.xml carries it: the factory one, the admin password
    hash, HA2 on ethernet1/1 and this peer's HA settings (pan-os-python's elements)."""
    config = labcfg.default_config(hostname)
    admin = config.find("mgt-config/users/entry[@name='admin']")
    ET.SubElement(admin, "phash").text = password_hash(PASSWORD, "bootstrapsalt016")
    device = config.find("devices/entry")
    device.find("network/interface/ethernet").append(EthernetInterface("ethernet1/1", mode="ha").element())
    ha = HighAvailability(enabled=True, group_id=9, peer_ip=peer_ip, mode="active-passive", config_sync=True,
                          state_sync=True, ha2_keepalive=False)
    ha.add(HA1(port="management"))
    ha.add(HA2(ip_address=ha2_ip, netmask="255.255.255.0", port="ethernet1/1"))
    element = ha.element()
    election = ET.SubElement(element.find("group"), "election-option")
    ET.SubElement(election, "device-priority").text = str(priority)
    ET.SubElement(election, "preemptive").text = "no"
    ET.SubElement(ET.SubElement(election, "timers"), "recommended")
    device.find("deviceconfig").append(element)
    return ET.tostring(config, encoding="unicode")


def package(s3, bucket: str, files: Dict[str, Optional[str]]) -> str:
    """A bucket holding `files` (key -> text; None for an empty folder), and the user data naming it."""
    s3.create_bucket(Bucket=bucket)
    for key, text in files.items():
        s3.put_object(Bucket=bucket, Key=key if text is not None else key.rstrip("/") + "/", Body=(text or "").encode())
    return f"vmseries-bootstrap-aws-s3bucket={bucket}"


def complete_package(s3, pair_name: str, node: str, ips: Dict[str, str], **changes: Optional[str]) -> str:
    peer = "secondary" if node == "primary" else "primary"
    files: Dict[str, Optional[str]] = {
        "config/init-cfg.txt": f"type=dhcp-client\nhostname={pair_name}-{node}\ndhcp-send-hostname=yes\n",
        "config/bootstrap.xml": bootstrap_xml(f"factory-{node}", ips[f"{peer}-mgmt"], ips[f"{node}-ha2"], PRIORITIES[node]),
        "license/authcodes": "LAB-VM300\n", "software/": None, "content/": None, "plugins/": None}
    files.update(changes)
    return package(s3, f"{pair_name}-{node}-bootstrap", {k: v for k, v in files.items() if v != "absent"})


def status_rows(device: Firewall):
    text = device.op(STATUS, cmd_xml=False).findtext("result")
    return [line for line in text.splitlines()[2:] if line.strip()]


def login(fw, password: str = PASSWORD) -> Optional[Firewall]:
    device = connect(fw, password)
    try:
        device.refresh_system_info()
    except Exception:  # noqa: BLE001 - refused credentials
        return None
    return device


@pytest.fixture(scope="module")
def bootstrapped(running_lab):
    s3 = running_lab.client("s3")
    pair = launch_pair(running_lab, FOUR_ACTIONS + S3_READ,
                       user_data=lambda name, node, ips: complete_package(s3, name, node, ips))
    fws = {node: running_lab.wait_up(getattr(pair, node)) for node in ("primary", "secondary")}
    devices = {node: login(fw) for node, fw in fws.items()}
    return pair, devices


def test_a_complete_bootstrap_configures_licenses_and_pairs_the_firewalls_with_no_commit(bootstrapped, running_lab):
    pair, devices = bootstrapped
    assert all(devices.values()), "the admin password of bootstrap.xml was refused"
    running_lab.wait_for(lambda: (devices["primary"].show_highavailability_state()[0],
                                  devices["secondary"].show_highavailability_state()[0]) == ("active", "passive"),
                         what="the pair to form by itself")
    for node, device in devices.items():
        rows = status_rows(device)
        assert [row.split()[0:2] for row in rows] == [["Media", "Detection"], ["Media", "Sanity"], ["Parsing", "of"],
                                                       ["Auto-commit", "Successful"]], rows
        assert rows[0].split()[2] == "Success" and "Media detected successfully" in rows[0]
        info = device.op("<show><system><info></info></system></show>", cmd_xml=False)
        assert info.findtext("result/system/hostname") == f"{pair.name}-{node}"
        assert info.findtext("result/system/serial") not in ("", "unknown"), "the auth code was not fetched"
        jobs = device.op("<show><jobs><all></all></jobs></show>", cmd_xml=False).findall("result/job")
        assert [j.findtext("type") for j in jobs if "ommit" in (j.findtext("type") or "") or j.findtext("type") == "AutoCom"] \
            == ["AutoCom"], "a commit besides the boot-time one"
        counts = running_lab.counters(getattr(pair, node))["counts"]
        assert counts.get("events.bootstrapped") == 1 and not counts.get("config.set.changes")


def test_the_bootstrapped_pair_fails_over(bootstrapped, running_lab):
    pair, devices = bootstrapped
    ec2 = running_lab.client("ec2")
    ec2.stop_instances(InstanceIds=[pair.primary])
    running_lab.wait_for(lambda: set(attachments(ec2, pair.secondary)) == {0, 1, 2, 3}, what="failover to the secondary")
    assert ha_all(devices["secondary"]).findtext("result/group/local-info/state") == "active"


def test_a_bootstrap_runs_on_the_first_boot_only(bootstrapped, running_lab):
    pair, devices = bootstrapped
    ec2 = running_lab.client("ec2")
    ec2.stop_instances(InstanceIds=[pair.secondary])
    ec2.start_instances(InstanceIds=[pair.secondary])
    fw = running_lab.wait_up(pair.secondary, timeout=30)
    assert running_lab.counters(pair.secondary)["counts"]["events.bootstrapped"] == 1
    assert login(fw) is not None


def one_firewall(running_lab, actions, user_data, version_line="11.1"):
    """The primary of a pair launched with that user data, once it is up: (its status rows, the
    firewall, what the collection's admin password stage said of it)."""
    pair = launch_pair(running_lab, actions, version_line=version_line,
                       user_data=lambda name, node, ips: user_data(name, node, ips) if node == "primary" else None)
    fw = running_lab.wait_up(pair.primary)
    collection = admin_password_stage(running_lab, pair, fw)
    set_password(fw, pair.key_file, "Other-Secret-2")
    device = connect(fw, "Other-Secret-2")
    return status_rows(device), device, collection


def admin_password_stage(running_lab, pair, fw):
    """The collection's panos_bootstrap step for a bootstrapped firewall (admin_password with
    bootstrapped): its result."""
    with tempfile.TemporaryDirectory() as tmp:
        _, result = run(running_lab, Path(tmp), pair, [{
            "name": "log in with the password of the bootstrap package",
            "vmseries.aws_ha.admin_password": {
                "provider": "{{ providers.primary }}", "ssh_host": fw["ssh_host"], "ssh_port": fw["ssh_port"],
                "ssh_key_file": str(pair.key_file), "bootstrapped": True, "wait_for_ssh_timeout": 60},
            "register": "result", "ignore_errors": True}])
    return result


def assert_refused_naming(collection, words):
    assert collection["failed"] and "did not take the admin password from its bootstrap package" in collection["msg"]
    assert words in collection["msg"] and "terminate this instance and re-run site.yml" in collection["msg"], collection["msg"]


@pytest.mark.parametrize("case, actions, changes, phase, words", [
    ("denied read", FOUR_ACTIONS + ["s3:ListBucket"], {}, "Parsing of Initial Config",
     "AccessDenied: User: arn:aws:sts::"),
    ("malformed bootstrap.xml", FOUR_ACTIONS + S3_READ, {"config/bootstrap.xml": "<config><devices>"},
     "Parsing of Initial Config", "bootstrap.xml is not well-formed XML"),
    ("missing folder", FOUR_ACTIONS + S3_READ, {"software/": "absent"}, "Media Sanity Check",
     "Media missing directory: software"),
])
def test_a_failed_bootstrap_leaves_the_factory_configuration_and_says_why(running_lab, case, actions, changes, phase, words):
    s3 = running_lab.client("s3")
    rows, device, collection = one_firewall(running_lab, actions,
                                            lambda name, node, ips: complete_package(s3, name, node, ips, **changes))
    assert rows[-1].startswith(phase) and "Failed" in rows[-1] and words in rows[-1], (case, rows)
    assert_refused_naming(collection, words)
    assert device.xapi.get("/config/devices/entry/deviceconfig/high-availability").find("result/high-availability") is None
    assert device.op("<show><system><info></info></system></show>", cmd_xml=False).findtext("result/system/serial") == "unknown"


def test_a_missing_bucket_fails_media_detection(running_lab):
    rows, _, collection = one_firewall(running_lab, FOUR_ACTIONS + S3_READ,
                                       lambda name, node, ips: "vmseries-bootstrap-aws-s3bucket=no-such-bucket-anywhere")
    assert len(rows) == 1 and rows[0].startswith("Media Detection") and "Failed" in rows[0] and "NoSuchBucket" in rows[0], rows
    assert_refused_naming(collection, "NoSuchBucket")


def test_a_plugin_older_than_imdsv2_cannot_read_its_user_data_where_tokens_are_required(running_lab):
    s3 = running_lab.client("s3")
    rows, _, collection = one_firewall(running_lab, FOUR_ACTIONS + S3_READ,
                                       lambda name, node, ips: complete_package(s3, name, node, ips), version_line="10.1")
    assert len(rows) == 1 and "Failed to read user data: 401 Unauthorized" in rows[0] and "plugin 2.1.9" in rows[0], rows
    assert_refused_naming(collection, "401 Unauthorized")


def test_the_basic_configuration_in_user_data(running_lab):
    pair = launch_pair(running_lab, user_data=lambda name, node, ips: (
        f"type=dhcp-client;hostname={name}-basic;authcodes=LAB-VM300;mgmt-interface-swap=enable") if node == "primary" else None)
    fw = running_lab.wait_up(pair.primary)
    set_password(fw, pair.key_file)
    info = connect(fw).op("<show><system><info></info></system></show>", cmd_xml=False)
    assert info.findtext("result/system/hostname") == f"{pair.name}-basic"
    assert info.findtext("result/system/serial") != "unknown"
    # mgmt-interface-swap: management is the ENI at device index 1.
    assert info.findtext("result/system/ip-address") == pair.ips["primary-ha2"]
