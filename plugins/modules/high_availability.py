#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: high_availability
short_description: Active/passive HA settings of a VM-Series firewall on AWS, in the candidate config
version_added: 0.1.0
description:
  - Sets the whole C(deviceconfig/high-availability) of the firewall - enabled, group id, mode,
    peer IP (the peer's HA1 address), HA1 port, HA2 port with its address, netmask and gateway,
    config sync, state sync and its transport, device priority, preemption and the timer profile.
  - Built on pan-os-python's HighAvailability, HA1 and HA2 objects, rendered for the firewall's
    PAN-OS version (C(show system info)); the election options and the HA2 transport, which its
    object model lacks, are written into the same element at their schema xpaths
    (C(group/election-option), C(group/state-synchronization/transport); under
    C(group/entry[@name=<id>]) before PAN-OS 8.1, as pan-os-python renders the group there).
  - Writes the C(deviceconfig/high-availability) element with one C(edit) request, keeping every
    HA setting the module does not manage as the firewall has it (link and path monitoring,
    HA1/HA2 backup links, HA3, HA1 encryption and monitor hold time, HA2 keep-alive, heartbeat
    backup, passive link state, description), so those can be managed by hand or with
    C(paloaltonetworks.panos) alongside. The timer profile is managed whole, so an advanced timer
    left out of O(advanced_timers) returns to its PAN-OS default.
  - Edits the candidate configuration only (commit with M(vmseries.aws_ha.commit)); reports a
    change only when the HA configuration differs (order-insensitive, as PAN-OS returns
    configuration in schema order), with the XML before and after in diff mode.
author:
  - vmseries.aws_ha maintainers (@vmseries)
options:
  enabled:
    description: Enable HA.
    type: bool
    default: true
  group_id:
    description: HA group id, 1-63; the same on both peers.
    type: int
    required: true
  mode:
    description: HA mode; VM-Series on AWS supports active/passive.
    type: str
    choices: [active-passive]
    default: active-passive
  peer_ip:
    description: The peer's HA1 address; with HA1 on the management port, the peer's management private IP.
    type: str
    required: true
  ha1_port:
    description: HA1 port; C(management) on VM-Series on AWS.
    type: str
    default: management
  ha2_port:
    description: HA2 port, an interface of type HA.
    type: str
    default: ethernet1/1
  ha2_ip_address:
    description: This firewall's HA2 address (its HA2 ENI's private IP).
    type: str
    required: true
  ha2_netmask:
    description: HA2 netmask (the HA2 subnet's).
    type: str
    required: true
  ha2_gateway:
    description: HA2 gateway (the HA2 subnet's VPC router).
    type: str
  state_sync_transport:
    description: HA2 transport; C(ip) (IP protocol 99) or C(udp) (UDP 29281) on AWS, where C(ethernet) cannot work.
    type: str
    choices: [ip, udp, ethernet]
    default: ip
  config_sync:
    description: Synchronize the configuration to the peer.
    type: bool
    default: true
  device_priority:
    description: Device priority 0-255; the lower value is preferred as active.
    type: int
    required: true
  preemptive:
    description: Take the active role back from a peer with a worse priority after the preemption hold time.
    type: bool
    default: false
  timers:
    description: Timer profile.
    type: str
    choices: [recommended, aggressive, advanced]
    default: recommended
  advanced_timers:
    description: With O(timers=advanced), the timer values (milliseconds; preemption hold in minutes).
    type: dict
    suboptions:
      promotion_hold_time:
        description: Promotion hold time (ms).
        type: int
      hello_interval:
        description: Hello interval (ms).
        type: int
      heartbeat_interval:
        description: Heartbeat interval (ms).
        type: int
      preemption_hold_time:
        description: Preemption hold time (minutes).
        type: int
      monitor_fail_hold_up_time:
        description: Monitor fail hold up time (ms).
        type: int
      additional_master_hold_up_time:
        description: Additional master hold up time (ms).
        type: int
extends_documentation_fragment:
  - vmseries.aws_ha.provider
notes:
  - Part of the C(vmseries.aws_ha.panos) action group.
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: HA on the primary of a pair
  vmseries.aws_ha.high_availability:
    provider: "{{ provider }}"
    group_id: 7
    peer_ip: 10.100.0.11
    ha2_ip_address: 10.100.1.10
    ha2_netmask: 255.255.255.0
    ha2_gateway: 10.100.1.1
    device_priority: 100
    preemptive: false
"""

RETURN = r"""
diff:
  description: The high-availability XML before and after (in diff mode).
  returned: when diff mode is on
  type: dict
xpath:
  description: Where the HA configuration was read and written.
  returned: always
  type: str
  sample: /config/devices/entry[@name='localhost.localdomain']/deviceconfig/high-availability
api_wait:
  description: How long the module waited for the firewall's API to come up (seconds, failed attempts, and how many of
    those were credentials refused while it booted).
  returned: always
  type: dict
  sample: {seconds: 0.0, attempts: 0, refused_credentials: 0}
"""

import xml.etree.ElementTree as ET

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vmseries.aws_ha.plugins.module_utils import ha_config, panos_objects
from ansible_collections.vmseries.aws_ha.plugins.module_utils.panos import (
    PanosConnection,
    provider_argument_spec,
    same_xml,
    xml_diff,
)


def desired_element(connection: PanosConnection, params: dict) -> ET.Element:
    """What the module manages of <high-availability>: pan-os-python's rendering of what it models
    (in the layout of the firewall's PAN-OS version) plus the election options and HA2 transport."""
    connection.ensure_version()
    return panos_objects.high_availability(connection.device, params)


def validate(module: AnsibleModule) -> None:
    params = module.params
    if not 1 <= params["group_id"] <= 63:
        module.fail_json(msg=f"group_id {params['group_id']} is outside 1-63, the range PAN-OS accepts; give both peers "
                             "the same id, unique among HA pairs sharing the HA links' network.")
    if not 0 <= params["device_priority"] <= 255:
        module.fail_json(msg=f"device_priority {params['device_priority']} is outside 0-255 (the lower value is "
                             "preferred as active).")
    if params["timers"] == "advanced" and not any(v is not None for v in params["advanced_timers"].values()):
        module.fail_json(msg="timers=advanced needs at least one value in advanced_timers (for example "
                             "promotion_hold_time); otherwise use timers=recommended.")
    if params["timers"] != "advanced" and params["advanced_timers"]:
        module.fail_json(msg=f"advanced_timers is only used with timers=advanced (timers is {params['timers']}).")


def main() -> None:
    timer_options = {name: {"type": "int"} for name in ha_config.ADVANCED_TIMERS}
    module = AnsibleModule(
        argument_spec={
            **provider_argument_spec(),
            "enabled": {"type": "bool", "default": True},
            "group_id": {"type": "int", "required": True},
            "mode": {"type": "str", "default": "active-passive", "choices": ["active-passive"]},
            "peer_ip": {"type": "str", "required": True},
            "ha1_port": {"type": "str", "default": "management"},
            "ha2_port": {"type": "str", "default": "ethernet1/1"},
            "ha2_ip_address": {"type": "str", "required": True},
            "ha2_netmask": {"type": "str", "required": True},
            "ha2_gateway": {"type": "str"},
            "state_sync_transport": {"type": "str", "default": "ip", "choices": ["ip", "udp", "ethernet"]},
            "config_sync": {"type": "bool", "default": True},
            "device_priority": {"type": "int", "required": True},
            "preemptive": {"type": "bool", "default": False},
            "timers": {"type": "str", "default": "recommended", "choices": ["recommended", "aggressive", "advanced"]},
            "advanced_timers": {"type": "dict", "options": timer_options},
        },
        required_if=[("timers", "advanced", ["advanced_timers"])],
        supports_check_mode=True,
    )
    validate(module)
    params = module.params
    connection = PanosConnection(module, params["provider"])
    found = connection.xapi_get(ha_config.HA_XPATH)
    desired = ha_config.keep_unmanaged(desired_element(connection, params), found)
    after = ET.tostring(desired, encoding="unicode")
    changed = not same_xml(found, desired)
    if changed and not module.check_mode:
        connection.xapi_edit(ha_config.HA_XPATH, after)
    result = {"changed": changed, "xpath": ha_config.HA_XPATH, "api_wait": connection.api_wait}
    if module._diff:
        # Unchanged: show the firewall's own element on both sides, not an order-only difference.
        result["diff"] = xml_diff(found, desired if changed else found)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
