#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: stage_fingerprint
short_description: Tell whether an AWS stage of a VM-Series HA pair is as its last converge left it
version_added: 0.2.0
description:
  - Reads everything an AWS stage of pair O(pair_name) manages, in one call per resource type, and
    reduces it to one digest per resource type plus the digest of the stage's inputs
    (O(inputs_digest)). That is the stage's I(fingerprint). C(network) - the VPC and its DNS
    attributes, subnets, internet gateway, route tables, security groups, ENIs and Elastic IPs;
    recorded on the pair's management subnet. C(iam) - the role O(iam_name), its trust policy, the
    managed policies attached to it with their default version's document, and the instance
    profile O(iam_name); recorded on the role.
  - Without O(record), compares it with the fingerprint the last complete converge recorded (tag
    C(vmseries:fingerprint)) and returns RV(converged). The role then skips its tasks when nothing
    differs, and runs all of them (the amazon.aws modules, each showing its change) when anything
    does. Never changes anything.
  - With O(record=true), run after the stage's tasks succeeded, writes the fingerprint to that tag
    (nothing when it is already there).
  - What counts is only what the stage manages, so that what the firewalls and AWS change on their
    own does not look like drift - ENI attachments and status (an interface-move failover moves the
    dataplane ENIs), the instance an Elastic IP is on, a route's state, free addresses in a subnet.
    The ENI a floating address, an Elastic IP or a route is on is counted by its interface
    (C(untrust), C(trust)) for the dataplane, by node and interface for management and HA2, so a
    secondary-IP failover, which moves them to the other firewall's ENIs, is no drift either.
  - Anything else that differs - a rule removed from a security group, a tag, a deleted route, a
    variable of the stage, a new version of the collection - means not converged.
  - Part of the C(vmseries.aws_ha.aws) action group for the AWS connection.
author:
  - vmseries.aws_ha maintainers (@vmseries)
options:
  stage:
    description: The stage.
    type: str
    choices: [network, iam]
    default: network
  iam_name:
    description: The name of the pair's IAM role, instance profile and policy. Required with O(stage=iam).
    type: str
  pair_name:
    description: The pair (its resources carry the tag C(vmseries:pair) with this value).
    type: str
    required: true
  vpc_id:
    description:
      - The existing VPC the pair was given (C(vmseries_vpc_id)). Only its id and CIDR count, not its
        tags or attributes, which are not the pair's. Omitted - the pair's own VPC, found by its tag.
    type: str
  route_table_ids:
    description:
      - The user's route tables whose default route the pair leads (C(vmseries_protected_route_tables)).
        Only their default route counts; the pair's own tables count whole.
    type: list
    elements: str
    default: []
  inputs_digest:
    description: The digest of the stage's inputs (P(vmseries.aws_ha.stage_inputs#lookup)).
    type: str
    required: true
  record:
    description: Write the fingerprint to the tag (on the management subnet, or the IAM role) instead of comparing.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Needs, for C(network), C(ec2:DescribeVpcs), C(ec2:DescribeVpcAttribute), C(ec2:DescribeSubnets),
    C(ec2:DescribeInternetGateways), C(ec2:DescribeRouteTables), C(ec2:DescribeSecurityGroups),
    C(ec2:DescribeNetworkInterfaces), C(ec2:DescribeAddresses), and C(ec2:CreateTags) with O(record);
    for C(iam), C(iam:GetRole), C(iam:ListAttachedRolePolicies), C(iam:GetPolicy),
    C(iam:GetPolicyVersion), C(iam:ListPolicyVersions), C(iam:GetInstanceProfile), and
    C(iam:TagRole) with O(record).
  - Supports check mode; with O(record) it then says whether it would write.
  - A resource AWS completes a moment after creating it (a security group's default egress rule)
    and that is read before it is complete makes the next run a full one, nothing worse.
"""

EXAMPLES = r"""
- name: Compare the network with what the last converge left
  vmseries.aws_ha.stage_fingerprint:
    pair_name: "{{ vmseries_pair_name }}"
    inputs_digest: "{{ lookup('vmseries.aws_ha.stage_inputs', role_path) }}"
  register: network_fingerprint

- name: Record the network the converge left
  vmseries.aws_ha.stage_fingerprint:
    pair_name: "{{ vmseries_pair_name }}"
    inputs_digest: "{{ lookup('vmseries.aws_ha.stage_inputs', role_path) }}"
    record: true
  when: not network_fingerprint.converged
"""

RETURN = r"""
converged:
  description: The fingerprint now is the one recorded (always false with O(record)).
  returned: always
  type: bool
fingerprint:
  description: The fingerprint now, one short digest per part.
  returned: always
  type: str
  sample: inputs=3f2a9c0b7d14 vpc=9e1c0d2b4a55 subnets=0b7d143f2a9c igw=... route_tables=... security_groups=... enis=... floating=... eips=...
recorded:
  description: The fingerprint recorded before this run (empty - none).
  returned: always
  type: str
differences:
  description: The parts whose digest differs from the recorded one (all of them when none is recorded).
  returned: always
  type: list
  elements: str
  sample: [security_groups]
"""

import json
from typing import Any, Dict, List, Optional, Tuple

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.vmseries.aws_ha.plugins.module_utils import fingerprints, tags
from ansible_collections.vmseries.aws_ha.plugins.module_utils.routes import default_route, route_target

TAG = "vmseries:fingerprint"
PARTS = ("inputs", "vpc", "subnets", "igw", "route_tables", "security_groups", "enis", "floating", "eips")
IAM_PARTS = ("inputs", "role", "policies", "profile")
NODE_INTERFACES = ("mgmt", "ha2")


def tags_of(resource: Dict[str, Any]) -> Dict[str, str]:
    """A resource's tags but the recorded fingerprint, which is not what it fingerprints."""
    return {key: value for key, value in tags.of(resource).items() if key != TAG}


def eni_labels(enis: List[Dict[str, Any]]) -> Dict[str, str]:
    """ENI id -> how the fingerprint names it: node and interface for management and HA2, the
    interface alone for the dataplane, whose addresses and routes move between the firewalls."""
    labels = {}
    for eni in enis:
        eni_tags = tags_of(eni)
        interface = eni_tags.get(tags.INTERFACE, "unknown")
        # The dataplane's own ENIs count by interface, whichever node they belong to.
        labels[eni["NetworkInterfaceId"]] = (tags.role_key(eni_tags) or interface) if interface in NODE_INTERFACES else interface
    return labels


def permissions(rules: List[Dict[str, Any]]) -> List[str]:
    """Security group rules in an order-free form, one string per rule and peer."""
    found = []
    for rule in rules:
        base = [rule.get("IpProtocol"), rule.get("FromPort"), rule.get("ToPort")]
        for peer in rule.get("IpRanges") or []:
            found.append(json.dumps(base + ["ipv4", peer.get("CidrIp"), peer.get("Description")]))
        for peer in rule.get("Ipv6Ranges") or []:
            found.append(json.dumps(base + ["ipv6", peer.get("CidrIpv6"), peer.get("Description")]))
        for peer in rule.get("UserIdGroupPairs") or []:
            found.append(json.dumps(base + ["group", peer.get("GroupId"), peer.get("Description")]))
        for peer in rule.get("PrefixListIds") or []:
            found.append(json.dumps(base + ["prefix-list", peer.get("PrefixListId"), peer.get("Description")]))
    return sorted(found)


def route_key(route: Dict[str, Any], labels: Dict[str, str]) -> List[Any]:
    destination = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock") or route.get("DestinationPrefixListId")
    target = route_target(route)
    # The ENI by its interface: a secondary-IP failover moves the route to the other firewall's ENI.
    return [destination, labels.get(target, target), route.get("Origin")]


def network_parts(observed: Dict[str, Any], pair_name: str, own_vpc: bool, user_tables: List[str]) -> Dict[str, Any]:
    """What the network stage manages, from the Describe answers, without what changes on its own."""
    labels = eni_labels(observed["enis"])
    vpcs = [{"id": v["VpcId"], "cidr": v["CidrBlock"], **({"tags": tags_of(v)} if own_vpc else {})} for v in observed["vpcs"]]
    for vpc in vpcs:
        vpc.update(observed["vpc_attributes"].get(vpc["id"], {}))
    tables = []
    for table in observed["route_tables"]:
        own = tags_of(table).get(tags.PAIR) == pair_name
        if not own and table["RouteTableId"] not in user_tables:
            continue
        counted = table.get("Routes") or [] if own else [r for r in [default_route(table)] if r is not None]
        routes = sorted(route_key(r, labels) for r in counted)
        row = {"id": table["RouteTableId"], "routes": routes}
        if own:
            row["tags"] = tags_of(table)
            row["associations"] = sorted([a.get("SubnetId") or a.get("GatewayId") or "", bool(a.get("Main"))]
                                         for a in table.get("Associations") or [])
        tables.append(row)
    floating: Dict[str, List[str]] = {}
    for eni in observed["enis"]:
        for address in eni.get("PrivateIpAddresses") or []:
            if not address.get("Primary"):
                floating.setdefault(tags_of(eni).get(tags.INTERFACE, "unknown"), []).append(address["PrivateIpAddress"])
    return {
        "vpc": vpcs,
        "subnets": sorted(({"id": s["SubnetId"], "cidr": s["CidrBlock"], "az": s["AvailabilityZone"], "tags": tags_of(s),
                            "public_ip_on_launch": s.get("MapPublicIpOnLaunch")} for s in observed["subnets"]), key=lambda s: s["id"]),
        "igw": sorted(({"id": g["InternetGatewayId"], "tags": tags_of(g),
                        "attachments": sorted([a.get("VpcId"), a.get("State")] for a in g.get("Attachments") or [])}
                       for g in observed["igws"]), key=lambda g: g["id"]),
        "route_tables": sorted(tables, key=lambda t: t["id"]),
        "security_groups": sorted(({"id": g["GroupId"], "name": g["GroupName"], "description": g.get("Description"),
                                    "tags": tags_of(g), "ingress": permissions(g.get("IpPermissions") or []),
                                    "egress": permissions(g.get("IpPermissionsEgress") or [])}
                                   for g in observed["security_groups"]), key=lambda g: g["id"]),
        "enis": sorted(({"id": e["NetworkInterfaceId"], "subnet": e.get("SubnetId"), "description": e.get("Description"),
                         "groups": sorted(g["GroupId"] for g in e.get("Groups") or []),
                         "source_dest_check": e.get("SourceDestCheck"), "address": e.get("PrivateIpAddress"),
                         "tags": tags_of(e)} for e in observed["enis"]), key=lambda e: e["id"]),
        "floating": {interface: sorted(addresses) for interface, addresses in floating.items()},
        "eips": sorted(({"id": a.get("AllocationId"), "public_ip": a.get("PublicIp"), "address": a.get("PrivateIpAddress"),
                         "on": labels.get(a.get("NetworkInterfaceId") or "", a.get("NetworkInterfaceId")), "tags": tags_of(a)}
                        for a in observed["eips"]), key=lambda a: a["id"] or ""),
    }


def iam_parts(observed: Dict[str, Any]) -> Dict[str, Any]:
    """What the IAM stage manages: the role and its trust policy, the policies attached to it with
    their document, the instance profile and the role in it. Ids and dates are AWS's own."""
    role = observed["role"]
    return {
        "role": role and {"arn": role.get("Arn"), "description": role.get("Description"), "tags": tags_of(role),
                          "trust": role.get("AssumeRolePolicyDocument"), "path": role.get("Path")},
        "policies": sorted(({"arn": p["Arn"], "description": p.get("Description"), "tags": tags_of(p),
                             "document": p.get("Document"), "versions": p.get("VersionCount")}
                            for p in observed["policies"]), key=lambda p: p["arn"]),
        "profile": observed["profile"] and {"arn": observed["profile"].get("Arn"), "tags": tags_of(observed["profile"]),
                                            "roles": sorted(r["RoleName"] for r in observed["profile"].get("Roles") or [])},
    }


def fingerprint(inputs_digest: str, parts: Dict[str, Any], names: Tuple[str, ...] = PARTS) -> str:
    return fingerprints.compose(inputs_digest, {name: fingerprints.digest(parts[name]) for name in names if name != "inputs"}, names)


def differences(recorded: str, current: str, names: Tuple[str, ...] = PARTS) -> List[str]:
    return fingerprints.differences(recorded, current, names)


def describe(ec2: Any, pair_name: str, vpc_id: Optional[str]) -> Dict[str, Any]:
    pair_filter = tags.pair_filters(pair_name)[0]
    if vpc_id:
        vpcs = ec2.describe_vpcs(aws_retry=True, VpcIds=[vpc_id])["Vpcs"]
    else:
        vpcs = ec2.describe_vpcs(aws_retry=True, Filters=[pair_filter])["Vpcs"]
    observed: Dict[str, Any] = {"vpcs": vpcs, "vpc_attributes": {}, "subnets": [], "igws": [], "route_tables": [],
                                "security_groups": [], "enis": [], "eips": []}
    if len(vpcs) != 1:
        return observed
    vpc = vpcs[0]["VpcId"]
    if not vpc_id:
        observed["vpc_attributes"][vpc] = {
            name: ec2.describe_vpc_attribute(aws_retry=True, VpcId=vpc, Attribute=name)[key]["Value"]
            for name, key in (("enableDnsSupport", "EnableDnsSupport"), ("enableDnsHostnames", "EnableDnsHostnames"))}
    in_vpc = {"Name": "vpc-id", "Values": [vpc]}
    observed["subnets"] = ec2.describe_subnets(aws_retry=True, Filters=[in_vpc, pair_filter])["Subnets"]
    observed["igws"] = ec2.describe_internet_gateways(aws_retry=True, Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}])["InternetGateways"]
    observed["route_tables"] = ec2.describe_route_tables(aws_retry=True, Filters=[in_vpc])["RouteTables"]
    observed["security_groups"] = ec2.describe_security_groups(aws_retry=True, Filters=[in_vpc, pair_filter])["SecurityGroups"]
    observed["enis"] = ec2.describe_network_interfaces(aws_retry=True, Filters=[in_vpc, pair_filter])["NetworkInterfaces"]
    observed["eips"] = ec2.describe_addresses(aws_retry=True, Filters=[pair_filter])["Addresses"]
    return observed


def describe_iam(iam: Any, name: str) -> Dict[str, Any]:
    observed: Dict[str, Any] = {"role": None, "policies": [], "profile": None}
    try:
        observed["role"] = iam.get_role(aws_retry=True, RoleName=name)["Role"]
    except is_boto3_error_code("NoSuchEntity"):
        return observed
    attached = iam.list_attached_role_policies(aws_retry=True, RoleName=name)["AttachedPolicies"]
    for policy_ref in attached:
        policy = iam.get_policy(aws_retry=True, PolicyArn=policy_ref["PolicyArn"])["Policy"]
        version = iam.get_policy_version(aws_retry=True, PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
        versions = iam.list_policy_versions(aws_retry=True, PolicyArn=policy["Arn"])["Versions"]
        observed["policies"].append({**policy, "Document": version["PolicyVersion"]["Document"], "VersionCount": len(versions)})
    try:
        observed["profile"] = iam.get_instance_profile(aws_retry=True, InstanceProfileName=name)["InstanceProfile"]
    except is_boto3_error_code("NoSuchEntity"):
        pass
    return observed


def holder_of(observed: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The management subnet, which carries the recorded fingerprint."""
    return next((s for s in observed["subnets"] if tags_of(s).get(tags.INTERFACE) == "mgmt"), None)


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec={
            "stage": {"type": "str", "default": "network", "choices": ["network", "iam"]},
            "pair_name": {"type": "str", "required": True},
            "iam_name": {"type": "str"},
            "vpc_id": {"type": "str"},
            "route_table_ids": {"type": "list", "elements": "str", "default": []},
            "inputs_digest": {"type": "str", "required": True},
            "record": {"type": "bool", "default": False},
        },
        required_if=[("stage", "iam", ["iam_name"])],
        supports_check_mode=True,
    )
    params = module.params
    pair = params["pair_name"]
    if params["stage"] == "network":
        client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
        names = PARTS
        try:
            observed = describe(client, pair, params["vpc_id"])
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:  # pylint: disable=used-before-assignment
            module.fail_json_aws(error, msg=f"Could not read the network of pair {pair}")
        parts = network_parts(observed, pair, not params["vpc_id"], params["route_table_ids"])
        holder = holder_of(observed)
        holder_name = holder and f"subnet {holder['SubnetId']}"
        missing_holder = (f"Pair {pair} has no management subnet (tags {tags.PAIR}={pair}, {tags.INTERFACE}=mgmt) to "
                          "record its network on: the network stage has not made it. Run playbooks/network.yml and read its "
                          "first failure.")
    else:
        client = module.client("iam", retry_decorator=AWSRetry.jittered_backoff())
        names = IAM_PARTS
        try:
            observed = describe_iam(client, params["iam_name"])
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            module.fail_json_aws(error, msg=f"Could not read the IAM role and policies of pair {pair}")
        parts = iam_parts(observed)
        holder = observed["role"]
        holder_name = holder and f"IAM role {params['iam_name']}"
        missing_holder = (f"Pair {pair} has no IAM role {params['iam_name']} to record its IAM stage on: the stage has not "
                          "made it. Run playbooks/iam.yml and read its first failure.")
    current = fingerprint(params["inputs_digest"], parts, names)
    recorded = tags.of(holder or {}).get(TAG, "")
    result = {"fingerprint": current, "recorded": recorded, "differences": differences(recorded, current, names)}
    if not params["record"]:
        module.exit_json(changed=False, converged=bool(recorded) and recorded == current, **result)
    if holder is None:
        module.fail_json(msg=missing_holder, **result)
    if recorded == current:
        module.exit_json(changed=False, converged=False, **result)
    if not module.check_mode:
        try:
            if params["stage"] == "network":
                client.create_tags(aws_retry=True, Resources=[holder["SubnetId"]], Tags=[{"Key": TAG, "Value": current}])
            else:
                client.tag_role(aws_retry=True, RoleName=params["iam_name"], Tags=[{"Key": TAG, "Value": current}])
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            module.fail_json_aws(error, msg=f"Could not tag {holder_name} with the stage's fingerprint")
    module.exit_json(changed=True, converged=False, diff={"before": {TAG: recorded}, "after": {TAG: current}}, **result)


if __name__ == "__main__":
    main()
