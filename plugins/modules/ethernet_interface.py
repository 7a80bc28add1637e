#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ethernet_interface
short_description: A VM-Series ethernet interface as layer3 (static or DHCP) or HA, in the candidate config
version_added: 0.1.0
description:
  - Makes C(ethernet1/N) a layer3 interface with static addresses (on AWS, the ENI's private IP
    and the subnet's prefix) or a DHCP client, or an interface of type HA (the HA2 link).
  - Edits the candidate configuration only (commit with M(vmseries.aws_ha.commit)); reports a
    change only when the interface differs, with the XML before and after in diff mode.
  - Zones and virtual routers are set by M(vmseries.aws_ha.zone) and M(vmseries.aws_ha.virtual_router).
author:
  - vmseries.aws_ha maintainers (@vmseries)
options:
  name:
    description: Interface name, C(ethernet1/N).
    type: str
    required: true
  mode:
    description: C(layer3) for a dataplane interface, C(ha) for an HA link.
    type: str
    choices: [layer3, ha]
    default: layer3
  ip:
    description: Static addresses in CIDR form (layer3 only).
    type: list
    elements: str
  enable_dhcp:
    description: Make the interface a DHCP client (layer3 only).
    type: bool
    default: false
  create_default_route:
    description: With O(enable_dhcp), install the default route the DHCP server offers.
    type: bool
    default: false
  management_profile:
    description: Interface management profile (layer3 only).
    type: str
  comment:
    description: Comment on the interface.
    type: str
  state:
    description: C(absent) removes the interface's configuration.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - vmseries.aws_ha.provider
notes:
  - Part of the C(vmseries.aws_ha.panos) action group.
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: Untrust interface with the ENI's private IP
  vmseries.aws_ha.ethernet_interface:
    provider: "{{ provider }}"
    name: ethernet1/2
    ip: [10.100.2.10/24]
    comment: untrust (eni-0a1b2c3d)

- name: HA2 link
  vmseries.aws_ha.ethernet_interface:
    provider: "{{ provider }}"
    name: ethernet1/1
    mode: ha
"""

RETURN = r"""
diff:
  description: The interface's XML before and after (in diff mode).
  returned: when diff mode is on
  type: dict
  sample:
    before: ""
    after: "<entry name=\"ethernet1/2\">...</entry>"
api_wait:
  description: How long the module waited for the firewall's API to come up (seconds, failed attempts, and how many of
    those were credentials refused while it booted).
  returned: always
  type: dict
  sample: {seconds: 0.0, attempts: 0, refused_credentials: 0}
"""

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vmseries.aws_ha.plugins.module_utils import panos_objects
from ansible_collections.vmseries.aws_ha.plugins.module_utils.panos import (
    PanosConnection,
    provider_argument_spec,
    run_object_module,
)

try:
    from panos.network import EthernetInterface
except ImportError:
    pass  # PanosConnection reports the missing library


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **provider_argument_spec(),
            "name": {"type": "str", "required": True},
            "mode": {"type": "str", "default": "layer3", "choices": ["layer3", "ha"]},
            "ip": {"type": "list", "elements": "str"},
            "enable_dhcp": {"type": "bool", "default": False},
            "create_default_route": {"type": "bool", "default": False},
            "management_profile": {"type": "str"},
            "comment": {"type": "str"},
            "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        },
        supports_check_mode=True,
    )
    params = module.params
    if not re.fullmatch(r"ethernet1/\d+", params["name"]):
        module.fail_json(msg=f"name {params['name']!r} is not an ethernet interface; use ethernet1/N (N = the ENI's device index).")
    if params["ip"] and params["enable_dhcp"]:
        module.fail_json(msg=f"{params['name']}: give either static ip addresses or enable_dhcp, not both.")
    if params["mode"] == "ha" and (params["ip"] or params["enable_dhcp"] or params["management_profile"]):
        module.fail_json(msg="An HA interface takes no addresses or management profile here: its HA2 address is set with "
                             "vmseries.aws_ha.high_availability (ha2_ip_address).")
    run_object_module(module, EthernetInterface, lambda: panos_objects.ethernet_interface(params),
                      after=ensure_vsys_import if params["mode"] == "layer3" else None)


def ensure_vsys_import(connection: PanosConnection, interface: "EthernetInterface", result: dict) -> None:
    """pan-os-python imports a layer3 interface into vsys1 when it applies it; one configured
    elsewhere may lack the import, and without it the interface cannot join a zone."""
    if result["changed"]:
        return
    xpath = f"{interface.xpath_import_base('vsys1')}/member[text()='{interface.uid}']"
    if connection.xapi_get(xpath) is None:
        result["changed"] = True
        if not connection.module.check_mode:
            connection.call(f"import {interface.uid} into vsys1", lambda: interface.create_import("vsys1"))


if __name__ == "__main__":
    main()
