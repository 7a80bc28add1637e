# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The timeline of a failover, built from what the poller sees.

Each poll hands in what the firewalls and EC2 say at that moment; the timeline records the first
time each step of a failover was seen. Kept free of I/O so the rules (what counts as "peer loss
detected", when an ENI counts as moved, which step is stuck) are unit-tested without a pair.

EC2 moves an ENI through the attachment states `detaching` and `attaching`; the timeline records
them when a poll happens to see them (optional steps: a fast move may pass between two polls), and
the failover counts as complete on the required steps only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional


@dataclass(frozen=True)
class EniSight:
    """One dataplane ENI as EC2 describes it at one poll."""

    eni_id: str
    instance_id: Optional[str]
    device_index: Optional[int]
    attachment_status: Optional[str]  # attaching / attached / detaching / detached, None when available
    public_ip: Optional[str] = None  # the EIP associated with the ENI, if any


@dataclass
class Step:
    key: str
    description: str
    seen_at: Optional[float] = None  # seconds since the trigger
    optional: bool = False  # an intermediate state a poll may or may not catch


@dataclass
class FailoverTimeline:
    """What has happened since the trigger. `old` / `new` are node names (primary, secondary);
    `dataplane` maps interface name (untrust, trust) to the ENI's state before the trigger."""

    old: str
    new: str
    old_instance_id: str
    new_instance_id: str
    dataplane: Mapping[str, EniSight]
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    started: float = 0.0
    started_wall: float = 0.0
    steps: List[Step] = field(default_factory=list)
    last_seen: Dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.steps = [
            Step("peer_loss_detected", f"{self.new} detects the loss of {self.old}"),
            Step("promoted", f"{self.new} becomes active"),
        ]
        for name, eni in self.dataplane.items():
            self.steps.append(Step(f"detaching:{name}", f"{name} ENI {eni.eni_id} detaching from {self.old} "
                                                        "(EC2 attachment state detaching)", optional=True))
            self.steps.append(Step(f"detached:{name}", f"{name} ENI {eni.eni_id} detached from {self.old} ({self.old_instance_id})"))
            self.steps.append(Step(f"attaching:{name}", f"{name} ENI {eni.eni_id} attaching to {self.new} "
                                                        "(EC2 attachment state attaching)", optional=True))
            self.steps.append(Step(
                f"attached:{name}",
                f"{name} ENI {eni.eni_id} attached to {self.new} ({self.new_instance_id}) at device index {eni.device_index}"))
            if eni.public_ip:
                self.steps.append(Step(f"eip:{name}", f"Elastic IP {eni.public_ip} of {name} reachable through {self.new}"))

    def start(self) -> None:
        self.started = self.clock()
        self.started_wall = self.wall_clock()

    def elapsed(self) -> float:
        return self.clock() - self.started

    def _mark(self, key: str) -> None:
        for step in self.steps:
            if step.key == key and step.seen_at is None:
                step.seen_at = round(self.elapsed(), 3)

    def observe(self, new_ha: Optional[Mapping[str, Any]], old_ha: Optional[Mapping[str, Any]],
                enis: Mapping[str, EniSight]) -> None:
        """Record one poll. `new_ha` / `old_ha` are ha_state.parse_ha_all() results, or a dict with
        an `error` key (firewall unreachable, e.g. because it is stopped), or None."""
        self.last_seen = {"new_ha": new_ha, "old_ha": old_ha, "enis": {k: vars(v) for k, v in enis.items()}}
        if new_ha and new_ha.get("error") is None and new_ha.get("enabled"):
            local, peer = new_ha["local"], new_ha["peer"]
            if not peer["connected"] or peer["state"] not in ("active", None) or local["state"] == "active":
                self._mark("peer_loss_detected")
            if local["state"] == "active":
                self._mark("peer_loss_detected")
                self._mark("promoted")
        for name, before in self.dataplane.items():
            now = enis.get(name)
            if now is None:
                continue
            if now.instance_id == self.old_instance_id and now.attachment_status == "detaching":
                self._mark(f"detaching:{name}")
            if now.instance_id != self.old_instance_id:
                self._mark(f"detached:{name}")
            at_new_index = now.instance_id == self.new_instance_id and now.device_index == before.device_index
            if at_new_index and now.attachment_status == "attaching":
                self._mark(f"attaching:{name}")
            if at_new_index and now.attachment_status == "attached":
                self._mark(f"detached:{name}")
                self._mark(f"attached:{name}")
                if before.public_ip and now.public_ip == before.public_ip:
                    self._mark(f"eip:{name}")

    def complete(self) -> bool:
        return all(step.seen_at is not None for step in self.steps if not step.optional)

    def stuck_step(self) -> Optional[Step]:
        """The first required step not seen, in the order a failover goes through them."""
        return next((step for step in self.steps if step.seen_at is None and not step.optional), None)

    def total(self) -> Optional[float]:
        if not self.complete():
            return None
        return max(step.seen_at for step in self.steps if step.seen_at is not None)

    def events(self) -> List[Dict[str, Any]]:
        """The timeline for the module result and the report: trigger first, then in time order."""
        seen = sorted((s for s in self.steps if s.seen_at is not None), key=lambda s: s.seen_at)
        rows = [{"step": "trigger", "seconds": 0.0, "at": _iso(self.started_wall), "description": "failover triggered"}]
        rows += [{"step": s.key, "seconds": s.seen_at, "at": _iso(self.started_wall + s.seen_at), "description": s.description}
                 for s in seen]
        return rows


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int((epoch % 1) * 1000):03d}Z"


def table(rows: List[Mapping[str, Any]]) -> List[str]:
    """The timeline as aligned text lines for the task output and the README."""
    lines = [f"{'t (s)':>8}  {'step':<22}  description"]
    for row in rows:
        lines.append(f"{row['seconds']:>8.3f}  {row['step']:<22}  {row['description']}")
    return lines
