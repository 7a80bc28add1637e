#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: zone
short_description: A security zone of a VM-Series firewall and its interfaces, in the candidate config
version_added: 0.1.0
description:
  - Makes the zone exist in C(vsys1) with exactly the interfaces given.
  - Edits the candidate configuration only (commit with M(vmseries.aws_ha.commit)); reports a
    change only when the zone differs, with the XML before and after in diff mode.
author:
  - vmseries.aws_ha maintainers (@vmseries)
options:
  name:
    description: Zone name.
    type: str
    required: true
  mode:
    description: Zone type.
    type: str
    choices: [layer3]
    default: layer3
  interfaces:
    description: The zone's interfaces (all of them; others are removed from the zone).
    type: list
    elements: str
    default: []
  state:
    description: C(absent) removes the zone.
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
- name: Untrust zone on the untrust ENI's interface
  vmseries.aws_ha.zone:
    provider: "{{ provider }}"
    name: untrust
    interfaces: [ethernet1/2]
"""

RETURN = r"""
diff:
  description: The zone's XML before and after (in diff mode).
  returned: when diff mode is on
  type: dict
api_wait:
  description: How long the module waited for the firewall's API to come up (seconds, failed attempts, and how many of
    those were credentials refused while it booted).
  returned: always
  type: dict
  sample: {seconds: 0.0, attempts: 0, refused_credentials: 0}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vmseries.aws_ha.plugins.module_utils import panos_objects
from ansible_collections.vmseries.aws_ha.plugins.module_utils.panos import provider_argument_spec, run_object_module

try:
    from panos.network import Zone
except ImportError:
    pass  # PanosConnection reports the missing library


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **provider_argument_spec(),
            "name": {"type": "str", "required": True},
            "mode": {"type": "str", "default": "layer3", "choices": ["layer3"]},
            "interfaces": {"type": "list", "elements": "str", "default": []},
            "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        },
        supports_check_mode=True,
    )
    params = module.params
    run_object_module(module, Zone, lambda: panos_objects.zone(params))


if __name__ == "__main__":
    main()
