"""What preflight refuses, through site.yml against the lab: every case of preflight_cases.yml is an
inventory host (a pair) with one mistake; one run of site.yml must fail every one of them in
preflight, each with a message naming the variable, and leave EC2 and IAM exactly as they were.
The README's "What preflight refuses" table is generated from the same cases."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Dict

import pytest
import yaml

from .conftest import REPO, Lab, aws_snapshot, tagged

pytestmark = pytest.mark.slow

PAIR = "lab-pair"
CASES = yaml.safe_load((Path(__file__).with_name("preflight_cases.yml")).read_text())
SHARED_VPC_CIDR = "10.60.0.0/16"

sys.path.insert(0, str(REPO / "scripts"))
import generated_section  # noqa: E402
from preflight_table import README_END, README_START, render_table  # noqa: E402


def pair_host(name: str, **overrides: Any) -> Dict[str, Any]:
    """A pair of the lab inventory's shape, with what the case changes."""
    return {"vmseries_pair_name": name, "vmseries_availability_zone": "{{ vmseries_region }}a",
            "vmseries_operator_cidrs": ["127.0.0.1/32"],
            "vmseries_ssh_private_key_file": "{{ vmseries_lab_state_dir }}/keys/{{ vmseries_pair_name }}-key.pem",
            **overrides}


def substitute(value: Any, tmp: Path) -> Any:
    if isinstance(value, str):
        return value.replace("{tmp}", str(tmp))
    if isinstance(value, list):
        return [substitute(v, tmp) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, tmp) for k, v in value.items()}
    return value


def json_report(run) -> Dict[str, Any]:
    """The ansible.posix.json callback's report of a run (stdout, before any stderr)."""
    try:
        report, _ = json.JSONDecoder().raw_decode(run.output[run.output.index("{"):])
    except ValueError:
        raise AssertionError(f"no JSON report (rc {run.rc}):\n{run.output[-5000:]}")
    report["rc"] = run.rc
    return report


def failures(report: Dict[str, Any]) -> Dict[str, str]:
    """host -> the message of its failed task (the first one)."""
    found: Dict[str, str] = {}
    for play in report["plays"]:
        for task in play["tasks"]:
            for host, result in task["hosts"].items():
                if result.get("failed") and host not in found:
                    items = " ".join(str(r.get("msg", "")) for r in result.get("results", []) if r.get("failed"))
                    found[host] = f"{result.get('msg', '')} {items}".strip()
    return found


@pytest.fixture(scope="module")
def refused(lab: Lab, run_playbook, tmp_path_factory) -> Dict[str, Any]:
    """One site.yml run over an inventory of every case, plus the pairs that are wrong together."""
    tmp = tmp_path_factory.mktemp("preflight")
    (tmp / "empty-key.pem").write_text("")
    operator_key = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot checked here\n-----END OPENSSH PRIVATE KEY-----\n"
    (tmp / "operator-key.pem").write_text(operator_key)
    ec2 = lab.client("ec2")
    shared_vpc = ec2.create_vpc(CidrBlock=SHARED_VPC_CIDR)["Vpc"]["VpcId"]
    hosts = {f"case-{case['id']}": pair_host(f"pf-{number:02d}", **{case["variable"]: substitute(case["value"], tmp)})
             for number, case in enumerate(CASES["one_pair"])}
    # between_pairs: two pairs with one name; two pairs in one VPC, their trust subnets overlapping.
    hosts["twin-a"] = pair_host("pf-twin")
    hosts["twin-b"] = pair_host("pf-twin")
    blocks = {"mgmt": "10.60.0.0/24", "ha2": "10.60.1.0/24", "untrust": "10.60.2.0/24", "trust": "10.60.3.0/24"}
    hosts["shared-a"] = pair_host("pf-shared-a", vmseries_vpc_id=shared_vpc, vmseries_subnet_cidrs=blocks)
    hosts["shared-b"] = pair_host("pf-shared-b", vmseries_vpc_id=shared_vpc, vmseries_subnet_cidrs={
        "mgmt": "10.60.10.0/24", "ha2": "10.60.11.0/24", "untrust": "10.60.12.0/24", "trust": "10.60.3.128/25"})
    inventory = tmp / "inventory"
    inventory.mkdir()
    (inventory / "group_vars").symlink_to(REPO / "inventories" / "lab" / "group_vars")
    (inventory / "hosts.yml").write_text(yaml.safe_dump({"vmseries_ha_pairs": {"hosts": hosts}}))
    before = aws_snapshot(lab)
    try:
        report = json_report(run_playbook("site.yml", args=["--forks", "8"], inventory=str(inventory),
                                          env={"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"}))
        after = aws_snapshot(lab)
    finally:
        ec2.delete_vpc(VpcId=shared_vpc)
    return {"report": report, "failures": failures(report), "before": before, "after": after, "tmp": tmp,
            "hosts": hosts, "operator_key": operator_key}


def test_aws_holds_exactly_what_it_held_before(refused):
    assert refused["report"]["rc"] != 0
    for kind in refused["before"]:
        assert refused["after"][kind] == refused["before"][kind], f"{kind} changed"


def test_every_pair_failed_in_preflight_and_changed_nothing(refused):
    stats = refused["report"]["stats"]
    assert set(stats) == set(refused["hosts"])
    passed = [host for host in refused["hosts"] if host not in refused["failures"]]
    assert not passed, f"not refused: {passed}"
    assert {host: s["changed"] for host, s in stats.items() if s["changed"]} == {}


@pytest.mark.parametrize("case", CASES["one_pair"], ids=[c["id"] for c in CASES["one_pair"]])
def test_each_mistake_is_named(refused, case):
    message = " ".join(refused["failures"].get(f"case-{case['id']}", "").split())
    for fragment in substitute(case["expect"], refused["tmp"]):
        assert fragment in message, message
    assert case["variable"] in message


def test_two_pairs_with_one_name_are_both_refused(refused):
    for host, other in (("twin-a", "twin-b"), ("twin-b", "twin-a")):
        message = " ".join(refused["failures"][host].split())
        assert f"vmseries_pair_name 'pf-twin' is also the name of inventory host {other}'s pair" in message


def test_two_pairs_overlapping_in_one_vpc_are_both_refused(refused):
    message = " ".join(refused["failures"]["shared-a"].split())
    assert ("vmseries_subnet_cidrs.trust 10.60.3.0/24 overlaps vmseries_subnet_cidrs.trust 10.60.3.128/25 of pair "
            "'pf-shared-b' (inventory host shared-b), which shares vmseries_vpc_id") in message
    assert "overlaps vmseries_subnet_cidrs.trust 10.60.3.0/24 of pair 'pf-shared-a'" in " ".join(refused["failures"]["shared-b"].split())


def test_the_private_key_of_the_operator_is_left_as_it_was(refused):
    assert (refused["tmp"] / "operator-key.pem").read_text() == refused["operator_key"]


def test_the_readme_table_is_generated_from_these_cases():
    table = generated_section.read(REPO / "README.md", README_START, README_END).strip()
    assert table == render_table(CASES).strip(), "README's preflight table is stale: run scripts/preflight_table.py"


def test_all_problems_reported_at_once(lab: Lab, run_playbook):
    run = run_playbook("playbooks/preflight.yml", {"vmseries_ha_group_id": 0, "vmseries_instance_type": "m5.large",
                                                   "vmseries_operator_cidrs": ["0.0.0.0/0"], "vmseries_ha_timers": "fast",
                                                   "vmseries_admin_password": "admin"})
    assert run.rc != 0
    flat = " ".join(run.output.split())
    assert "has 5 problem(s); nothing was created" in flat
    assert "vmseries_ha_timers must be one of" in flat and "vmseries_admin_password has 5 characters" in flat


def test_subnets_and_route_tables_checked_against_an_existing_vpc(lab: Lab, run_playbook):
    ec2 = lab.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    other_vpc = ec2.create_vpc(CidrBlock="10.51.0.0/16")["Vpc"]["VpcId"]
    foreign = ec2.create_subnet(VpcId=vpc, CidrBlock="10.50.0.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    taken = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=taken, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    elsewhere = ec2.create_route_table(VpcId=other_vpc)["RouteTable"]["RouteTableId"]
    free = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    try:
        run = run_playbook("playbooks/preflight.yml", {
            "vmseries_vpc_id": vpc,
            "vmseries_subnet_cidrs": {"mgmt": "10.50.0.0/24", "ha2": "10.50.1.0/24", "untrust": "10.50.2.0/24", "trust": "10.100.3.0/24"},
            "vmseries_protected_route_tables": [taken, elsewhere, free, "rtb-0123456789abcdef0"],
        })
        flat = " ".join(run.output.split())
        assert run.rc != 0
        assert "has 5 problem(s); nothing was created" in flat
        assert f"vmseries_subnet_cidrs.trust 10.100.3.0/24 is outside the CIDR of vmseries_vpc_id {vpc}" in flat
        assert f"vmseries_subnet_cidrs.mgmt 10.50.0.0/24 overlaps subnet {foreign}" in flat
        # A default route of someone else is never taken over; a table of another VPC cannot serve.
        assert f"route table {taken} already routes 0.0.0.0/0 to {igw}, which is not this pair's" in flat
        assert f"route table {elsewhere} belongs to {other_vpc}, not to vmseries_vpc_id {vpc}" in flat
        assert "route table rtb-0123456789abcdef0 does not exist in this region" in flat
        assert free not in flat
        assert tagged(lab, PAIR) == {}
        assert next(r for r in ec2.describe_route_tables(RouteTableIds=[taken])["RouteTables"][0]["Routes"]
                    if r["DestinationCidrBlock"] == "0.0.0.0/0")["GatewayId"] == igw
    finally:
        for table in (taken, elsewhere, free):
            ec2.delete_route_table(RouteTableId=table)
        ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        ec2.delete_internet_gateway(InternetGatewayId=igw)
        ec2.delete_subnet(SubnetId=foreign)
        ec2.delete_vpc(VpcId=vpc)
        ec2.delete_vpc(VpcId=other_vpc)


def test_anywhere_accepted_with_explicit_opt_in(lab: Lab, run_playbook):
    run = run_playbook("playbooks/preflight.yml", {"vmseries_operator_cidrs": ["0.0.0.0/0"], "vmseries_allow_mgmt_from_anywhere": True})
    assert run.rc == 0, run.output[-3000:]
    assert run.recap()["changed"] == 0


def test_imds_v1_allowed_lets_an_older_plugin_through_and_says_so(lab: Lab, run_playbook):
    run = run_playbook("playbooks/preflight.yml", {"vmseries_panos_version": "10.1", "vmseries_imds_v1_allowed": True})
    assert run.rc == 0, run.output[-3000:]
    assert "launched with IMDSv1 allowed (http_tokens optional)" in " ".join(run.output.split())
