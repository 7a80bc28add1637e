#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: protected_routes
short_description: Lead a route of other route tables through a VM-Series HA pair, and only that route
version_added: 0.2.0
description:
  - Makes the route O(destination) of each route table in O(route_table_ids) lead to
    O(network_interface_id) (the trust ENI of the firewall that holds the dataplane), or with
    O(state=absent) removes that route where it leads to one of the pair's ENIs.
  - Touches nothing else in the tables, which may belong to someone else. M(amazon.aws.ec2_vpc_route_table)
    manages a table as a whole; this module manages one route of it.
  - A route that leads somewhere other than the pair (a NAT gateway, an internet gateway, another
    appliance) is never replaced - the module fails before changing any table, naming the table
    and the target, so that a typo in a route table id cannot take a subnet's traffic.
  - A route that leads to another ENI of the pair (after a secondary-IP failover, the trust ENI of
    the other firewall) is replaced, which is what the firewall itself does on failover.
  - Supports check mode and diff.
  - Part of the C(vmseries.aws_ha.aws) action group for the AWS connection.
author:
  - vmseries.aws_ha maintainers (@vmseries)
options:
  route_table_ids:
    description: The route tables.
    type: list
    elements: str
    required: true
  destination:
    description: The route's destination CIDR.
    type: str
    default: 0.0.0.0/0
  network_interface_id:
    description: Where the route must lead. Required with O(state=present).
    type: str
  pair_eni_ids:
    description:
      - The pair's ENIs. A route leading to one of them is the pair's to replace or remove;
        O(network_interface_id) is one of them whether listed or not.
    type: list
    elements: str
    default: []
  state:
    description: C(present) leads the route to O(network_interface_id); C(absent) removes it where it leads to the pair.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Needs C(ec2:DescribeRouteTables), and C(ec2:CreateRoute), C(ec2:ReplaceRoute) or
    C(ec2:DeleteRoute) for what it changes.
"""

EXAMPLES = r"""
- name: Default route of the workload subnets through the firewall's trust ENI
  vmseries.aws_ha.protected_routes:
    route_table_ids: [rtb-0a1b2c3d4e5f60718]
    network_interface_id: eni-0123456789abcdef0
    pair_eni_ids: [eni-0123456789abcdef0, eni-0fedcba9876543210]

- name: Remove it again at teardown
  vmseries.aws_ha.protected_routes:
    route_table_ids: [rtb-0a1b2c3d4e5f60718]
    pair_eni_ids: [eni-0123456789abcdef0, eni-0fedcba9876543210]
    state: absent
"""

RETURN = r"""
routes:
  description: Each route table's route O(destination) before and after (C(null) - no such route).
  returned: always
  type: list
  elements: dict
  sample: [{route_table_id: rtb-0a1b2c3d4e5f60718, destination: 0.0.0.0/0, before: eni-0fedcba9876543210, after: eni-0123456789abcdef0}]
"""

from typing import Any, Dict, List, Optional

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.vmseries.aws_ha.plugins.module_utils.routes import route_target


def plan(tables: List[Dict[str, Any]], destination: str, state: str, target: Optional[str],
         pair_enis: List[str]) -> tuple:
    """(changes, refusals): what to do to each table, and why some table must not be touched."""
    changes, refusals = [], []
    for table in tables:
        route = next((r for r in table.get("Routes", []) if r.get("DestinationCidrBlock") == destination), None)
        current = route_target(route)
        row = {"route_table_id": table["RouteTableId"], "destination": destination, "before": current, "after": current}
        if state == "present":
            if current == target:
                pass
            elif route is None:
                row["after"] = target
            elif current in pair_enis and route.get("Origin", "CreateRoute") == "CreateRoute":
                row["after"] = target
            else:
                refusals.append(f"route table {table['RouteTableId']} routes {destination} to {current}, which is not this "
                                "pair's: remove that route yourself, or leave the table out of vmseries_protected_route_tables")
        elif current in pair_enis:
            row["after"] = None
        changes.append(row)
    return changes, refusals


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec={
            "route_table_ids": {"type": "list", "elements": "str", "required": True},
            "destination": {"type": "str", "default": "0.0.0.0/0"},
            "network_interface_id": {"type": "str"},
            "pair_eni_ids": {"type": "list", "elements": "str", "default": []},
            "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        },
        required_if=[("state", "present", ["network_interface_id"])],
        supports_check_mode=True,
    )
    params = module.params
    ec2 = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    target = params["network_interface_id"]
    pair_enis = list(params["pair_eni_ids"]) + ([target] if target else [])
    ids = list(dict.fromkeys(params["route_table_ids"]))
    if not ids:
        module.exit_json(changed=False, routes=[])
    try:
        tables = ec2.describe_route_tables(aws_retry=True, RouteTableIds=ids)["RouteTables"]
    except botocore.exceptions.ClientError as error:  # pylint: disable=used-before-assignment
        if error.response.get("Error", {}).get("Code") == "InvalidRouteTableID.NotFound":
            module.fail_json(msg=f"{error.response['Error'].get('Message')}: check vmseries_protected_route_tables "
                                 "(route tables of the pair's VPC, in its region).")
        module.fail_json_aws(error, msg="Could not describe the route tables")
    changes, refusals = plan(tables, params["destination"], params["state"], target, pair_enis)
    if refusals:
        module.fail_json(msg=f"Changed no route table: {'; '.join(refusals)}.", routes=changes)
    changed_rows = [row for row in changes if row["before"] != row["after"]]
    diff = {"before": {r["route_table_id"]: r["before"] for r in changes}, "after": {r["route_table_id"]: r["after"] for r in changes}}
    if module.check_mode or not changed_rows:
        module.exit_json(changed=bool(changed_rows), routes=changes, diff=diff)
    try:
        for row in changed_rows:
            if row["after"] is None:
                ec2.delete_route(aws_retry=True, RouteTableId=row["route_table_id"], DestinationCidrBlock=row["destination"])
            elif row["before"] is None:
                ec2.create_route(aws_retry=True, RouteTableId=row["route_table_id"], DestinationCidrBlock=row["destination"],
                                 NetworkInterfaceId=row["after"])
            else:
                ec2.replace_route(aws_retry=True, RouteTableId=row["route_table_id"], DestinationCidrBlock=row["destination"],
                                  NetworkInterfaceId=row["after"])
    except botocore.exceptions.ClientError as error:
        module.fail_json_aws(error, msg=f"Could not change route {row['destination']} of {row['route_table_id']}")
    module.exit_json(changed=True, routes=changes, diff=diff)


if __name__ == "__main__":
    main()
