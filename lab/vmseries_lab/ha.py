"""Active/passive HA of a firewall twin: the committed HA configuration drives a state machine
that talks to its peer over loopback TCP (the HA1 link), elects an active firewall, syncs the
configuration, and on peer failure promotes itself and moves the dataplane ENIs through EC2 with
its own instance role, as a VM-Series on AWS does.

Timers are PAN-OS's (recommended: promotion hold 2000 ms, hello 8000 ms, heartbeat 2000 ms,
preemption hold 1 min; aggressive: promotion hold 500 ms, hello 8000 ms, heartbeat 1000 ms),
multiplied by the lab's ``ha_timer_scale``. The peer counts as lost after three missed
heartbeats; a firewall that hears no peer for three hello intervals after boot goes active alone. Lab extension, documented in the lab's README: ``show high-availability all`` carries
``group/dataplane-interface-move`` with the outcome of the last ENI move (status, error, time),
which is where a missing IAM permission shows up.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from . import config as cfg
from . import iam_policy

TIMER_PROFILES = {
    "recommended": {"promotion-hold-time": 2000, "hello-interval": 8000, "heartbeat-interval": 2000,
                    "preemption-hold-time": 60000},
    "aggressive": {"promotion-hold-time": 500, "hello-interval": 8000, "heartbeat-interval": 1000,
                   "preemption-hold-time": 60000},
}
MISSED_HEARTBEATS = 3
# A booting firewall listens this many hello intervals for its peer before going active alone, so
# a slow first hello never makes two actives.
INITIAL_HELLOS = 3
MOVE_ACTIONS = ("ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces",
                "ec2:DetachNetworkInterface", "ec2:AttachNetworkInterface")


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


class HAEngine:
    def __init__(self, firewall: Any) -> None:
        self.fw = firewall
        self.config: Optional[HAConfig] = None
        self.local_state = "disabled"
        self.state_since = time.monotonic()
        self.state_reason = ""
        self._lock = threading.RLock()
        self._running = threading.Event()
        self._listener: Optional[socket.socket] = None
        self.ha1_port: Optional[int] = None
        self._out: Optional[socket.socket] = None
        self.peer: Dict[str, Any] = {}
        self.peer_heard: Optional[float] = None
        self._initial_since = time.monotonic()
        self._preempt_since: Optional[float] = None
        self._promote_since: Optional[float] = None
        self.digest = ""
        self._last_sync_sent: Optional[tuple] = None
        self._push_sync = False
        self.move: Dict[str, Any] = {"status": "none", "error": "", "time": ""}
        self._moving = False

    # ---- timers ----------------------------------------------------------------------------
    def _seconds(self, name: str) -> float:
        assert self.config is not None
        return self.config.timers[name] / 1000.0 * self.fw.lab.ha_timer_scale

    @property
    def enabled(self) -> bool:
        return self.config is not None and self.config.enabled

    # ---- lifecycle (called by the firewall) ------------------------------------------------
    def apply(self, running: ET.Element) -> None:
        with self._lock:
            new = parse_config(running)
            was_enabled = self.enabled
            self.config = new
            self.digest = sync_digest(running)
            if self.enabled and not was_enabled:
                self._transition("initial", "HA enabled")
                self._initial_since = time.monotonic()
            elif not self.enabled and was_enabled:
                self._transition("disabled", "HA disabled")

    def config_committed(self) -> None:
        # PAN-OS syncs a commit to the peer from whichever side committed it, once the pair is
        # formed; the commit that enables HA on a firewall syncs nothing (its peer's wins).
        with self._lock:
            self._push_sync = self.local_state in ("active", "passive") and self.peer_connected()

    def start(self) -> None:
        with self._lock:
            if self._running.is_set():
                return
            self._running.set()
            if self.enabled:
                self._transition("initial", "booted")
                self._initial_since = time.monotonic()
            self.peer, self.peer_heard = {}, None
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", self.ha1_port or 0))
            sock.listen(4)
            sock.settimeout(0.2)
            self.ha1_port = sock.getsockname()[1]
            self._listener = sock
        threading.Thread(target=self._accept, daemon=True, name=f"ha1-accept-{self.fw.instance_id}").start()
        threading.Thread(target=self._loop, daemon=True, name=f"ha-{self.fw.instance_id}").start()

    def stop(self) -> None:
        # Without the engine's lock: a tick may be waiting on the lab while the lab stops us.
        self._running.clear()
        for sock in (self._listener, self._out):
            if sock is not None:
                try:
                    sock.close()
                except OSError:
                    pass
        self._listener, self._out = None, None

    def suspend(self) -> None:
        with self._lock:
            self._transition("suspended", "suspended by the administrator")

    def functional(self) -> None:
        with self._lock:
            if self.local_state == "suspended":
                self._transition("initial", "made functional by the administrator")
                self._initial_since = time.monotonic()

    # ---- transport -------------------------------------------------------------------------
    def _accept(self) -> None:
        while self._running.is_set():
            listener = self._listener
            if listener is None:
                return
            try:
                conn, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._receive, args=(conn,), daemon=True).start()

    def _receive(self, conn: socket.socket) -> None:
        conn.settimeout(1.0)
        buffer = b""
        with conn:
            while self._running.is_set():
                try:
                    data = conn.recv(65536)
                except socket.timeout:
                    continue
                except OSError:
                    return
                if not data:
                    return
                buffer += data
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    try:
                        self._on_message(json.loads(line))
                    except (ValueError, KeyError):
                        continue

    def _send(self, message: Dict[str, Any]) -> bool:
        if not self.enabled or not self.config.peer_ip:
            return False
        if self._out is None:
            peer = self.fw.lab.firewall_by_mgmt_ip(self.config.peer_ip)
            if peer is None or peer.ha is None or peer.ha.ha1_port is None or not peer.ha._running.is_set():
                return False
            try:
                self._out = socket.create_connection(("127.0.0.1", peer.ha.ha1_port), timeout=0.5)
            except OSError:
                self._out = None
                return False
        try:
            self._out.sendall((json.dumps(message) + "\n").encode())
            self.fw.counters.incr(f"ha.sent.{message['type']}")
            return True
        except OSError:
            try:
                self._out.close()
            except OSError:
                pass
            self._out = None
            return False

    def _on_message(self, message: Dict[str, Any]) -> None:
        with self._lock:
            if not self.enabled or message.get("group_id") != self.config.group_id:
                self.peer = {**message, "mismatch": True}
                return
            self.peer = message
            self.peer_heard = time.monotonic()
            self.fw.counters.incr(f"ha.received.{message['type']}")
            if message["type"] == "sync" and self.local_state in ("active", "passive") and self.config.config_sync:
                self.fw.install_synced_config(ET.fromstring(message["config"]))
                self.digest = sync_digest(self.fw.running_config())
                self.fw.counters.event("ha_sync", version=message["digest"])
            elif message["type"] == "preempt" and self.local_state == "active":
                self._transition("passive", "preempted by the peer with the better priority")

    # ---- the state machine -----------------------------------------------------------------
    def _transition(self, state: str, reason: str) -> None:
        if state == self.local_state:
            return
        self.fw.counters.event("ha_transition", from_state=self.local_state, to_state=state, reason=reason)
        self.local_state, self.state_reason, self.state_since = state, reason, time.monotonic()
        self._promote_since = self._preempt_since = None
        self.fw.on_change()

    def peer_connected(self) -> bool:
        if self.peer_heard is None or self.config is None or self.peer.get("mismatch"):
            return False
        return time.monotonic() - self.peer_heard <= self._seconds("heartbeat-interval") * MISSED_HEARTBEATS

    def _loop(self) -> None:
        while self._running.is_set():
            try:
                with self._lock:
                    if self.enabled:
                        self._tick()
            except Exception as error:  # noqa: BLE001 - HA must not die of one bad tick
                self.fw.counters.event("ha_error", error=repr(error))
            interval = self._seconds("heartbeat-interval") / 4 if self.config else 0.1
            time.sleep(max(0.02, min(interval, 0.25)))

    def _tick(self) -> None:
        assert self.config is not None
        self._send({"type": "hello", "group_id": self.config.group_id, "state": self.local_state,
                    "priority": self.config.priority, "preemptive": self.config.preemptive,
                    "mgmt_ip": self.fw.mgmt_private_ip, "instance_id": self.fw.instance_id,
                    "digest": self.digest, "ha2_ip": self.config.ha2_ip})
        connected = self.peer_connected()
        peer_state = self.peer.get("state") if connected else None
        now = time.monotonic()
        state = self.local_state
        if state == "initial":
            if peer_state == "active":
                self._transition("passive", "peer is active")
            elif peer_state in ("passive", "suspended"):
                self._promote(f"peer is {peer_state}")
            elif peer_state == "initial":
                if self._wins():
                    self._promote("won the election (device priority)")
            elif now - self._initial_since >= INITIAL_HELLOS * self._seconds("hello-interval"):
                self._promote(f"no peer within {INITIAL_HELLOS} hello intervals")
        elif state == "passive":
            # Two passive peers (a preemption hand-over): only the better priority steps up.
            if peer_state in (None, "suspended") or (peer_state == "passive" and self._wins()):
                reason = "peer lost" if peer_state is None else f"peer is {peer_state}"
                self._promote_since = self._promote_since or now
                if now - self._promote_since >= self._seconds("promotion-hold-time"):
                    self._promote(reason)
            else:
                self._promote_since = None
                if self._may_preempt():
                    self._preempt_since = self._preempt_since or now
                    if now - self._preempt_since >= self._seconds("preemption-hold-time"):
                        self._send({"type": "preempt", "group_id": self.config.group_id})
                else:
                    self._preempt_since = None
        elif state == "active":
            if peer_state == "active" and not self._wins():
                self._transition("passive", "both active: the peer has the better priority")
            elif peer_state == "passive" and self.config.config_sync and self.peer.get("digest") != self.digest:
                # A passive that joins (or rejoins) with another configuration gets the active's, once.
                if self._last_sync_sent != (self.digest, self.peer.get("digest")):
                    if self._send_sync():
                        self._last_sync_sent = (self.digest, self.peer.get("digest"))
        if self._push_sync and connected and peer_state in ("active", "passive") and self.config.config_sync:
            if self.peer.get("digest") == self.digest or self._send_sync():
                self._push_sync = False

    def _send_sync(self) -> bool:
        assert self.config is not None
        config = ET.tostring(self.fw.running_config(), encoding="unicode")
        return self._send({"type": "sync", "group_id": self.config.group_id, "digest": self.digest, "config": config})

    def _wins(self) -> bool:
        """Lower device priority wins; equal priorities fall back to the lower management IP."""
        assert self.config is not None
        mine = (self.config.priority, tuple(int(p) for p in (self.fw.mgmt_private_ip or "0.0.0.0").split(".")))
        peer_ip = self.peer.get("mgmt_ip") or "255.255.255.255"
        theirs = (int(self.peer.get("priority", 255)), tuple(int(p) for p in peer_ip.split(".")))
        return mine < theirs

    def _may_preempt(self) -> bool:
        assert self.config is not None
        return (self.config.preemptive and bool(self.peer.get("preemptive")) and self.peer.get("state") == "active"
                and self._wins())

    def _promote(self, reason: str) -> None:
        self._transition("active", reason)
        peer_instance = self.peer.get("instance_id")
        if peer_instance and not self._moving:
            self._moving = True
            threading.Thread(target=self._move_enis, args=(peer_instance,), daemon=True,
                             name=f"eni-move-{self.fw.instance_id}").start()

    # ---- the ENI move ----------------------------------------------------------------------
    def _move_enis(self, peer_instance: str) -> None:
        lab, me = self.fw.lab, self.fw.instance_id
        self.move = {"status": "in-progress", "error": "", "time": time.strftime("%Y/%m/%d %H:%M:%S")}
        try:
            ec2, iam, inspect = lab.ec2_client(me), lab.iam_client(), lab.inspection_client()
            described = self._retry(lambda: ec2.describe_network_interfaces(
                Filters=[{"Name": "attachment.instance-id", "Values": [peer_instance]}]))["NetworkInterfaces"]
            dataplane = sorted((e for e in described if e["Attachment"]["DeviceIndex"] >= 2),
                               key=lambda e: e["Attachment"]["DeviceIndex"])
            for eni in dataplane:
                tags = {t["Key"]: t["Value"] for t in eni.get("TagSet", [])}
                targets = {
                    "ec2:DescribeInstances": ("*", {}),
                    "ec2:DescribeNetworkInterfaces": ("*", {}),
                    "ec2:DetachNetworkInterface": (iam_policy.arn(lab.region, "network-interface", eni["NetworkInterfaceId"]), tags),
                    "ec2:AttachNetworkInterface": (iam_policy.arn(lab.region, "network-interface", eni["NetworkInterfaceId"]), tags),
                }
                for action in MOVE_ACTIONS:
                    resource, resource_tags = targets[action]
                    decision = iam_policy.check(inspect, iam, lab.region, me, action, resource, resource_tags)
                    if decision.allowed and action in ("ec2:DetachNetworkInterface", "ec2:AttachNetworkInterface"):
                        instance = peer_instance if action == "ec2:DetachNetworkInterface" else me
                        instance_tags = self._instance_tags(instance)
                        decision = iam_policy.check(inspect, iam, lab.region, me, action,
                                                    iam_policy.arn(lab.region, "instance", instance), instance_tags)
                    if not decision.allowed:
                        raise PermissionError(decision.reason)
                index = eni["Attachment"]["DeviceIndex"]
                self._retry(lambda: ec2.detach_network_interface(AttachmentId=eni["Attachment"]["AttachmentId"], Force=True))
                self.fw.counters.event("eni_move", eni_id=eni["NetworkInterfaceId"], device_index=index, phase="detached",
                                       from_instance=peer_instance, to_instance=me)
                self._retry(lambda: ec2.attach_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"],
                                                                 InstanceId=me, DeviceIndex=index))
                self.fw.counters.event("eni_move", eni_id=eni["NetworkInterfaceId"], device_index=index, phase="attached",
                                       from_instance=peer_instance, to_instance=me)
            self.move = {"status": "ok", "error": "", "time": time.strftime("%Y/%m/%d %H:%M:%S"),
                         "moved": [e["NetworkInterfaceId"] for e in dataplane]}
        except Exception as error:  # noqa: BLE001 - reported in show high-availability
            self.move = {"status": "failed", "error": str(error), "time": time.strftime("%Y/%m/%d %H:%M:%S")}
            self.fw.counters.event("eni_move_failed", error=str(error))
        finally:
            self._moving = False
            self.fw.on_change()

    def _instance_tags(self, instance_id: str) -> Dict[str, str]:
        backend = self.fw.lab.ec2_backend()
        return {t["key"]: t["value"] for t in backend.describe_tags(filters={"resource-id": [instance_id]})}

    @staticmethod
    def _retry(call: Any, attempts: int = 8) -> Any:
        delay = 0.05
        for attempt in range(attempts):
            try:
                return call()
            except Exception as error:  # noqa: BLE001 - only throttling is retried
                code = getattr(error, "response", {}).get("Error", {}).get("Code") if hasattr(error, "response") else None
                if code not in ("RequestLimitExceeded", "Throttling") or attempt == attempts - 1:
                    raise
                time.sleep(delay)
                delay *= 2
        return None

    # ---- op command output -----------------------------------------------------------------
    def state_xml(self, kind: str) -> ET.Element:
        with self._lock:
            result = ET.Element("result")
            ET.SubElement(result, "enabled").text = "yes" if self.enabled else "no"
            if not self.enabled:
                return result
            assert self.config is not None
            group = ET.SubElement(result, "group")
            ET.SubElement(group, "mode").text = "Active-Passive"
            local = ET.SubElement(group, "local-info")
            interfaces = {i.name: i for i in self.fw.interfaces()}
            mgmt = interfaces.get("management")
            values: List[tuple] = [
                ("version", "1"), ("state", self.local_state),
                ("state-duration", str(int(time.monotonic() - self.state_since))),
                ("state-reason", self.state_reason),
                ("mgmt-ip", f"{self.fw.mgmt_private_ip}/{mgmt.prefix_length if mgmt else 24}"),
                ("preemptive", "yes" if self.config.preemptive else "no"),
                ("priority", str(self.config.priority)), ("group-id", str(self.config.group_id)),
                ("ha1-ipaddr", f"{self.fw.mgmt_private_ip}/{mgmt.prefix_length if mgmt else 24}"),
                ("ha1-port", self.config.ha1_port), ("ha2-ipaddr", f"{self.config.ha2_ip}/{self.config.ha2_netmask}"),
                ("ha2-port", self.config.ha2_port), ("state-sync", "Complete" if self.peer_connected() else "Incomplete"),
                ("state-sync-type", self.config.transport), ("build-rel", "11.1.4-h7"),
                ("promotion-hold", str(self.config.timers["promotion-hold-time"])),
                ("hello-interval", str(self.config.timers["hello-interval"])),
                ("heartbeat-interval", str(self.config.timers["heartbeat-interval"])),
                ("preempt-hold", str(self.config.timers["preemption-hold-time"] // 60000)),
            ]
            for tag, value in values:
                ET.SubElement(local, tag).text = value
            peer = ET.SubElement(group, "peer-info")
            connected = self.peer_connected()
            peer_values = [
                ("conn-status", "up" if connected else "down"),
                ("state", (self.peer.get("state") if connected else "unknown") or "unknown"),
                ("priority", str(self.peer.get("priority", ""))),
                ("mgmt-ip", self.peer.get("mgmt_ip", self.config.peer_ip)),
                ("preemptive", "yes" if self.peer.get("preemptive") else "no"),
                ("ha2-ipaddr", self.peer.get("ha2_ip", "")),
            ]
            if self.peer.get("mismatch"):
                peer_values.append(("group-id-mismatch", "yes"))
            for tag, value in peer_values:
                ET.SubElement(peer, tag).text = value
            synchronized = connected and self.peer.get("digest") == self.digest
            ET.SubElement(group, "running-sync").text = "synchronized" if synchronized else "not synchronized"
            ET.SubElement(group, "running-sync-enabled").text = "yes" if self.config.config_sync else "no"
            move = ET.SubElement(group, "dataplane-interface-move")
            for tag in ("status", "error", "time"):
                ET.SubElement(move, tag).text = str(self.move.get(tag, ""))
            return result
