#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: failover_verify
short_description: Fail a VM-Series HA pair over on AWS and prove the dataplane moved
version_added: 0.1.0
description:
  - Checks that the pair is healthy first (one active and one passive firewall, connected, running
    config synchronized, the dataplane on the active - its ENIs with O(ha_method=interface_move), its
    floating secondary addresses with O(ha_method=secondary_ip), the dataplane Elastic IP and every
    VPC route through a dataplane ENI leading to it) and refuses to start otherwise, saying why.
  - Triggers a failover of the active firewall by stopping its EC2 instance (O(method=stop_instance),
    what an instance failure looks like) or by suspending it through the XML API
    (O(method=suspend), C(request high-availability state suspend)).
  - Polls both firewalls' HA states and EC2 until the former passive is active and the dataplane
    leads to it. Interface move - every dataplane ENI (the pair's ENIs tagged C(vmseries:interface)
    C(untrust) and C(trust)) is attached to it at the same device index. Secondary-IP move - every
    floating secondary address of the old active's untrust and trust ENIs is on the new active's ENI
    of the same interface. Both - the Elastic IP tagged C(vmseries:interface=untrust) is associated
    through the new active (with secondary-IP move, with the floating address), and every route that
    led to the old active through a dataplane ENI (found in the VPC's route tables before the
    trigger) leads to the new one. Returns the timeline - trigger, peer loss detected, promoted,
    each ENI detached and attached or each address moved, EIPs and routes confirmed - and the total.
  - Fails naming every step that did not happen within O(timeout) (what did not move), with the
    last seen HA state of both firewalls and of the dataplane. The firewall's own account of a
    failed dataplane move (for example an IAM permission its instance role lacks) is part of that
    HA state.
  - With O(restore), brings the old active back (starts its instance, or makes it functional) and
    waits until it rejoins. Without preemption it rejoins as passive and the ENIs stay where they
    are; with preemption and the better priority it takes the active role back after the
    preemption hold time, and the module then also waits for the ENIs to move back.
  - Not supported in check mode beyond the health check, which it reports without triggering.
author:
  - vmseries.aws_ha maintainers (@vmseries)
options:
  pair_name:
    description: Name of the pair (tag C(vmseries:pair)) whose instances and ENIs are looked up in EC2.
    type: str
    required: true
  ha_method:
    description:
      - The AWS HA method the pair was deployed with (C(vmseries_ha_method)). C(interface_move) - the
        dataplane ENIs move to the new active. C(secondary_ip) - each firewall keeps its own ENIs and
        the floating secondary addresses, their Elastic IP and the VPC routes move.
      - Checked against the pair's ENIs in EC2 before anything is done.
    type: str
    choices: [interface_move, secondary_ip]
    default: interface_move
  method:
    description: How to fail the active firewall.
    type: str
    choices: [stop_instance, suspend]
    default: stop_instance
  timeout:
    description: Seconds from the trigger until the failover must be complete.
    type: int
    default: 120
  poll_interval:
    description: Seconds between polls; the timeline's resolution.
    type: float
    default: 0.25
  restore:
    description: Bring the old active back afterwards and wait until the pair is healthy again.
    type: bool
    default: true
  restore_timeout:
    description: Seconds to wait for the old active to rejoin (a VM-Series on AWS boots in 10-15 minutes).
    type: int
    default: 1200
extends_documentation_fragment:
  - vmseries.aws_ha.provider.pair
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Part of the C(vmseries.aws_ha.aws) action group for the AWS connection; the firewalls'
    connections are given per node.
  - The AWS identity running the module needs C(ec2:DescribeInstances),
    C(ec2:DescribeNetworkInterfaces), C(ec2:DescribeAddresses), C(ec2:DescribeRouteTables), and for
    O(method=stop_instance) C(ec2:StopInstances) and C(ec2:StartInstances).
"""

EXAMPLES = r"""
- name: Fail the pair over by stopping the active instance, then restore it
  vmseries.aws_ha.failover_verify:
    pair_name: prod-edge
    region: eu-west-1
    primary: {ip_address: 203.0.113.10, username: admin, password: "{{ vault_admin_password }}"}
    secondary: {ip_address: 203.0.113.11, username: admin, password: "{{ vault_admin_password }}"}
    method: stop_instance
    timeout: 120
  register: failover

- name: The same for a pair deployed with secondary-IP move
  vmseries.aws_ha.failover_verify:
    pair_name: prod-edge-b
    ha_method: secondary_ip
    region: eu-west-1
    primary: {ip_address: 203.0.113.20, username: admin, api_key: "{{ vault_api_keys.primary }}"}
    secondary: {ip_address: 203.0.113.21, username: admin, api_key: "{{ vault_api_keys.secondary }}"}

- name: Show the timeline
  ansible.builtin.debug:
    msg: "{{ failover.report_lines }}"
"""

RETURN = r"""
old_active:
  description: The node that was active before the trigger.
  returned: when the pair was healthy
  type: str
  sample: primary
new_active:
  description: The node that took over.
  returned: when the pair was healthy
  type: str
  sample: secondary
timeline:
  description: The failover's steps in time order, seconds since the trigger.
  returned: when a failover was triggered
  type: list
  elements: dict
  sample:
    - {step: trigger, seconds: 0.0, at: "2026-11-24T10:00:00.000Z", description: failover triggered}
    - {step: promoted, seconds: 2.51, at: "2026-11-24T10:00:02.510Z", description: secondary becomes active}
ha_method:
  description: The HA method of the pair, as given.
  returned: always
  type: str
  sample: secondary_ip
total_seconds:
  description: From the trigger until the last step (the dataplane, its EIP and its routes on the new active).
  returned: when the failover completed
  type: float
  sample: 3.2
restore:
  description: What the restore did and saw; C(active) is who is active afterwards.
  returned: when O(restore=true) and the failover completed
  type: dict
  sample: {action: start_instance, seconds: 6.4, active: secondary, enis_moved_back: false}
missing_steps:
  description: When the failover did not complete, every step that was not seen (what did not move).
  returned: when the failover did not complete
  type: list
  elements: str
  sample: ["route:rtb-0a1b2c3d:0.0.0.0/0"]
report:
  description: Everything above in one dict, as written to the JSON report by the failover role.
  returned: always
  type: dict
report_lines:
  description: The timeline as an aligned text table.
  returned: always
  type: list
  elements: str
"""

import time
from typing import Any, Dict, List, Optional

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.vmseries.aws_ha.plugins.module_utils import ha_state
from ansible_collections.vmseries.aws_ha.plugins.module_utils.failover import (
    AddressSight, DataplaneSight, EniSight, FailoverTimeline, table)
from ansible_collections.vmseries.aws_ha.plugins.module_utils.panos import PanosConnection, provider_spec

NODES = ("primary", "secondary")
DATAPLANE = ("untrust", "trust")
SUSPEND = "<request><high-availability><state><suspend></suspend></state></high-availability></request>"
FUNCTIONAL = "<request><high-availability><state><functional></functional></state></high-availability></request>"


class Pair:
    """The pair as EC2 and the firewalls describe it."""

    def __init__(self, module: AnsibleAWSModule, ec2: Any) -> None:
        self.module = module
        self.ec2 = ec2
        self.name = module.params["pair_name"]
        self.firewalls = {node: PanosConnection(module, module.params[node]) for node in NODES}
        self.instances = self._instances()

    def _filters(self, extra: Dict[str, List[str]]) -> List[Dict[str, Any]]:
        return [{"Name": "tag:vmseries:pair", "Values": [self.name]}] + [{"Name": k, "Values": v} for k, v in extra.items()]

    def _instances(self) -> Dict[str, str]:
        pages = self.ec2.get_paginator("describe_instances").paginate(
            Filters=self._filters({"instance-state-name": ["pending", "running", "stopping", "stopped"]}))
        found: Dict[str, str] = {}
        for page in pages:
            for reservation in page["Reservations"]:
                for instance in reservation["Instances"]:
                    node = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}.get("vmseries:node")
                    if node in NODES:
                        found[node] = instance["InstanceId"]
        missing = [n for n in NODES if n not in found]
        if missing:
            self.module.fail_json(msg=f"Pair {self.name}: no {' or '.join(missing)} firewall instance found by the tag "
                                      "vmseries:pair. Deploy the pair (site.yml) before verifying failover.")
        return found

    def dataplane(self, routes: Optional[List[tuple]] = None) -> DataplaneSight:
        """The pair's dataplane ENIs (keyed like the pair_index filter), its EIPs by interface, and
        the VPC routes through a dataplane ENI - or, given `routes`, those (table, destination)
        pairs whatever they lead to now."""
        response = self.ec2.describe_network_interfaces(aws_retry=True, Filters=self._filters({"tag:vmseries:interface": list(DATAPLANE)}))
        enis: Dict[str, EniSight] = {}
        vpcs = set()
        for eni in response["NetworkInterfaces"]:
            tags = {t["Key"]: t["Value"] for t in eni.get("TagSet", [])}
            key = f"{tags['vmseries:node']}-{tags['vmseries:interface']}" if tags.get("vmseries:node") else tags["vmseries:interface"]
            attachment = eni.get("Attachment") or {}
            enis[key] = EniSight(
                eni_id=eni["NetworkInterfaceId"],
                instance_id=attachment.get("InstanceId"),
                device_index=attachment.get("DeviceIndex"),
                attachment_status=attachment.get("Status"),
                secondary_ips=tuple(a["PrivateIpAddress"] for a in eni.get("PrivateIpAddresses", []) if not a.get("Primary")),
            )
            vpcs.add(eni["VpcId"])
        self._check_layout(enis)
        addresses = {}
        found = self.ec2.describe_addresses(aws_retry=True, Filters=self._filters({"tag:vmseries:interface": list(DATAPLANE)}))
        for address in found["Addresses"]:
            name = {t["Key"]: t["Value"] for t in address.get("Tags", [])}.get("vmseries:interface")
            addresses[name] = AddressSight(address["PublicIp"], address.get("NetworkInterfaceId"), address.get("PrivateIpAddress"))
        eni_ids = {e.eni_id for e in enis.values()}
        tables = self.ec2.describe_route_tables(aws_retry=True, Filters=[{"Name": "vpc-id", "Values": sorted(vpcs)}])["RouteTables"]
        found_routes: Dict[tuple, Optional[str]] = {}
        for route_table in tables:
            for route in route_table.get("Routes", []):
                key = (route_table["RouteTableId"], route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock"))
                if (routes is None and route.get("NetworkInterfaceId") in eni_ids) or (routes is not None and key in routes):
                    found_routes[key] = route.get("NetworkInterfaceId")
        for key in routes or []:
            found_routes.setdefault(key, None)  # a route that is gone leads nowhere
        return DataplaneSight(enis=enis, addresses=addresses, routes=found_routes)

    def _check_layout(self, enis: Dict[str, EniSight]) -> None:
        method = self.module.params["ha_method"]
        expected = list(DATAPLANE) if method == "interface_move" else [f"{n}-{i}" for n in NODES for i in DATAPLANE]
        missing = [key for key in expected if key not in enis]
        if not missing:
            return
        other = "secondary_ip" if method == "interface_move" else "interface_move"
        layout = {"interface_move": "untrust and trust ENIs that belong to the pair (no vmseries:node tag)",
                  "secondary_ip": "untrust and trust ENIs of each firewall (tagged vmseries:node)"}
        self.module.fail_json(msg=(
            f"Pair {self.name}: dataplane ENI(s) {', '.join(missing)} for ha_method={method} not found by the tags "
            f"vmseries:pair and vmseries:interface (found: {', '.join(sorted(enis)) or 'none'}). {method} needs "
            f"{layout[method]}; if the pair was deployed with {other}, set vmseries_ha_method={other}; otherwise "
            "re-run the network stage."))

    def ha_states(self, booting: tuple = ()) -> Dict[str, Optional[Dict[str, Any]]]:
        """Both firewalls' HA states; the nodes in `booting` are restarting (see read_ha_state)."""
        return {node: fw.read_ha_state(booting=node in booting) for node, fw in self.firewalls.items()}

    def node_of(self, instance_id: Optional[str]) -> Optional[str]:
        return next((n for n, i in self.instances.items() if i == instance_id), None)

    def dataplane_problems(self, sight: DataplaneSight, active: str) -> List[str]:
        """Where the dataplane does not lead to the active firewall."""
        problems = []
        if self.module.params["ha_method"] == "interface_move":
            holders = {self.node_of(sight.enis[name].instance_id) for name in DATAPLANE}
            holder = holders.pop() if len(holders) == 1 else None
            if holder != active:
                problems.append(f"the dataplane ENIs are attached to {holder or 'no single firewall'}, not to the active {active}")
        else:
            passive = next(n for n in NODES if n != active)
            on_active = sight.floating(active)
            for name in DATAPLANE:
                if not on_active.get(name):
                    where = " (it is on the passive's)" if sight.floating(passive).get(name) else ""
                    problems.append(f"the active {active}'s {name} ENI has no floating secondary address{where}")
        for name, address in sorted(sight.addresses.items()):
            node = self.node_of(sight.instance_of(address.eni_id))
            if node != active:
                problems.append(f"Elastic IP {address.public_ip} of {name} is associated through {node or 'no firewall'}, not the active {active}")
        for (table, destination), eni_id in sorted(sight.routes.items()):
            node = self.node_of(sight.instance_of(eni_id))
            if node != active:
                problems.append(f"route {destination} of {table} leads to {node or 'no firewall'} ({eni_id}), not the active {active}")
        return problems


def health_problems(pair: Pair, booting: tuple = ()) -> tuple:
    states = pair.ha_states(booting)
    problems = ha_state.pair_problems(states)
    sight = pair.dataplane()
    active = ha_state.active_node(states)
    if not problems:
        problems += pair.dataplane_problems(sight, active)
    return problems, states, sight


def trigger(pair: Pair, method: str, node: str) -> str:
    if method == "stop_instance":
        pair.ec2.stop_instances(aws_retry=True, InstanceIds=[pair.instances[node]])
        return f"stopped instance {pair.instances[node]} of {node}"
    pair.firewalls[node].op(SUSPEND)
    return f"suspended {node} (request high-availability state suspend)"


def run_failover(module: AnsibleAWSModule, pair: Pair, old: str, before: DataplaneSight) -> FailoverTimeline:
    new = next(n for n in NODES if n != old)
    timeline = FailoverTimeline(old, new, pair.instances[old], pair.instances[new], before, method=module.params["ha_method"])
    routes = list(before.routes)
    timeline.start()
    trigger(pair, module.params["method"], old)
    # A firewall shutting down may refuse credentials for a moment before it stops answering (the
    # lab's API did, once, in CI): from the stopped one that means "going down", not a wrong password.
    going_down = (old,) if module.params["method"] == "stop_instance" else ()
    while True:
        states = pair.ha_states(booting=going_down)
        timeline.observe(states[new], states[old], pair.dataplane(routes))
        if timeline.complete() or timeline.elapsed() > module.params["timeout"]:
            return timeline
        time.sleep(module.params["poll_interval"])


def restore(module: AnsibleAWSModule, pair: Pair, old: str, new: str) -> Dict[str, Any]:
    """Bring `old` back and wait for a healthy pair; report who ended up active."""
    started = time.monotonic()
    if module.params["method"] == "stop_instance":
        waiter = pair.ec2.get_waiter("instance_stopped")
        waiter.wait(InstanceIds=[pair.instances[old]], WaiterConfig={"Delay": 2, "MaxAttempts": 300})
        pair.ec2.start_instances(aws_retry=True, InstanceIds=[pair.instances[old]])
        action = f"started instance {pair.instances[old]} of {old}"
    else:
        pair.firewalls[old].op(FUNCTIONAL)
        action = f"made {old} functional (request high-availability state functional)"
    deadline = started + module.params["restore_timeout"]
    problems, states = ["not checked yet"], {}
    while time.monotonic() < deadline:
        problems, states = health_problems(pair, booting=(old,))[:2]
        if not problems:
            break
        time.sleep(max(module.params["poll_interval"], 1.0))
    seconds = round(time.monotonic() - started, 3)
    summary = [ha_state.describe(node, states.get(node)) for node in NODES]
    if problems:
        module.fail_json(
            msg=(f"The failover itself worked, but after '{action}' the pair did not become healthy within "
                 f"{module.params['restore_timeout']} s: {'; '.join(problems)}. Now: {' | '.join(summary)}."),
            restore={"action": action, "seconds": seconds, "summary": summary})
    active = ha_state.active_node(states)
    return {"action": action, "seconds": seconds, "active": active, "enis_moved_back": active == old, "summary": summary}


def main() -> None:
    argument_spec = {
        "pair_name": {"type": "str", "required": True},
        "ha_method": {"type": "str", "default": "interface_move", "choices": ["interface_move", "secondary_ip"]},
        "primary": {"type": "dict", "required": True, "options": provider_spec()},
        "secondary": {"type": "dict", "required": True, "options": provider_spec()},
        "method": {"type": "str", "default": "stop_instance", "choices": ["stop_instance", "suspend"]},
        "timeout": {"type": "int", "default": 120},
        "poll_interval": {"type": "float", "default": 0.25},
        "restore": {"type": "bool", "default": True},
        "restore_timeout": {"type": "int", "default": 1200},
    }
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    ec2 = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    try:
        pair = Pair(module, ec2)
        problems, states, sight = health_problems(pair)
    except botocore.exceptions.ClientError as error:  # pylint: disable=used-before-assignment
        module.fail_json_aws(error, msg="Could not describe the pair in EC2")
    summary = [ha_state.describe(node, states[node]) for node in NODES]
    report: Dict[str, Any] = {"pair": pair.name, "ha_method": module.params["ha_method"], "method": module.params["method"],
                              "before": summary}
    if problems:
        module.fail_json(
            msg=(f"Refusing to fail over pair {pair.name}: it is not healthy ({'; '.join(problems)}). Now: "
                 f"{' | '.join(summary)}. Run playbooks/pair_check.yml and fix the pair first."),
            report=report, report_lines=summary)
    old = ha_state.active_node(states)
    new = next(n for n in NODES if n != old)
    report.update(old_active=old, new_active=new)
    if module.check_mode:
        module.exit_json(changed=False, report=report, report_lines=summary,
                         msg=f"Pair healthy, {old} active; check mode: no failover triggered.", **report)

    try:
        timeline = run_failover(module, pair, old, sight)
    except botocore.exceptions.ClientError as error:
        module.fail_json_aws(error, msg=f"Could not trigger the failover of {old}")
    events = timeline.events()
    lines = table(events)
    report.update(timeline=events)
    if not timeline.complete():
        stuck, missing = timeline.stuck_step(), timeline.missing()
        last = timeline.last_seen
        move = (last.get("new_ha") or {}).get("dataplane_move") or {}
        reported = f" {new} reports the dataplane move {move.get('status')}: {move.get('error')}." if move.get("error") else (
            f" {new}'s system log says why the dataplane move failed (often a missing IAM permission of its instance role).")
        module.fail_json(
            msg=(f"Failover of pair {pair.name} ({module.params['ha_method']}) did not complete within "
                 f"{module.params['timeout']} s: stuck at '{stuck.description}' ({stuck.key}); did not happen: "
                 f"{'; '.join(step.description for step in missing)}.{reported} Last seen: "
                 f"{ha_state.describe(new, last.get('new_ha'))}; ENIs {last.get('enis')}; EIPs {last.get('addresses')}; "
                 f"routes {last.get('routes')}."),
            changed=True, report=report, report_lines=lines, timeline=events, last_seen=last, stuck_step=stuck.key,
            missing_steps=[step.key for step in missing], old_active=old, new_active=new)
    report.update(total_seconds=timeline.total())
    if module.params["restore"]:
        report["restore"] = restore(module, pair, old, new)
        lines.append(f"restore: {report['restore']['action']} in {report['restore']['seconds']} s; "
                     f"{report['restore']['active']} active afterwards")
    module.exit_json(changed=True, report=report, report_lines=lines, **{k: v for k, v in report.items() if k != "pair"})


if __name__ == "__main__":
    main()
