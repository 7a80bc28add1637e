"""One firewall twin through pan-python's xapi and pan-os-python: keys, configuration, commits,
interfaces, op commands, error formats, faults, and its life tied to the EC2 instance."""

from __future__ import annotations

import json
import stat
import subprocess
import time
import urllib.request

import pan.xapi
import pytest
from panos.errors import PanDeviceError, PanURLError
from panos.network import EthernetInterface, VirtualRouter, Zone

from .pairs import PASSWORD, connect, launch_pair, set_password

DEVICE = "/config/devices/entry[@name='localhost.localdomain']"


@pytest.fixture(scope="module")
def single(running_lab):
    """The primary of a fresh pair (the secondary is not needed here) before and after its
    first-boot password."""
    pair = launch_pair(running_lab)
    fw = running_lab.wait_up(pair.primary)
    return pair, fw


def xapi(fw, **kwargs):
    return pan.xapi.PanXapi(hostname=fw["api_host"], port=fw["api_port"], timeout=10, **kwargs)


def test_keygen_refused_before_the_password_is_set(single):
    _, fw = single
    with pytest.raises(pan.xapi.PanXapiError, match="403"):
        xapi(fw, api_username="admin", api_password="admin").keygen()


@pytest.mark.parametrize("weak,refusal", [
    ("admin", "Password is a commonly used word or phrase"),
    ("Ab1-x", "Password must be at least 8 characters long"),
    ("abcdefgh1", "Password must contain a lowercase letter, an uppercase letter and a number or special character"),
])
def test_the_cli_refuses_a_password_pan_os_rules_refuse(single, running_lab, weak, refusal):
    pair, fw = single
    output = set_password(fw, pair.key_file, password=weak, committed=False)
    assert refusal in output and "There are no changes to commit" in output
    with pytest.raises(pan.xapi.PanXapiError, match="403"):
        xapi(fw, api_username="admin", api_password=weak).keygen()
    assert running_lab.firewall(pair.primary)["commits"] == 0


def test_password_over_ssh_then_keygen(single, running_lab):
    pair, fw = single
    output = set_password(fw, pair.key_file)
    assert "Configuration committed successfully" in output
    key = xapi(fw, api_username="admin", api_password=PASSWORD).keygen()
    assert key.startswith("LUFRPT")
    with pytest.raises(pan.xapi.PanXapiError, match="403"):
        xapi(fw, api_key="LUFRPTwrong=").op(cmd="<show><system><info></info></system></show>")
    assert running_lab.firewall(pair.primary)["commits"] == 1


def test_system_info_through_pan_os_python(single):
    _, fw = single
    info = connect(fw).refresh_system_info()
    assert (info.version, info.platform) == ("11.1.4-h7", "PA-VM")


def test_interfaces_are_the_attached_enis(single, running_lab):
    pair, fw = single
    enis = running_lab.client("ec2").describe_network_interfaces(
        Filters=[{"Name": "attachment.instance-id", "Values": [pair.primary]}])["NetworkInterfaces"]
    expected = {f"ethernet1/{e['Attachment']['DeviceIndex']}": e["MacAddress"] for e in enis if e["Attachment"]["DeviceIndex"] > 0}
    api = xapi(fw, api_username="admin", api_password=PASSWORD)
    api.op(cmd="<show><interface>all</interface></show>")
    found = {e.findtext("name"): e.findtext("mac") for e in api.element_result.findall("hw/entry")}
    ethernets = {name: mac for name, mac in found.items() if name.startswith("ethernet")}
    assert ethernets == expected and set(ethernets) == {"ethernet1/1", "ethernet1/2", "ethernet1/3"}
    # The logical interfaces every PAN-OS lists, with MACs from vm-mac-base (+1, +3, +4).
    assert [name for name in found if not name.startswith("ethernet")] == ["vlan", "loopback", "tunnel"]


def test_objects_create_commit_and_refresh(single, running_lab):
    pair, fw = single
    device = connect(fw)
    device.add(EthernetInterface("ethernet1/2", mode="layer3", ip=[pair.ips["untrust"] + "/24"])).create()
    device.add(Zone("untrust", mode="layer3", interface=["ethernet1/2"])).create()
    device.add(VirtualRouter("default", interface=["ethernet1/2"])).create()
    assert device.op("<check><pending-changes></pending-changes></check>", cmd_xml=False).findtext("result") == "yes"
    result = device.commit(sync=True)
    assert result["success"] and result["messages"] == ["Configuration committed successfully"]
    assert device.commit(sync=True) is None  # nothing left to commit
    fresh = connect(fw)
    assert [i.name for i in EthernetInterface.refreshall(fresh)] == ["ethernet1/2"]
    assert [z.interface for z in Zone.refreshall(fresh)] == [["ethernet1/2"]]
    api = xapi(fw, api_username="admin", api_password=PASSWORD)
    # One interface: PAN-OS's single-interface shape (dp, ifnet with its addresses as members, hw).
    api.op(cmd="<show><interface>ethernet1/2</interface></show>")
    single = api.element_result
    assert single.findtext("ifnet/addr/member") == pair.ips["untrust"] + "/24"
    assert (single.findtext("ifnet/zone"), single.findtext("ifnet/vr"), single.findtext("dp")) == ("untrust", "default", "dp0")
    assert single.findtext("hw/mac") and single.findtext("hw/id") == "17"
    # An interface the firewall does not have is an answer, not an API error.
    api.op(cmd="<show><interface>ethernet1/9</interface></show>")
    assert api.status == "success" and api.element_result.findtext("error") == "Interface 'ethernet1/9' not found"
    assert running_lab.firewall(pair.primary)["commits"] == 2


def test_config_actions_and_errors(single):
    _, fw = single
    api = xapi(fw, api_username="admin", api_password=PASSWORD)
    tags = f"{DEVICE}/vsys/entry[@name='vsys1']/tag"
    api.set(xpath=tags, element="<entry name='lab'><comments>one</comments></entry>")
    api.edit(xpath=f"{tags}/entry[@name='lab']", element="<entry name='lab'><comments>two</comments></entry>")
    api.get(xpath=f"{tags}/entry[@name='lab']")
    assert api.element_result.findtext("entry/comments") == "two"
    api.delete(xpath=f"{tags}/entry[@name='lab']")
    api.get(xpath=f"{tags}/entry[@name='lab']")
    assert api.status_code == "7" and len(api.element_result) == 0
    with pytest.raises(pan.xapi.PanXapiError):
        api.get(xpath="devices/entry")  # not absolute
    api.show()  # no xpath: the whole running configuration
    assert api.element_result[0].tag == "config" and api.element_result.find("config/devices") is not None
    with pytest.raises(pan.xapi.PanXapiError, match="No such node"):
        api.show(xpath=f"{tags}/entry[@name='absent']")
    assert api.status == "error" and api.status_code is None
    with pytest.raises(pan.xapi.PanXapiError, match="show -> frobnicate  is unexpected"):
        api.op(cmd="<show><frobnicate></frobnicate></show>")
    assert api.status == "error" and api.status_code == "17"


def test_faults(single, running_lab):
    pair, fw = single
    device = connect(fw)
    fault = running_lab.cli("fault", "set", "--kind", "commit-fail", "--instance", pair.primary, "--count", "1",
                            "--message", "Validation Error: injected")
    assert fault.returncode == 0, fault.stderr
    device.add(Zone("trust", mode="layer3")).create()
    result = device.commit(sync=True)
    assert not result["success"] and "Validation Error: injected" in result["messages"]
    running_lab.cli("fault", "set", "--kind", "api-error", "--instance", pair.primary, "--count", "1", "--message", "busy")
    with pytest.raises(PanDeviceError, match="busy"):
        device.op("<show><system><info></info></system></show>", cmd_xml=False)
    assert device.commit(sync=True)["success"]  # the faults are used up
    counters = json.loads(running_lab.cli("counters", "--json", pair.primary).stdout)[pair.primary]["counts"]
    assert counters["commits"] >= 4 and counters["api.keygen"] >= 1


def test_faults_are_listed_and_cleared(running_lab):
    state = running_lab.state
    request = urllib.request.Request(state["control_url"] + "/faults", method="POST",
                                     data=json.dumps({"kind": "aws-throttle", "count": 1}).encode())
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.loads(response.read())["kind"] == "aws-throttle"
    assert running_lab.state["faults"][0]["kind"] == "aws-throttle"
    assert running_lab.cli("fault", "clear").returncode == 0
    assert running_lab.state["faults"] == []


def test_stopped_instance_refuses_and_restart_keeps_running_config(single, running_lab):
    pair, fw = single
    ec2 = running_lab.client("ec2")
    ec2.stop_instances(InstanceIds=[pair.primary])
    running_lab.wait_for(lambda: running_lab.firewall(pair.primary)["state"] == "down", what="firewall down")
    with pytest.raises(PanURLError, match="Connection refused"):
        connect(fw).refresh_system_info()
    ec2.start_instances(InstanceIds=[pair.primary])
    again = running_lab.wait_up(pair.primary)
    assert (again["api_port"], again["ssh_port"]) == (fw["api_port"], fw["ssh_port"])
    assert sorted(z.name for z in Zone.refreshall(connect(again))) == ["trust", "untrust"]


def test_status_command_lists_the_firewalls(single, running_lab):
    pair, _ = single
    status = running_lab.cli("status")
    assert status.returncode == 0 and pair.primary in status.stdout and "COMMITS" in status.stdout
    parsed = json.loads(running_lab.cli("status", "--json").stdout)
    entry = next(f for f in parsed["firewalls"] if f["instance_id"] == pair.primary)
    assert {"api_endpoint", "ssh_endpoint", "ha_state", "commits"} <= set(entry)


def test_up_is_fast_and_down_stops(tmp_path):
    from .conftest import CLI

    # The private key of a key pair of an earlier lab, whose EC2 is gone.
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "lab-pair-key.pem").write_text("stale")
    started = time.monotonic()
    up = subprocess.run([CLI, "up", "--state-dir", str(tmp_path)], capture_output=True, text=True, timeout=60, check=False)
    assert up.returncode == 0, up.stdout + up.stderr
    assert time.monotonic() - started < 5
    assert list((tmp_path / "keys").iterdir()) == [] and stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    (tmp_path / "keys" / "lab-pair-key.pem").write_text("current")
    assert subprocess.run([CLI, "up", "--state-dir", str(tmp_path)], capture_output=True, text=True,
                          timeout=60, check=False).stdout.startswith("The lab is already running")
    assert (tmp_path / "keys" / "lab-pair-key.pem").read_text() == "current"
    down = subprocess.run([CLI, "down", "--state-dir", str(tmp_path)], capture_output=True, text=True, timeout=60, check=False)
    assert down.returncode == 0 and not (tmp_path / "state.json").exists()
    status = subprocess.run([CLI, "status", "--state-dir", str(tmp_path)], capture_output=True, text=True, timeout=60, check=False)
    assert status.returncode == 3
