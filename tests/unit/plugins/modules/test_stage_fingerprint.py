"""stage_fingerprint: what the firewalls and AWS change on their own is no drift; anything the
network stage manages that changes is, and is named by its part."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.vmseries.aws_ha.plugins.modules.stage_fingerprint import (
    IAM_PARTS, PARTS, TAG, differences, fingerprint, iam_parts, network_parts)

PAIR = "p1"


def tags(**values):
    return [{"Key": k.replace("__", ":"), "Value": v} for k, v in values.items()]


def eni(ident, interface, node=None, address="10.0.0.10", secondaries=(), check=True, instance=None):
    extra = {"vmseries__node": node} if node else {}
    found = {
        "NetworkInterfaceId": ident, "SubnetId": f"subnet-{interface}", "Description": f"{PAIR}-{ident}",
        "Groups": [{"GroupId": f"sg-{interface}", "GroupName": f"{PAIR}-{interface}"}], "SourceDestCheck": check,
        "PrivateIpAddress": address, "Status": "in-use" if instance else "available",
        "PrivateIpAddresses": [{"PrivateIpAddress": address, "Primary": True}]
        + [{"PrivateIpAddress": s, "Primary": False} for s in secondaries],
        "TagSet": tags(vmseries__pair=PAIR, vmseries__interface=interface, **extra),
    }
    if instance:
        found["Attachment"] = {"InstanceId": instance, "DeviceIndex": 2, "Status": "attached"}
    return found


def observed(method="interface_move"):
    if method == "interface_move":
        dataplane = [eni("eni-untrust", "untrust", address="10.0.2.10", check=False, instance="i-primary"),
                     eni("eni-trust", "trust", address="10.0.3.10", check=False, instance="i-primary")]
        untrust_eip = {"NetworkInterfaceId": "eni-untrust", "PrivateIpAddress": "10.0.2.10"}
        trust_target = "eni-trust"
    else:
        dataplane = [eni("eni-p-untrust", "untrust", "primary", "10.0.2.10", ["10.0.2.100"], False, "i-primary"),
                     eni("eni-p-trust", "trust", "primary", "10.0.3.10", ["10.0.3.100"], False, "i-primary"),
                     eni("eni-s-untrust", "untrust", "secondary", "10.0.2.11", (), False, "i-secondary"),
                     eni("eni-s-trust", "trust", "secondary", "10.0.3.11", (), False, "i-secondary")]
        untrust_eip = {"NetworkInterfaceId": "eni-p-untrust", "PrivateIpAddress": "10.0.2.100"}
        trust_target = "eni-p-trust"
    return {
        "vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16", "Tags": tags(vmseries__pair=PAIR)}],
        "vpc_attributes": {"vpc-1": {"enableDnsSupport": True, "enableDnsHostnames": True}},
        "subnets": [{"SubnetId": f"subnet-{i}", "CidrBlock": f"10.0.{n}.0/24", "AvailabilityZone": "us-east-1a",
                     "AvailableIpAddressCount": 250, "MapPublicIpOnLaunch": False,
                     "Tags": tags(vmseries__pair=PAIR, vmseries__interface=i)}
                    for n, i in enumerate(["mgmt", "ha2", "untrust", "trust"])],
        "igws": [{"InternetGatewayId": "igw-1", "Attachments": [{"VpcId": "vpc-1", "State": "available"}],
                  "Tags": tags(vmseries__pair=PAIR)}],
        "route_tables": [
            {"RouteTableId": "rtb-protected", "Tags": tags(vmseries__pair=PAIR, Name=f"{PAIR}-protected"), "Associations": [],
             "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"},
                        {"DestinationCidrBlock": "0.0.0.0/0", "NetworkInterfaceId": trust_target, "InstanceId": "i-primary",
                         "Origin": "CreateRoute", "State": "active"}]},
            {"RouteTableId": "rtb-main", "Tags": [], "Associations": [{"Main": True}],
             "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "Origin": "CreateRouteTable"}]},
        ],
        "security_groups": [{"GroupId": "sg-mgmt", "GroupName": f"{PAIR}-mgmt", "Description": "management",
                             "Tags": tags(vmseries__pair=PAIR),
                             "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                                "IpRanges": [{"CidrIp": "192.0.2.0/24", "Description": "operators"},
                                                             {"CidrIp": "198.51.100.7/32", "Description": "operators"}]}],
                             "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}],
        "enis": [eni("eni-pm", "mgmt", "primary", "10.0.0.10", instance="i-primary"),
                 eni("eni-sm", "mgmt", "secondary", "10.0.0.11", instance="i-secondary")] + dataplane,
        "eips": [{"AllocationId": "eipalloc-pm", "PublicIp": "203.0.113.1", "NetworkInterfaceId": "eni-pm",
                  "PrivateIpAddress": "10.0.0.10", "InstanceId": "i-primary", "Tags": tags(vmseries__pair=PAIR)},
                 {"AllocationId": "eipalloc-u", "PublicIp": "203.0.113.2", "InstanceId": "i-primary",
                  "Tags": tags(vmseries__pair=PAIR), **untrust_eip}],
    }


def print_of(state, own_vpc=True, user_tables=(), inputs="a" * 64):
    return fingerprint(inputs, network_parts(state, PAIR, own_vpc, list(user_tables)))


def test_fingerprint_names_every_part_and_fits_in_a_tag_value():
    found = print_of(observed())
    assert [item.split("=")[0] for item in found.split()] == list(PARTS)
    assert len(found) <= 256


def test_interface_move_failover_is_no_drift():
    before = observed()
    after = copy.deepcopy(before)
    for one in after["enis"]:
        if one["NetworkInterfaceId"] in ("eni-untrust", "eni-trust"):
            one["Attachment"]["InstanceId"] = "i-secondary"
    after["eips"][1]["InstanceId"] = "i-secondary"
    after["route_tables"][0]["Routes"][1].update(InstanceId="i-secondary", State="blackhole")
    after["subnets"][2]["AvailableIpAddressCount"] = 249
    assert print_of(after) == print_of(before)


def test_secondary_ip_failover_is_no_drift():
    before = observed("secondary_ip")
    after = copy.deepcopy(before)
    enis = {e["NetworkInterfaceId"]: e for e in after["enis"]}
    for interface, floating in (("untrust", "10.0.2.100"), ("trust", "10.0.3.100")):
        enis[f"eni-p-{interface}"]["PrivateIpAddresses"] = enis[f"eni-p-{interface}"]["PrivateIpAddresses"][:1]
        enis[f"eni-s-{interface}"]["PrivateIpAddresses"].append({"PrivateIpAddress": floating, "Primary": False})
    after["eips"][1].update(NetworkInterfaceId="eni-s-untrust", InstanceId="i-secondary")
    after["route_tables"][0]["Routes"][1].update(NetworkInterfaceId="eni-s-trust", InstanceId="i-secondary")
    assert print_of(after) == print_of(before)


def drift(state, change):
    changed = copy.deepcopy(state)
    change(changed)
    return differences(print_of(state), print_of(changed))


@pytest.mark.parametrize("part, change", [
    ("vpc", lambda s: s["vpc_attributes"]["vpc-1"].update(enableDnsHostnames=False)),
    ("subnets", lambda s: s["subnets"][1]["Tags"].append({"Key": "Owner", "Value": "someone"})),
    ("subnets", lambda s: s["subnets"].pop()),
    ("igw", lambda s: s["igws"].clear()),
    ("route_tables", lambda s: s["route_tables"][0]["Routes"].pop()),
    ("route_tables", lambda s: s["route_tables"][0]["Associations"].append({"SubnetId": "subnet-x", "Main": False})),
    ("security_groups", lambda s: s["security_groups"][0]["IpPermissions"][0]["IpRanges"].pop()),
    ("security_groups", lambda s: s["security_groups"][0]["IpPermissions"][0]["IpRanges"][0].update(Description="x")),
    ("enis", lambda s: s["enis"][2].update(SourceDestCheck=True)),
    ("enis", lambda s: s["enis"][0]["Groups"].append({"GroupId": "sg-other"})),
    ("enis", lambda s: s["enis"].pop(1)),
    ("floating", lambda s: s["enis"][3]["PrivateIpAddresses"].append({"PrivateIpAddress": "10.0.3.99", "Primary": False})),
    ("eips", lambda s: s["eips"][1].pop("NetworkInterfaceId")),
    ("eips", lambda s: s["eips"][0].update(NetworkInterfaceId="eni-sm")),
])
def test_a_change_to_what_the_stage_manages_is_named(part, change):
    assert drift(observed(), change) == [part]


def test_rule_order_and_the_recorded_tag_itself_do_not_count():
    state = observed()
    reordered = copy.deepcopy(state)
    reordered["security_groups"][0]["IpPermissions"][0]["IpRanges"].reverse()
    reordered["subnets"][0]["Tags"].append({"Key": TAG, "Value": "inputs=0 vpc=0"})
    assert print_of(reordered) == print_of(state)


def test_changed_inputs_are_named():
    assert differences(print_of(observed(), inputs="a" * 64), print_of(observed(), inputs="b" * 64)) == ["inputs"]


def test_nothing_recorded_differs_everywhere():
    assert differences("", print_of(observed())) == list(PARTS)


def test_users_vpc_and_tables_count_only_what_the_pair_owns_there():
    state = observed()
    state["route_tables"].append({"RouteTableId": "rtb-user", "Tags": [{"Key": "Owner", "Value": "app team"}],
                                  "Associations": [{"SubnetId": "subnet-app"}],
                                  "Routes": [{"DestinationCidrBlock": "10.9.0.0/16", "GatewayId": "vgw-1"},
                                             {"DestinationCidrBlock": "0.0.0.0/0", "NetworkInterfaceId": "eni-trust"}]})
    before = print_of(state, own_vpc=False, user_tables=["rtb-user"])
    theirs = copy.deepcopy(state)
    theirs["vpcs"][0]["Tags"].append({"Key": "Owner", "Value": "network team"})
    theirs["route_tables"][2]["Routes"][0]["GatewayId"] = "tgw-1"
    theirs["route_tables"][2]["Associations"].append({"SubnetId": "subnet-app2"})
    assert print_of(theirs, own_vpc=False, user_tables=["rtb-user"]) == before
    ours = copy.deepcopy(state)
    ours["route_tables"][2]["Routes"][1] = {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"}
    assert differences(before, print_of(ours, own_vpc=False, user_tables=["rtb-user"])) == ["route_tables"]


def iam_observed():
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                    "Action": "sts:AssumeRole"}]}
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ec2:DescribeInstances"], "Resource": "*"}]}
    return {
        "role": {"Arn": "arn:aws:iam::1:role/p1-vmseries-ha", "RoleId": "AROA1", "CreateDate": "2026-11-26", "Path": "/",
                 "Description": "pair p1", "AssumeRolePolicyDocument": trust, "Tags": tags(vmseries__pair=PAIR)},
        "policies": [{"Arn": "arn:aws:iam::1:policy/p1-vmseries-ha", "Description": "moves ENIs", "DefaultVersionId": "v1",
                      "Tags": tags(vmseries__pair=PAIR), "Document": document, "VersionCount": 1}],
        "profile": {"Arn": "arn:aws:iam::1:instance-profile/p1-vmseries-ha", "Tags": tags(vmseries__pair=PAIR),
                    "Roles": [{"RoleName": "p1-vmseries-ha"}]},
    }


def iam_print(state):
    return fingerprint("a" * 64, iam_parts(state), IAM_PARTS)


@pytest.mark.parametrize("part, change", [
    ("role", lambda s: s["role"]["AssumeRolePolicyDocument"]["Statement"][0].update(Action="sts:AssumeRoleWithSAML")),
    ("role", lambda s: s["role"]["Tags"].append({"Key": "Owner", "Value": "x"})),
    ("policies", lambda s: s["policies"][0]["Document"]["Statement"][0]["Action"].append("ec2:ReplaceRoute")),
    ("policies", lambda s: s["policies"].clear()),
    ("profile", lambda s: s["profile"]["Roles"].clear()),
    ("profile", lambda s: s.update(profile=None)),
])
def test_iam_drift_is_named(part, change):
    state = iam_observed()
    changed = copy.deepcopy(state)
    change(changed)
    assert differences(iam_print(state), iam_print(changed), IAM_PARTS) == [part]


def test_iam_ids_dates_and_the_recorded_tag_do_not_count():
    state = iam_observed()
    other = copy.deepcopy(state)
    other["role"].update(RoleId="AROA2", CreateDate="2026-11-27")
    other["role"]["Tags"].append({"Key": TAG, "Value": "inputs=1"})
    assert iam_print(other) == iam_print(state)
    assert iam_print({"role": None, "policies": [], "profile": None}) != iam_print(state)
