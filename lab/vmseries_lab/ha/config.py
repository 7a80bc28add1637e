"""The HA settings a firewall twin runs with, read from its committed configuration, and the
fingerprint of what config sync carries."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Dict, Optional

from .. import config as cfg

# PAN-OS's timers for the VM-Series on AWS, in milliseconds.
TIMER_PROFILES = {
    "recommended": {"promotion-hold-time": 2000, "hello-interval": 8000, "heartbeat-interval": 2000,
                    "preemption-hold-time": 60000},
    "aggressive": {"promotion-hold-time": 500, "hello-interval": 8000, "heartbeat-interval": 1000,
                   "preemption-hold-time": 60000},
}


@dataclass
class HAConfig:
    enabled: bool
    group_id: Optional[int]
    peer_ip: str
    priority: int
    preemptive: bool
    timers: Dict[str, int]
    ha1_port: str
    ha2_port: str
    ha2_ip: str
    ha2_netmask: str
    transport: str
    config_sync: bool


def parse_config(running: ET.Element) -> Optional[HAConfig]:
    nodes = cfg.find_all(running, cfg.DEVICE_XPATH + "/deviceconfig/high-availability")
    if not nodes:
        return None
    ha = nodes[0]
    group = ha.find("group")
    group = group if group is not None else ET.Element("group")
    election = group.find("election-option")
    election = election if election is not None else ET.Element("election-option")
    timers = dict(TIMER_PROFILES["recommended"])
    timer_node = election.find("timers")
    if timer_node is not None and timer_node.find("aggressive") is not None:
        timers = dict(TIMER_PROFILES["aggressive"])
    advanced = timer_node.find("advanced") if timer_node is not None else None
    if advanced is not None:
        for child in advanced:
            if child.tag in timers and (child.text or "").strip().isdigit():
                timers[child.tag] = int(child.text)
    group_id = group.findtext("group-id")
    return HAConfig(
        enabled=(ha.findtext("enabled") or "no") == "yes",
        group_id=int(group_id) if group_id and group_id.isdigit() else None,
        peer_ip=(group.findtext("peer-ip") or "").strip(),
        priority=int(election.findtext("device-priority") or 100),
        preemptive=(election.findtext("preemptive") or "no") == "yes",
        timers=timers,
        ha1_port=ha.findtext("interface/ha1/port") or "management",
        ha2_port=ha.findtext("interface/ha2/port") or "",
        ha2_ip=ha.findtext("interface/ha2/ip-address") or "",
        ha2_netmask=ha.findtext("interface/ha2/netmask") or "",
        transport=group.findtext("state-synchronization/transport") or "ethernet",
        config_sync=(group.findtext("configuration-synchronization/enabled") or "yes") == "yes",
    )


def sync_digest(config: ET.Element) -> str:
    """Fingerprint of what config sync carries (everything but deviceconfig and mgt-config)."""
    clone = ET.fromstring(ET.tostring(config))
    for node in cfg.find_all(clone, cfg.DEVICE_XPATH + "/deviceconfig"):
        cfg.parent_map(clone)[node].remove(node)
    for node in cfg.find_all(clone, "/config/mgt-config"):
        clone.remove(node)
    return hashlib.sha256(cfg.canonical(clone).encode()).hexdigest()[:16]
