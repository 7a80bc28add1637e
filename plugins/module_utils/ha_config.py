# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The parts of PAN-OS HA configuration pan-os-python's HighAvailability object does not model:
election options (device priority, preemption, timers) and the HA2 state-sync transport, written
into the same <high-availability> element at their schema xpaths:
deviceconfig/high-availability/group/election-option/{device-priority,preemptive,timers/...} and
deviceconfig/high-availability/group/state-synchronization/transport (PAN-OS 8.1+; before 8.1 the
same under group/entry[@name='<group id>']).

It also keeps what the module does not manage: HA settings made by hand or by another collection
(link and path monitoring, backup links, HA1 encryption, ...) survive a run of the module."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, Mapping, Optional

from ansible_collections.vmseries.aws_ha.plugins.module_utils.panos import without_bookkeeping

HA_XPATH = "/config/devices/entry[@name='localhost.localdomain']/deviceconfig/high-availability"
ADVANCED_TIMERS = {
    "promotion_hold_time": "promotion-hold-time",
    "hello_interval": "hello-interval",
    "heartbeat_interval": "heartbeat-interval",
    "preemption_hold_time": "preemption-hold-time",
    "monitor_fail_hold_up_time": "monitor-fail-hold-up-time",
    "additional_master_hold_up_time": "additional-master-hold-up-time",
}

# What high_availability owns, as paths inside <high-availability> (the pre-8.1 group entry
# counts as "group"): these come from the module's parameters alone, and whatever the firewall has
# there is replaced; everything else the firewall has is kept. Owned leaves are listed one by one so
# that their unmanaged siblings (interface/ha1/encryption, group/state-synchronization/ha2-keep-alive,
# group/election-option/heartbeat-backup) stay. The timer profile is owned whole, so that an advanced
# timer left out of advanced_timers goes back to its default instead of lingering.
OWNED_PATHS = frozenset({
    "enabled",
    "group/group-id",
    "group/peer-ip",
    "group/configuration-synchronization/enabled",
    "group/state-synchronization/enabled",
    "group/state-synchronization/transport",
    "group/election-option/device-priority",
    "group/election-option/preemptive",
    "group/election-option/timers",
    "interface/ha1/port",
    "interface/ha1/ip-address",
    "interface/ha1/netmask",
    "interface/ha1/gateway",
    "interface/ha2/port",
    "interface/ha2/ip-address",
    "interface/ha2/netmask",
    "interface/ha2/gateway",
})
# One-of containers: only the chosen child may exist (the mode), so a different choice found on the
# firewall is dropped, while the settings under the same choice (passive-link-state) are kept.
CHOICE_PATHS = frozenset({"group/mode"})


def keep_unmanaged(desired: ET.Element, found: Optional[ET.Element]) -> ET.Element:
    """desired plus every setting of found (the firewall's <high-availability>) outside
    OWNED_PATHS, so writing desired with one edit request removes nothing the module does not own."""
    if found is not None:
        _merge_unowned(desired, found, "")
    return desired


def _merge_unowned(desired: ET.Element, found: ET.Element, path: str) -> None:
    choice = path in CHOICE_PATHS
    for found_child in found:
        if found_child.tag == "entry" and path == "group":
            # The pre-8.1 group entry is named by the group id, which the module owns.
            target = desired.find("entry")
            if target is not None:
                _merge_unowned(target, found_child, path)
            continue
        child_path = f"{path}/{found_child.tag}" if path else found_child.tag
        if child_path in OWNED_PATHS:
            continue
        target = desired.find(found_child.tag)
        if target is not None:
            _merge_unowned(target, found_child, child_path)
        elif not choice:
            desired.append(without_bookkeeping(found_child))


def drop_unowned(found: ET.Element) -> None:
    """Removes from found (a <high-availability>) all but what the module owns: OWNED_PATHS and
    the chosen mode. What it keeps as found (passive-link-state, HA2 keep-alive, monitoring, ...) is
    not its to converge, so a comparison of what the converge manages leaves it out."""
    _drop_unowned(found, "")


def _drop_unowned(element: ET.Element, path: str) -> None:
    for child in list(element):
        if child.tag == "entry" and path == "group":
            _drop_unowned(child, path)
            continue
        child_path = f"{path}/{child.tag}" if path else child.tag
        if child_path in OWNED_PATHS:
            continue
        if path in CHOICE_PATHS or child_path in CHOICE_PATHS or any(p.startswith(child_path + "/") for p in OWNED_PATHS):
            _drop_unowned(child, child_path)
        else:
            element.remove(child)


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
