#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: pair_state
short_description: Wait until a VM-Series HA pair is one active and one passive firewall, in sync
version_added: 0.1.0
description:
  - Reads C(show high-availability all) from both firewalls of an HA pair and waits, up to
    O(wait_timeout), until exactly one is active and the other passive, each connected to its peer
    and, unless O(require_sync=false), with the running configuration synchronized.
  - Fails with both firewalls' HA states when the pair does not settle in time, naming what is
    wrong (HA disabled, peer not seen, both active, not synchronized, the wrong firewall active).
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
  - vmseries.aws_ha.provider.pair
notes:
  - Not in the C(vmseries.aws_ha.panos) action group, whose C(module_defaults) set one C(provider);
    this module talks to two firewalls and takes one connection per node.
"""

EXAMPLES = r"""
- name: Wait for the pair to settle after the commit
  vmseries.aws_ha.pair_state:
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
waited:
  description: Seconds spent waiting for the pair to settle.
  returned: always
  type: float
"""

import time
from typing import Any, Dict, Optional

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vmseries.aws_ha.plugins.module_utils import ha_state
from ansible_collections.vmseries.aws_ha.plugins.module_utils.panos import PanosConnection, provider_spec

NODES = ("primary", "secondary")


def read_states(connections: Dict[str, PanosConnection]) -> Dict[str, Optional[Dict[str, Any]]]:
    return {node: conn.read_ha_state() for node, conn in connections.items()}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "primary": {"type": "dict", "required": True, "options": provider_spec()},
            "secondary": {"type": "dict", "required": True, "options": provider_spec()},
            "expect_active": {"type": "str", "choices": list(NODES)},
            "require_sync": {"type": "bool", "default": True},
            "wait_timeout": {"type": "int", "default": 180},
            "poll_interval": {"type": "float", "default": 1.0},
        },
        supports_check_mode=True,
    )
    params = module.params
    connections = {node: PanosConnection(module, params[node]) for node in NODES}
    started = time.monotonic()
    while True:
        states = read_states(connections)
        problems = ha_state.pair_problems(states, params["expect_active"], params["require_sync"])
        waited = round(time.monotonic() - started, 1)
        summary = [ha_state.describe(node, states[node]) for node in NODES]
        if not problems:
            active = ha_state.active_node(states)
            module.exit_json(changed=False, active=active, passive=next(n for n in NODES if n != active),
                             states=states, summary=summary, waited=waited)
        if waited >= params["wait_timeout"]:
            module.fail_json(
                msg=(f"The HA pair did not settle within {params['wait_timeout']} s: {'; '.join(problems)}. "
                     f"Now: {' | '.join(summary)}. Check the HA1 path between the management IPs (security group "
                     "and peer IPs), the group id and the HA2 interface on both firewalls "
                     "(`show high-availability all`), or raise wait_timeout if the firewalls are still booting."),
                states=states, summary=summary, waited=waited)
        time.sleep(params["poll_interval"])


if __name__ == "__main__":
    main()
