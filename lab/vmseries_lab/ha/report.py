"""`show high-availability all` as a firewall twin answers it, from its HA engine's state.

The element order and the values a PA-VM gives follow the captures in ../shared/panos-samples/;
`group/dataplane-interface-move` is the lab's own extension (lab/README.md)."""

from __future__ import annotations

import ipaddress
import time
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, List, Tuple

from ..opcmds import disabled_ha

if TYPE_CHECKING:  # pragma: no cover - types only
    from .engine import HAEngine

COMPAT_FIELDS = (("build-compat", "build-rel"), ("app-compat", "app-version"), ("threat-compat", "threat-version"),
                 ("av-compat", "av-version"), ("url-compat", "url-version"), ("gpclient-compat", "gpclient-version"),
                 ("vpnclient-compat", "vpnclient-version"), ("iot-compat", "iot-version"),
                 ("vm-license-compat", "vm-license"), ("VMS", "VMS"), ("DLP", "DLP"))


def licence_type(licence: str) -> str:
    # vm300 beside VM-300 (pan-os-upgrade-assurance's sample); `Not Installed` without a licence.
    return licence.replace("-", "").lower() if licence and licence != "none" else "Not Installed"


def compat(engine: "HAEngine", field: str, source: str, connected: bool) -> str:
    """Match or Mismatch of one software or licence field with the peer's (Unknown without a peer)."""
    if not connected:
        return "Unknown"
    if field == "vm-license-compat":
        return "Mismatch" if engine.licence_mismatch() else "Match"
    theirs = (engine.peer.get("release") or {}).get(source)
    return "Match" if theirs is None or theirs == engine.host.release().get(source) else "Mismatch"


def ha_all(engine: "HAEngine") -> ET.Element:
    """`show high-availability all` (and `state`, which PAN-OS answers with the same tree)."""
    if not engine.enabled:
        return disabled_ha()
    assert engine.config is not None
    result = ET.Element("result")
    ET.SubElement(result, "enabled").text = "yes"
    group = ET.SubElement(result, "group")
    ET.SubElement(group, "mode").text = "Active-Passive"
    connected = engine.peer_connected()
    _local_info(engine, ET.SubElement(group, "local-info"), connected)
    _peer_info(engine, ET.SubElement(group, "peer-info"), connected)
    _fields(ET.SubElement(group, "link-monitoring"), [("failure-condition", "any"), ("enabled", "yes"), ("groups", "")])
    _fields(ET.SubElement(group, "path-monitoring"), [("virtual-wire", ""), ("failure-condition", "any"), ("enabled", "yes"),
                                                      ("vlan", ""), ("virtual-router", "")])
    ET.SubElement(group, "running-sync").text = engine.running_sync()
    ET.SubElement(group, "running-sync-enabled").text = "yes" if engine.config.config_sync else "no"
    _fields(ET.SubElement(group, "dataplane-interface-move"),
            [(tag, str(engine.move.get(tag, ""))) for tag in ("status", "error", "time", "method")])
    return result


def _local_info(engine: "HAEngine", local: ET.Element, connected: bool) -> None:
    config, host = engine.config, engine.host
    assert config is not None
    interfaces = {i.name: i for i in host.interfaces()}
    mgmt, ha2 = interfaces.get("management"), interfaces.get(config.ha2_port)
    prefix = mgmt.prefix_length if mgmt else 24
    mgmt_ip = f"{host.mgmt_private_ip}/{prefix}"
    timers = config.timers
    licence = engine.licence()
    RELEASE = engine.host.release()  # noqa: N806 - the same table the peer's side reads
    values: List[Tuple[str, str]] = [
        ("url-compat", "Match" if connected else "Unknown"), ("app-version", RELEASE["app-version"]),
        ("gpclient-version", RELEASE["gpclient-version"]), ("build-rel", RELEASE["build-rel"]),
        ("ha2-port", config.ha2_port), ("av-version", RELEASE["av-version"]),
        ("ha1-gateway", _gateway(host.mgmt_private_ip, prefix)),
        ("url-version", RELEASE["url-version"]), ("ha2-gateway", _gateway(config.ha2_ip, _prefix(config.ha2_netmask))),
        ("platform-model", RELEASE["platform-model"]),
        ("ha2-ipaddr", f"{config.ha2_ip}/{_prefix(config.ha2_netmask)}"),
        ("ha1-ipaddr", mgmt_ip), ("vm-license", licence),
        ("ha2-macaddr", ha2.mac if ha2 else "00:00:00:00:00:00"), ("monitor-fail-holdup", "0"),
        ("priority", str(config.priority)), ("preempt-hold", str(timers["preemption-hold-time"] // 60000)),
        ("state", engine.local_state), ("version", "1"), ("promotion-hold", str(timers["promotion-hold-time"])),
        ("state-sync", "Complete" if connected else "HA1-peer-disconnected"),
        ("addon-master-holdup", "500"), ("heartbeat-interval", str(timers["heartbeat-interval"])),
        ("ha1-link-mon-intv", "3000"), ("hello-interval", str(timers["hello-interval"])),
        ("ha1-port", config.ha1_port), ("ha1-encrypt-imported", "no"), ("mgmt-ip", mgmt_ip),
        ("vpnclient-version", RELEASE["vpnclient-version"]), ("preempt-flap-cnt", "0"),
        ("nonfunc-flap-cnt", "0"), ("threat-version", RELEASE["threat-version"]),
        ("ha1-macaddr", mgmt.mac if mgmt else "00:00:00:00:00:00"), ("vm-license-type", licence_type(licence)),
        ("state-duration", str(int(time.monotonic() - engine.state_since))), ("max-flaps", "3"),
        ("ha1-encrypt-enable", "no"), ("mgmt-ipv6", ""), ("state-sync-type", config.transport),
        ("preemptive", "yes" if config.preemptive else "no"), ("iot-version", RELEASE["iot-version"]),
        ("mode", "Active-Passive"),
    ]
    values += [(field, compat(engine, field, source, connected)) for field, source in COMPAT_FIELDS]
    if engine.last_error:
        values += [("last-error-state", engine.last_error[0]), ("last-error-reason", engine.last_error[1])]
    _fields(local, values[:13])
    _fields(ET.SubElement(local, "active-passive"), [("passive-link-state", "shutdown"), ("monitor-fail-holddown", "1")])
    _fields(local, values[13:])


def _peer_info(engine: "HAEngine", peer: ET.Element, connected: bool) -> None:
    config = engine.config
    assert config is not None
    if not engine.ever_connected:
        # As a PA-VM reports a peer it has never reached.
        _fields(peer, [("app-version", "Unknown"), ("gpclient-version", "Unknown"),
                       ("conn-down-reason", "Never able to connect to peer"), ("url-version", "Unknown"),
                       ("build-rel", "Unknown"), ("platform-model", ""), ("vm-license", ""),
                       ("ha2-macaddr", "00:00:00:00:00:00"), ("priority", "0"), ("state", "unknown"),
                       ("version", "0"), ("conn-status", "down"), ("av-version", "Unknown"),
                       ("vpnclient-version", "Unknown"), ("mgmt-ip", "")])
        _fields(ET.SubElement(peer, "conn-ha2"), [("conn-status", "down"), ("conn-ka-enbled", "no"),
                                                  ("conn-primary", "yes"), ("conn-desc", "link status")])
        _fields(peer, [("threat-version", "Unknown"), ("ha1-macaddr", "00:00:00:00:00:00")])
        _fields(ET.SubElement(peer, "conn-ha1"), [("conn-down-reason", "Never able to connect to peer"),
                                                  ("conn-status", "down"), ("conn-desc", "heartbeat status")])
        _fields(peer, [("state-duration", "0"), ("ha1-ipaddr", config.peer_ip), ("mgmt-ipv6", ""),
                       ("preemptive", "no"), ("mode", "Unknown")])
        return
    info = engine.peer
    RELEASE = info.get("release") or engine.host.release()  # noqa: N806
    status = "up" if connected else "down"
    since = info.get("state_since")
    _fields(peer, [
        ("app-version", RELEASE["app-version"]), ("gpclient-version", RELEASE["gpclient-version"]),
        ("url-version", RELEASE["url-version"]), ("build-rel", RELEASE["build-rel"]),
        ("platform-model", RELEASE["platform-model"]), ("ha2-ipaddr", info.get("ha2_ip", "")),
        ("vm-license", info.get("vm_license", "")), ("ha2-macaddr", info.get("ha2_mac", "")),
        ("priority", str(info.get("priority", ""))), ("state", (info.get("state") if connected else "unknown") or "unknown"),
        ("version", "1"), ("conn-status", status), ("av-version", RELEASE["av-version"]),
        ("vpnclient-version", RELEASE["vpnclient-version"]),
        ("mgmt-ip", f"{info.get('mgmt_ip', config.peer_ip)}/{info.get('mgmt_prefix', 24)}"),
    ])
    _fields(ET.SubElement(peer, "conn-ha2"), [("conn-status", status), ("conn-ka-enbled", "no"), ("conn-primary", "yes"),
                                              ("conn-desc", "link status")])
    _fields(peer, [("threat-version", RELEASE["threat-version"]), ("ha1-macaddr", info.get("ha1_mac", ""))])
    _fields(ET.SubElement(peer, "conn-ha1"), [("conn-status", status), ("conn-primary", "yes"),
                                              ("conn-desc", "heartbeat status")])
    values = [("vm-license-type", licence_type(info.get("vm_license", ""))),
              ("state-duration", str(int(time.time() - since)) if since else "0"),
              ("ha1-ipaddr", info.get("mgmt_ip", config.peer_ip)), ("mgmt-ipv6", ""),
              ("preemptive", "yes" if info.get("preemptive") else "no"), ("mode", "Active-Passive"),
              ("iot-version", RELEASE["iot-version"]), ("VMS", RELEASE["VMS"]), ("DLP", RELEASE["DLP"])]
    if info.get("last_error"):
        values += [("last-error-state", info["last_error"][0]), ("last-error-reason", info["last_error"][1])]
    _fields(peer, values)


def _fields(parent: ET.Element, values: List[Tuple[str, str]]) -> None:
    for tag, value in values:
        ET.SubElement(parent, tag).text = value


def _prefix(netmask: str) -> int:
    try:
        return ipaddress.ip_network(f"0.0.0.0/{netmask}").prefixlen
    except ValueError:
        return 24


def _gateway(address: str, prefix: int) -> str:
    """AWS's VPC router: the first address of the subnet."""
    try:
        return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address + 1)
    except ValueError:
        return ""
