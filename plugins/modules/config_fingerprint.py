#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: config_fingerprint
short_description: Tell whether a VM-Series firewall's configuration is as the last converge of the PAN-OS stage left it
version_added: 0.2.0
description:
  - Reads the firewall's running configuration of C(/config/devices) (interfaces, zones, virtual
    routers, HA settings, and whatever else the device holds, PAN-OS's own bookkeeping attributes
    left out) and whether its candidate configuration has pending changes - two requests - and
    returns the firewall's I(fingerprint) - the digest of O(inputs_digest) and the digest of that
    configuration.
  - RV(converged) is true when there are no pending changes and the fingerprint is O(recorded), the
    one the last complete converge of the PAN-OS stage recorded (the playbook keeps it in the
    instance's tag C(vmseries:fingerprint)). The PAN-OS stage then skips its configuration tasks
    and the commit; anything else - a changed object, a pending change, a changed variable or ENI,
    a new version of the collection - and they all run, showing each change.
  - Only reads; changes nothing, in check mode as otherwise.
author:
  - vmseries.aws_ha maintainers (@vmseries)
options:
  inputs_digest:
    description: The digest of what the stage is asked to configure (P(vmseries.aws_ha.stage_inputs#lookup)).
    type: str
    required: true
  recorded:
    description: The fingerprint recorded by the last converge (empty - none).
    type: str
    default: ""
extends_documentation_fragment:
  - vmseries.aws_ha.provider
notes:
  - A configuration change anywhere under C(/config/devices) (a security rule added by hand, a
    config sync from the peer) makes the next run a full one, which reports no change where the
    stage's own objects are right, and records the new fingerprint.
  - Two kinds of difference are none, as in the stage's own modules, so that Palo Alto's
    C(paloaltonetworks.panos) modules can work on the same firewalls without making every run a
    full one. A leaf at the value its absence means (C(enable-user-identification no), which
    C(panos_zone) writes) counts as absent. The HA settings M(vmseries.aws_ha.high_availability)
    keeps as it finds them (passive link state, HA2 keep-alive, link and path monitoring, backup
    links, ...) are left out, as no converge would change them.
"""

EXAMPLES = r"""
- name: Compare each firewall's configuration with what the last converge left
  vmseries.aws_ha.config_fingerprint:
    provider: "{{ pair_facts_providers[item] }}"
    inputs_digest: "{{ lookup('vmseries.aws_ha.stage_inputs', 'panos_interfaces', 'panos_ha') }}"
    recorded: "{{ pair_facts_instances[item].tags['vmseries:fingerprint'] | default('') }}"
  loop: [primary, secondary]
  register: panos_fingerprint
"""

RETURN = r"""
converged:
  description: No pending changes, and the fingerprint is O(recorded).
  returned: always
  type: bool
fingerprint:
  description: The firewall's fingerprint now.
  returned: always
  type: str
  sample: inputs=3f2a9c0b7d14 config=9e1c0d2b4a55
recorded:
  description: O(recorded), as given.
  returned: always
  type: str
pending:
  description: The candidate configuration has changes not committed yet.
  returned: always
  type: bool
differences:
  description: The parts of the fingerprint that differ from O(recorded) (C(pending) when there are pending changes).
  returned: always
  type: list
  elements: str
  sample: [config]
api_wait:
  description: How long the module waited for the firewall's API to come up.
  returned: always
  type: dict
"""

import copy
import hashlib
import xml.etree.ElementTree as ET
from typing import List

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vmseries.aws_ha.plugins.module_utils import fingerprints, ha_config
from ansible_collections.vmseries.aws_ha.plugins.module_utils.panos import PanosConnection, canonical, provider_argument_spec

DEVICES = "/config/devices"
PARTS = ("inputs", "config")


def fingerprint(inputs_digest: str, config_text: str) -> str:
    config = hashlib.sha256(config_text.encode()).hexdigest()[:fingerprints.DIGEST_LENGTH]
    return fingerprints.compose(inputs_digest, {"config": config}, PARTS)


def managed_view(devices: ET.Element) -> ET.Element:
    """devices with each firewall's HA settings reduced to those high_availability owns."""
    devices = copy.deepcopy(devices)
    for found in devices.findall("entry/deviceconfig/high-availability"):
        ha_config.drop_unowned(found)
    return devices


def differences(recorded: str, current: str, pending: bool) -> List[str]:
    return fingerprints.differences(recorded, current, PARTS) + (["pending"] if pending else [])


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **provider_argument_spec(),
            "inputs_digest": {"type": "str", "required": True},
            "recorded": {"type": "str", "default": ""},
        },
        supports_check_mode=True,
    )
    params = module.params
    connection = PanosConnection(module, params["provider"])
    pending = connection.pending_changes()
    devices = connection.xapi_show(DEVICES)
    current = fingerprint(params["inputs_digest"], repr(canonical(managed_view(devices))) if devices is not None else "")
    found = differences(params["recorded"], current, pending)
    module.exit_json(changed=False, converged=not found, fingerprint=current, recorded=params["recorded"], pending=pending,
                     differences=found, api_wait=connection.api_wait)


if __name__ == "__main__":
    main()
