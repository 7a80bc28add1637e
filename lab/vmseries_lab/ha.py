"""Active/passive HA of a firewall twin: the committed HA configuration drives a state machine
that talks to its peer over loopback TCP (the HA1 link), elects an active firewall, syncs the
configuration when PAN-OS would, and on peer failure promotes itself and moves the dataplane ENIs
through EC2 with its own instance role, as a VM-Series on AWS does.

Timers are PAN-OS's for the VM-Series on AWS (recommended: promotion hold 2000 ms, hello 8000 ms,
heartbeat 2000 ms, preemption hold 1 min; aggressive: promotion hold 500 ms, hello 8000 ms,
heartbeat 1000 ms), multiplied by the profile's HA timer factor. The peer counts as lost after
three missed heartbeats; a firewall that hears no peer for three hello intervals after boot goes
active alone.

Config sync happens only when PAN-OS promises it: a commit on a member of a formed pair is pushed
to the peer, and `request high-availability sync-to-remote running-config` pushes the running
configuration. A pair that forms with two different configurations stays `not synchronized`
(what a real VM-50 pair shows for hours) until one of those happens. The receiving peer installs
the configuration in an HA-Sync job.

Lab extension, documented in the lab's README: ``show high-availability all`` carries
``group/dataplane-interface-move`` with the outcome of the last ENI move (status, error, time),
which is where a missing IAM permission shows up.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import socket
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from . import config as cfg
from . import iam_policy
from .firewall import ApiError
from .opcmds import RELEASE, disabled_ha
from .ports import service_port

SYNC_QUEUED = "HA synchronization job has been queued on peer. Please check job status on peer."
LICENCE_MISMATCH = "VM License mismatches with peer"
SYNC_BUSY = "HA synchronization is already in progress. running configuration will not be synchronized with HA peer"

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
# Dataplane ENIs start at this device index (0 is management, 1 is HA2).
DATAPLANE_INDEX = 2
# How long the plugin waits for one ENI to reach `detached` / `attached`, in AWS seconds (the
# profile's time scale applies). AWS documents no bound; amazon.aws waits up to 400 s for a detach.
ATTACHMENT_WAIT = 400.0
COMPAT_FIELDS = (("build-compat", "build-rel"), ("app-compat", "app-version"), ("threat-compat", "threat-version"),
                 ("av-compat", "av-version"), ("url-compat", "url-version"), ("gpclient-compat", "gpclient-version"),
                 ("vpnclient-compat", "vpnclient-version"), ("iot-compat", "iot-version"),
                 ("vm-license-compat", "vm-license"), ("VMS", "VMS"), ("DLP", "DLP"))


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
        self.last_error: Optional[tuple] = None  # (state, reason) of the last suspended/non-functional spell
        self._lock = threading.RLock()
        self._running = threading.Event()
        self._listener: Optional[socket.socket] = None
        self.ha1_port: Optional[int] = None
        self._out: Optional[socket.socket] = None
        self.peer: Dict[str, Any] = {}
        self.peer_heard: Optional[float] = None
        self.ever_connected = False
        self._initial_since = time.monotonic()
        self._preempt_since: Optional[float] = None
        self._promote_since: Optional[float] = None
        self.digest = ""
        self._push_sync = False
        self.receiving_sync = False
        self.move: Dict[str, Any] = {"status": "none", "error": "", "time": ""}
        self._moving = False

    # ---- timers ----------------------------------------------------------------------------
    def _seconds(self, name: str) -> float:
        assert self.config is not None
        return self.config.timers[name] / 1000.0 * self.fw.profile.ha_timer_factor

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
        # formed; the commit that enables HA on a firewall syncs nothing (its peer is not there yet).
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
            self.peer, self.peer_heard, self.ever_connected = {}, None, False
            self.receiving_sync = False
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if self.ha1_port is None:
                self.ha1_port = service_port()
            sock.bind(("127.0.0.1", self.ha1_port))
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
            self.last_error = ("suspended", "User requested")
            self._transition("suspended", "suspended by the administrator")

    def functional(self) -> None:
        with self._lock:
            if self.local_state == "suspended":
                self._transition("initial", "made functional by the administrator")
                self._initial_since = time.monotonic()

    def sync_to_remote(self) -> str:
        """`request high-availability sync-to-remote running-config`: the answer PAN-OS gives, and
        the running configuration on its way to the peer."""
        with self._lock:
            if not self.peer_connected():
                raise ApiError(17, "HA peer is not connected. Cannot synchronize running configuration", cdata=True)
            if self.receiving_sync or self.peer.get("receiving_sync"):
                return SYNC_BUSY
            if not self._send_sync("sync-to-remote"):
                raise ApiError(17, "Failed to synchronize running configuration with HA peer", cdata=True)
            self.fw.counters.incr("ha.sync_to_remote")
            return SYNC_QUEUED

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
            # HA1 messages of another group are not our peer's: PAN-OS ignores them.
            if not self.enabled or message.get("group_id") != self.config.group_id:
                return
            if message["type"] == "hello":
                self.peer = message
                self.peer_heard = time.monotonic()
                self.ever_connected = True
            self.fw.counters.incr(f"ha.received.{message['type']}")
            if message["type"] == "sync" and self.local_state in ("active", "passive") and self.config.config_sync:
                self._receive_sync(message)
            elif message["type"] == "preempt" and self.local_state == "active":
                self._transition("passive", "preempted by the peer with the better priority")

    def _receive_sync(self, message: Dict[str, Any]) -> None:
        if self.receiving_sync:
            return
        self.receiving_sync = True

        def installed() -> None:
            with self._lock:
                self.digest = sync_digest(self.fw.running_config())
                self.receiving_sync = False
            self.fw.counters.event("ha_sync", version=message["digest"], trigger=message.get("trigger", ""))

        self.fw.run_ha_sync(ET.fromstring(message["config"]), message.get("trigger", "peer"), installed)

    # ---- the state machine -----------------------------------------------------------------
    def _transition(self, state: str, reason: str) -> None:
        if state == self.local_state:
            return
        self.fw.counters.event("ha_transition", from_state=self.local_state, to_state=state, reason=reason)
        self.local_state, self.state_since = state, time.monotonic()
        self._promote_since = self._preempt_since = None
        self.fw.on_change()

    def peer_connected(self) -> bool:
        if self.peer_heard is None or self.config is None:
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

    def _hello(self) -> Dict[str, Any]:
        assert self.config is not None
        interfaces = {i.name: i for i in self.fw.interfaces()}
        mgmt, ha2 = interfaces.get("management"), interfaces.get(self.config.ha2_port)
        return {"type": "hello", "group_id": self.config.group_id, "state": self.local_state,
                "state_since": time.time() - (time.monotonic() - self.state_since),
                "priority": self.config.priority, "preemptive": self.config.preemptive,
                "mgmt_ip": self.fw.mgmt_private_ip, "mgmt_prefix": mgmt.prefix_length if mgmt else 24,
                "ha1_mac": mgmt.mac if mgmt else "", "ha2_mac": ha2.mac if ha2 else "",
                "instance_id": self.fw.instance_id, "digest": self.digest, "ha2_ip": self.config.ha2_ip,
                "receiving_sync": self.receiving_sync, "last_error": self.last_error,
                "vm_license": self._licence()}

    def _licence(self) -> str:
        """`vm-license` as HA reports it (VM-300; `none` unlicensed, as the KVM capture shows)."""
        licence = self.fw.licence
        return licence.model if licence is not None else "none"

    def _licence_mismatch(self) -> bool:
        return self.peer_connected() and self.peer.get("vm_license", self._licence()) != self._licence()

    def _tick(self) -> None:
        assert self.config is not None
        self._send(self._hello())
        connected = self.peer_connected()
        peer_state = self.peer.get("state") if connected else None
        now = time.monotonic()
        state = self.local_state
        # HA peers must carry identical licences: the one that would be (or is) passive goes
        # non-functional, the active keeps the dataplane; licences matching again start it afresh.
        if state == "non-functional":
            if not self._licence_mismatch():
                self._transition("initial", "licences match the peer again")
                self._initial_since = now
            return
        if self._licence_mismatch() and (state == "passive" or (state == "initial" and (
                peer_state == "active" or (peer_state == "initial" and not self._wins())))):
            self.last_error = ("non-functional", LICENCE_MISMATCH)
            self._transition("non-functional", LICENCE_MISMATCH)
            return
        if state == "initial":
            if peer_state == "active":
                self._transition("passive", "peer is active")
            elif peer_state in ("passive", "suspended", "non-functional"):
                self._promote(f"peer is {peer_state}")
            elif peer_state == "initial":
                if self._wins():
                    self._promote("won the election (device priority)")
            elif now - self._initial_since >= INITIAL_HELLOS * self._seconds("hello-interval"):
                self._promote(f"no peer within {INITIAL_HELLOS} hello intervals")
        elif state == "passive":
            # Two passive peers (a preemption hand-over): only the better priority steps up.
            if peer_state in (None, "suspended", "non-functional") or (peer_state == "passive" and self._wins()):
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
        if self._push_sync and connected and peer_state in ("active", "passive") and self.config.config_sync:
            if self.peer.get("digest") == self.digest or self._send_sync("commit"):
                self._push_sync = False

    def _send_sync(self, trigger: str) -> bool:
        assert self.config is not None
        config = ET.tostring(self.fw.running_config(), encoding="unicode")
        return self._send({"type": "sync", "group_id": self.config.group_id, "digest": self.digest, "config": config,
                           "trigger": trigger})

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
            threading.Thread(target=self._take_over_dataplane, args=(peer_instance,), daemon=True,
                             name=f"dataplane-move-{self.fw.instance_id}").start()

    def method(self) -> str:
        """Which of Palo Alto's two AWS HA methods this firewall runs. Palo Alto documents no
        setting that selects it (lab/README.md): the lab reads it from the deployment, as the two
        methods' topologies differ. A firewall with dataplane ENIs of its own is a secondary-IP
        pair member; one without waits for the peer's ENIs (interface move)."""
        backend = self.fw.lab.ec2_backend()
        mine = [eni for eni in list(backend.enis.values())
                if eni.instance is not None and eni.instance.id == self.fw.instance_id
                and (eni.device_index or 0) >= DATAPLANE_INDEX]
        return "secondary_ip" if mine else "interface_move"

    def _take_over_dataplane(self, peer_instance: str) -> None:
        self.move = {"status": "in-progress", "error": "", "time": time.strftime("%Y/%m/%d %H:%M:%S"),
                     "method": self.method()}
        try:
            if self.move["method"] == "secondary_ip":
                moved = self._move_secondary_ips(peer_instance)
            else:
                moved = self._move_enis(peer_instance)
            self.move = {**self.move, "status": "ok", "time": time.strftime("%Y/%m/%d %H:%M:%S"), "moved": moved}
        except Exception as error:  # noqa: BLE001 - reported in show high-availability
            self.move = {**self.move, "status": "failed", "error": str(error), "time": time.strftime("%Y/%m/%d %H:%M:%S")}
            self.fw.counters.event("dataplane_move_failed", method=self.move["method"], error=str(error))
        finally:
            self._moving = False
            self.fw.on_change()

    # ---- the ENI move ----------------------------------------------------------------------
    def _move_enis(self, peer_instance: str) -> List[str]:
        """Interface move, what the VM-Series plugin does on promotion: for each dataplane ENI of
        the peer (device index >= 2), check the instance role may move it, detach it, wait until EC2
        says it is detached, attach it here at the same index, and wait until it is attached."""
        lab, me = self.fw.lab, self.fw.instance_id
        ec2, iam, inspect = lab.ec2_client(me), lab.iam_client(), lab.inspection_client()
        described = self._retry(lambda: ec2.describe_network_interfaces(
            Filters=[{"Name": "attachment.instance-id", "Values": [peer_instance]}]))["NetworkInterfaces"]
        dataplane = sorted((e for e in described if e["Attachment"]["DeviceIndex"] >= DATAPLANE_INDEX),
                           key=lambda e: e["Attachment"]["DeviceIndex"])
        for eni in dataplane:
            self._check_permissions(iam, inspect, eni, peer_instance)
            index = eni["Attachment"]["DeviceIndex"]
            eni_id = eni["NetworkInterfaceId"]
            self._retry(lambda: ec2.detach_network_interface(AttachmentId=eni["Attachment"]["AttachmentId"], Force=True))
            self._event(eni_id, index, "detaching", peer_instance)
            self._wait_attachment(ec2, eni_id, lambda a: not a, "detached")
            self._event(eni_id, index, "detached", peer_instance)
            self._retry(lambda: ec2.attach_network_interface(NetworkInterfaceId=eni_id, InstanceId=me, DeviceIndex=index),
                        also=("InvalidNetworkInterface.InUse",))
            self._event(eni_id, index, "attaching", peer_instance)
            self._wait_attachment(ec2, eni_id, lambda a: bool(a) and a.get("Status") == "attached"
                                  and a.get("InstanceId") == me, "attached")
            self._event(eni_id, index, "attached", peer_instance)
        return [e["NetworkInterfaceId"] for e in dataplane]

    def _move_secondary_ips(self, peer_instance: str) -> List[str]:
        """Secondary-IP move, as Palo Alto describes it: the new active "triggers API calls to the
        AWS infrastructure to move the configured secondary IP addresses from the dataplane
        interfaces of the failed peer to itself" (an Elastic IP on such an address moves with it,
        AWS), re-associates Elastic IPs on the peer's primary dataplane addresses, and points the
        VPC routes that targeted the peer's dataplane ENIs at its own ENI of the same device index.
        Every call under this instance's IAM role; the first one it may not make stops the move."""
        lab, me = self.fw.lab, self.fw.instance_id
        ec2, iam, inspect = lab.ec2_client(me), lab.iam_client(), lab.inspection_client()
        self._allowed(iam, inspect, "ec2:DescribeInstances", "*", {})
        self._allowed(iam, inspect, "ec2:DescribeNetworkInterfaces", "*", {})

        def dataplane(instance: str) -> Dict[int, Dict[str, Any]]:
            described = self._retry(lambda: ec2.describe_network_interfaces(
                Filters=[{"Name": "attachment.instance-id", "Values": [instance]}]))["NetworkInterfaces"]
            return {e["Attachment"]["DeviceIndex"]: e for e in described if e["Attachment"]["DeviceIndex"] >= DATAPLANE_INDEX}

        mine, theirs = dataplane(me), dataplane(peer_instance)
        moved: List[str] = []
        for index, eni in sorted(mine.items()):
            peer_eni = theirs.get(index)
            if peer_eni is None:
                continue
            eni_id = eni["NetworkInterfaceId"]
            addresses = [a["PrivateIpAddress"] for a in peer_eni.get("PrivateIpAddresses", []) if not a.get("Primary")]
            if addresses:
                self._allowed(iam, inspect, "ec2:AssignPrivateIpAddresses",
                              iam_policy.arn(lab.region, "network-interface", eni_id), _tags(eni))
                self._retry(lambda: ec2.assign_private_ip_addresses(
                    NetworkInterfaceId=eni_id, PrivateIpAddresses=addresses, AllowReassignment=True))
                # AWS remaps an address asynchronously; the plugin goes on once it answers here.
                time.sleep(self.fw.profile.seconds("ip_remap"))
                for address in addresses:
                    self.fw.counters.event("ip_move", address=address, from_eni=peer_eni["NetworkInterfaceId"],
                                           to_eni=eni_id, device_index=index, from_instance=peer_instance, to_instance=me)
                    moved.append(address)
            public = (peer_eni.get("Association") or {})
            if public.get("AllocationId"):
                self._allowed(iam, inspect, "ec2:AssociateAddress",
                              iam_policy.arn(lab.region, "elastic-ip", public["AllocationId"]), {})
                self._retry(lambda: ec2.associate_address(AllocationId=public["AllocationId"], NetworkInterfaceId=eni_id,
                                                          AllowReassociation=True))
                self.fw.counters.event("eip_move", public_ip=public.get("PublicIp", ""), to_eni=eni_id)
        self._allowed(iam, inspect, "ec2:DescribeRouteTables", "*", {})
        vpc_id = next(iter(mine.values()))["VpcId"] if mine else None
        tables = self._retry(lambda: ec2.describe_route_tables(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]))["RouteTables"] if vpc_id else []
        by_peer_eni = {e["NetworkInterfaceId"]: index for index, e in theirs.items()}
        for table in tables:
            for route in table.get("Routes", []):
                index = by_peer_eni.get(route.get("NetworkInterfaceId", ""))
                if index is None or index not in mine or not route.get("DestinationCidrBlock"):
                    continue
                table_tags = {t["Key"]: t["Value"] for t in table.get("Tags", [])}
                self._allowed(iam, inspect, "ec2:ReplaceRoute",
                              iam_policy.arn(lab.region, "route-table", table["RouteTableId"]), table_tags)
                target = mine[index]["NetworkInterfaceId"]
                self._retry(lambda: ec2.replace_route(RouteTableId=table["RouteTableId"],
                                                      DestinationCidrBlock=route["DestinationCidrBlock"],
                                                      NetworkInterfaceId=target))
                self.fw.counters.event("route_replace", route_table=table["RouteTableId"],
                                       destination=route["DestinationCidrBlock"], to_eni=target)
                moved.append(f"{table['RouteTableId']}:{route['DestinationCidrBlock']}")
        return moved

    def _allowed(self, iam: Any, inspect: Any, action: str, resource: str, tags: Dict[str, str]) -> None:
        decision = iam_policy.check(inspect, iam, self.fw.lab.region, self.fw.instance_id, action, resource, tags)
        if not decision.allowed:
            raise PermissionError(decision.reason)

    def _event(self, eni_id: str, index: int, phase: str, peer_instance: str) -> None:
        self.fw.counters.event("eni_move", eni_id=eni_id, device_index=index, phase=phase,
                               from_instance=peer_instance, to_instance=self.fw.instance_id)

    def _check_permissions(self, iam: Any, inspect: Any, eni: Dict[str, Any], peer_instance: str) -> None:
        lab, me = self.fw.lab, self.fw.instance_id
        tags = {t["Key"]: t["Value"] for t in eni.get("TagSet", [])}
        eni_arn = iam_policy.arn(lab.region, "network-interface", eni["NetworkInterfaceId"])
        targets = {
            "ec2:DescribeInstances": ("*", {}),
            "ec2:DescribeNetworkInterfaces": ("*", {}),
            "ec2:DetachNetworkInterface": (eni_arn, tags),
            "ec2:AttachNetworkInterface": (eni_arn, tags),
        }
        for action in MOVE_ACTIONS:
            resource, resource_tags = targets[action]
            decision = iam_policy.check(inspect, iam, lab.region, me, action, resource, resource_tags)
            if decision.allowed and action in ("ec2:DetachNetworkInterface", "ec2:AttachNetworkInterface"):
                instance = peer_instance if action == "ec2:DetachNetworkInterface" else me
                decision = iam_policy.check(inspect, iam, lab.region, me, action,
                                            iam_policy.arn(lab.region, "instance", instance), self._instance_tags(instance))
            if not decision.allowed:
                raise PermissionError(decision.reason)

    def _wait_attachment(self, ec2: Any, eni_id: str, done: Any, what: str) -> None:
        """Poll DescribeNetworkInterfaces until the ENI's attachment satisfies done()."""
        profile = self.fw.profile
        deadline = time.monotonic() + ATTACHMENT_WAIT * profile.time_scale
        interval = max(0.05, min(profile.seconds("eni_detach"), profile.seconds("eni_attach")) / 5)
        while True:
            described = self._retry(lambda: ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id]))
            if done(described["NetworkInterfaces"][0].get("Attachment")):
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{eni_id} was not {what} within {ATTACHMENT_WAIT:.0f} s")
            time.sleep(interval)

    def _instance_tags(self, instance_id: str) -> Dict[str, str]:
        backend = self.fw.lab.ec2_backend()
        return {t["key"]: t["value"] for t in backend.describe_tags(filters={"resource-id": [instance_id]})}

    @staticmethod
    def _retry(call: Any, attempts: int = 8, also: tuple = ()) -> Any:
        """Throttling is retried with backoff, as the AWS SDKs do; `also` names other error codes
        worth another try (an ENI still held by its old attachment)."""
        delay = 0.05
        for attempt in range(attempts):
            try:
                return call()
            except Exception as error:  # noqa: BLE001 - only the codes named are retried
                code = getattr(error, "response", {}).get("Error", {}).get("Code") if hasattr(error, "response") else None
                if code not in ("RequestLimitExceeded", "Throttling", *also) or attempt == attempts - 1:
                    raise
                time.sleep(delay)
                delay *= 2
        return None

    # ---- op command output -----------------------------------------------------------------
    @staticmethod
    def _licence_type(licence: str) -> str:
        # vm300 beside VM-300 (pan-os-upgrade-assurance's sample); `Not Installed` without a licence.
        return licence.replace("-", "").lower() if licence and licence != "none" else "Not Installed"

    def running_sync(self) -> str:
        if not self.peer_connected():
            return "unknown"
        if self.receiving_sync or self.peer.get("receiving_sync"):
            return "synchronization in progress"
        return "synchronized" if self.peer.get("digest") == self.digest else "not synchronized"

    def state_xml(self) -> ET.Element:
        """`show high-availability all` (and `state`, which PAN-OS answers with the same tree)."""
        with self._lock:
            if not self.enabled:
                return disabled_ha()
            assert self.config is not None
            result = ET.Element("result")
            ET.SubElement(result, "enabled").text = "yes"
            group = ET.SubElement(result, "group")
            ET.SubElement(group, "mode").text = "Active-Passive"
            connected = self.peer_connected()
            self._local_info(ET.SubElement(group, "local-info"), connected)
            self._peer_info(ET.SubElement(group, "peer-info"), connected)
            link = ET.SubElement(group, "link-monitoring")
            _fields(link, [("failure-condition", "any"), ("enabled", "yes"), ("groups", "")])
            path = ET.SubElement(group, "path-monitoring")
            _fields(path, [("virtual-wire", ""), ("failure-condition", "any"), ("enabled", "yes"), ("vlan", ""),
                           ("virtual-router", "")])
            ET.SubElement(group, "running-sync").text = self.running_sync()
            ET.SubElement(group, "running-sync-enabled").text = "yes" if self.config.config_sync else "no"
            move = ET.SubElement(group, "dataplane-interface-move")
            _fields(move, [(tag, str(self.move.get(tag, ""))) for tag in ("status", "error", "time", "method")])
            return result

    def _local_info(self, local: ET.Element, connected: bool) -> None:
        assert self.config is not None
        interfaces = {i.name: i for i in self.fw.interfaces()}
        mgmt, ha2 = interfaces.get("management"), interfaces.get(self.config.ha2_port)
        prefix = mgmt.prefix_length if mgmt else 24
        mgmt_ip = f"{self.fw.mgmt_private_ip}/{prefix}"
        gateway = _gateway(self.fw.mgmt_private_ip, prefix)
        timers = self.config.timers
        values: List[tuple] = [
            ("url-compat", "Match" if connected else "Unknown"), ("app-version", RELEASE["app-version"]),
            ("gpclient-version", RELEASE["gpclient-version"]), ("build-rel", RELEASE["build-rel"]),
            ("ha2-port", self.config.ha2_port), ("av-version", RELEASE["av-version"]), ("ha1-gateway", gateway),
            ("url-version", RELEASE["url-version"]), ("ha2-gateway", _gateway(self.config.ha2_ip, _prefix(self.config.ha2_netmask))),
            ("platform-model", RELEASE["platform-model"]),
            ("ha2-ipaddr", f"{self.config.ha2_ip}/{_prefix(self.config.ha2_netmask)}"),
            ("ha1-ipaddr", mgmt_ip), ("vm-license", self._licence()),
            ("ha2-macaddr", ha2.mac if ha2 else "00:00:00:00:00:00"), ("monitor-fail-holdup", "0"),
            ("priority", str(self.config.priority)), ("preempt-hold", str(timers["preemption-hold-time"] // 60000)),
            ("state", self.local_state), ("version", "1"), ("promotion-hold", str(timers["promotion-hold-time"])),
            ("state-sync", "Complete" if connected else "HA1-peer-disconnected"),
            ("addon-master-holdup", "500"), ("heartbeat-interval", str(timers["heartbeat-interval"])),
            ("ha1-link-mon-intv", "3000"), ("hello-interval", str(timers["hello-interval"])),
            ("ha1-port", self.config.ha1_port), ("ha1-encrypt-imported", "no"), ("mgmt-ip", mgmt_ip),
            ("vpnclient-version", RELEASE["vpnclient-version"]), ("preempt-flap-cnt", "0"),
            ("nonfunc-flap-cnt", "0"), ("threat-version", RELEASE["threat-version"]),
            ("ha1-macaddr", mgmt.mac if mgmt else "00:00:00:00:00:00"), ("vm-license-type", self._licence_type(self._licence())),
            ("state-duration", str(int(time.monotonic() - self.state_since))), ("max-flaps", "3"),
            ("ha1-encrypt-enable", "no"), ("mgmt-ipv6", ""), ("state-sync-type", self.config.transport),
            ("preemptive", "yes" if self.config.preemptive else "no"), ("iot-version", RELEASE["iot-version"]),
            ("mode", "Active-Passive"),
        ]
        values += [(field, ("Unknown" if not connected else "Mismatch" if field == "vm-license-compat"
                            and self._licence_mismatch() else "Match")) for field, _ in COMPAT_FIELDS]
        if self.last_error:
            values += [("last-error-state", self.last_error[0]), ("last-error-reason", self.last_error[1])]
        _fields(local, values[:13])
        active_passive = ET.SubElement(local, "active-passive")
        _fields(active_passive, [("passive-link-state", "shutdown"), ("monitor-fail-holddown", "1")])
        _fields(local, values[13:])

    def _peer_info(self, peer: ET.Element, connected: bool) -> None:
        assert self.config is not None
        if not self.ever_connected:
            # As a PA-VM reports a peer it has never reached.
            _fields(peer, [("app-version", "Unknown"), ("gpclient-version", "Unknown"),
                           ("conn-down-reason", "Never able to connect to peer"), ("url-version", "Unknown"),
                           ("build-rel", "Unknown"), ("platform-model", ""), ("vm-license", ""),
                           ("ha2-macaddr", "00:00:00:00:00:00"), ("priority", "0"), ("state", "unknown"),
                           ("version", "0"), ("conn-status", "down"), ("av-version", "Unknown"),
                           ("vpnclient-version", "Unknown"), ("mgmt-ip", "")])
            ha2 = ET.SubElement(peer, "conn-ha2")
            _fields(ha2, [("conn-status", "down"), ("conn-ka-enbled", "no"), ("conn-primary", "yes"),
                          ("conn-desc", "link status")])
            _fields(peer, [("threat-version", "Unknown"), ("ha1-macaddr", "00:00:00:00:00:00")])
            ha1 = ET.SubElement(peer, "conn-ha1")
            _fields(ha1, [("conn-down-reason", "Never able to connect to peer"), ("conn-status", "down"),
                          ("conn-desc", "heartbeat status")])
            _fields(peer, [("state-duration", "0"), ("ha1-ipaddr", self.config.peer_ip), ("mgmt-ipv6", ""),
                           ("preemptive", "no"), ("mode", "Unknown")])
            return
        info = self.peer
        status = "up" if connected else "down"
        since = info.get("state_since")
        values: List[tuple] = [
            ("app-version", RELEASE["app-version"]), ("gpclient-version", RELEASE["gpclient-version"]),
            ("url-version", RELEASE["url-version"]), ("build-rel", RELEASE["build-rel"]),
            ("platform-model", RELEASE["platform-model"]), ("ha2-ipaddr", info.get("ha2_ip", "")),
            ("vm-license", info.get("vm_license", "")), ("ha2-macaddr", info.get("ha2_mac", "")),
            ("priority", str(info.get("priority", ""))), ("state", (info.get("state") if connected else "unknown") or "unknown"),
            ("version", "1"), ("conn-status", status), ("av-version", RELEASE["av-version"]),
            ("vpnclient-version", RELEASE["vpnclient-version"]),
            ("mgmt-ip", f"{info.get('mgmt_ip', self.config.peer_ip)}/{info.get('mgmt_prefix', 24)}"),
        ]
        _fields(peer, values)
        ha2 = ET.SubElement(peer, "conn-ha2")
        _fields(ha2, [("conn-status", status), ("conn-ka-enbled", "no"), ("conn-primary", "yes"),
                      ("conn-desc", "link status")])
        _fields(peer, [("threat-version", RELEASE["threat-version"]), ("ha1-macaddr", info.get("ha1_mac", ""))])
        ha1 = ET.SubElement(peer, "conn-ha1")
        _fields(ha1, [("conn-status", status), ("conn-primary", "yes"), ("conn-desc", "heartbeat status")])
        values = [("vm-license-type", self._licence_type(info.get("vm_license", ""))),
                  ("state-duration", str(int(time.time() - since)) if since else "0"),
                  ("ha1-ipaddr", info.get("mgmt_ip", self.config.peer_ip)), ("mgmt-ipv6", ""),
                  ("preemptive", "yes" if info.get("preemptive") else "no"), ("mode", "Active-Passive"),
                  ("iot-version", RELEASE["iot-version"]), ("VMS", RELEASE["VMS"]), ("DLP", RELEASE["DLP"])]
        if info.get("last_error"):
            values += [("last-error-state", info["last_error"][0]), ("last-error-reason", info["last_error"][1])]
        _fields(peer, values)


def _tags(resource: Dict[str, Any]) -> Dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("TagSet", resource.get("Tags", []))}


def _fields(parent: ET.Element, values: List[tuple]) -> None:
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
