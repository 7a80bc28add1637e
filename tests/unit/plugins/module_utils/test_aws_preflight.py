from __future__ import annotations

import ipaddress

import pytest

from ansible_collections.vmseries.aws_ha.plugins.module_utils import aws_preflight as checks

GOOD = {
    "pair_name": "prod-edge",
    "vpc_id": None,
    "vpc_cidr": "10.100.0.0/16",
    "operator_cidrs": ["203.0.113.0/24"],
    "allow_mgmt_from_anywhere": False,
    "ha_group_id": 1,
    "ha_priorities": {"primary": 100, "secondary": 110},
    "ami_license": "byol",
    "auth_code_given": True,
    "ha2_transport": "ip",
}
SUBNETS = {"mgmt": "10.100.0.0/24", "ha2": "10.100.1.0/24", "untrust": "10.100.2.0/24", "trust": "10.100.3.0/24"}
VPC = [ipaddress.ip_network("10.100.0.0/16")]


def test_good_definition_has_no_errors():
    parsed, errors = checks.validate_static(GOOD)
    assert errors == []
    assert str(parsed["vpc_cidr"]) == "10.100.0.0/16"
    subnets, errors = checks.validate_subnets(SUBNETS, VPC, "vmseries_vpc_cidr")
    assert errors == [] and set(subnets) == set(SUBNETS)


@pytest.mark.parametrize("name", ["a", "prod-edge-1", "x" * 32, "0-0"])
def test_pair_name_ok(name):
    assert checks.validate_pair_name(name) == []


@pytest.mark.parametrize("name", ["", "Prod", "prod_edge", "x" * 33, "prod.edge", None, 7])
def test_pair_name_rejected(name):
    [error] = checks.validate_pair_name(name)
    assert error.startswith("vmseries_pair_name") and "a-z, 0-9" in error


@pytest.mark.parametrize("cidr,fragment", [
    ("10.100.0.0/33", "is not a valid CIDR"),
    ("10.100.0.1/16", "is not a valid CIDR"),
    ("banana", "is not a valid CIDR"),
    ("10.0.0.0/8", "between /16 and /28"),
    ("fd00::/48", "IPv4 block"),
])
def test_vpc_cidr_rejected(cidr, fragment):
    net, errors = checks.validate_vpc_cidr(cidr, None)
    assert net is None and len(errors) == 1
    assert errors[0].startswith(f"vmseries_vpc_cidr '{cidr}'") or errors[0].startswith(f"vmseries_vpc_cidr {cidr}")
    assert fragment in errors[0]


def test_vpc_cidr_ignored_with_existing_vpc():
    assert checks.validate_vpc_cidr("nonsense", "vpc-123") == (None, [])


def test_subnet_outside_vpc():
    errors = checks.validate_subnets({**SUBNETS, "trust": "10.200.3.0/24"}, VPC, "vmseries_vpc_cidr")[1]
    assert errors == ["vmseries_subnet_cidrs.trust 10.200.3.0/24 is outside vmseries_vpc_cidr (10.100.0.0/16): choose a block inside it."]


def test_subnet_inside_any_of_several_vpc_blocks():
    vpc = VPC + [ipaddress.ip_network("10.101.0.0/16")]
    errors = checks.validate_subnets({**SUBNETS, "trust": "10.101.3.0/24"}, vpc, "the CIDR of vmseries_vpc_id vpc-1")[1]
    assert errors == []


def test_subnets_overlap_named_both_ways():
    errors = checks.validate_subnets({**SUBNETS, "ha2": "10.100.0.128/25"}, VPC, "vmseries_vpc_cidr")[1]
    assert errors == ["vmseries_subnet_cidrs.mgmt 10.100.0.0/24 overlaps vmseries_subnet_cidrs.ha2 10.100.0.128/25: "
                      "each of the four subnets needs its own block."]


def test_subnets_missing_and_unknown_keys():
    errors = checks.validate_subnets({"mgmt": "10.100.0.0/24", "dmz": "10.100.9.0/24"}, VPC, "vmseries_vpc_cidr")[1]
    assert any("missing ha2, untrust, trust" in e for e in errors)
    assert any("unknown keys dmz" in e for e in errors)


def test_subnets_not_a_dict():
    errors = checks.validate_subnets(["10.100.0.0/24"], VPC, "vmseries_vpc_cidr")[1]
    assert errors == ["vmseries_subnet_cidrs must be a dict with the keys mgmt, ha2, untrust, trust."]


def test_subnet_too_small_for_aws():
    errors = checks.validate_subnets({**SUBNETS, "ha2": "10.100.1.0/29"}, VPC, "vmseries_vpc_cidr")[1]
    assert errors and "between /16 and /28" in errors[0]


def test_subnets_not_checked_against_invalid_vpc():
    errors = checks.validate_subnets(SUBNETS, [], "vmseries_vpc_cidr")[1]
    assert errors == []


@pytest.mark.parametrize("cidrs", [[], None, "203.0.113.0/24"])
def test_operator_cidrs_required(cidrs):
    [error] = checks.validate_operator_cidrs(cidrs, False)
    assert error.startswith("vmseries_operator_cidrs is empty")


@pytest.mark.parametrize("anywhere", ["0.0.0.0/0", "::/0"])
def test_operator_anywhere_needs_opt_in(anywhere):
    [error] = checks.validate_operator_cidrs(["203.0.113.0/24", anywhere], False)
    assert f"contains {anywhere}" in error and "vmseries_allow_mgmt_from_anywhere: true" in error
    assert checks.validate_operator_cidrs([anywhere], True) == []


def test_operator_cidr_invalid_and_ipv6_ok():
    errors = checks.validate_operator_cidrs(["2001:db8::/32", "203.0.113.1/24"], False)
    assert errors == ["vmseries_operator_cidrs entry '203.0.113.1/24' is not a valid CIDR "
                      "(203.0.113.1/24 has host bits set); write it like 203.0.113.0/24."]


@pytest.mark.parametrize("group_id", [0, 64, -1, "1", True, None])
def test_ha_group_id_range(group_id):
    errors = checks.validate_ha(group_id, {"primary": 100, "secondary": 110})
    assert len(errors) == 1 and errors[0].startswith("vmseries_ha_group_id") and "1-63" in errors[0]


@pytest.mark.parametrize("group_id", [1, 63])
def test_ha_group_id_bounds_ok(group_id):
    assert checks.validate_ha(group_id, {"primary": 0, "secondary": 255}) == []


@pytest.mark.parametrize("priorities,fragment", [
    ({"primary": 100, "secondary": 100}, "are both 100: they must differ"),
    ({"primary": 120, "secondary": 110}, "primary (120) must be lower than .secondary (110)"),
    ({"primary": -1, "secondary": 110}, "vmseries_ha_priorities.primary -1 is out of range"),
    ({"primary": 100, "secondary": 256}, "vmseries_ha_priorities.secondary 256 is out of range"),
    ({"primary": 100}, "exactly the keys primary and secondary"),
    ([100, 110], "exactly the keys primary and secondary"),
])
def test_ha_priorities(priorities, fragment):
    errors = checks.validate_ha(1, priorities)
    assert len(errors) == 1 and fragment in errors[0]


def test_choices():
    assert checks.validate_choices("byol", "ip") == [] and checks.validate_choices("payg", "udp") == []
    errors = checks.validate_choices("free", "tcp")
    assert errors[0].startswith("vmseries_ami_license 'free'") and errors[1].startswith("vmseries_ha2_transport 'tcp'")


@pytest.mark.parametrize("license_, given, allow, fragment", [
    ("byol", False, False, "vmseries_auth_code is not set for a BYOL pair"),
    ("payg", True, False, "vmseries_auth_code is set but vmseries_ami_license is payg"),
    ("payg", True, True, "takes no auth code"),
])
def test_licensing_refused(license_, given, allow, fragment):
    errors = checks.validate_licensing(license_, given, allow)
    assert len(errors) == 1 and fragment in errors[0]


@pytest.mark.parametrize("license_, given, allow", [("byol", True, False), ("byol", False, True), ("payg", False, False)])
def test_licensing_ok(license_, given, allow):
    assert checks.validate_licensing(license_, given, allow) == []


def test_static_collects_every_problem():
    errors = checks.validate_static({**GOOD, "pair_name": "X", "ha_group_id": 99, "operator_cidrs": ["0.0.0.0/0"]})[1]
    assert len(errors) == 3


def test_availability_zone():
    assert checks.validate_availability_zone("eu-west-1a", "eu-west-1", ["eu-west-1a", "eu-west-1b"]) == []
    [error] = checks.validate_availability_zone("eu-west-1z", "eu-west-1", ["eu-west-1b", "eu-west-1a"])
    assert error == "vmseries_availability_zone 'eu-west-1z' does not exist in region eu-west-1: use one of eu-west-1a, eu-west-1b."


def test_instance_type_enis():
    assert checks.validate_instance_type("m5.xlarge", 4) == []
    [error] = checks.validate_instance_type("m5.large", 3)
    assert error.startswith("vmseries_instance_type 'm5.large' allows only 3 network interfaces") and "m5.xlarge" in error
    [error] = checks.validate_instance_type("m5.huge", None)
    assert "is not offered in this region" in error


def test_existing_subnets_foreign_overlap_only():
    wanted = {"mgmt": ipaddress.ip_network("10.50.0.0/24"), "ha2": ipaddress.ip_network("10.50.1.0/24")}
    existing = [
        {"id": "subnet-ours", "cidr": "10.50.1.0/24", "pair": "prod-edge"},
        {"id": "subnet-theirs", "cidr": "10.50.0.0/23", "pair": None},
    ]
    errors = checks.validate_existing_subnets(wanted, existing, "prod-edge")
    assert len(errors) == 2 and all("subnet-theirs" in e for e in errors)


@pytest.mark.parametrize("password", ["lab-Admin-1", "Secr3t-pass", "QwErTy12", "Pa55word!", "ÄÖÜ-äöü-1"])
def test_password_ok(password):
    assert checks.validate_admin_password(password) == []


@pytest.mark.parametrize("password,problems", [
    ("admin", ["has 5 characters, fewer than 8", "has no uppercase letter", "has no number or special character",
               "is a commonly used word"]),
    ("Pa55word", ["is a commonly used word"]),
    ("PASSWORD", ["has no lowercase letter", "has no number or special character", "is a commonly used word"]),
    ("Abcdefgh", ["has no number or special character"]),
    ("abcdefg1", ["has no uppercase letter"]),
    ("Ab1", ["has 3 characters, fewer than 8"]),
])
def test_password_refused_with_every_reason_and_never_echoed(password, problems):
    [error] = checks.validate_admin_password(password)
    assert error.startswith("vmseries_admin_password " + ", ".join(problems) + ": PAN-OS refuses it")
    # The rest of the message is the same whatever the password, so it never shows it.
    assert error.split(": ", 1)[1] == checks.validate_admin_password("x")[0].split(": ", 1)[1]


def test_empty_password_refused():
    [error] = checks.validate_admin_password("")
    assert error.startswith("vmseries_admin_password is empty")




WANTED = {role: ipaddress.ip_network(cidr) for role, cidr in SUBNETS.items()}


def test_two_pairs_with_one_name_refused():
    [error] = checks.validate_other_pairs("prod-edge", None, WANTED, [
        {"host": "edge-a", "pair_name": "prod-edge", "vpc_id": "", "subnet_cidrs": {}},
        {"host": "edge-b", "pair_name": "prod-core", "vpc_id": "", "subnet_cidrs": SUBNETS}])
    assert error.startswith("vmseries_pair_name 'prod-edge' is also the name of inventory host edge-a's pair")


def test_overlapping_subnets_refused_only_in_a_shared_vpc():
    other = {"host": "edge-b", "pair_name": "prod-core", "vpc_id": "vpc-1",
             "subnet_cidrs": {"mgmt": "10.100.0.128/25", "ha2": "10.100.11.0/24", "untrust": "10.100.12.0/24",
                              "trust": "10.100.13.0/24"}}
    [error] = checks.validate_other_pairs("prod-edge", "vpc-1", WANTED, [other])
    assert error.startswith("vmseries_subnet_cidrs.mgmt 10.100.0.0/24 overlaps vmseries_subnet_cidrs.mgmt "
                            "10.100.0.128/25 of pair 'prod-core' (inventory host edge-b), which shares vmseries_vpc_id vpc-1")
    # Each pair in a VPC of its own (or a new VPC each): the same blocks are fine.
    assert checks.validate_other_pairs("prod-edge", "vpc-2", WANTED, [other]) == []
    assert checks.validate_other_pairs("prod-edge", None, WANTED, [{**other, "vpc_id": ""}]) == []


def test_secondary_ip_needs_dhcp_and_route_tables_need_a_vpc():
    assert checks.validate_ha_method("interface_move", "static", None, None) == []
    assert checks.validate_ha_method("secondary_ip", "dhcp", None, None) == []
    [error] = checks.validate_ha_method("secondary_ip", "static", None, None)
    assert "needs vmseries_dataplane_addressing dhcp" in error
    errors = checks.validate_ha_method("interface_move", "static", ["rtb-0123456789abcdef0", "rtb-x"], None)
    assert "'rtb-x', which is not a route table id" in errors[0] and "set vmseries_vpc_id" in errors[1]
    assert checks.validate_ha_method("interface_move", "static", [], None) == []


def test_route_tables_of_the_vpc_and_free_or_already_the_pairs():
    found = {"rtb-1": {"vpc_id": "vpc-a", "default_route_target": None},
             "rtb-2": {"vpc_id": "vpc-a", "default_route_target": "eni-pair"},
             "rtb-3": {"vpc_id": "vpc-a", "default_route_target": "nat-1"},
             "rtb-4": {"vpc_id": "vpc-b", "default_route_target": None}}
    errors = checks.validate_route_tables(["rtb-1", "rtb-2", "rtb-3", "rtb-4", "rtb-5"], found, "vpc-a", ["eni-pair"])
    assert len(errors) == 3
    assert "rtb-3 already routes 0.0.0.0/0 to nat-1" in errors[0]
    assert "rtb-4 belongs to vpc-b" in errors[1] and "rtb-5 does not exist" in errors[2]


def test_a_deployed_pair_keeps_its_method():
    assert checks.validate_method_switch("secondary_ip", [], "p") == []
    assert checks.validate_method_switch("interface_move", ["untrust", "trust"], "p") == []
    assert checks.validate_method_switch("secondary_ip", ["primary-untrust", "secondary-trust"], "p") == []
    [error] = checks.validate_method_switch("secondary_ip", ["untrust", "trust"], "p")
    assert "deployed with interface_move" in error and "vmseries_teardown_confirm=p" in error


def test_bootstrap_needs_what_no_later_stage_could_mend():
    from ansible_collections.vmseries.aws_ha.plugins.module_utils.aws_preflight import validate_bootstrap

    assert validate_bootstrap("pair1", "s3", {"panorama-server": "10.0.0.5"}, True) == []
    assert validate_bootstrap("a" * 30, "s3", {}, True) == []
    [too_long] = validate_bootstrap("a" * 31, "s3", {}, True)
    assert "at most 30" in too_long and "vmseries_pair_name" in too_long
    [no_password] = validate_bootstrap("pair1", "s3", {}, False)
    assert "needs vmseries_admin_password" in no_password
    [unread] = validate_bootstrap("pair1", "ssh", {"dgname": "branch"}, False)
    assert "only with vmseries_bootstrap user_data or s3" in unread
    [swap] = validate_bootstrap("pair1", "user_data", {"mgmt-interface-swap": "enable"}, False)
    assert "mgmt-interface-swap is not supported" in swap
