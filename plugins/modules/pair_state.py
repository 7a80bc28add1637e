#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: pair_state
short_description: Wait until a deployed VM-Series HA pair on AWS is healthy, with the dataplane on its active firewall
version_added: 0.1.0
description:
  - Reads C(show high-availability all) from both firewalls of an HA pair and the pair's dataplane
    from EC2 (found by the pair's tags), and waits, up to O(wait_timeout), until the pair is healthy
    by the collection's one health judgement (see the notes) - the same judgement
    M(vmseries.aws_ha.failover_verify) makes before it fails a pair over.
  - Fails with both firewalls' HA states when the pair does not become healthy in time, naming every
    condition that is not met (HA disabled, peer not seen, a peer suspended or non-functional, both
    active, not synchronized, licences that differ, the wrong firewall active, a dataplane ENI,
    floating address, Elastic IP or route that leads to the passive).
  - Read-only; runs the same in check mode.
author:
  - vmseries.aws_ha maintainers (@vmseries)
options:
  expect_active:
    description: The node that must be the active one (C(primary) with preemption); any when unset.
    type: str
    choices: [primary, secondary]
  require_sync:
    description: Also wait for the running configuration to be reported synchronized.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the pair to settle; C(0) reads once.
    type: int
    default: 180
  poll_interval:
    description: Seconds between reads.
    type: float
    default: 1.0
extends_documentation_fragment:
  - vmseries.aws_ha.deployed_pair
  - vmseries.aws_ha.provider.pair
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Part of the C(vmseries.aws_ha.aws) action group for the AWS connection; the firewalls'
    connections are given per node (not the C(vmseries.aws_ha.panos) group, whose
    C(module_defaults) set one C(provider)).
  - The AWS identity running the module needs C(ec2:DescribeInstances),
    C(ec2:DescribeNetworkInterfaces), C(ec2:DescribeAddresses) and C(ec2:DescribeRouteTables).
"""

EXAMPLES = r"""
- name: Wait for the pair to settle after the commit
  vmseries.aws_ha.pair_state:
    pair_name: prod-edge
    region: eu-west-1
    primary:
      ip_address: 203.0.113.10
      username: admin
      password: "{{ vault_admin_password }}"
    secondary:
      ip_address: 203.0.113.11
      username: admin
      password: "{{ vault_admin_password }}"
    expect_active: primary
    wait_timeout: 300
  register: pair

- name: Show who is active
  ansible.builtin.debug:
    msg: "{{ pair.active }} is active, {{ pair.passive }} passive"
"""

RETURN = r"""
active:
  description: The node that is active.
  returned: success
  type: str
  sample: primary
passive:
  description: The node that is passive.
  returned: success
  type: str
  sample: secondary
states:
  description: Per node, what it reports about itself and its peer.
  returned: always
  type: dict
  sample:
    primary:
      enabled: true
      local: {state: active, priority: 100, preemptive: false, mgmt_ip: 10.100.0.10/24}
      peer: {connected: true, state: passive, priority: 110, mgmt_ip: 10.100.0.11/24}
      running_sync: synchronized
summary:
  description: One line per firewall, as in the failure message.
  returned: always
  type: list
  elements: str
problems:
  description: Every condition of the health judgement that is not met; empty when the pair is healthy.
  returned: always
  type: list
  elements: str
  sample: ["route 0.0.0.0/0 of rtb-0a1b2c3d leads to secondary (eni-0123), not the active primary"]
waited:
  description: Seconds spent waiting for the pair to settle.
  returned: always
  type: float
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.vmseries.aws_ha.plugins.module_utils import wait
from ansible_collections.vmseries.aws_ha.plugins.module_utils.pair import NODES, DeployedPair, deployed_pair_argument_spec

# The active firewall moves the dataplane itself, with its instance role: where it did not, the
# firewall says why.
MOVE_HINT = {
    "interface_move": (" The active firewall moves the dataplane ENIs on failover with its instance profile's "
                       "ec2:AttachNetworkInterface and ec2:DetachNetworkInterface: `show high-availability all` on it "
                       "says why a move failed; check the IAM role {role}."),
    "secondary_ip": (" The active firewall moves the floating addresses and routes on failover with its instance "
                     "profile's ec2:AssignPrivateIpAddresses, ec2:AssociateAddress and ec2:ReplaceRoute: `show plugins "
                     "vm_series aws ha state` on it says why a move failed; check the IAM role {role}."),
}


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec={
            **deployed_pair_argument_spec(),
            "expect_active": {"type": "str", "choices": list(NODES)},
            "require_sync": {"type": "bool", "default": True},
            "wait_timeout": {"type": "int", "default": 180},
            "poll_interval": {"type": "float", "default": 1.0},
        },
        supports_check_mode=True,
    )
    params = module.params
    ec2 = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    try:
        pair = DeployedPair.from_params(module, ec2)
        waited = wait.wait_for(lambda: pair.health(params["expect_active"], params["require_sync"]),
                               lambda health: health.healthy, params["wait_timeout"], "a healthy pair",
                               wait.interval(params["poll_interval"]))
    except botocore.exceptions.ClientError as error:  # pylint: disable=used-before-assignment
        module.fail_json_aws(error, msg=f"Could not describe pair {params['pair_name']} in EC2")
    except wait.WaitTimeout as timeout:
        health = timeout.last.value
        module.fail_json(
            msg=(f"The HA pair {pair.name} was not healthy within {params['wait_timeout']} s: {'; '.join(health.problems)}. "
                 f"Now: {' | '.join(health.summary())}. Check the HA1 path between the management IPs (security group "
                 "and peer IPs), the group id and the HA2 interface on both firewalls "
                 "(`show high-availability all`), or raise wait_timeout if the firewalls are still booting."
                 + (MOVE_HINT[pair.ha_method].format(role=f"{pair.name}-vmseries-ha") if health.dataplane_problems else "")),
            states=health.states, summary=health.summary(), problems=health.problems, waited=timeout.last.seconds)
    health = waited.value
    module.exit_json(changed=False, active=health.active, passive=health.passive, states=health.states,
                     summary=health.summary(), problems=[], waited=round(waited.seconds, 1))


if __name__ == "__main__":
    main()
