# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PAN-OS configuration a pair should have, as the parameters of the collection's modules."""

from __future__ import annotations

DOCUMENTATION = r"""
name: pair_config
short_description: The PAN-OS configuration a VM-Series HA pair should have, as module parameters
version_added: 0.3.0
description:
  - Computes, from the pair's AWS facts and its variables, the parameters of
    M(vmseries.aws_ha.ethernet_interface) (the HA2 link and the dataplane interfaces),
    M(vmseries.aws_ha.zone), M(vmseries.aws_ha.virtual_router) and, per firewall,
    M(vmseries.aws_ha.high_availability).
  - The PAN-OS stages converge running firewalls to it; with C(vmseries_bootstrap=s3) the same result is
    rendered into each firewall's C(bootstrap.xml) (P(vmseries.aws_ha.bootstrap_xml#filter)), so the two never disagree.
options:
  _input:
    description:
      - Per node (C(primary), C(secondary)) C(mgmt_private_ip) and C(interfaces), keyed by PAN-OS name
        (C(ethernet1/1) to C(ethernet1/3)), each with C(private_ip), C(prefix_length), C(netmask), C(gateway)
        and C(eni_id). C(pair_facts_nodes) of the pair_facts role has this shape.
    type: dict
    required: true
  dataplane_node:
    description: The node holding the dataplane, whose ENIs give the dataplane addresses.
    type: str
    required: true
  ha_method:
    description: C(interface_move) or C(secondary_ip).
    type: str
    required: true
  dataplane_addressing:
    description: C(static) (the ENIs' addresses) or C(dhcp).
    type: str
    required: true
  zones:
    description: Zone name for C(untrust) and C(trust).
    type: dict
    required: true
  virtual_router:
    description: Name of the virtual router.
    type: str
    required: true
  static_routes:
    description: More static routes, in the shape of M(vmseries.aws_ha.virtual_router)'s O(vmseries.aws_ha.virtual_router#module:static_routes).
    type: list
    elements: dict
    default: []
  ha_group_id:
    description: HA group id.
    type: int
    required: true
  ha_priorities:
    description: Device priority of C(primary) and C(secondary).
    type: dict
    required: true
  ha_preemptive:
    description: Whether the preferred firewall takes the active role back.
    type: bool
    required: true
  ha2_transport:
    description: HA2 state synchronization transport.
    type: str
    required: true
  ha_timers:
    description: HA timer profile.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Compute the configuration of the pair
  ansible.builtin.set_fact:
    pair_config: >-
      {{ pair_facts_nodes | vmseries.aws_ha.pair_config(pair_facts_dataplane_node, ha_method=vmseries_ha_method,
      dataplane_addressing=vmseries_dataplane_addressing, zones=vmseries_zones, virtual_router=vmseries_virtual_router,
      static_routes=vmseries_static_routes, ha_group_id=vmseries_ha_group_id, ha_priorities=vmseries_ha_priorities,
      ha_preemptive=vmseries_ha_preemptive, ha2_transport=vmseries_ha2_transport, ha_timers=vmseries_ha_timers) }}
"""

RETURN = r"""
_value:
  description:
    - C(dataplane_node); C(ha2_interface), C(interfaces) (ethernet_interface parameters); C(zones) (zone
      parameters); C(virtual_router) (virtual_router parameters, static routes with every option);
      C(high_availability), per node, high_availability parameters.
  type: dict
"""

from typing import Any, Dict, List, Mapping, Optional

from ansible.errors import AnsibleFilterError

from ansible_collections.vmseries.aws_ha.plugins.module_utils.pair_config import PairConfigError, desired


def pair_config(nodes: Mapping[str, Any], dataplane_node: str, ha_method: str, dataplane_addressing: str,
                zones: Mapping[str, str], virtual_router: str, ha_group_id: int, ha_priorities: Mapping[str, int],
                ha_preemptive: bool, ha2_transport: str, ha_timers: str,
                static_routes: Optional[List[Mapping[str, Any]]] = None) -> Dict[str, Any]:
    settings = {"ha_method": ha_method, "dataplane_addressing": dataplane_addressing, "zones": zones,
                "virtual_router": virtual_router, "static_routes": static_routes or [], "ha_group_id": ha_group_id,
                "ha_priorities": ha_priorities, "ha_preemptive": ha_preemptive, "ha2_transport": ha2_transport,
                "ha_timers": ha_timers}
    try:
        return desired(nodes, dataplane_node, settings)
    except PairConfigError as error:
        raise AnsibleFilterError(str(error)) from error


class FilterModule:
    def filters(self):
        return {"pair_config": pair_config}
