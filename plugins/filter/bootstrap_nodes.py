# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pair's firewalls as pair_config needs them, from the network stage's ENIs, before launch."""

from __future__ import annotations

DOCUMENTATION = r"""
name: bootstrap_nodes
short_description: A VM-Series HA pair's interfaces before launch, from its ENIs
version_added: 0.3.0
description:
  - Describes each firewall of the pair (C(mgmt_private_ip), C(interfaces) keyed by PAN-OS name) from the
    ENIs the network stage made, at the device indexes the instances stage attaches them to - the input of
    P(vmseries.aws_ha.pair_config#filter) for a bootstrap package, which is rendered before the firewalls exist.
  - With interface move the dataplane ENIs are the primary's; with secondary-IP move each firewall has its own.
options:
  _input:
    description: The pair's ENIs indexed by P(vmseries.aws_ha.pair_index#filter) (fields of M(amazon.aws.ec2_eni_info)).
    type: dict
    required: true
  subnet_cidrs:
    description: CIDR of each subnet, by subnet id.
    type: dict
    required: true
  ha_method:
    description: C(interface_move) or C(secondary_ip).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Describe the pair's firewalls before launch
  ansible.builtin.set_fact:
    nodes: "{{ eni_info.network_interfaces | vmseries.aws_ha.pair_index | vmseries.aws_ha.bootstrap_nodes(cidrs, 'interface_move') }}"
"""

RETURN = r"""
_value:
  description: Per node, C(mgmt_private_ip) and C(interfaces) (C(eni_id), C(private_ip), C(prefix_length), C(netmask), C(gateway)).
  type: dict
"""

from typing import Any, Dict, Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.vmseries.aws_ha.plugins.module_utils import bootstrap_package


def bootstrap_nodes(enis: Mapping[str, Any], subnet_cidrs: Mapping[str, str], ha_method: str) -> Dict[str, Any]:
    try:
        return bootstrap_package.planned_nodes(enis, subnet_cidrs, str(ha_method))
    except bootstrap_package.PackageError as error:
        raise AnsibleFilterError(str(error)) from error


class FilterModule:
    def filters(self):
        return {"bootstrap_nodes": bootstrap_nodes}
