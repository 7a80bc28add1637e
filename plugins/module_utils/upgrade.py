# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of a rolling PAN-OS upgrade of an HA pair, without I/O.

Palo Alto's order for an active/passive pair: "upgrade the passive peer first, suspend the active
peer (fail over), update the active peer, and then return that peer to a functional state"
(VM-Series Deployment Guide, Upgrade the VM-Series PAN-OS Software). :func:`next_action` derives
the next step from what the pair looks like *now*, not from a record of what was done, so a run
that was interrupted anywhere is resumed by running it again, and a pair already at the target
gets no step at all. :func:`path_problems` refuses the upgrade paths PAN-OS refuses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Tuple

from ansible_collections.vmseries.aws_ha.plugins.module_utils.pair import NODES, other

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-h(\d+))?$")
# The HA states of a firewall that holds or can take the dataplane (non-functional and suspended
# cannot; initial is on its way to one of them).
FUNCTIONAL_STATES = ("active", "passive")


def version_key(version: str) -> Tuple[int, int, int, int]:
    match = _VERSION.match(version or "")
    if not match:
        raise ValueError(f"{version!r} is not a PAN-OS version (major.minor.patch, optionally -hN)")
    major, minor, patch, hotfix = match.groups()
    return int(major), int(minor), int(patch), int(hotfix or 0)


def feature_release(version: str) -> Tuple[int, int]:
    return version_key(version)[:2]


def base_image(version: str) -> str:
    major, minor = feature_release(version)
    return f"{major}.{minor}.0"


def feature_releases_between(current: str, target: str, offered: List[str]) -> List[str]:
    """The feature releases offered strictly between the current and the target one."""
    low, high = sorted((feature_release(current), feature_release(target)))
    between = {feature_release(v) for v in offered if _VERSION.match(v) and low < feature_release(v) < high}
    return [f"{major}.{minor}" for major, minor in sorted(between)]


def images_to_download(current: str, target: str, downloaded: Mapping[str, bool]) -> List[str]:
    """The images a firewall needs before it installs `target`: the base image of the target's
    feature release first when it crosses into one (PAN-OS installs a maintenance release only
    with its base image downloaded), then the target itself; those already downloaded left out."""
    wanted = [target]
    if feature_release(target) != feature_release(current) and base_image(target) != target:
        wanted.insert(0, base_image(target))
    return [version for version in wanted if not downloaded.get(version)]


def path_problems(current: str, target: str, offered: Mapping[str, Mapping[str, object]],
                  allow_downgrade: bool = False) -> List[str]:
    """Why a pair at `current` cannot go to `target` in one rolling upgrade; empty when it can.
    `offered` is `request system software check`'s list (version -> its fields)."""
    try:
        current_key, target_key = version_key(current), version_key(target)
    except ValueError as error:
        return [f"upgrade_path: {error}"]
    problems = []
    if target not in offered:
        near = sorted((v for v in offered if _VERSION.match(v) and feature_release(v) == feature_release(target)),
                      key=version_key)
        problems.append(f"target_offered: {target} is not offered by the update server (request system software "
                        f"check){'; of ' + '.'.join(map(str, feature_release(target))) + ' it offers ' + ', '.join(near) if near else ''}")
    if target_key < current_key and not allow_downgrade:
        problems.append(f"upgrade_path: {target} is older than the running {current}; set "
                        "vmseries_upgrade_allow_downgrade: true to downgrade on purpose")
    between = feature_releases_between(current, target, list(offered))
    if between:
        problems.append(
            f"upgrade_path: {current} -> {target} crosses the feature release(s) {', '.join(between)}. HA peers must "
            "be upgraded to each feature release on the path together (peers two feature releases apart suspend "
            f"the older one: 'Peer version too old'); upgrade the pair to the latest {between[0]}.x first, then to {target}")
    if target not in offered and base_image(target) not in offered and feature_release(target) != feature_release(current):
        problems.append(f"upgrade_path: the base image {base_image(target)} of {target}'s feature release is not "
                        "offered either; PAN-OS installs a maintenance release only with its base image downloaded")
    return problems


@dataclass(frozen=True)
class NodeView:
    """One firewall as the upgrade sees it at one moment."""

    node: str
    reachable: bool
    version: Optional[str] = None
    state: Optional[str] = None  # its HA state
    suspended_by_admin: bool = False  # suspended with the reason "User requested"
    priority: Optional[int] = None  # its HA device priority
    preemptive: bool = False


def better_priority(views: Mapping[str, NodeView]) -> str:
    """The firewall PAN-OS prefers as active: the lower device priority (the primary on a tie, or
    when a priority is unknown)."""
    if any(views[node].priority is None for node in NODES):
        return NODES[0]
    return min(NODES, key=lambda node: (views[node].priority, NODES.index(node)))


@dataclass(frozen=True)
class Action:
    kind: str  # done, wait, upgrade, suspend, functional, failback, plugin
    node: Optional[str]
    reason: str


def next_action(views: Mapping[str, NodeView], target: str, failback_to: Optional[str] = None) -> Action:
    """The next step of the rolling upgrade from the pair as it is. `failback_to`: the node that
    should end up active once both run the target (None: whichever is active stays so)."""
    down = [n for n in NODES if not views[n].reachable]
    if down:
        return Action("wait", down[0], f"{down[0]} does not answer (booting, or stopped)")
    at_target = [n for n in NODES if views[n].version == target]
    if len(at_target) == 2:
        suspended = [n for n in NODES if views[n].state == "suspended"]
        if suspended:
            return Action("functional", suspended[0], f"{suspended[0]} runs {target} and is suspended")
        waiting = [n for n in NODES if views[n].state not in FUNCTIONAL_STATES]
        if waiting:
            return Action("wait", waiting[0], f"{waiting[0]} is {views[waiting[0]].state}")
        if failback_to and views[failback_to].state != "active":
            return Action("failback", other(failback_to), f"fail back to {failback_to}")
        return Action("done", None, f"both firewalls run {target}")
    if len(at_target) == 1:
        upgraded, old = at_target[0], other(at_target[0])
        if views[old].state == "active" and views[upgraded].state == "passive":
            return Action("suspend", old, f"{upgraded} runs {target} and is passive: fail over to it by suspending {old}")
        if views[old].state == "active" and views[upgraded].state != "suspended":
            return Action("wait", upgraded, f"{upgraded} runs {target} and is {views[upgraded].state}, not yet passive")
        if views[upgraded].state == "suspended":
            return Action("functional", upgraded, f"{upgraded} runs {target} and is suspended; {old} does not")
        return Action("upgrade", old, f"{old} is {views[old].state} on {views[old].version}; {upgraded} runs {target}")
    # Neither runs the target yet: the one that does not hold the dataplane goes first.
    for state in ("passive", "suspended", "non-functional"):
        candidates = [n for n in NODES if views[n].state == state]
        if candidates:
            return Action("upgrade", candidates[0], f"{candidates[0]} is {state}: it is upgraded first")
    return Action("wait", None, "neither firewall is passive: " + ", ".join(f"{n} {views[n].state}" for n in NODES))


def is_plugin_version(version: str) -> bool:
    """VM-Series plugin versions are written as PAN-OS's are (5.1.4, 3.0.6-h1)."""
    return bool(_VERSION.match(version))


def next_plugin_action(views: Mapping[str, NodeView], plugins: Mapping[str, str], target: str) -> Action:
    """Once both firewalls run the target PAN-OS and are functional: the next one to be given the
    VM-Series plugin `target` - the passive before the active, so the firewall that holds the
    dataplane changes last - or done."""
    behind = [n for n in NODES if plugins.get(n) != target]
    if not behind:
        return Action("done", None, f"both firewalls run the VM-Series plugin {target}")
    first = sorted(behind, key=lambda n: views[n].state != "passive")[0]
    return Action("plugin", first, f"{first} ({views[first].state}) runs the VM-Series plugin {plugins.get(first) or 'unknown'}")


@dataclass
class OutageWindow:
    """From the moment the active stops forwarding to the moment the dataplane leads to the new
    active (seconds since the start of the run)."""

    step: str
    start: float
    end: Optional[float] = None

    @property
    def seconds(self) -> Optional[float]:
        return None if self.end is None else round(self.end - self.start, 3)


def outage_total(windows: List[OutageWindow]) -> float:
    return round(sum(w.seconds or 0.0 for w in windows), 3)


def report_table(steps: List[Dict[str, object]], windows: List[OutageWindow]) -> List[str]:
    """The readable table beside the JSON report."""
    lines = [f"{'step':<44} {'node':<10} {'start (s)':>9} {'seconds':>9}"]
    for step in steps:
        lines.append(f"{str(step['step']):<44} {str(step.get('node') or '-'):<10} {step['start']:>9.1f} "
                     f"{step['seconds'] if step.get('seconds') is not None else '-':>9}")
    for window in windows:
        lines.append(f"outage: {window.step:<36} {'':<10} {window.start:>9.1f} "
                     f"{window.seconds if window.seconds is not None else '-':>9}")
    lines.append(f"total dataplane outage: {outage_total(windows)} s in {len(windows)} window(s)")
    return lines
