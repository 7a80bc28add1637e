#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: pair_upgrade
short_description: Upgrade PAN-OS on a VM-Series HA pair on AWS, one peer at a time, in Palo Alto's order
version_added: 0.2.0
description:
  - Takes a deployed, healthy pair to O(target_version) in the order Palo Alto documents for an
    active/passive pair - upgrade the passive peer first, suspend the active peer (fail over),
    upgrade it, then return it to a functional state - with the content release brought to the
    update server's latest on both peers first and the images downloaded on both before the first
    installation.
  - Each step is chosen from the pair as it is observed at that moment (the versions both firewalls
    run and their HA states), never from a record of earlier runs, so a run interrupted anywhere (a
    controller killed, a firewall that did not come back in time) is resumed by running it again,
    and a pair that already runs the target is left alone (no download, install or restart).
  - A firewall is installed and restarted only while its peer is active and the dataplane (ENIs or
    floating addresses, the dataplane Elastic IP and the routes) leads to that peer; the active is
    suspended only when the upgraded peer is passive and the pair is healthy by the collection's one
    health judgement (the running configuration's sync aside - peers on different versions may not
    be synchronized). The failover it causes is followed with the timeline of
    M(vmseries.aws_ha.failover_verify).
  - Returns the steps with their start and duration, both firewalls' HA states and versions as
    sampled during the run, and the dataplane outage windows (from the suspension of the active to
    the moment the dataplane leads to the new active).
  - The readiness checks before an upgrade are M(vmseries.aws_ha.upgrade_readiness)'s; this module
    assumes they passed.
  - With preemption enabled on both firewalls, turns it off on the one with the better device
    priority for the duration (a commit on that firewall; its instance is tagged
    C(vmseries:upgrade-preemption) meanwhile, so that a resumed run finishes the job), fails back to
    it once both run the target, and turns preemption on again.
  - With O(plugin_version), once both firewalls run the target (and after any fail back), installs
    that VM-Series plugin on each firewall whose plugin differs - the passive first, then the
    active, each only while the pair is healthy - and checks each then reports it. Each PAN-OS
    version brings the plugin it ships with, so without O(plugin_version) the plugin follows PAN-OS;
    a pair that already runs the target is given only the plugin (a plugin-only upgrade).
author:
  - vmseries.aws_ha maintainers (@vmseries)
options:
  target_version:
    description: The PAN-OS version both firewalls run afterwards, for example C(11.1.6).
    type: str
    required: true
  plugin_version:
    description:
      - The VM-Series plugin version both firewalls run afterwards, for example C(5.1.4) (installed as
        the package C(vm_series-5.1.4)). Not given, the plugin is the one the target version ships.
    type: str
  content_update:
    description:
      - Bring both peers' application and threat content to the update server's latest before the
        first installation (only when a firewall still has to be upgraded).
    type: bool
    default: true
  failback:
    description:
      - Once both run the target, make the firewall with the better HA device priority active again
        (a second failover - suspend the other, then make it functional).
    type: bool
    default: false
  job_timeout:
    description: Seconds a download or install job may take.
    type: int
    default: 3600
  boot_timeout:
    description: Seconds a restarted firewall may take to answer again and rejoin its peer (a VM-Series on AWS boots in 10-15 minutes).
    type: int
    default: 1800
  failover_timeout:
    description: Seconds from the suspension of the active until the dataplane leads to its peer.
    type: int
    default: 300
  poll_interval:
    description: Seconds between polls of the firewalls and EC2.
    type: float
    default: 2.0
extends_documentation_fragment:
  - vmseries.aws_ha.deployed_pair
  - vmseries.aws_ha.provider.pair
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Part of the C(vmseries.aws_ha.aws) action group for the AWS connection; the firewalls'
    connections are given per node.
  - The AWS identity running the module needs C(ec2:DescribeInstances),
    C(ec2:DescribeNetworkInterfaces), C(ec2:DescribeAddresses), C(ec2:DescribeRouteTables),
    C(ec2:DescribeTags), and for a pair with preemption C(ec2:CreateTags) and C(ec2:DeleteTags).
  - In check mode the module reports the step it would take next and changes nothing.
"""

EXAMPLES = r"""
- name: Upgrade the pair to 11.1.6
  vmseries.aws_ha.pair_upgrade:
    pair_name: prod-east
    ha_method: interface_move
    target_version: 11.1.6
    primary: "{{ primary_provider }}"
    secondary: "{{ secondary_provider }}"
    region: us-east-1
  register: upgrade
"""

RETURN = r"""
changed:
  description: Whether any download, install, restart or HA state change was made.
  returned: always
  type: bool
versions:
  description: The version each firewall runs at the end.
  returned: always
  type: dict
  sample: {"primary": "11.1.6", "secondary": "11.1.6"}
plugins:
  description: The VM-Series plugin each firewall runs at the end, when O(plugin_version) is given.
  returned: when plugin_version is given
  type: dict
  sample: {"primary": "5.1.4", "secondary": "5.1.4"}
steps:
  description: Each step taken, with its node, start (seconds since the module started) and duration.
  returned: always
  type: list
  elements: dict
  sample: [{"step": "install and restart", "node": "secondary", "start": 12.0, "seconds": 640.2}]
samples:
  description: Both firewalls' HA state and version as polled during the run (seconds since the start).
  returned: always
  type: list
  elements: dict
outage_windows:
  description: The dataplane outages the run caused, each from the suspension of the active to the moment the dataplane led to the new active.
  returned: always
  type: list
  elements: dict
  sample: [{"step": "fail over from primary", "start": 700.1, "seconds": 9.4}]
outage_seconds:
  description: The outage windows summed.
  returned: always
  type: float
failovers:
  description: The timeline of each failover, as M(vmseries.aws_ha.failover_verify) reports it.
  returned: always
  type: list
  elements: dict
report_lines:
  description: The steps and outage windows as an aligned text table.
  returned: always
  type: list
  elements: str
next_step:
  description: In check mode, the step the module would take next and why.
  returned: in check mode
  type: dict
"""

from typing import Any, Callable, Dict, List, Optional

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.vmseries.aws_ha.plugins.module_utils import commit, ha_state, tags, upgrade, wait
from ansible_collections.vmseries.aws_ha.plugins.module_utils.failover_timeline import follow_failover, table
from ansible_collections.vmseries.aws_ha.plugins.module_utils.pair import (
    NODES, DeployedPair, dataplane_problems, deployed_pair_argument_spec)
from ansible_collections.vmseries.aws_ha.plugins.module_utils.panos import DEVICE_XPATH
from ansible_collections.vmseries.aws_ha.plugins.module_utils.software import Software, SoftwareError


PREEMPTIVE_XPATH = (DEVICE_XPATH + "/deviceconfig/high-availability/group/election-option/preemptive")


class Upgrade:
    """One run of the rolling upgrade: observe, choose the next step, take it, until done."""

    def __init__(self, module: AnsibleAWSModule, pair: DeployedPair) -> None:
        self.module = module
        self.pair = pair
        self.target = module.params["target_version"]
        self.plugin_target = module.params["plugin_version"]
        self.plugins: Dict[str, str] = {}
        self.started = wait.now()
        self.steps: List[Dict[str, Any]] = []
        self.samples: List[Dict[str, Any]] = []
        self.windows: List[upgrade.OutageWindow] = []
        self.failovers: List[Dict[str, Any]] = []
        self.changed = False
        self.failback_to: Optional[str] = None
        self.content_done = False
        self.downloads_done = False

    # ---- observing -------------------------------------------------------------------------
    def elapsed(self) -> float:
        return round(wait.now() - self.started, 3)

    def views(self) -> Dict[str, upgrade.NodeView]:
        states = self.pair.ha_states(booting=NODES)
        views = {}
        for node in NODES:
            state = states[node]
            if not state or state.get("error") is not None or not state.get("enabled"):
                views[node] = upgrade.NodeView(node, reachable=False)
                continue
            local = state["local"]
            views[node] = upgrade.NodeView(
                node, True, local.get("version"), local["state"],
                local["state"] == "suspended" and (local.get("last_error_reason") or "") == "User requested",
                local.get("priority"), bool(local.get("preemptive")))
        seen = {node: {"state": views[node].state if views[node].reachable else "down", "version": views[node].version}
                for node in NODES}
        self.samples.append({"t": self.elapsed(), **seen})
        return views

    def fail(self, msg: str, **extra: Any) -> None:
        self.module.fail_json(msg=msg, changed=self.changed, **self.result(), **extra)

    def step(self, name: str, node: Optional[str], work: Callable[[], Any]) -> Any:
        start = self.elapsed()
        record = {"step": name, "node": node, "start": start, "seconds": None}
        self.steps.append(record)
        outcome = work()
        record["seconds"] = round(self.elapsed() - start, 3)
        return outcome

    # ---- the run -----------------------------------------------------------------------------
    def run(self) -> None:
        views = self.views()
        better = upgrade.better_priority(views)
        preemption_off = self.preemption_turned_off()
        if self.module.params["failback"] or preemption_off:
            self.failback_to = better
        pending = upgrade.next_action(views, self.target, self.failback_to).kind != "done"
        if all(view.preemptive for view in views.values()) and pending and not self.module.check_mode:
            # With preemption on both, the better-priority firewall would take the dataplane back the
            # moment it rejoins; Palo Alto: "You only need to disable preemption on one peer".
            self.set_preemption(better, False)
            preemption_off = better
            self.failback_to = better
        for _step in range(40):  # every step changes the observed state; a loop this long means it did not
            action = upgrade.next_action(views, self.target, self.failback_to)
            if action.kind == "done" and self.plugin_target:
                action = self.plugin_action(views)
            if self.module.check_mode:
                kind = action.kind if action.kind != "done" or not preemption_off else "restore preemption"
                self.module.exit_json(changed=kind != "done", next_step={**vars(action), "kind": kind}, **self.result())
            if action.kind == "done":
                if preemption_off:
                    self.set_preemption(preemption_off, True)
                return
            getattr(self, "do_" + action.kind)(action)
            views = self.views()
        self.fail(f"Pair {self.pair.name}: the upgrade made no progress (last: {vars(action)}).")

    # ---- preemption ---------------------------------------------------------------------------
    def preemption_turned_off(self) -> Optional[str]:
        """The firewall whose preemption an earlier, interrupted run turned off (its instance's tag)."""
        found = self.pair.ec2.describe_tags(aws_retry=True, Filters=[
            {"Name": "resource-id", "Values": list(self.pair.instances.values())},
            {"Name": "key", "Values": [tags.UPGRADE_PREEMPTION]}])["Tags"]
        nodes = [node for node, instance in self.pair.instances.items() if any(t["ResourceId"] == instance for t in found)]
        return nodes[0] if nodes else None

    def set_preemption(self, node: str, enabled: bool) -> None:
        """Turn preemption off (or on again) on one firewall and commit; the instance's tag says so
        meanwhile, so that a resumed run turns it on again at the end."""
        self.changed = True
        instance = self.pair.instances[node]
        firewall = self.pair.firewalls[node]

        def change() -> None:
            if not enabled:
                self.pair.ec2.create_tags(aws_retry=True, Resources=[instance],
                                          Tags=[{"Key": tags.UPGRADE_PREEMPTION, "Value": "off"}])
            firewall.xapi_edit(PREEMPTIVE_XPATH, f"<preemptive>{'yes' if enabled else 'no'}</preemptive>")
            deadline = firewall.now() + self.module.params["job_timeout"]
            job = commit.submit(firewall, commit.commit_command(
                f"vmseries.aws_ha upgrade: preemption {'restored' if enabled else 'off for the upgrade'}"), deadline)
            if job is not None:
                finished = commit.wait_for_job(firewall, job, deadline, self.module.params["poll_interval"])
                if (finished.findtext("result") or "").strip() != "OK":
                    self.fail(f"Pair {self.pair.name}: the commit that turns preemption "
                              f"{'on' if enabled else 'off'} on {node} failed: {' '.join(commit.job_messages(finished))}.")
            if enabled:
                self.pair.ec2.delete_tags(aws_retry=True, Resources=[instance], Tags=[{"Key": tags.UPGRADE_PREEMPTION}])

        self.step(f"preemption {'on again' if enabled else 'off'}", node, change)

    # ---- the VM-Series plugin -----------------------------------------------------------------
    def plugin_action(self, views: Dict[str, upgrade.NodeView]) -> upgrade.Action:
        """Once both run the target: the next firewall to be given the plugin (the passive first), or done."""
        software = self.software()
        self.plugins = {node: software[node].plugin() for node in NODES}
        return upgrade.next_plugin_action(views, self.plugins, self.plugin_target)

    def do_plugin(self, action: upgrade.Action) -> None:
        node = self.node_of(action)
        health = self.pair.health(require_sync=False)
        if not health.healthy:
            self.fail(f"Pair {self.pair.name}: refusing to install the VM-Series plugin {self.plugin_target} on {node}: "
                      f"{'; '.join(health.problems)}. Now: {' | '.join(health.summary())}.")
        self.changed = True
        try:
            self.step(f"install the VM-Series plugin {self.plugin_target}", node,
                      lambda: self.software()[node].install_plugin(self.plugin_target))
        except SoftwareError as error:
            self.fail(f"Pair {self.pair.name}: {error}. {node} keeps its plugin {self.plugins.get(node)}; fix the cause, "
                      "then run the upgrade again.")

    def software(self) -> Dict[str, Software]:
        return {n: Software(self.pair.firewalls[n], self.module.params["job_timeout"], self.module.params["poll_interval"])
                for n in NODES}

    # ---- steps ---------------------------------------------------------------------------------
    def node_of(self, action: upgrade.Action) -> str:
        if action.node is None:  # next_action names the node of every step but wait and done
            self.fail(f"Pair {self.pair.name}: step {action.kind} without a firewall ({action.reason}).")
        return str(action.node)

    def do_wait(self, action: upgrade.Action) -> None:
        def moved_on(views: Dict[str, upgrade.NodeView]) -> bool:
            return upgrade.next_action(views, self.target, self.failback_to).kind != "wait"

        try:
            self.step(f"wait: {action.reason}", action.node, lambda: wait.wait_for(
                self.views, moved_on, self.module.params["boot_timeout"], action.reason,
                wait.interval(self.module.params["poll_interval"])))
        except wait.WaitTimeout as timeout:
            views = timeout.last.value
            self.fail(f"Pair {self.pair.name}: waited {self.module.params['boot_timeout']} s, but {action.reason}. "
                      f"Now: {self.describe(views)}. Bring it back (start its instance, or check its console), then "
                      "run the upgrade again: it resumes from the pair's state.")

    def do_upgrade(self, action: upgrade.Action) -> None:
        node = self.node_of(action)
        peer = upgrade.other(node)
        self.require_dataplane_on(peer, f"install {self.target} on {node} and restart it")
        software = self.software()
        try:
            if self.module.params["content_update"] and not self.content_done:
                for n in NODES:
                    self.step("content to the latest release", n, software[n].update_content)
                self.content_done = True
            if not self.downloads_done:
                self.step(f"download {self.target} (and its base image)", "both",
                          lambda: Software.download_all(list(software.values()), self.target))
                self.downloads_done = True
            self.changed = True
            self.step(f"install {self.target}", node, lambda: software[node].install(self.target))
            self.step("restart", node, software[node].restart)
        except SoftwareError as error:
            self.fail(f"Pair {self.pair.name}: {error}. Nothing was restarted by this step; the dataplane stays on {peer}, "
                      "which still runs its version. Fix the cause, then run the upgrade again.")
        self.step(f"{node} boots into {self.target}", node, lambda: self.wait_back(node))

    def wait_back(self, node: str) -> None:
        timeout = self.module.params["boot_timeout"]
        try:
            # It goes away first (the restart takes a moment to begin), then answers again.
            wait.wait_for(self.views, lambda v: not v[node].reachable, min(timeout, 600), f"{node} to go down for its restart",
                          wait.interval(min(self.module.params["poll_interval"], 1.0)))
            views = wait.wait_for(self.views, lambda v: v[node].reachable and v[node].state in ("passive", "suspended", "active"),
                                  timeout, f"{node} to come back", wait.interval(self.module.params["poll_interval"])).value
        except wait.WaitTimeout as waited:
            views = waited.last.value
            self.fail(f"Pair {self.pair.name}: {node} did not come back from its restart into {self.target} within "
                      f"{timeout} s ({waited.what}). The dataplane is on {upgrade.other(node)}: "
                      f"{self.describe(views)}. Look at {node}'s console (EC2 get-console-output); once it answers, "
                      "run the upgrade again: it resumes from the pair's state.")
        if views[node].version != self.target:
            self.fail(f"Pair {self.pair.name}: {node} came back from its restart on {views[node].version}, not "
                      f"{self.target}: the installation did not take. Run the upgrade again to install it once more.")

    def do_suspend(self, action: upgrade.Action) -> None:
        old = self.node_of(action)
        health = self.pair.health(require_sync=False)
        if not health.healthy or health.active != old:
            self.fail(f"Pair {self.pair.name}: refusing to suspend {old}: the pair is not healthy with {old} active "
                      f"({'; '.join(health.problems) or health.active + ' is active'}). Now: {' | '.join(health.summary())}.")
        self.fail_over(f"fail over from {old}", old, health.sight)

    def fail_over(self, name: str, old: str, before: Any) -> None:
        self.changed = True
        window = upgrade.OutageWindow(name, self.elapsed())
        self.windows.append(window)
        timeline = self.step(name, old, lambda: follow_failover(
            self.pair, old, before, lambda: self.pair.firewalls[old].op(ha_state.SUSPEND), self.module.params["failover_timeout"],
            min(self.module.params["poll_interval"], 0.5)))
        events = timeline.events()
        self.failovers.append({"step": name, "old_active": old, "timeline": events})
        if not timeline.complete():
            missing = "; ".join(step.description for step in timeline.missing())
            self.fail(f"Pair {self.pair.name}: after suspending {old}, the failover did not complete within "
                      f"{self.module.params['failover_timeout']} s: did not happen: {missing}. {old} stays suspended "
                      f"on its version; make it functional (request high-availability state functional) to return.",
                      failover_lines=table(events))
        window.end = round(window.start + (timeline.total() or 0.0), 3)

    def do_functional(self, action: upgrade.Action) -> None:
        node = self.node_of(action)
        self.changed = True
        self.step("make functional", node, lambda: self.pair.firewalls[node].op(ha_state.FUNCTIONAL))

    def do_failback(self, action: upgrade.Action) -> None:
        current = self.node_of(action)
        health = self.pair.health(require_sync=False)
        if not health.healthy:
            self.fail(f"Pair {self.pair.name}: refusing to fail back: {'; '.join(health.problems)}.")
        self.fail_over(f"fail back to {upgrade.other(current)}", current, health.sight)

    def require_dataplane_on(self, node: str, what: str) -> None:
        """The peer of the firewall about to restart must be active with the dataplane on it. A
        failover still moving the dataplane (a resumed run right after an interrupted one) is
        waited out for failover_timeout; then the step is refused, naming what is wrong."""
        def problems() -> List[str]:
            state = self.pair.ha_states(booting=NODES)[node] or {}
            if state.get("error") is not None or (state.get("local") or {}).get("state") != "active":
                return [f"{ha_state.describe(node, state)}, not active"]
            return dataplane_problems(self.pair.dataplane(), self.pair.instances, self.pair.ha_method, node)

        try:
            wait.wait_for(problems, lambda found: not found, self.module.params["failover_timeout"],
                          f"the dataplane on {node}", wait.interval(self.module.params["poll_interval"]))
        except wait.WaitTimeout as timeout:
            self.fail(f"Pair {self.pair.name}: refusing to {what}: the dataplane must be on a healthy active {node} "
                      f"first ({'; '.join(timeout.last.value)}).")

    def describe(self, views: Dict[str, upgrade.NodeView]) -> str:
        return ", ".join(f"{n} {v.state or 'down'} on {v.version or 'unknown'}" if v.reachable else f"{n} not answering"
                         for n, v in views.items())

    def result(self) -> Dict[str, Any]:
        last = self.samples[-1] if self.samples else {}
        return {"pair": self.pair.name, "ha_method": self.pair.ha_method, "target_version": self.target,
                "versions": {node: (last.get(node) or {}).get("version") for node in NODES},
                "steps": self.steps, "samples": self.samples,
                "outage_windows": [{"step": w.step, "start": w.start, "seconds": w.seconds} for w in self.windows],
                "outage_seconds": upgrade.outage_total(self.windows), "failovers": self.failovers,
                "report_lines": upgrade.report_table(self.steps, self.windows),
                **({"plugins": self.plugins} if self.plugin_target else {})}


def main() -> None:
    argument_spec = {
        **deployed_pair_argument_spec(),
        "target_version": {"type": "str", "required": True},
        "plugin_version": {"type": "str"},
        "content_update": {"type": "bool", "default": True},
        "failback": {"type": "bool", "default": False},
        "job_timeout": {"type": "int", "default": 3600},
        "boot_timeout": {"type": "int", "default": 1800},
        "failover_timeout": {"type": "int", "default": 300},
        "poll_interval": {"type": "float", "default": 2.0},
    }
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        upgrade.version_key(module.params["target_version"])
    except ValueError as error:
        module.fail_json(msg=f"target_version: {error}.")
    if module.params["plugin_version"] and not upgrade.is_plugin_version(module.params["plugin_version"]):
        module.fail_json(msg=f"plugin_version: {module.params['plugin_version']!r} is not a VM-Series plugin version "
                             "such as 5.1.4 (the package name without its vm_series- prefix).")
    ec2 = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    try:
        pair = DeployedPair.from_params(module, ec2)
        run = Upgrade(module, pair)
        run.run()
    except botocore.exceptions.ClientError as error:  # pylint: disable=used-before-assignment
        module.fail_json_aws(error, msg="Could not describe the pair in EC2")
    module.exit_json(changed=run.changed, **run.result())


if __name__ == "__main__":
    main()
