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
  - Triggers a failover of the active firewall by stopping its EC2 instance (O(trigger=stop_instance),
    what an instance failure looks like) or by suspending it through the XML API
    (O(trigger=suspend), C(request high-availability state suspend)).
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
  trigger:
    description:
      - How to fail the active firewall.
      - The alias C(method) is deprecated; it read too much like O(ha_method), which is how the pair
        moves its dataplane, not how this module fails it.
    type: str
    choices: [stop_instance, suspend]
    default: stop_instance
    aliases: [method]
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
  - vmseries.aws_ha.deployed_pair
  - vmseries.aws_ha.provider.pair
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Part of the C(vmseries.aws_ha.aws) action group for the AWS connection; the firewalls'
    connections are given per node.
  - The AWS identity running the module needs C(ec2:DescribeInstances),
    C(ec2:DescribeNetworkInterfaces), C(ec2:DescribeAddresses), C(ec2:DescribeRouteTables), and for
    O(trigger=stop_instance) C(ec2:StopInstances) and C(ec2:StartInstances).
"""

EXAMPLES = r"""
- name: Fail the pair over by stopping the active instance, then restore it
  vmseries.aws_ha.failover_verify:
    pair_name: prod-edge
    region: eu-west-1
    primary: {ip_address: 203.0.113.10, username: admin, password: "{{ vault_admin_password }}"}
    secondary: {ip_address: 203.0.113.11, username: admin, password: "{{ vault_admin_password }}"}
    trigger: stop_instance
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
trigger:
  description: How the active firewall was failed (O(trigger)).
  returned: always
  type: str
  sample: stop_instance
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
problems:
  description: When the pair was not healthy before the trigger, every condition that is not met.
  returned: when the module refused to fail an unhealthy pair over
  type: list
  elements: str
  sample: ["Elastic IP 198.51.100.7 of untrust is associated through secondary, not the active primary"]
report_lines:
  description: The timeline as an aligned text table.
  returned: always
  type: list
  elements: str
"""

from typing import Any, Dict

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.vmseries.aws_ha.plugins.module_utils import ha_state, wait
from ansible_collections.vmseries.aws_ha.plugins.module_utils.failover_timeline import FailoverTimeline, follow_failover, table
from ansible_collections.vmseries.aws_ha.plugins.module_utils.pair import (
    DataplaneSight, DeployedPair, Health, deployed_pair_argument_spec)


def fail(pair: DeployedPair, trigger: str, node: str) -> str:
    if trigger == "stop_instance":
        pair.ec2.stop_instances(aws_retry=True, InstanceIds=[pair.instances[node]])
        return f"stopped instance {pair.instances[node]} of {node}"
    pair.firewalls[node].op(ha_state.SUSPEND)
    return f"suspended {node} (request high-availability state suspend)"


def run_failover(module: AnsibleAWSModule, pair: DeployedPair, old: str, before: DataplaneSight) -> FailoverTimeline:
    # A firewall shutting down may refuse credentials for a moment before it stops answering (the
    # lab's API did, once, in CI): from the stopped one that means "going down", not a wrong password.
    going_down = (old,) if module.params["trigger"] == "stop_instance" else ()
    return follow_failover(pair, old, before, lambda: fail(pair, module.params["trigger"], old), module.params["timeout"],
                           module.params["poll_interval"], going_down)


def restore(module: AnsibleAWSModule, pair: DeployedPair, old: str) -> Dict[str, Any]:
    """Bring `old` back and wait for a healthy pair; report who ended up active."""
    started = wait.now()
    if module.params["trigger"] == "stop_instance":
        waiter = pair.ec2.get_waiter("instance_stopped")
        waiter.wait(InstanceIds=[pair.instances[old]], WaiterConfig={"Delay": 2, "MaxAttempts": 300})
        pair.ec2.start_instances(aws_retry=True, InstanceIds=[pair.instances[old]])
        action = f"started instance {pair.instances[old]} of {old}"
    else:
        pair.firewalls[old].op(ha_state.FUNCTIONAL)
        action = f"made {old} functional (request high-availability state functional)"
    remaining = module.params["restore_timeout"] - (wait.now() - started)
    try:
        health = wait.wait_for(lambda: pair.health(booting=(old,)), lambda h: h.healthy, remaining,
                               "the pair to become healthy", wait.interval(max(module.params["poll_interval"], 1.0))).value
    except wait.WaitTimeout as timeout:
        health = timeout.last.value
        module.fail_json(
            msg=(f"The failover itself worked, but after '{action}' the pair did not become healthy within "
                 f"{module.params['restore_timeout']} s: {'; '.join(health.problems)}. Now: {' | '.join(health.summary())}."),
            restore={"action": action, "seconds": round(wait.now() - started, 3), "summary": health.summary()})
    seconds = round(wait.now() - started, 3)
    return {"action": action, "seconds": seconds, "active": health.active, "enis_moved_back": health.active == old,
            "summary": health.summary()}


def refuse_unhealthy(module: AnsibleAWSModule, pair: DeployedPair, health: Health, report: Dict[str, Any]) -> None:
    module.fail_json(
        msg=(f"Refusing to fail over pair {pair.name}: it is not healthy ({'; '.join(health.problems)}). Now: "
             f"{' | '.join(health.summary())}. Fix the pair first; playbooks/pair_check.yml judges it the same way."),
        report=report, report_lines=health.summary(), problems=health.problems)


def main() -> None:
    argument_spec = {
        **deployed_pair_argument_spec(),
        "trigger": {"type": "str", "default": "stop_instance", "choices": ["stop_instance", "suspend"], "aliases": ["method"],
                    "deprecated_aliases": [{"name": "method", "version": "1.0.0", "collection_name": "vmseries.aws_ha"}]},
        "timeout": {"type": "int", "default": 120},
        "poll_interval": {"type": "float", "default": 0.25},
        "restore": {"type": "bool", "default": True},
        "restore_timeout": {"type": "int", "default": 1200},
    }
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    ec2 = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    try:
        pair = DeployedPair.from_params(module, ec2)
        health = pair.health()
    except botocore.exceptions.ClientError as error:  # pylint: disable=used-before-assignment
        module.fail_json_aws(error, msg="Could not describe the pair in EC2")
    summary = health.summary()
    report: Dict[str, Any] = {"pair": pair.name, "ha_method": pair.ha_method, "trigger": module.params["trigger"],
                              "before": summary}
    if not health.healthy:
        refuse_unhealthy(module, pair, health, report)
    old, new = health.active, health.passive
    report.update(old_active=old, new_active=new)
    if module.check_mode:
        module.exit_json(changed=False, report=report, report_lines=summary,
                         msg=f"Pair healthy, {old} active; check mode: no failover triggered.", **report)

    try:
        timeline = run_failover(module, pair, old, health.sight)
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
            msg=(f"Failover of pair {pair.name} ({pair.ha_method}) did not complete within "
                 f"{module.params['timeout']} s: stuck at '{stuck.description}' ({stuck.key}); did not happen: "
                 f"{'; '.join(step.description for step in missing)}.{reported} Last seen: "
                 f"{ha_state.describe(new, last.get('new_ha'))}; ENIs {last.get('enis')}; EIPs {last.get('addresses')}; "
                 f"routes {last.get('routes')}."),
            changed=True, report=report, report_lines=lines, timeline=events, last_seen=last, stuck_step=stuck.key,
            missing_steps=[step.key for step in missing], old_active=old, new_active=new)
    report.update(total_seconds=timeline.total())
    if module.params["restore"]:
        report["restore"] = restore(module, pair, old)
        lines.append(f"restore: {report['restore']['action']} in {report['restore']['seconds']} s; "
                     f"{report['restore']['active']} active afterwards")
    module.exit_json(changed=True, report=report, report_lines=lines, **{k: v for k, v in report.items() if k != "pair"})


if __name__ == "__main__":
    main()
