# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The parts of PAN-OS HA configuration pan-os-python's HighAvailability object does not model:
election options (device priority, preemption, timers) and the HA2 state-sync transport, written
into the same <high-availability> element at their schema xpaths:
deviceconfig/high-availability/group/election-option/{device-priority,preemptive,timers/...} and
deviceconfig/high-availability/group/state-synchronization/transport (PAN-OS 8.1+; before 8.1 the
same under group/entry[@name='<group id>'])."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, Dict, Mapping, Optional

HA_XPATH = "/config/devices/entry[@name='localhost.localdomain']/deviceconfig/high-availability"
ADVANCED_TIMERS = {
    "promotion_hold_time": "promotion-hold-time",
    "hello_interval": "hello-interval",
    "heartbeat_interval": "heartbeat-interval",
    "preemption_hold_time": "preemption-hold-time",
    "monitor_fail_hold_up_time": "monitor-fail-hold-up-time",
    "additional_master_hold_up_time": "additional-master-hold-up-time",
}


def _child(parent: ET.Element, tag: str) -> ET.Element:
    found = parent.find(tag)
    if found is None:
        found = ET.SubElement(parent, tag)
    return found


def add_election_and_transport(ha: ET.Element, device_priority: int, preemptive: bool, timers: str,
                               advanced: Optional[Mapping[str, Any]], transport: str) -> ET.Element:
    """Put election-option and state-synchronization/transport into a <high-availability> element,
    in the group layout pan-os-python used for the firewall's version: PAN-OS 8.1+ keeps the group
    settings directly under <group> (with <group-id>), older versions under <group><entry name="N">."""
    group = _child(ha, "group")
    entry = group.find("entry")
    if entry is not None:
        group = entry
    sync = _child(group, "state-synchronization")
    _child(sync, "transport").text = transport
    election = _child(group, "election-option")
    for node in list(election):
        election.remove(node)
    ET.SubElement(election, "device-priority").text = str(device_priority)
    ET.SubElement(election, "preemptive").text = "yes" if preemptive else "no"
    timer_node = ET.SubElement(ET.SubElement(election, "timers"), timers)
    if timers == "advanced":
        for option, tag in ADVANCED_TIMERS.items():
            value = (advanced or {}).get(option)
            if value is not None:
                ET.SubElement(timer_node, tag).text = str(value)
    return ha


def normalized(element: ET.Element) -> Dict[str, Any]:
    """An order-insensitive form: PAN-OS returns configuration in schema order, which need not be
    the order it was written in."""
    children: Dict[str, Any] = {}
    for child in element:
        key = child.tag + (f"[{child.get('name')}]" if child.get("name") is not None else "")
        children.setdefault(key, []).append(normalized(child))
    text = (element.text or "").strip()
    return {"text": text, "children": {k: sorted(v, key=repr) for k, v in sorted(children.items())}}


def same_config(a: Optional[ET.Element], b: Optional[ET.Element]) -> bool:
    if a is None or b is None:
        return a is b
    return normalized(a) == normalized(b)
