# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PAN-OS version a VM-Series AMI boots, from its name."""

from __future__ import annotations

DOCUMENTATION = r"""
name: panos_version_of_ami
short_description: The PAN-OS version in a VM-Series AMI's name
version_added: 0.3.0
description:
  - Reads C(11.1.4-h7) from C(PA-VM-AWS-11.1.4-h7-<uuid>), the name Palo Alto gives its VM-Series AMIs.
  - Returns null for a name without a version.
options:
  _input:
    description: The AMI's name.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Say which PAN-OS the firewalls boot
  ansible.builtin.debug:
    msg: "{{ instances_ami.name | vmseries.aws_ha.panos_version_of_ami }}"
"""

RETURN = r"""
_value:
  description: The PAN-OS version, or null.
  type: str
"""

from typing import Optional

from ansible_collections.vmseries.aws_ha.plugins.module_utils.vmseries_plugin import panos_version_of_ami as _version


def panos_version_of_ami(ami_name: str) -> Optional[str]:
    return _version(str(ami_name or ""))


class FilterModule:
    def filters(self):
        return {"panos_version_of_ami": panos_version_of_ami}
