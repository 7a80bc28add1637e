"""Licensing against the lab's firewalls and licensing server: the license module run as Ansible
runs it (an invalid auth code, a licence fetched and the restart waited out, a re-run that sends
nothing, an auth code with no capacity left, PAYG, deactivation giving the seat back), and teardown
refusing licensed firewalls without the licensing API key unless told to keep the licences."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List

import pytest

from .conftest import Lab, tagged
from .test_panos_modules_lab import CLI, PASSWORD, run

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CLI.exists(), reason="the lab CLI (vmseries-lab) is not installed")]

BYOL, PAYG = "6njl1pau431dv1qxipg63mvah", "hd44w1chf26uv4p52cdynb2o"


def lab_cli(lab: Lab, *args: str) -> str:
    done = subprocess.run([str(CLI), *args, "--state-dir", str(lab.state_dir)], capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout


def auth_code(lab: Lab, count: int) -> str:
    code = "I" + uuid.uuid4().hex[:7].upper()
    lab_cli(lab, "license", "add", code, "--model", "VM-300", "--count", str(count))
    return code


def lab_wait(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def seats_left(lab: Lab, code: str) -> int:
    return next(c for c in json.loads(lab_cli(lab, "license", "list", "--json")) if c["code"] == code)["left"]


def launch(lab: Lab, name: str, product_code: str, count: int, tags: Dict[str, str], key_dir: Path) -> List[Dict[str, Any]]:
    """`count` VM-Series instances with one management ENI each, tagged, booted, their admin password
    set over SSH with the key pair (what panos_bootstrap does); each with its `provider`."""
    ec2 = lab.client("ec2")
    octet = 150 + int(uuid.uuid4().hex[:2], 16) % 50
    vpc = ec2.create_vpc(CidrBlock=f"10.{octet}.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{octet}.0.0/24")["Subnet"]["SubnetId"]
    image = ec2.describe_images(Owners=["679593333241"], Filters=[
        {"Name": "name", "Values": ["PA-VM-AWS-11.1*"]}, {"Name": "product-code", "Values": [product_code]}])["Images"][0]
    key_file = key_dir / f"{name}.pem"
    key_file.write_text(ec2.create_key_pair(KeyName=name)["KeyMaterial"])
    key_file.chmod(0o600)
    instances = [ec2.run_instances(
        ImageId=image["ImageId"], MinCount=1, MaxCount=1, InstanceType="m5.xlarge", KeyName=name, SubnetId=subnet,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v.format(index=index, node=("primary", "secondary")[index])}
                                                                for k, v in tags.items()]}])["Instances"][0]["InstanceId"]
        for index in range(count)]
    found = []
    deadline = time.monotonic() + 60
    for instance_id in instances:
        while time.monotonic() < deadline:
            state = json.loads((lab.state_dir / "state.json").read_text())
            fw = next((f for f in state.get("firewalls", []) if f["instance_id"] == instance_id), None)
            if fw and fw["api_port"] and fw["ssh_port"]:
                found.append(fw)
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"the lab started no firewall for {instance_id}")
    for fw in found:
        fw["provider"] = {"ip_address": fw["api_host"], "port": fw["api_port"], "username": "admin", "password": PASSWORD}
        bootstrap = run("admin_password", {"provider": fw["provider"], "ssh_key_file": str(key_file),
                                           "ssh_host": fw["ssh_host"], "ssh_port": fw["ssh_port"],
                                           "wait_for_ssh_timeout": 120, "api_wait_timeout": 5}, key_dir)
        assert bootstrap.get("changed") is True, bootstrap
        assert run("readiness", {"provider": fw["provider"], "timeout": 60, "poll_interval": 0.5}, key_dir).get("failed") is not True
    return found


def licence_events(lab: Lab, instance_id: str) -> int:
    counters = json.loads(lab_cli(lab, "counters", "--json", instance_id))[instance_id]["counts"]
    return counters.get("events.license_installed", 0)


@pytest.fixture(scope="module")
def vmseries_lab(lab):
    if lab.kind != "vmseries-lab":
        pytest.skip("needs the vmseries-lab firewall twins, not moto alone")
    return lab


def test_byol_licensing_through_the_module(vmseries_lab, tmp_path):
    lab = vmseries_lab
    first, second = launch(lab, "l" + uuid.uuid4().hex[:8], BYOL, 2, {"Name": "licence-test-{index}"}, tmp_path)
    code = auth_code(lab, count=1)

    refused = run("license", {"provider": first["provider"], "auth_code": "I0000000"}, tmp_path)
    # PAN-OS's words, with the auth code masked: it is a no_log secret.
    assert refused.get("failed") and "Invalid Auth Code: ********" in refused["msg"], refused
    assert "Check vmseries_auth_code" in refused["msg"] and "I0000000" not in json.dumps(refused)

    preview = run("license", {"provider": first["provider"], "auth_code": code}, tmp_path, check=True)
    assert preview["changed"] is True and preview["licensed"] is False and seats_left(lab, code) == 1

    licensed = run("license", {"provider": first["provider"], "auth_code": code, "poll_interval": 0.2}, tmp_path)
    assert licensed["changed"] is True and licensed["model"] == "VM-300" and len(licensed["serial"]) == 15, licensed
    assert licensed["restart_wait"] > 0 and seats_left(lab, code) == 0
    again = run("license", {"provider": first["provider"], "auth_code": code}, tmp_path)
    assert again["changed"] is False and again["serial"] == licensed["serial"]
    assert licence_events(lab, first["instance_id"]) == 1  # the re-run sent no fetch

    exhausted = run("license", {"provider": second["provider"], "auth_code": code}, tmp_path)
    assert exhausted.get("failed") and "Auth Code ******** has no capacity left" in exhausted["msg"], exhausted
    assert "deactivate one that no longer needs it" in exhausted["msg"]

    given_back = run("license", {"provider": first["provider"], "state": "absent",
                                 "licensing_api_key": "lab-licensing-api-key-0123456789abcdef"}, tmp_path)
    assert given_back["changed"] is True and given_back["licensed"] is False, given_back
    # The seat went back to the code, which the result does not name (teardown gives the module no
    # auth code that Ansible could mask).
    assert [d["serial"] for d in given_back["deactivated"]] == [licensed["serial"]] and seats_left(lab, code) == 1
    assert code not in json.dumps(given_back), given_back
    assert run("license", {"provider": second["provider"], "auth_code": code, "poll_interval": 0.2},
               tmp_path)["changed"] is True


def test_payg_is_checked_and_has_nothing_to_give_back(vmseries_lab, tmp_path):
    (payg,) = launch(vmseries_lab, "p" + uuid.uuid4().hex[:8], PAYG, 1, {"Name": "payg-test"}, tmp_path)
    checked = run("license", {"provider": payg["provider"]}, tmp_path)
    assert (checked["changed"], checked["payg"], checked["model"]) == (False, True, "VM-300"), checked
    kept = run("license", {"provider": payg["provider"], "state": "absent", "licensing_api_key": "any"}, tmp_path)
    assert kept["changed"] is False and kept["licensed"] is True


def test_teardown_refuses_licensed_firewalls_without_the_key_unless_told_to_keep_them(vmseries_lab, run_playbook, tmp_path):
    """The refusal comes before anything is removed; the firewalls need not even be reachable, as
    teardown knows them by the licence tag the license stage puts on the instance."""
    lab = vmseries_lab
    pair = "lt" + uuid.uuid4().hex[:6]
    launch(lab, pair + "k", BYOL, 2, {"vmseries:pair": pair, "vmseries:node": "{node}",
                                      "vmseries:license": "VM-300 00795510000000{index}"}, tmp_path)
    variables = {"vmseries_pair_name": pair, "vmseries_teardown_confirm": pair, "vmseries_license_api_key": ""}
    refused = run_playbook("playbooks/teardown.yml", variables)
    assert refused.rc != 0 and f"Not tearing down pair {pair}" in refused.output, refused.output[-3000:]
    assert "vmseries_teardown_keep_licenses=true" in refused.output and "Nothing was removed." in refused.output
    assert len(tagged(lab, pair)["instances"]) == 2

    kept = run_playbook("playbooks/teardown.yml", {**variables, "vmseries_teardown_keep_licenses": True})
    assert kept.rc == 0, kept.output[-3000:]
    assert "instances" not in tagged(lab, pair)
