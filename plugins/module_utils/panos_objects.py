# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pan-os-python objects of the PAN-OS configuration this collection manages, built from the
parameters of its modules (the shape pair_config computes). One builder per object, used both by
the modules that converge a running firewall through the XML API and by the bootstrap package
renderer (bootstrap_xml), so that a bootstrapped firewall boots with exactly what the converge
would have written."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, Mapping

from ansible_collections.vmseries.aws_ha.plugins.module_utils import ha_config

try:
    from panos.ha import HA1, HA2, HighAvailability
    from panos.network import EthernetInterface, StaticRoute, VirtualRouter, Zone
except ImportError:
    pass  # PanosConnection (modules) or the filter reports the missing library


def ethernet_interface(params: Mapping[str, Any]) -> "EthernetInterface":
    enable_dhcp = bool(params.get("enable_dhcp"))
    return EthernetInterface(
        params["name"], mode=params.get("mode") or "layer3", ip=params.get("ip") or None,
        enable_dhcp=enable_dhcp or None,
        create_dhcp_default_route=bool(params.get("create_default_route")) if enable_dhcp else None,
        management_profile=params.get("management_profile"), comment=params.get("comment"))


def zone(params: Mapping[str, Any]) -> "Zone":
    return Zone(params["name"], mode=params.get("mode") or "layer3", interface=params.get("interfaces") or None)


def static_route(route: Mapping[str, Any]) -> "StaticRoute":
    nexthop = route.get("nexthop")
    return StaticRoute(route["name"], destination=route["destination"],
                       nexthop_type="ip-address" if nexthop else None, nexthop=nexthop,
                       interface=route.get("interface"), metric=route.get("metric", 10))


def virtual_router(params: Mapping[str, Any]) -> "VirtualRouter":
    router = VirtualRouter(params["name"], interface=params.get("interfaces") or None)
    for route in params.get("static_routes") or []:
        router.add(static_route(route))
    return router


def high_availability(device: Any, params: Mapping[str, Any]) -> ET.Element:
    """What the high_availability module manages of <high-availability>: pan-os-python's rendering
    of what it models, in the layout of the device's PAN-OS version (device.version must be set),
    plus the election options and HA2 transport it does not model."""
    ha = HighAvailability(enabled=params.get("enabled", True), group_id=params["group_id"], peer_ip=params["peer_ip"],
                          mode=params.get("mode") or "active-passive", config_sync=params.get("config_sync", True),
                          state_sync=True)
    device.add(ha)
    ha.add(HA1(port=params.get("ha1_port") or "management"))
    ha.add(HA2(ip_address=params["ha2_ip_address"], netmask=params["ha2_netmask"], gateway=params.get("ha2_gateway"),
               port=params.get("ha2_port") or "ethernet1/1"))
    try:
        element = ha.element()
    finally:
        device.remove(ha)
    return ha_config.add_election_and_transport(
        element, params["device_priority"], params.get("preemptive", False), params.get("timers") or "recommended",
        params.get("advanced_timers"), params.get("state_sync_transport") or "ip")
