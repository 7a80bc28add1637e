# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VM-Series plugin checks of preflight as a filter: they need the AMI the instances stage
found, and nothing of AWS beyond it."""

from __future__ import annotations

DOCUMENTATION = r"""
name: plugin_problems
short_description: Why a pair launched from a VM-Series AMI would not fail over, by its plugin
version_added: 0.2.0
description:
  - Reads the PAN-OS version from a VM-Series AMI name (C(PA-VM-AWS-<version>-...)) and the oldest
    VM-Series plugin that version ships with, and returns why the pair could not fail over with it,
    namely IMDSv2 tokens required (as the instances stage launches) with a plugin older than 3.0.0,
    or the secondary-IP move with a plugin older than 2.0.1.
  - An AMI whose name carries no version is not judged (an empty list).
options:
  _input:
    description: The AMI's name.
    type: str
    required: true
  ha_method:
    description: The pair's AWS HA method, C(interface_move) or C(secondary_ip).
    type: str
    required: true
  imds_v1_allowed:
    description: Whether the firewalls are launched with IMDSv1 allowed (C(vmseries_imds_v1_allowed)).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Refuse an AMI whose plugin cannot fail the pair over
  ansible.builtin.assert:
    that: instances_ami.name | vmseries.aws_ha.plugin_problems(vmseries_ha_method, vmseries_imds_v1_allowed) | length == 0
    fail_msg: "{{ instances_ami.name | vmseries.aws_ha.plugin_problems(vmseries_ha_method, vmseries_imds_v1_allowed) | join(' ') }}"
"""

RETURN = r"""
_value:
  description: The problems, each a sentence that says what to change; empty when none.
  type: list
  elements: str
"""

from typing import List

from ansible_collections.vmseries.aws_ha.plugins.module_utils.vmseries_plugin import plugin_problems as _plugin_problems


def plugin_problems(ami_name: str, ha_method: str, imds_v1_allowed: bool = False) -> List[str]:
    return _plugin_problems(str(ami_name or ""), str(ha_method), bool(imds_v1_allowed))


class FilterModule:
    def filters(self):
        return {"plugin_problems": plugin_problems}
