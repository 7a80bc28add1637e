"""Our PAN-OS modules against a firewall twin of the lab, each run as Ansible runs a module (a
separate Python process reading its arguments from a file), in the order site.yml uses them:
admin password over SSH, interface map checked by MAC, interfaces, zone, virtual router, HA,
commit - then the same again, which must change nothing. Skipped without `vmseries-lab`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Dict

import pan.xapi
import pytest
from panos.firewall import Firewall
from panos.network import Zone

from ansible_collections.vmseries.aws_ha.plugins.module_utils.panos import PanosConnection

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO / ".venv" / "collections"
PASSWORD = "Lab-Modules-1"
CLI = Path(sys.executable).parent / "vmseries-lab"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CLI.exists(), reason="the lab CLI (vmseries-lab) is not installed")]


def run(module: str, args: Dict[str, Any], tmp_path: Path, check: bool = False) -> Dict[str, Any]:
    args_file = tmp_path / f"{module}-{uuid.uuid4().hex[:6]}.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {**args, "_ansible_check_mode": check,
                                                             "_ansible_diff": True}}))
    env = {**os.environ, "PYTHONPATH": str(COLLECTIONS)}
    proc = subprocess.run([sys.executable, "-m", f"ansible_collections.vmseries.aws_ha.plugins.modules.{module}",
                           str(args_file)], capture_output=True, text=True, timeout=300, env=env, check=False)
    try:
        return json.loads(proc.stdout[proc.stdout.index("{"):])
    except ValueError:
        raise AssertionError(f"{module} printed no result:\n{proc.stdout}\n{proc.stderr}") from None


@pytest.fixture(scope="module")
def firewall(lab, tmp_path_factory) -> Dict[str, Any]:
    """One VM-Series instance (mgmt, ha2, untrust ENIs at device index 0-2), booted."""
    if lab.kind != "vmseries-lab":
        pytest.skip("needs the vmseries-lab firewall twins, not moto alone")
    ec2 = lab.client("ec2")
    name = "m" + uuid.uuid4().hex[:8]
    octet = 200 + int(name[1:3], 16) % 50
    vpc = ec2.create_vpc(CidrBlock=f"10.{octet}.0.0/16")["Vpc"]["VpcId"]
    zone = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
    subnets = {role: ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{octet}.{i}.0/24", AvailabilityZone=zone)["Subnet"]
               for i, role in enumerate(["mgmt", "ha2", "untrust"])}
    key_file = tmp_path_factory.mktemp("keys") / f"{name}.pem"
    key_file.write_text(ec2.create_key_pair(KeyName=name)["KeyMaterial"])
    key_file.chmod(0o600)
    enis = {role: ec2.create_network_interface(SubnetId=subnet["SubnetId"])["NetworkInterface"]
            for role, subnet in subnets.items()}
    image = ec2.describe_images(Owners=["679593333241"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, InstanceType="m5.xlarge", KeyName=name,
        NetworkInterfaces=[{"NetworkInterfaceId": enis[r]["NetworkInterfaceId"], "DeviceIndex": i}
                           for i, r in enumerate(["mgmt", "ha2", "untrust"])])["Instances"][0]["InstanceId"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = json.loads((lab.state_dir / "state.json").read_text())
        found = next((f for f in state.get("firewalls", []) if f["instance_id"] == instance), None)
        if found and found["api_port"] and found["ssh_port"]:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"the lab started no firewall for {instance}")
    return {"instance_id": instance, "key_file": str(key_file), "enis": enis, "subnets": subnets,
            "endpoint_url": lab.endpoint_url, "region": lab.region, "state_dir": lab.state_dir,
            "provider": {"ip_address": found["api_host"], "port": found["api_port"], "username": "admin",
                         "password": PASSWORD},
            "ssh_host": found["ssh_host"], "ssh_port": found["ssh_port"]}


def aws(firewall: Dict[str, Any]) -> Dict[str, Any]:
    return {"region": firewall["region"], "endpoint_url": firewall["endpoint_url"], "access_key": "testing",
            "secret_key": "testing"}


def test_the_whole_chain_then_nothing_changes(firewall, tmp_path):
    provider = firewall["provider"]
    bootstrap = {"provider": provider, "ssh_key_file": firewall["key_file"], "ssh_host": firewall["ssh_host"],
                 "ssh_port": firewall["ssh_port"], "wait_for_ssh_timeout": 120, "api_wait_timeout": 5,
                 "return_api_key": True}
    first = run("admin_password", bootstrap, tmp_path)
    assert first.get("changed") is True and first["method"] == "ssh" and first["api_key"], first
    again = run("admin_password", bootstrap, tmp_path)
    assert again["changed"] is False and again["method"] == "api" and again["ssh_attempts"] == 0, again

    mapped = run("interface_map", {"instance_id": firewall["instance_id"], "provider": provider, **aws(firewall)},
                 tmp_path)
    assert mapped.get("verified") is True, mapped
    assert [r["panos_name"] for r in mapped["interfaces"]] == ["management", "ethernet1/1", "ethernet1/2"]
    untrust = mapped["by_name"]["ethernet1/2"]
    ha2 = mapped["by_name"]["ethernet1/1"]

    tasks = [
        ("ethernet_interface", {"name": "ethernet1/1", "mode": "ha", "comment": "HA2"}),
        ("ethernet_interface", {"name": "ethernet1/2", "ip": [f"{untrust['private_ip']}/{untrust['prefix_length']}"],
                                "comment": "untrust"}),
        ("zone", {"name": "untrust", "interfaces": ["ethernet1/2"]}),
        ("virtual_router", {"interfaces": ["ethernet1/2"], "static_routes": [
            {"name": "default", "destination": "0.0.0.0/0", "nexthop": untrust["gateway"], "interface": "ethernet1/2"}]}),
        ("high_availability", {"group_id": 9, "peer_ip": "10.9.9.9", "ha2_ip_address": ha2["private_ip"],
                               "ha2_netmask": ha2["netmask"], "ha2_gateway": ha2["gateway"], "device_priority": 100,
                               "state_sync_transport": "udp"}),
    ]
    firewall["chain"] = tasks  # for the next test
    for module, args in tasks:
        result = run(module, {"provider": provider, **args}, tmp_path)
        assert result.get("changed") is True, (module, result)
    committed = run("commit", {"provider": provider, "description": "modules lab test", "poll_interval": 1}, tmp_path)
    assert committed.get("changed") is True and committed["job_result"] == "OK", committed

    for module, args in tasks:
        result = run(module, {"provider": provider, **args}, tmp_path)
        assert result.get("changed") is False, (module, result)
    assert run("commit", {"provider": provider}, tmp_path)["changed"] is False

    # Check mode: a would-be change is reported, nothing is written, nothing becomes pending.
    preview = run("zone", {"provider": provider, "name": "untrust", "interfaces": ["ethernet1/2", "ethernet1/1"]},
                  tmp_path, check=True)
    assert preview["changed"] is True and "ethernet1/1" in preview["diff"]["after"]
    assert run("commit", {"provider": provider}, tmp_path, check=True)["changed"] is False


def test_what_palo_altos_modules_spell_out_is_neither_a_change_nor_rewritten(firewall, tmp_path):
    """After the chain above: the zone written again as panos_zone writes it (pan-os-python's Zone with
    User-ID off, spelled out), and the HA settings panos_ha adds (passive-link-state auto, HA2
    keep-alive on), committed. Our modules then find nothing to change, and nothing to commit."""
    provider = firewall["provider"]
    device = Firewall(provider["ip_address"], "admin", PASSWORD, port=provider["port"])
    zone = device.add(Zone("untrust", mode="layer3", interface=["ethernet1/2"], enable_user_identification=False))
    zone.apply()
    ha_xpath = "/config/devices/entry[@name='localhost.localdomain']/deviceconfig/high-availability/group"
    device.xapi.set(ha_xpath + "/mode/active-passive", "<passive-link-state>auto</passive-link-state>")
    device.xapi.set(ha_xpath + "/state-synchronization", "<ha2-keep-alive><enabled>yes</enabled></ha2-keep-alive>")
    assert device.commit(sync=True)["success"]
    for module, args in firewall["chain"]:
        result = run(module, {"provider": provider, **args}, tmp_path)
        assert result.get("changed") is False, (module, result)
    assert run("commit", {"provider": provider}, tmp_path)["changed"] is False
    device.xapi.show(ha_xpath)
    assert "<passive-link-state>auto</passive-link-state>" in device.xapi.xml_root().replace("\n", "").replace(" ", "")


def test_ha_settings_made_elsewhere_survive_the_ha_module(firewall, tmp_path):
    """Path monitoring and HA1 encryption, set with pan-python as an operator or another collection
    would, are neither reported as a change nor removed when the module changes the priority."""
    provider = firewall["provider"]
    xapi = pan.xapi.PanXapi(hostname=provider["ip_address"], port=provider["port"], api_username="admin",
                            api_password=PASSWORD, timeout=30)
    ha_xpath = "/config/devices/entry[@name='localhost.localdomain']/deviceconfig/high-availability"
    xapi.set(ha_xpath + "/group", "<monitoring><path-monitoring><enabled>yes</enabled></path-monitoring></monitoring>")
    xapi.set(ha_xpath + "/interface/ha1", "<encryption><enabled>yes</enabled></encryption>")
    args = {"provider": provider, "group_id": 9, "peer_ip": "10.9.9.9", "ha2_ip_address": "10.9.1.10",
            "ha2_netmask": "255.255.255.0", "device_priority": 100}
    assert run("high_availability", args, tmp_path)["changed"] is True
    assert run("high_availability", args, tmp_path)["changed"] is False
    assert run("high_availability", {**args, "device_priority": 110}, tmp_path)["changed"] is True
    xapi.get(ha_xpath)
    candidate = xapi.xml_root()
    assert "<device-priority>110</device-priority>" in candidate
    assert "<path-monitoring><enabled>yes</enabled></path-monitoring>" in candidate.replace("\n", "").replace(" ", "")
    assert "<encryption><enabled>yes</enabled></encryption>" in candidate.replace("\n", "").replace(" ", "")
    assert run("commit", {"provider": provider, "poll_interval": 1}, tmp_path)["job_result"] == "OK"


def test_a_lab_without_the_update_server_answers_as_a_firewall_that_cannot_reach_it(firewall):
    """The lab plays Palo Alto's update server only when started with --update-server; this one was
    not, so the firewall's checks fail in PAN-OS's words for an unreachable server."""
    provider = firewall["provider"]
    xapi = pan.xapi.PanXapi(hostname=provider["ip_address"], port=provider["port"], api_username="admin",
                            api_password=PASSWORD, timeout=30)
    for command, words in (("<request><system><software><check/></software></system></request>", "upgrade info"),
                           ("<request><content><upgrade><check/></upgrade></content></request>", "content upgrade info"),
                           ("<request><support><check/></support></request>", "support info")):
        with pytest.raises(pan.xapi.PanXapiError, match=f"Failed to check {words} due to Unknown error"):
            xapi.op(command)


def test_wrong_password_fails_at_once(firewall, tmp_path):
    started = time.monotonic()
    result = run("zone", {"provider": dict(firewall["provider"], password="wrong"), "name": "x"}, tmp_path)
    assert result.get("failed") is True and "refused the credentials" in result["msg"], result
    assert "wrong" not in result["msg"] and time.monotonic() - started < 30


def fault(firewall: Dict[str, Any], action: str, *options: str) -> None:
    cli = [str(CLI), "fault", action, "--instance", firewall["instance_id"], *options,
           "--state-dir", str(firewall["state_dir"])]
    done = subprocess.run(cli, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


def test_commit_failure_messages_come_back_verbatim(firewall, tmp_path):
    provider = firewall["provider"]
    fault(firewall, "set", "--kind", "commit-fail", "--message", "Validation Error: zone -> untrust is invalid",
          "--count", "1")
    run("zone", {"provider": provider, "name": "trust", "interfaces": []}, tmp_path)
    failed = run("commit", {"provider": provider, "poll_interval": 1}, tmp_path)
    assert failed.get("failed") is True and "Validation Error: zone -> untrust is invalid" in failed["msg"], failed
    assert failed["job_result"] == "FAIL"
    assert run("commit", {"provider": provider, "poll_interval": 1}, tmp_path)["job_result"] == "OK"


class ModuleFailed(Exception):
    pass


class ModuleStub:
    """What PanosConnection needs of an AnsibleModule."""
    params: Dict[str, Any] = {}

    def fail_json(self, msg: str, **_result: Any) -> None:
        raise ModuleFailed(msg)


def test_a_hanging_api_is_waited_out_then_reported(firewall):
    """A management plane that accepts the connection and never answers (the lab's api-hang) must
    cost a bounded time: each request times out, is retried, and a persistent hang becomes a clear
    error, not a task that blocks the play forever."""
    connection = PanosConnection(ModuleStub(), firewall["provider"], api_wait_timeout=60, request_timeout=1)
    fault(firewall, "set", "--kind", "api-hang", "--seconds", "3", "--count", "2")
    connection.ensure_version()  # not answered yet: waited out like a booting firewall
    assert connection.api_wait["attempts"] == 2 and connection.device.version, connection.api_wait

    fault(firewall, "set", "--kind", "api-hang", "--seconds", "3")
    started = time.monotonic()
    try:
        with pytest.raises(ModuleFailed, match=r"after 4 attempts: .*timed out.*re-run the task"):
            connection.op("<show><system><info></info></system></show>")
    finally:
        fault(firewall, "clear")
    assert time.monotonic() - started < 4 * 1 + (1 + 2 + 4) + 5
    assert connection.op("<show><system><info></info></system></show>").findtext("result/system/sw-version")
