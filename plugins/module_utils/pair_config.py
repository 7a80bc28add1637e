# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PAN-OS configuration a pair should have, as data: the parameters of the collection's
object modules (ethernet_interface, zone, virtual_router, high_availability), computed once from
the pair's AWS facts and the pair's variables. The PAN-OS stages converge running firewalls to it
through the XML API; the bootstrap package renders it into each firewall's bootstrap.xml before
launch. One computation, so that the two never disagree."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping

from ansible_collections.vmseries.aws_ha.plugins.module_utils.tags import NODES, other

HA2_INTERFACE = "ethernet1/1"
# ethernet1/2 faces the internet, ethernet1/3 the protected subnets (device indexes 2 and 3).
DATAPLANE = (("ethernet1/2", "untrust"), ("ethernet1/3", "trust"))


class PairConfigError(ValueError):
    """The facts or settings cannot make a configuration; the message says what is missing."""


def _interface(node: Mapping[str, Any], name: str, node_name: str) -> Mapping[str, Any]:
    try:
        return node["interfaces"][name]
    except KeyError:
        raise PairConfigError(f"The {node_name} firewall has no {name} in the facts given (its ENI at device index "
                              f"{name.rsplit('/', 1)[-1]}): run the network and instances stages first.") from None


def _route(route: Mapping[str, Any]) -> Dict[str, Any]:
    """A static route with every option of virtual_router's static_routes, defaults filled in."""
    return {"name": route["name"], "destination": route.get("destination"), "nexthop": route.get("nexthop"),
            "interface": route.get("interface"), "metric": 10 if route.get("metric") is None else int(route["metric"])}


def desired(nodes: Mapping[str, Mapping[str, Any]], dataplane_node: str, settings: Mapping[str, Any]) -> Dict[str, Any]:
    """nodes: primary/secondary -> {mgmt_private_ip, interfaces: {ethernet1/N: {private_ip,
    prefix_length, netmask, gateway, eni_id}}}, as pair_facts (running firewalls) or the bootstrap
    package (ENIs before launch) describe them. dataplane_node: the firewall that holds the dataplane
    and is configured through the API; config sync carries its dataplane configuration to the peer.
    settings: the pair's variables (see roles/panos_interfaces and roles/panos_ha)."""
    missing = [n for n in NODES if n not in nodes]
    if missing:
        raise PairConfigError(f"No facts for the {' and '.join(missing)} firewall.")
    if dataplane_node not in NODES:
        raise PairConfigError(f"dataplane_node must be primary or secondary, not {dataplane_node!r}.")
    static = settings["dataplane_addressing"] == "static"
    interface_move = settings["ha_method"] == "interface_move"
    holder = nodes[dataplane_node]
    interfaces: List[Dict[str, Any]] = []
    for name, role in DATAPLANE:
        eni = _interface(holder, name, dataplane_node)
        interfaces.append({
            "name": name, "mode": "layer3",
            "ip": [f"{eni['private_ip']}/{eni['prefix_length']}"] if static else None,
            "enable_dhcp": not static,
            # With DHCP the untrust interface learns its default route from the VPC router.
            "create_default_route": not static and role == "untrust",
            # Config sync gives the peer the same comment: name the ENI only where both share it.
            "comment": f"{role} ({eni['eni_id']})" if interface_move else role,
        })
    untrust = _interface(holder, "ethernet1/2", dataplane_node)
    default_route = [{"name": "default", "destination": "0.0.0.0/0", "nexthop": untrust["gateway"],
                      "interface": "ethernet1/2"}] if static else []
    zones = settings["zones"]
    high_availability = {}
    for node in NODES:
        link = _interface(nodes[node], HA2_INTERFACE, node)
        high_availability[node] = {
            "enabled": True,
            "group_id": int(settings["ha_group_id"]),
            "mode": "active-passive",
            # HA1 runs on the management port, so the peer IP is the peer's mgmt ENI private IP.
            "peer_ip": nodes[other(node)]["mgmt_private_ip"],
            "ha1_port": "management",
            "ha2_port": HA2_INTERFACE,
            "ha2_ip_address": link["private_ip"],
            "ha2_netmask": link["netmask"],
            "ha2_gateway": link["gateway"],
            "state_sync_transport": settings["ha2_transport"],
            "config_sync": True,
            "device_priority": int(settings["ha_priorities"][node]),
            "preemptive": bool(settings["ha_preemptive"]),
            "timers": settings["ha_timers"],
        }
    return {
        "dataplane_node": dataplane_node,
        # The same on both firewalls: interface configuration is part of HA config sync.
        "ha2_interface": {"name": HA2_INTERFACE, "mode": "ha", "comment": "HA2"},
        "interfaces": interfaces,
        "zones": [{"name": zones[role], "mode": "layer3", "interfaces": [name]} for name, role in DATAPLANE],
        "virtual_router": {"name": settings["virtual_router"], "interfaces": [name for name, _role in DATAPLANE],
                           "static_routes": [_route(r) for r in default_route + list(settings.get("static_routes") or [])]},
        "high_availability": high_availability,
    }
