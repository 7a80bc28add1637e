# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a firewall's `show high-availability all` and judging whether a pair is healthy.

Pure functions over the XML, so the pair check and the failover verification judge a pair by the
same rules, and the rules are unit-tested without a firewall.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, Dict, List, Mapping, Optional, Union

SHOW_HA_ALL = "<show><high-availability><all></all></high-availability></show>"
STABLE_STATES = ("active", "passive")
SUSPEND = "<request><high-availability><state><suspend></suspend></state></high-availability></request>"
FUNCTIONAL = "<request><high-availability><state><functional></functional></state></high-availability></request>"


def _text(element: Optional[ET.Element], path: str) -> Optional[str]:
    if element is None:
        return None
    found = element.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip()


def _int(value: Optional[str]) -> Optional[int]:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def parse_ha_all(response: Union[str, ET.Element]) -> Dict[str, Any]:
    """The parts of `show high-availability all` the checks use, from the whole response or its
    <result>. Missing elements come back as None rather than failing: a firewall in the middle of
    an election omits some of them."""
    root = ET.fromstring(response) if isinstance(response, str) else response
    result = root if root.tag == "result" else root.find("result")
    if result is None:
        result = root
    enabled = _text(result, "enabled") == "yes"
    group = result.find("group")
    local = group.find("local-info") if group is not None else None
    peer = group.find("peer-info") if group is not None else None
    # PAN-OS reports running-sync under the group; some releases repeat it in local-info.
    running_sync = _text(group, "running-sync") or _text(local, "running-sync")
    return {
        "enabled": enabled,
        "mode": _text(group, "mode"),
        "local": {
            "state": _text(local, "state") if enabled else "disabled",
            "state_reason": _text(local, "state-reason"),
            # Why it was last suspended or non-functional (a licence mismatch: "VM License mismatches with peer").
            "last_error_reason": _text(local, "last-error-reason"),
            "vm_license": _text(local, "vm-license"),
            "vm_license_compat": _text(local, "vm-license-compat"),
            "priority": _int(_text(local, "priority")),
            "preemptive": _text(local, "preemptive") == "yes",
            "mgmt_ip": _text(local, "mgmt-ip"),
            "ha2_ip": _text(local, "ha2-ipaddr"),
            "version": _text(local, "build-rel"),
        },
        "peer": {
            "connected": _text(peer, "conn-status") == "up",
            "state": _text(peer, "state"),
            "priority": _int(_text(peer, "priority")),
            "mgmt_ip": _text(peer, "mgmt-ip"),
            "vm_license": _text(peer, "vm-license"),
        },
        # Where the lab reports the outcome of the last dataplane ENI move (real PAN-OS puts it
        # in the system log only); None when absent.
        "dataplane_move": ({"status": _text(group, "dataplane-interface-move/status"),
                            "error": _text(group, "dataplane-interface-move/error")}
                           if group is not None and group.find("dataplane-interface-move") is not None else None),
        "running_sync": running_sync,
        "running_sync_enabled": (_text(group, "running-sync-enabled") or _text(local, "running-sync-enabled")) == "yes",
    }


def describe(node: str, state: Optional[Mapping[str, Any]]) -> str:
    """One line per firewall for error messages: what it says about itself and its peer."""
    if state is None:
        return f"{node}: unreachable"
    if state.get("error") is not None:
        return f"{node}: {state['error']}"
    local, peer = state["local"], state["peer"]
    if not state["enabled"]:
        return f"{node}: HA not enabled"
    return (
        f"{node}: {local['state']} (priority {local['priority']}), peer {'connected' if peer['connected'] else 'not connected'}"
        f" and {peer['state'] or 'unknown'}, running config {state['running_sync'] or 'sync unknown'}"
    )


def _why(state: Mapping[str, Any]) -> str:
    """What a firewall says about being suspended or non-functional, with the remedy for a licence mismatch."""
    local, peer = state["local"], state["peer"]
    if local.get("vm_license_compat") == "Mismatch":
        return (f" (VM License mismatches with peer: it has {local.get('vm_license') or 'none'}, its peer "
                f"{peer.get('vm_license') or 'none'}; HA peers need identical licences, license both from auth codes "
                "of the same model)")
    reason = local.get("last_error_reason") if local["state"] in ("suspended", "non-functional") else None
    return f" ({reason})" if reason else ""


def pair_problems(states: Mapping[str, Optional[Mapping[str, Any]]], expect_active: Optional[str] = None,
                  require_sync: bool = True) -> List[str]:
    """Why the pair is not a healthy active/passive pair yet; empty when it is.

    `states` maps node name (primary/secondary) to parse_ha_all() output, or None when the
    firewall could not be asked. `expect_active` names the node that must be active, if any.
    """
    problems: List[str] = []
    for node, state in states.items():
        if state is None or state.get("error") is not None:
            problems.append(f"{node} cannot be asked: {state['error'] if state else 'unreachable'}")
        elif not state["enabled"]:
            problems.append(f"{node} has HA disabled")
        elif state["local"]["state"] not in STABLE_STATES:
            problems.append(f"{node} is {state['local']['state']}{_why(state)}")
        elif not state["peer"]["connected"]:
            problems.append(f"{node} does not see its peer")
    if problems:
        return problems
    active = sorted(node for node, state in states.items() if state["local"]["state"] == "active")
    if len(active) != 1:
        return [f"{len(active)} firewalls are active ({', '.join(active) or 'none'}); exactly one must be"]
    if expect_active and active[0] != expect_active:
        problems.append(f"{active[0]} is active where {expect_active} was expected")
    if require_sync:
        unsynced = sorted(node for node, state in states.items() if state["running_sync"] != "synchronized")
        if unsynced:
            problems.append(f"running config not synchronized (as seen by {', '.join(unsynced)})")
    return problems


def active_node(states: Mapping[str, Optional[Mapping[str, Any]]]) -> Optional[str]:
    """The one node reporting itself active, or None."""
    active = [node for node, state in states.items()
              if state and state.get("error") is None and state["enabled"] and state["local"]["state"] == "active"]
    return active[0] if len(active) == 1 else None
