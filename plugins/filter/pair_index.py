# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Index a pair's AWS resources by the role their tags give them."""

from __future__ import annotations

DOCUMENTATION = r"""
name: pair_index
short_description: Index a VM-Series pair's AWS resources by their vmseries tags
version_added: 0.1.0
description:
  - Takes the resources of one pair as returned by the amazon.aws C(*_info) modules (each with a
    C(tags) dict) and returns a dict keyed by the role the tags give each resource.
  - The key is C(<node>-<interface>) when both C(vmseries:node) and C(vmseries:interface) are set
    (C(primary-mgmt)), C(<interface>) for pair resources (C(untrust)), C(<node>) for instances
    (C(secondary)). Resources without either tag are ignored.
  - Two resources with the same key are an error naming both, because the stages must never
    guess which one a firewall uses.
options:
  _input:
    description: List of resources, each a dict with C(tags) and an id (C(id), C(instance_id), ...).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Find the pair's ENIs by role
  ansible.builtin.set_fact:
    enis: "{{ eni_info.network_interfaces | vmseries.aws_ha.pair_index }}"
# enis['primary-mgmt'].id, enis['untrust'].private_ip_address, ...
"""

RETURN = r"""
_value:
  description: The resources keyed by role.
  type: dict
"""

from typing import Any, Dict, List, Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.vmseries.aws_ha.plugins.module_utils import tags

ID_KEYS = ("id", "instance_id", "network_interface_id", "allocation_id", "group_id", "subnet_id")


def resource_id(resource: Mapping[str, Any]) -> str:
    return next((str(resource[k]) for k in ID_KEYS if resource.get(k)), "?")


def pair_index(resources: List[Mapping[str, Any]]) -> Dict[str, Mapping[str, Any]]:
    index: Dict[str, Mapping[str, Any]] = {}
    for resource in resources or []:
        key = tags.role_key(resource.get("tags") or {})
        if key is None:
            continue
        if key in index:
            raise AnsibleFilterError(
                f"{resource_id(index[key])} and {resource_id(resource)} are both tagged as {key!r} of the pair: "
                "delete the one the firewalls do not use (or fix its vmseries:* tags) and re-run."
            )
        index[key] = resource
    return index


class FilterModule:
    def filters(self):
        return {"pair_index": pair_index}
