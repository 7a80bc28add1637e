# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The timeline of a failover, built from what the poller sees.

Each poll hands in what the firewalls and EC2 say at that moment; the timeline records the first
time each step of a failover was seen. Kept free of I/O so the rules (what counts as "peer loss
detected", when an ENI, an address, an Elastic IP or a route counts as moved, which step is stuck)
are unit-tested without a pair.

Interface move: EC2 moves each dataplane ENI through the attachment states `detaching` and
`attaching`; the timeline records them when a poll happens to see them (optional steps: a fast
move may pass between two polls), and the failover counts as complete on the required steps only.
Secondary-IP move: each floating secondary address must be on the new active's ENI of its
interface. Both: each Elastic IP of the dataplane and each VPC route that led to the old active
must lead to the new one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from ansible_collections.vmseries.aws_ha.plugins.module_utils import wait

from ansible_collections.vmseries.aws_ha.plugins.module_utils.pair import DATAPLANE as INTERFACES
from ansible_collections.vmseries.aws_ha.plugins.module_utils.pair import METHODS, DataplaneSight, other


@dataclass
class Step:
    key: str
    description: str
    seen_at: Optional[float] = None  # seconds since the trigger
    optional: bool = False  # an intermediate state a poll may or may not catch


@dataclass
class FailoverTimeline:
    """What has happened since the trigger. `old` / `new` are node names (primary, secondary);
    `before` is the dataplane as it was before the trigger."""

    old: str
    new: str
    old_instance_id: str
    new_instance_id: str
    before: DataplaneSight
    method: str = "interface_move"
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    started: float = 0.0
    started_wall: float = 0.0
    steps: List[Step] = field(default_factory=list)
    last_seen: Dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown HA method {self.method!r}; one of {', '.join(METHODS)}")
        self.steps = [
            Step("peer_loss_detected", f"{self.new} detects the loss of {self.old}"),
            Step("promoted", f"{self.new} becomes active"),
        ]
        if self.method == "interface_move":
            for name in INTERFACES:
                eni = self.before.enis.get(name)
                if eni is None:
                    continue
                self.steps += [
                    Step(f"detaching:{name}", f"{name} ENI {eni.eni_id} detaching from {self.old} "
                                              "(EC2 attachment state detaching)", optional=True),
                    Step(f"detached:{name}", f"{name} ENI {eni.eni_id} detached from {self.old} ({self.old_instance_id})"),
                    Step(f"attaching:{name}", f"{name} ENI {eni.eni_id} attaching to {self.new} "
                                              "(EC2 attachment state attaching)", optional=True),
                    Step(f"attached:{name}", f"{name} ENI {eni.eni_id} attached to {self.new} ({self.new_instance_id}) "
                                             f"at device index {eni.device_index}"),
                ]
        else:
            for name, addresses in self.before.floating(self.old).items():
                target = self.before.enis.get(f"{self.new}-{name}")
                self.steps.append(Step(
                    f"ip:{name}", f"floating {name} address {', '.join(addresses)} moved to {self.new}'s {name} ENI "
                                  f"{target.eni_id if target else '(missing)'}"))
        for name, address in sorted(self.before.addresses.items()):
            self.steps.append(Step(f"eip:{name}", f"Elastic IP {address.public_ip} of {name} associated through {self.new}"
                                                  + (f" ({address.private_ip})" if self.method == "secondary_ip" else "")))
        for table, destination in sorted(self.before.routes):
            self.steps.append(Step(f"route:{table}:{destination}",
                                   f"route {destination} of {table} through {self.new}'s trust side"))

    def start(self) -> None:
        self.started = self.clock()
        self.started_wall = self.wall_clock()

    def elapsed(self) -> float:
        return self.clock() - self.started

    def _mark(self, key: str) -> None:
        for step in self.steps:
            if step.key == key and step.seen_at is None:
                step.seen_at = round(self.elapsed(), 3)

    def observe(self, new_ha: Optional[Mapping[str, Any]], old_ha: Optional[Mapping[str, Any]], now: DataplaneSight) -> None:
        """Record one poll. `new_ha` / `old_ha` are ha_state.parse_ha_all() results, or a dict with
        an `error` key (firewall unreachable, e.g. because it is stopped), or None."""
        self.last_seen = {"new_ha": new_ha, "old_ha": old_ha, "enis": {k: vars(v) for k, v in now.enis.items()},
                          "addresses": {k: vars(v) for k, v in now.addresses.items()},
                          "routes": {f"{t} {d}": eni for (t, d), eni in now.routes.items()}}
        if new_ha and new_ha.get("error") is None and new_ha.get("enabled"):
            local, peer = new_ha["local"], new_ha["peer"]
            if not peer["connected"] or peer["state"] not in ("active", None) or local["state"] == "active":
                self._mark("peer_loss_detected")
            if local["state"] == "active":
                self._mark("peer_loss_detected")
                self._mark("promoted")
        if self.method == "interface_move":
            self._observe_enis(now)
        else:
            moved = now.floating(self.new)
            for name, addresses in self.before.floating(self.old).items():
                if set(addresses) <= set(moved.get(name, ())):
                    self._mark(f"ip:{name}")
        for name, before in self.before.addresses.items():
            address = now.addresses.get(name)
            if address is None or now.instance_of(address.eni_id) != self.new_instance_id:
                continue
            if self.method == "interface_move" or address.private_ip == before.private_ip:
                self._mark(f"eip:{name}")
        for (table, destination) in self.before.routes:
            if now.instance_of(now.routes.get((table, destination))) == self.new_instance_id:
                self._mark(f"route:{table}:{destination}")

    def _observe_enis(self, now: DataplaneSight) -> None:
        for name in INTERFACES:
            before, eni = self.before.enis.get(name), now.enis.get(name)
            if before is None or eni is None:
                continue
            if eni.instance_id == self.old_instance_id and eni.attachment_status == "detaching":
                self._mark(f"detaching:{name}")
            if eni.instance_id != self.old_instance_id:
                self._mark(f"detached:{name}")
            at_new_index = eni.instance_id == self.new_instance_id and eni.device_index == before.device_index
            if at_new_index and eni.attachment_status == "attaching":
                self._mark(f"attaching:{name}")
            if at_new_index and eni.attachment_status == "attached":
                self._mark(f"detached:{name}")
                self._mark(f"attached:{name}")

    def complete(self) -> bool:
        return all(step.seen_at is not None for step in self.steps if not step.optional)

    def stuck_step(self) -> Optional[Step]:
        """The first required step not seen, in the order a failover goes through them."""
        return next((step for step in self.steps if step.seen_at is None and not step.optional), None)

    def missing(self) -> List[Step]:
        """Every required step not seen: what did not move."""
        return [step for step in self.steps if step.seen_at is None and not step.optional]

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
    width = max([22] + [len(str(row["step"])) for row in rows])
    lines = [f"{'t (s)':>8}  {'step':<{width}}  description"]
    for row in rows:
        lines.append(f"{row['seconds']:>8.3f}  {row['step']:<{width}}  {row['description']}")
    return lines


def follow_failover(pair: Any, old: str, before: DataplaneSight, trigger: Callable[[], Any], timeout: float,
                    poll_interval: float, going_down: Tuple[str, ...] = ()) -> FailoverTimeline:
    """Trigger the failover of `old` (a DeployedPair's node) and poll both firewalls and EC2
    until the timeline is complete or `timeout` has passed; the timeline names what did not
    happen. `going_down`: nodes whose refused credentials mean shutting down, not a wrong password."""
    new = other(old)
    timeline = FailoverTimeline(old, new, pair.instances[old], pair.instances[new], before, method=pair.ha_method)
    routes = list(before.routes)
    timeline.start()
    trigger()

    def observe() -> FailoverTimeline:
        states = pair.ha_states(booting=going_down)
        timeline.observe(states[new], states[old], pair.dataplane(routes))
        return timeline

    try:
        wait.wait_for(observe, FailoverTimeline.complete, timeout, "the failover", wait.interval(poll_interval))
    except wait.WaitTimeout:
        pass  # the timeline names every step that did not happen
    return timeline
