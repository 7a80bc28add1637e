# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The options of every module that judges a deployed pair through
    # module_utils/pair.DeployedPair (with vmseries.aws_ha.provider.pair for the two connections).
    DOCUMENTATION = r"""
options:
  pair_name:
    description: Name of the pair (tag C(vmseries:pair)) whose instances, ENIs, Elastic IPs and routes are looked up in EC2.
    type: str
    required: true
  ha_method:
    description:
      - The AWS HA method the pair was deployed with (C(vmseries_ha_method)). C(interface_move) - the
        dataplane ENIs move to the new active. C(secondary_ip) - each firewall keeps its own ENIs and
        the floating secondary addresses, their Elastic IP and the VPC routes move.
      - Checked against the pair's ENIs in EC2 before anything is done.
    type: str
    choices: [interface_move, secondary_ip]
    default: interface_move
notes:
  - The pair is healthy when exactly one firewall is active and the other passive, each connected
    to its peer, with the running configuration synchronized, the same VM-Series licence on both,
    and the dataplane leading to the active - its dataplane ENIs (interface move) or its floating
    secondary addresses (secondary-IP move), the Elastic IP of the dataplane, and every VPC route
    that leads to one of the pair's ENIs. The pair check and failover verification judge it the
    same way and name every condition that is not met.
"""
