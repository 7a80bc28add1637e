# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS device index <-> PAN-OS interface name, and the check of that map against the firewall.

A VM-Series names the ENI at device index N ``ethernet1/N``; index 0 is the management interface,
unless mgmt-interface-swap is on, which swaps indexes 0 and 1. Pure functions, unit-tested.
"""

from __future__ import annotations

import ipaddress
import xml.etree.ElementTree as ET
from typing import Any, Dict, List, Mapping, Optional

from ansible_collections.vmseries.aws_ha.plugins.module_utils import tags


def panos_name(device_index: int, mgmt_interface_swap: bool = False) -> str:
    if mgmt_interface_swap and device_index in (0, 1):
        return "ethernet1/1" if device_index == 0 else "management"
    return "management" if device_index == 0 else f"ethernet1/{device_index}"


def subnet_facts(subnet_cidr: str) -> Dict[str, Any]:
    """What an interface in the subnet is configured with besides its own address."""
    network = ipaddress.ip_network(subnet_cidr)
    # AWS's VPC router is the subnet's first address.
    return {"prefix_length": network.prefixlen, "netmask": str(network.netmask), "gateway": str(network.network_address + 1)}


def row(eni: Mapping[str, Any], subnet_cidr: str, mgmt_interface_swap: bool = False) -> Dict[str, Any]:
    """One interface of the map from a DescribeNetworkInterfaces entry and its subnet's CIDR."""
    index = int(eni["Attachment"]["DeviceIndex"])
    return {
        "device_index": index,
        "panos_name": panos_name(index, mgmt_interface_swap),
        "eni_id": eni["NetworkInterfaceId"],
        "subnet_id": eni["SubnetId"],
        "private_ip": eni["PrivateIpAddress"],
        # Floating addresses of secondary-IP HA sit on the active firewall's dataplane ENIs.
        "secondary_ips": [a["PrivateIpAddress"] for a in eni.get("PrivateIpAddresses", []) if not a.get("Primary")],
        **subnet_facts(subnet_cidr),
        "mac": eni["MacAddress"].lower(),
        "public_ip": (eni.get("Association") or {}).get("PublicIp"),
        "source_dest_check": eni.get("SourceDestCheck"),
        "description": eni.get("Description", ""),
        "tags": tags.of(eni),
    }


def table(rows: List[Mapping[str, Any]]) -> List[str]:
    columns = [("device", "device_index"), ("PAN-OS name", "panos_name"), ("ENI", "eni_id"), ("private IP", "private_ip"),
               ("prefix", "prefix_length"), ("MAC", "mac"), ("Elastic IP", "public_ip"), ("src/dst check", "source_dest_check")]
    if any("firewall_ip" in r for r in rows):
        columns.append(("firewall IP", "firewall_ip"))
    header = [title for title, _key in columns]
    cells = [header] + [["-" if r[key] is None else str(r[key]) for _title, key in columns] for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in cells]


def _result(show_interface_all: ET.Element) -> ET.Element:
    """The <result> of a `show interface all` response (or the element itself, already a result)."""
    result = show_interface_all.find("result")
    return result if result is not None else show_interface_all


def firewall_macs(show_interface_all: ET.Element) -> Dict[str, str]:
    """ethernet name -> MAC from `show interface all` (its hw entries)."""
    return {e.findtext("name"): (e.findtext("mac") or "").lower() for e in _result(show_interface_all).findall("hw/entry")
            if (e.findtext("name") or "").startswith("ethernet")}


def firewall_addresses(show_interface_all: ET.Element) -> Dict[str, Optional[str]]:
    """ethernet name -> the address the firewall has on it (CIDR, static or learned by DHCP), or
    None when it has none, from `show interface all` (its ifnet entries)."""
    addresses: Dict[str, Optional[str]] = {}
    for entry in _result(show_interface_all).findall("ifnet/entry"):
        name = entry.findtext("name") or ""
        if name.startswith("ethernet"):
            ip = (entry.findtext("ip") or "").strip()
            addresses[name] = ip if ip and ip != "N/A" else None
    return addresses


def mismatches(rows: List[Mapping[str, Any]], macs: Mapping[str, str]) -> List[str]:
    """Why the firewall disagrees with the map; empty when every ethernet ENI matches by MAC."""
    problems = []
    by_mac = {mac: name for name, mac in macs.items()}
    for entry in rows:
        name = entry["panos_name"]
        if name == "management":
            continue
        found: Optional[str] = macs.get(name)
        if found == entry["mac"]:
            continue
        if found is None:
            problems.append(f"{name}: expected ENI {entry['eni_id']} (device index {entry['device_index']}, MAC "
                            f"{entry['mac']}), but the firewall has no {name}")
        else:
            elsewhere = by_mac.get(entry["mac"])
            problems.append(f"{name}: expected MAC {entry['mac']} of ENI {entry['eni_id']} (device index "
                            f"{entry['device_index']}), the firewall has {found}"
                            + (f"; that ENI's MAC is on its {elsewhere}" if elsewhere else ""))
    return problems
