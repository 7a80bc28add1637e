"""The HA state machine of a firewall twin: election, heartbeats, preemption, licence checks and
config sync, over the HA1 link (link.py); the cloud side of a promotion is cloud.py's, the
`show high-availability` output report.py's."""

from __future__ import annotations

import threading
import time
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any, Dict, Optional

from ..errors import ApiError
from ..software import feature_release_key, feature_releases_apart
from . import report
from .cloud import DataplaneMove
from .config import HAConfig, parse_config, sync_digest
from .link import HaLink

if TYPE_CHECKING:  # pragma: no cover - types only
    from ..parts import Cloud, FirewallHost

SYNC_QUEUED = "HA synchronization job has been queued on peer. Please check job status on peer."
LICENCE_MISMATCH = "VM License mismatches with peer"
SYNC_BUSY = "HA synchronization is already in progress. running configuration will not be synchronized with HA peer"
# "When HA peers are two or more feature releases apart, the firewall with the older release
# installed enters a suspended state with the message Peer version too old" (Palo Alto, Upgrade an
# HA firewall pair, PAN-OS 11.1).
PEER_VERSION_TOO_OLD = "Peer version too old"
MISSED_HEARTBEATS = 3
# A booting firewall listens this many hello intervals for its peer before going active alone, so
# a slow first hello never makes two actives.
INITIAL_HELLOS = 3


class HAEngine:
    def __init__(self, host: "FirewallHost", cloud: "Cloud") -> None:
        self.host = host
        self.cloud = cloud
        self.config: Optional[HAConfig] = None
        self.local_state = "disabled"
        self.state_since = time.monotonic()
        self.last_error: Optional[tuple] = None  # (state, reason) of the last suspended/non-functional spell
        self._lock = threading.RLock()
        self.link = HaLink(host.instance_id, self._on_message, cloud.ha1_port,
                           lambda kind: host.counters.incr(f"ha.sent.{kind}"))
        self.peer: Dict[str, Any] = {}
        self.peer_heard: Optional[float] = None
        self.ever_connected = False
        self._initial_since = time.monotonic()
        self._preempt_since: Optional[float] = None
        self._promote_since: Optional[float] = None
        self.digest = ""
        self._push_sync = False
        self.receiving_sync = False
        self.dataplane = DataplaneMove(host, cloud)
        self.move: Dict[str, Any] = {"status": "none", "error": "", "time": ""}
        self._moving = False
        # An administrator's suspension outlasts a restart, until `request high-availability state
        # functional` (lab/README.md: Palo Alto's HA upgrade sequence restarts the suspended peer,
        # then makes it functional).
        self.user_suspended = False

    def _seconds(self, name: str) -> float:
        assert self.config is not None
        return self.config.timers[name] / 1000.0 * self.host.profile.ha_timer_factor

    @property
    def enabled(self) -> bool:
        return self.config is not None and self.config.enabled

    # ---- lifecycle (called by the firewall) ------------------------------------------------
    def apply(self, running: ET.Element) -> None:
        with self._lock:
            was_enabled = self.enabled
            self.config = parse_config(running)
            self.digest = sync_digest(running)
            if self.enabled and not was_enabled:
                self._transition("initial", "HA enabled")
                self._initial_since = time.monotonic()
            elif not self.enabled and was_enabled:
                self._transition("disabled", "HA disabled")

    def booted(self, running: ET.Element) -> None:
        """The firewall powered on: whatever it was before the stop, it comes back in `initial`
        with no peer heard of yet, as a VM-Series does, until the election decides."""
        with self._lock:
            self.apply(running)
            self.peer, self.peer_heard, self.ever_connected = {}, None, False
            if self.enabled:
                self._come_up("booting")

    def config_committed(self) -> None:
        # PAN-OS syncs a commit to the peer from whichever side committed it, once the pair is
        # formed; the commit that enables HA on a firewall syncs nothing (its peer is not there yet).
        with self._lock:
            self._push_sync = self.local_state in ("active", "passive") and self.peer_connected()

    def start(self) -> None:
        with self._lock:
            if self.link.listening:
                return
            if self.enabled:
                self._come_up("booted")
            self.peer, self.peer_heard, self.ever_connected = {}, None, False
            self.receiving_sync = False
            self.link.open()
        threading.Thread(target=self._loop, daemon=True, name=f"ha-{self.host.instance_id}").start()

    def stop(self) -> None:
        # Without the engine's lock: a tick may be waiting on the lab while the lab stops us.
        self.link.close()

    def _come_up(self, reason: str) -> None:
        if self.user_suspended:
            self._transition("suspended", reason + ", still suspended by the administrator")
        else:
            self._transition("initial", reason)
            self._initial_since = time.monotonic()

    def suspend(self) -> None:
        with self._lock:
            self.user_suspended = True
            self.last_error = ("suspended", "User requested")
            self._transition("suspended", "suspended by the administrator")

    def functional(self) -> None:
        with self._lock:
            self.user_suspended = False
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
            self.host.counters.incr("ha.sync_to_remote")
            return SYNC_QUEUED

    def ask_peer_to_download(self, version: str) -> None:
        """`request system software download sync-to-peer yes`: the peer downloads the image too."""
        self._send({"type": "download", "group_id": self.config.group_id if self.config else 0, "version": version})

    # ---- what the op commands report -------------------------------------------------------
    def state_xml(self) -> ET.Element:
        with self._lock:
            return report.ha_all(self)

    def method(self) -> str:
        return self.dataplane.method()

    def licence(self) -> str:
        """`vm-license` as HA reports it (VM-300; `none` unlicensed, as the KVM capture shows)."""
        return self.host.licence_model()

    def licence_mismatch(self) -> bool:
        return self.peer_connected() and self.peer.get("vm_license", self.licence()) != self.licence()

    def running_sync(self) -> str:
        if not self.peer_connected():
            return "unknown"
        if self.receiving_sync or self.peer.get("receiving_sync"):
            return "synchronization in progress"
        return "synchronized" if self.peer.get("digest") == self.digest else "not synchronized"

    def peer_connected(self) -> bool:
        if self.peer_heard is None or self.config is None:
            return False
        return time.monotonic() - self.peer_heard <= self._seconds("heartbeat-interval") * MISSED_HEARTBEATS

    # ---- messages --------------------------------------------------------------------------
    def _send(self, message: Dict[str, Any]) -> bool:
        if not self.enabled:
            return False
        assert self.config is not None
        return self.link.send(self.config.peer_ip, message)

    def _on_message(self, message: Dict[str, Any]) -> None:
        with self._lock:
            # HA1 messages of another group are not our peer's: PAN-OS ignores them.
            if not self.enabled or message.get("group_id") != self.config.group_id:
                return
            if message["type"] == "hello":
                self.peer = message
                self.peer_heard = time.monotonic()
                self.ever_connected = True
            self.host.counters.incr(f"ha.received.{message['type']}")
            if message["type"] == "sync" and self.local_state in ("active", "passive") and self.config.config_sync:
                self._receive_sync(message)
            elif message["type"] == "download":
                self.host.download_from_peer(message["version"])
            elif message["type"] == "preempt" and self.local_state == "active":
                self._transition("passive", "preempted by the peer with the better priority")

    def _receive_sync(self, message: Dict[str, Any]) -> None:
        if self.receiving_sync:
            return
        self.receiving_sync = True

        def installed() -> None:
            with self._lock:
                self.digest = sync_digest(self.host.running_config())
                self.receiving_sync = False
            self.host.counters.event("ha_sync", version=message["digest"], trigger=message.get("trigger", ""))

        self.host.run_ha_sync(ET.fromstring(message["config"]), message.get("trigger", "peer"), installed)

    def _send_sync(self, trigger: str) -> bool:
        assert self.config is not None
        config = ET.tostring(self.host.running_config(), encoding="unicode")
        return self._send({"type": "sync", "group_id": self.config.group_id, "digest": self.digest, "config": config,
                           "trigger": trigger})

    def _hello(self) -> Dict[str, Any]:
        assert self.config is not None
        interfaces = {i.name: i for i in self.host.interfaces()}
        mgmt, ha2 = interfaces.get("management"), interfaces.get(self.config.ha2_port)
        return {"type": "hello", "group_id": self.config.group_id, "state": self.local_state,
                "state_since": time.time() - (time.monotonic() - self.state_since),
                "priority": self.config.priority, "preemptive": self.config.preemptive,
                "mgmt_ip": self.host.mgmt_private_ip, "mgmt_prefix": mgmt.prefix_length if mgmt else 24,
                "ha1_mac": mgmt.mac if mgmt else "", "ha2_mac": ha2.mac if ha2 else "",
                "instance_id": self.host.instance_id, "digest": self.digest, "ha2_ip": self.config.ha2_ip,
                "receiving_sync": self.receiving_sync, "last_error": self.last_error,
                "vm_license": self.licence(), "release": self.host.release()}

    # ---- the state machine -----------------------------------------------------------------
    def _transition(self, state: str, reason: str) -> None:
        if state == self.local_state:
            return
        self.host.counters.event("ha_transition", from_state=self.local_state, to_state=state, reason=reason)
        self.local_state, self.state_since = state, time.monotonic()
        self._promote_since = self._preempt_since = None
        self.host.on_change()

    def _loop(self) -> None:
        while self.link.listening:
            try:
                with self._lock:
                    if self.enabled:
                        self._tick()
            except Exception as error:  # noqa: BLE001 - HA must not die of one bad tick
                self.host.counters.event("ha_error", error=repr(error))
            interval = self._seconds("heartbeat-interval") / 4 if self.config else 0.1
            time.sleep(max(0.02, min(interval, 0.25)))

    def _tick(self) -> None:
        assert self.config is not None
        self._send(self._hello())
        connected = self.peer_connected()
        peer_state = self.peer.get("state") if connected else None
        now = time.monotonic()
        state = self.local_state
        # HA peers must carry identical licences: the one that would be (or is) passive goes
        # non-functional, the active keeps the dataplane; licences matching again start it afresh.
        if self._peer_version_too_new(connected):
            if state != "suspended":
                self.last_error = ("suspended", PEER_VERSION_TOO_OLD)
                self._transition("suspended", PEER_VERSION_TOO_OLD)
            return
        if state == "suspended" and not self.user_suspended and self.last_error == ("suspended", PEER_VERSION_TOO_OLD):
            self._transition("initial", "the peer's version is within one feature release again")
            self._initial_since = now
            return
        if state == "non-functional":
            if not self.licence_mismatch():
                self._transition("initial", "licences match the peer again")
                self._initial_since = now
            return
        if self.licence_mismatch() and (state == "passive" or (state == "initial" and (
                peer_state == "active" or (peer_state == "initial" and not self._wins())))):
            self.last_error = ("non-functional", LICENCE_MISMATCH)
            self._transition("non-functional", LICENCE_MISMATCH)
            return
        if state == "initial":
            self._elect(peer_state, now)
        elif state == "passive":
            self._watch_active(peer_state, now)
        elif state == "active":
            if peer_state == "active" and not self._wins():
                self._transition("passive", "both active: the peer has the better priority")
        if self._push_sync and connected and peer_state in ("active", "passive") and self.config.config_sync:
            if self.peer.get("digest") == self.digest or self._send_sync("commit"):
                self._push_sync = False

    def _peer_version_too_new(self, connected: bool) -> bool:
        """Peers two or more feature releases apart: the older one suspends itself (Palo Alto)."""
        mine, theirs = self.host.release()["build-rel"], (self.peer.get("release") or {}).get("build-rel")
        if not connected or not theirs:
            return False
        try:
            return (feature_releases_apart(mine, theirs) >= 2
                    and feature_release_key(theirs) > feature_release_key(mine))
        except ValueError:
            return False

    def _elect(self, peer_state: Optional[str], now: float) -> None:
        if peer_state == "active":
            self._transition("passive", "peer is active")
        elif peer_state in ("passive", "suspended", "non-functional"):
            self._promote(f"peer is {peer_state}")
        elif peer_state == "initial":
            if self._wins():
                self._promote("won the election (device priority)")
        elif now - self._initial_since >= INITIAL_HELLOS * self._seconds("hello-interval"):
            self._promote(f"no peer within {INITIAL_HELLOS} hello intervals")

    def _watch_active(self, peer_state: Optional[str], now: float) -> None:
        assert self.config is not None
        # Two passive peers (a preemption hand-over): only the better priority steps up.
        if peer_state in (None, "suspended", "non-functional") or (peer_state == "passive" and self._wins()):
            reason = "peer lost" if peer_state is None else f"peer is {peer_state}"
            self._promote_since = self._promote_since or now
            if now - self._promote_since >= self._seconds("promotion-hold-time"):
                self._promote(reason)
            return
        self._promote_since = None
        if self._may_preempt():
            self._preempt_since = self._preempt_since or now
            if now - self._preempt_since >= self._seconds("preemption-hold-time"):
                self._send({"type": "preempt", "group_id": self.config.group_id})
        else:
            self._preempt_since = None

    def _wins(self) -> bool:
        """Lower device priority wins; equal priorities fall back to the lower management IP."""
        assert self.config is not None
        mine = (self.config.priority, tuple(int(p) for p in (self.host.mgmt_private_ip or "0.0.0.0").split(".")))
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
                             name=f"dataplane-move-{self.host.instance_id}").start()

    def _take_over_dataplane(self, peer_instance: str) -> None:
        method = self.dataplane.method()
        self.move = {"status": "in-progress", "error": "", "time": time.strftime("%Y/%m/%d %H:%M:%S"), "method": method}
        try:
            moved = self.dataplane.take_over(peer_instance, method)
            self.move = {**self.move, "status": "ok", "time": time.strftime("%Y/%m/%d %H:%M:%S"), "moved": moved}
        except Exception as error:  # noqa: BLE001 - reported in show high-availability
            self.move = {**self.move, "status": "failed", "error": str(error), "time": time.strftime("%Y/%m/%d %H:%M:%S")}
            self.host.counters.event("dataplane_move_failed", method=method, error=str(error))
        finally:
            self._moving = False
            self.host.on_change()
