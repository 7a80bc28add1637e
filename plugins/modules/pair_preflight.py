#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: pair_preflight
short_description: Validate a VM-Series HA pair definition before anything is created
version_added: 0.1.0
description:
  - Checks the whole definition of one VM-Series HA pair and fails with every problem found,
    each message naming the inventory variable (C(vmseries_<option>)) and the fix.
  - Local checks are the pair name format, CIDR syntax and sizes, subnets inside the VPC and not
    overlapping, operator CIDRs (no C(0.0.0.0/0) unless explicitly allowed), HA group id 1-63,
    device priorities 0-255 with the primary's lower, license, HA2 transport, and what the bootstrap needs.
  - AWS checks are the availability zone exists in the region, the instance type allows at least
    four network interfaces (read from C(DescribeInstanceTypes), so new instance families need no
    update of this module), with O(vpc_id) the existing VPC, its CIDR blocks and its subnets, the
    protected route tables, and that a pair already deployed keeps its HA method (its ENIs differ).
  - With O(other_pairs), the mistakes between the pairs of one inventory (two pairs with one name, subnets of two pairs overlapping
    in one existing VPC), which AWS cannot show before either pair exists.
  - It changes nothing, so it runs the same in check mode.
  - Part of the C(vmseries.aws_ha.aws) action group, so a play's
    C(module_defaults) for that group give it region, endpoint and credentials.
author:
  - vmseries.aws_ha maintainers (@vmseries)
options:
  pair_name:
    description: Name of the pair (C(vmseries_pair_name)); 1-32 characters from a-z, 0-9 and C(-).
    type: str
    required: true
  availability_zone:
    description: The one AZ of both firewalls and all subnets (C(vmseries_availability_zone)).
    type: str
    required: true
  vpc_id:
    description:
      - Existing VPC to deploy into (C(vmseries_vpc_id)). Its CIDR blocks replace O(vpc_cidr) for
        the subnet checks, and its subnets must not overlap ours unless they are tagged with this pair.
    type: str
  vpc_cidr:
    description: CIDR of the VPC created for the pair (C(vmseries_vpc_cidr)); ignored with O(vpc_id).
    type: str
    default: 10.100.0.0/16
  subnet_cidrs:
    description: CIDRs of the subnets (C(vmseries_subnet_cidrs)), keys C(mgmt), C(ha2), C(untrust), C(trust).
    type: dict
    required: true
  operator_cidrs:
    description: CIDRs allowed to reach management HTTPS and SSH (C(vmseries_operator_cidrs)).
    type: list
    elements: str
    required: true
  allow_mgmt_from_anywhere:
    description: Accept C(0.0.0.0/0) or C(::/0) in O(operator_cidrs) (C(vmseries_allow_mgmt_from_anywhere)).
    type: bool
    default: false
  instance_type:
    description: Instance type of both firewalls (C(vmseries_instance_type)); must allow 4 or more ENIs.
    type: str
    required: true
  ha_group_id:
    description: HA group id, 1-63 (C(vmseries_ha_group_id)).
    type: int
    required: true
  ha_priorities:
    description: Device priorities (C(vmseries_ha_priorities)), keys C(primary) and C(secondary), 0-255, primary lower.
    type: dict
    required: true
  ami_license:
    description: C(byol) or C(payg) (C(vmseries_ami_license)).
    type: str
    required: true
  auth_code_given:
    description:
      - Whether C(vmseries_auth_code) is set (the code is a secret and not passed). A BYOL pair needs one unless
        O(allow_unlicensed); a PAYG pair must not have one.
    type: bool
    default: false
  allow_unlicensed:
    description: C(vmseries_allow_unlicensed), a BYOL evaluation without an auth code.
    type: bool
    default: false
  ha2_transport:
    description: C(ip) or C(udp) (C(vmseries_ha2_transport)).
    type: str
    required: true
  ha_method:
    description:
      - C(interface_move) or C(secondary_ip) (C(vmseries_ha_method)). C(secondary_ip) needs
        O(dataplane_addressing=dhcp). A pair whose ENIs exist already keeps the method they were
        made for.
    type: str
    default: interface_move
  dataplane_addressing:
    description: C(static) or C(dhcp) (C(vmseries_dataplane_addressing)).
    type: str
    default: static
  protected_route_tables:
    description:
      - Route table ids (C(vmseries_protected_route_tables)); null for the pair's own table. Named
        tables need O(vpc_id), must be in that VPC, and must not route C(0.0.0.0/0) anywhere but
        to this pair.
    type: list
    elements: str
  other_pairs:
    description:
      - The other pairs of the run, each with C(host) (inventory host), C(pair_name), C(vpc_id)
        and C(subnet_cidrs). A pair with the same name is refused; with the same O(vpc_id),
        overlapping subnets are refused.
    type: list
    elements: dict
    default: []
  bootstrap:
    description:
      - How the firewalls get their first configuration (C(vmseries_bootstrap)), C(ssh), C(user_data) or C(s3).
      - With C(s3) the pair name may have at most 30 characters (it names the bootstrap buckets) and the admin
        password must be given (O(admin_password_given)).
    type: str
    default: ssh
  bootstrap_init_cfg:
    description:
      - More init-cfg keys (C(vmseries_bootstrap_init_cfg)), only with O(bootstrap) C(user_data) or C(s3); keys the
        collection sets itself, values with a line break or C(;), and C(mgmt-interface-swap) are refused.
    type: dict
    default: {}
  admin_password_given:
    description: Whether C(vmseries_admin_password) is set (the password itself is never passed).
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: none
notes:
  - Needs C(ec2:DescribeAvailabilityZones), C(ec2:DescribeInstanceTypes),
    C(ec2:DescribeNetworkInterfaces) and, with O(vpc_id), C(ec2:DescribeVpcs), C(ec2:DescribeSubnets)
    and C(ec2:DescribeRouteTables).
"""

EXAMPLES = r"""
- name: Validate the pair before creating anything
  vmseries.aws_ha.pair_preflight:
    region: eu-west-1
    pair_name: prod-edge
    availability_zone: eu-west-1a
    vpc_cidr: 10.100.0.0/16
    subnet_cidrs:
      mgmt: 10.100.0.0/24
      ha2: 10.100.1.0/24
      untrust: 10.100.2.0/24
      trust: 10.100.3.0/24
    operator_cidrs: [203.0.113.0/24]
    instance_type: m5.xlarge
    ha_group_id: 1
    ha_priorities: {primary: 100, secondary: 110}
    ami_license: byol
    auth_code_given: "{{ vmseries_auth_code | default('', true) | length > 0 }}"
    ha2_transport: ip
"""

RETURN = r"""
max_network_interfaces:
  description: Network interfaces the instance type allows.
  returned: success
  type: int
  sample: 4
vpc_cidrs:
  description: CIDR blocks the subnets were checked against (the existing VPC's with O(vpc_id)).
  returned: success
  type: list
  elements: str
  sample: [10.100.0.0/16]
availability_zones:
  description: Availability zones offered in the region.
  returned: success
  type: list
  elements: str
  sample: [eu-west-1a, eu-west-1b, eu-west-1c]
"""

import ipaddress
from typing import Any, Dict, List, Optional

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.vmseries.aws_ha.plugins.module_utils import aws_preflight as checks
from ansible_collections.vmseries.aws_ha.plugins.module_utils import tags
from ansible_collections.vmseries.aws_ha.plugins.module_utils.routes import default_route, route_target


def max_network_interfaces(client, instance_type: str) -> Optional[int]:
    try:
        types = client.describe_instance_types(InstanceTypes=[instance_type], aws_retry=True)["InstanceTypes"]
    except is_boto3_error_code("InvalidInstanceType"):
        return None
    if not types:
        return None
    return int(types[0]["NetworkInfo"]["MaximumNetworkInterfaces"])


def availability_zones(client) -> List[str]:
    zones = client.describe_availability_zones(aws_retry=True)["AvailabilityZones"]
    return [z["ZoneName"] for z in zones if z.get("State", "available") == "available"]


def existing_vpc(client, vpc_id: str) -> Optional[Dict[str, Any]]:
    try:
        vpcs = client.describe_vpcs(VpcIds=[vpc_id], aws_retry=True)["Vpcs"]
    except is_boto3_error_code("InvalidVpcID.NotFound"):
        return None
    return vpcs[0] if vpcs else None


def existing_subnets(client, vpc_id: str) -> List[Dict[str, Any]]:
    paginator = client.get_paginator("describe_subnets")
    result = []
    for page in paginator.paginate(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]):
        for subnet in page["Subnets"]:
            result.append({"id": subnet["SubnetId"], "cidr": subnet["CidrBlock"], "pair": tags.of(subnet).get(tags.PAIR)})
    return result


def pair_enis(client, pair_name: str) -> Dict[str, str]:
    """The pair's existing ENIs, pair_index key (`primary-mgmt`, `untrust`, ...) to ENI id."""
    found: Dict[str, str] = {}
    pages = client.get_paginator("describe_network_interfaces").paginate(Filters=tags.pair_filters(pair_name))
    for page in pages:
        for eni in page["NetworkInterfaces"]:
            found[tags.role_key(tags.of(eni)) or ""] = eni["NetworkInterfaceId"]
    return found


def route_tables(client, ids: List[str]) -> Dict[str, Dict[str, Any]]:
    """id -> {vpc_id, default_route_target} of the route tables that exist among `ids`."""
    found = {}
    for table in client.describe_route_tables(Filters=[{"Name": "route-table-id", "Values": ids}], aws_retry=True)["RouteTables"]:
        found[table["RouteTableId"]] = {"vpc_id": table["VpcId"], "default_route_target": route_target(default_route(table))}
    return found


def run_checks(module: AnsibleAWSModule, client) -> Dict[str, Any]:
    params = module.params
    parsed, errors = checks.validate_static(params)

    zones = availability_zones(client)
    errors += checks.validate_availability_zone(params["availability_zone"], module.region, zones)

    max_enis = max_network_interfaces(client, params["instance_type"])
    errors += checks.validate_instance_type(params["instance_type"], max_enis, params["ha_method"])

    existing_enis = pair_enis(client, params["pair_name"])
    errors += checks.validate_method_switch(
        params["ha_method"], [k for k in existing_enis if k.endswith(("untrust", "trust"))], params["pair_name"])

    vpc_cidrs = [parsed["vpc_cidr"]] if parsed["vpc_cidr"] else []
    vpc_label = "vmseries_vpc_cidr"
    vpc_id = params.get("vpc_id")
    if vpc_id:
        vpc_label = f"the CIDR of vmseries_vpc_id {vpc_id}"
        vpc = existing_vpc(client, vpc_id)
        if vpc is None:
            errors.append(
                f"vmseries_vpc_id {vpc_id!r} does not exist in region {module.region}: give an existing VPC id, "
                "or leave vmseries_vpc_id unset to create a VPC from vmseries_vpc_cidr."
            )
        else:
            blocks = vpc.get("CidrBlockAssociationSet") or [{"CidrBlock": vpc["CidrBlock"]}]
            vpc_cidrs = [ipaddress.ip_network(b["CidrBlock"]) for b in blocks
                         if b.get("CidrBlockState", {}).get("State", "associated") == "associated"]

    subnets, subnet_errors = checks.validate_subnets(params["subnet_cidrs"], vpc_cidrs, vpc_label)
    errors += subnet_errors
    if vpc_id and vpc_cidrs:
        errors += checks.validate_existing_subnets(subnets, existing_subnets(client, vpc_id), params["pair_name"])
    errors += checks.validate_other_pairs(params["pair_name"], vpc_id, subnets, params["other_pairs"])
    tables = [t for t in params["protected_route_tables"] or [] if checks.ROUTE_TABLE_ID.match(t)]
    if vpc_id and tables:
        errors += checks.validate_route_tables(tables, route_tables(client, tables), vpc_id, list(existing_enis.values()))

    if errors:
        module.fail_json(
            msg=f"The definition of pair {params['pair_name']!r} has {len(errors)} problem(s); nothing was created:\n- "
            + "\n- ".join(errors),
            errors=errors,
        )
    return {
        "changed": False,
        "max_network_interfaces": max_enis,
        "vpc_cidrs": [str(c) for c in vpc_cidrs],
        "availability_zones": zones,
    }


def main() -> None:
    argument_spec = dict(
        pair_name=dict(type="str", required=True),
        availability_zone=dict(type="str", required=True),
        vpc_id=dict(type="str"),
        vpc_cidr=dict(type="str", default="10.100.0.0/16"),
        subnet_cidrs=dict(type="dict", required=True),
        operator_cidrs=dict(type="list", elements="str", required=True),
        allow_mgmt_from_anywhere=dict(type="bool", default=False),
        instance_type=dict(type="str", required=True),
        ha_group_id=dict(type="int", required=True),
        ha_priorities=dict(type="dict", required=True),
        # No `choices` here: the checks report these with the inventory variable's name.
        ami_license=dict(type="str", required=True),
        ha2_transport=dict(type="str", required=True),
        auth_code_given=dict(type="bool", default=False),
        allow_unlicensed=dict(type="bool", default=False),
        ha_method=dict(type="str", default="interface_move"),
        dataplane_addressing=dict(type="str", default="static"),
        protected_route_tables=dict(type="list", elements="str"),
        other_pairs=dict(type="list", elements="dict", default=[]),
        bootstrap=dict(type="str", default="ssh"),
        bootstrap_init_cfg=dict(type="dict", default={}),
        admin_password_given=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    try:
        result = run_checks(module, client)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Could not read the region's zones, instance types or VPC for the preflight checks")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
