"""Every preflight rule, fed a bad value through -e: the run fails with the message naming the
variable, and nothing of the pair exists in AWS afterwards. Only playbooks/preflight.yml runs,
which is what site.yml runs first."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

from .conftest import Lab, tagged

pytestmark = pytest.mark.slow

PAIR = "lab-pair"

CASES: List[tuple] = [
    ("pair-name", {"vmseries_pair_name": "Lab_Pair"}, ["vmseries_pair_name 'Lab_Pair' is invalid", "a-z, 0-9"]),
    ("vpc-cidr", {"vmseries_vpc_cidr": "10.100.0.0/33"}, ["vmseries_vpc_cidr '10.100.0.0/33' is not a valid CIDR"]),
    ("vpc-cidr-host-bits", {"vmseries_vpc_cidr": "10.100.0.1/16"}, ["vmseries_vpc_cidr '10.100.0.1/16' is not a valid CIDR"]),
    ("subnet-outside-vpc",
     {"vmseries_subnet_cidrs": {"mgmt": "10.100.0.0/24", "ha2": "10.100.1.0/24", "untrust": "10.100.2.0/24", "trust": "10.200.3.0/24"}},
     ["vmseries_subnet_cidrs.trust 10.200.3.0/24 is outside vmseries_vpc_cidr"]),
    ("subnets-overlap",
     {"vmseries_subnet_cidrs": {"mgmt": "10.100.0.0/24", "ha2": "10.100.0.128/25", "untrust": "10.100.2.0/24", "trust": "10.100.3.0/24"}},
     ["vmseries_subnet_cidrs.mgmt 10.100.0.0/24 overlaps vmseries_subnet_cidrs.ha2 10.100.0.128/25"]),
    ("subnet-missing", {"vmseries_subnet_cidrs": {"mgmt": "10.100.0.0/24", "ha2": "10.100.1.0/24", "untrust": "10.100.2.0/24"}},
     ["vmseries_subnet_cidrs is missing trust"]),
    ("az-not-in-region", {"vmseries_availability_zone": "us-east-1z"},
     ["vmseries_availability_zone 'us-east-1z' does not exist in region us-east-1", "us-east-1a"]),
    ("instance-type-3-enis", {"vmseries_instance_type": "m5.large"},
     ["vmseries_instance_type 'm5.large' allows only 3 network interfaces", "m5.xlarge"]),
    ("instance-type-unknown", {"vmseries_instance_type": "m5.huge"}, ["vmseries_instance_type 'm5.huge' is not offered"]),
    ("ha-group-id", {"vmseries_ha_group_id": 64}, ["vmseries_ha_group_id 64 is out of range", "1-63"]),
    ("priority-range", {"vmseries_ha_priorities": {"primary": 100, "secondary": 256}}, ["vmseries_ha_priorities.secondary 256 is out of range"]),
    ("priorities-equal", {"vmseries_ha_priorities": {"primary": 100, "secondary": 100}}, ["are both 100: they must differ"]),
    ("priorities-inverted", {"vmseries_ha_priorities": {"primary": 120, "secondary": 110}},
     ["vmseries_ha_priorities.primary (120) must be lower than .secondary (110)"]),
    ("operators-empty", {"vmseries_operator_cidrs": []}, ["vmseries_operator_cidrs is empty"]),
    ("operators-anywhere", {"vmseries_operator_cidrs": ["0.0.0.0/0"]},
     ["vmseries_operator_cidrs contains 0.0.0.0/0", "vmseries_allow_mgmt_from_anywhere: true"]),
    ("operators-invalid", {"vmseries_operator_cidrs": ["203.0.113.300/32"]}, ["vmseries_operator_cidrs entry '203.0.113.300/32' is not a valid CIDR"]),
    ("license", {"vmseries_ami_license": "free"}, ["vmseries_ami_license", "byol, payg"]),
    ("ha2-transport", {"vmseries_ha2_transport": "tcp"}, ["vmseries_ha2_transport", "ip, udp"]),
    ("vpc-id-missing", {"vmseries_vpc_id": "vpc-0123456789abcdef0"}, ["vmseries_vpc_id 'vpc-0123456789abcdef0' does not exist in region us-east-1"]),
    ("no-ami", {"vmseries_panos_version": "9.9"}, ["No VM-Series AMI named PA-VM-AWS-9.9*"]),
]


@pytest.mark.parametrize("extra_vars,messages", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_value_is_rejected_before_anything_exists(lab: Lab, run_playbook, extra_vars: Dict[str, Any], messages: List[str]):
    run = run_playbook("playbooks/preflight.yml", extra_vars)
    assert run.rc != 0, run.output[-3000:]
    flat = " ".join(run.output.split())
    for message in messages:
        assert message in flat, run.output[-3000:]
    assert tagged(lab, extra_vars.get("vmseries_pair_name", PAIR)) == {}


def test_all_problems_reported_at_once(lab: Lab, run_playbook):
    run = run_playbook("playbooks/preflight.yml", {"vmseries_ha_group_id": 0, "vmseries_instance_type": "m5.large",
                                                   "vmseries_operator_cidrs": ["0.0.0.0/0"]})
    assert run.rc != 0
    assert "has 3 problem(s); nothing was created" in " ".join(run.output.split())


def test_subnets_checked_against_an_existing_vpc(lab: Lab, run_playbook):
    ec2 = lab.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    foreign = ec2.create_subnet(VpcId=vpc, CidrBlock="10.50.0.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    try:
        run = run_playbook("playbooks/preflight.yml", {
            "vmseries_vpc_id": vpc,
            "vmseries_subnet_cidrs": {"mgmt": "10.50.0.0/24", "ha2": "10.50.1.0/24", "untrust": "10.50.2.0/24", "trust": "10.100.3.0/24"},
        })
        flat = " ".join(run.output.split())
        assert run.rc != 0
        assert f"vmseries_subnet_cidrs.trust 10.100.3.0/24 is outside the CIDR of vmseries_vpc_id {vpc}" in flat
        assert f"vmseries_subnet_cidrs.mgmt 10.50.0.0/24 overlaps subnet {foreign}" in flat
        assert tagged(lab, PAIR) == {}
    finally:
        ec2.delete_subnet(SubnetId=foreign)
        ec2.delete_vpc(VpcId=vpc)


def test_anywhere_accepted_with_explicit_opt_in(lab: Lab, run_playbook):
    run = run_playbook("playbooks/preflight.yml", {"vmseries_operator_cidrs": ["0.0.0.0/0"], "vmseries_allow_mgmt_from_anywhere": True})
    assert run.rc == 0, run.output[-3000:]
    assert run.recap()["changed"] == 0


def test_private_key_without_its_key_pair_is_not_overwritten(lab: Lab, run_playbook, tmp_path):
    """Under AWX the key file is the PAN-OS credential's: creating a key pair would replace it."""
    key_file = tmp_path / "operator-key.pem"
    key_file.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nnot checked here\n-----END OPENSSH PRIVATE KEY-----\n")
    run = run_playbook("playbooks/preflight.yml", {"vmseries_ssh_private_key_file": str(key_file)})
    assert run.rc != 0, run.output[-3000:]
    flat = " ".join(run.output.split())
    assert f"vmseries_ssh_private_key_file ({key_file}) exists but EC2 key pair {PAIR}-key does not" in flat
    assert "aws ec2 import-key-pair" in flat
    assert key_file.read_text().startswith("-----BEGIN OPENSSH PRIVATE KEY-----\nnot checked")
    assert tagged(lab, PAIR) == {}
