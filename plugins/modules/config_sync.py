#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: config_sync
short_description: Sync a VM-Series HA pair's running configuration from the active firewall, only when it is not synchronized
version_added: 0.1.0
description:
  - Nothing promises that PAN-OS pushes the active firewall's running configuration to a peer that
    joins the pair; Palo Alto's AWS HA procedure ends with a manual sync to the peer, and a pair
    can report C(running-sync) C(not synchronized) for hours with both firewalls connected.
  - This module waits, up to O(wait_timeout), until the pair has formed (one active and one
    passive firewall, each connected to its peer). When both report the running configuration
    C(synchronized), it does nothing. Otherwise it asks the active firewall, once, to
    C(request high-availability sync-to-remote running-config), waits for the jobs that the
    request starts on the peer to finish, and then for both firewalls to report C(synchronized).
  - A sync already in progress is waited for, not requested again (and reported unchanged).
  - In check mode reports whether a sync would be requested, without requesting it.
author:
  - vmseries.aws_ha maintainers (@vmseries)
options:
  wait_timeout:
    description: Seconds to wait for the pair to form, and then for the sync to complete.
    type: int
    default: 300
  poll_interval:
    description: Seconds between reads.
    type: float
    default: 1.0
extends_documentation_fragment:
  - vmseries.aws_ha.provider.pair
notes:
  - Not in the C(vmseries.aws_ha.panos) action group, whose C(module_defaults) set one C(provider);
    this module talks to both firewalls of the pair.
  - The firewalls sync on their own after a commit on a member of a formed pair; this module is
    for the pair that formed with two different configurations (the first deployment) and after
    any drift, and is harmless where a firewall synced by itself.
"""

EXAMPLES = r"""
- name: Sync the running configuration to the passive firewall when the pair says it is not synchronized
  vmseries.aws_ha.config_sync:
    primary:
      ip_address: 203.0.113.10
      api_key: "{{ vault_api_keys.primary }}"
    secondary:
      ip_address: 203.0.113.11
      api_key: "{{ vault_api_keys.secondary }}"
  register: sync

- name: Say what happened
  ansible.builtin.debug:
    msg: "{{ sync.msg }}"
"""

RETURN = r"""
msg:
  description: What was found and done, in one sentence.
  returned: always
  type: str
  sample: secondary was not synchronized; synced from primary in 12.3 s (HA-Sync job 3 on secondary OK)
active:
  description: The node the configuration was (or would be) synced from.
  returned: when the pair formed
  type: str
  sample: primary
passive:
  description: The node that received (or would receive) it.
  returned: when the pair formed
  type: str
  sample: secondary
running_sync_before:
  description: What each node reported as C(running-sync) before any request.
  returned: when the pair formed
  type: dict
  sample: {primary: not synchronized, secondary: not synchronized}
response:
  description: The active firewall's answer to the sync request, verbatim.
  returned: when a sync was requested
  type: str
  sample: HA synchronization job has been queued on peer. Please check job status on peer.
peer_jobs:
  description: The jobs the request started on the peer (id, type, result).
  returned: when a sync was requested
  type: list
  elements: dict
  sample: [{id: "3", type: HA-Sync, result: OK}]
sync_seconds:
  description: Seconds from the request until both firewalls reported C(synchronized).
  returned: when a sync was requested
  type: float
waited:
  description: Seconds spent waiting for the pair to form before anything else.
  returned: always
  type: float
"""

import xml.etree.ElementTree as ET
from typing import Any, Dict, List

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vmseries.aws_ha.plugins.module_utils import wait
from ansible_collections.vmseries.aws_ha.plugins.module_utils.pair import Health, PairFirewalls, pair_argument_spec
from ansible_collections.vmseries.aws_ha.plugins.module_utils.panos import PanosConnection

SYNC_TO_REMOTE = ("<request><high-availability><sync-to-remote><running-config></running-config>"
                  "</sync-to-remote></high-availability></request>")
SHOW_JOBS = "<show><jobs><all></all></jobs></show>"
# PAN-OS's answers to the request (PAN-OS 7.1 and later); the first means it is under way.
QUEUED = "HA synchronization job has been queued on peer"
ALREADY_SYNCING = "HA synchronization is already in progress"
SYNCED = "synchronized"
IN_PROGRESS = "synchronization in progress"


def job_ids(connection: PanosConnection) -> Dict[str, ET.Element]:
    response = connection.op(SHOW_JOBS)
    return {(job.findtext("id") or "").strip(): job for job in response.findall("result/job") if job.findtext("id")}


def message_of(response: ET.Element) -> str:
    """The text of an op answer: its <msg> lines or its <result>."""
    lines = ["".join(line.itertext()).strip() for line in response.findall("msg/line")]
    if not lines:
        lines = ["".join(element.itertext()).strip() for element in response.findall("msg") + response.findall("result")]
    return " ".join(line for line in lines if line)


class SyncRun:
    """The pair's firewalls and the module's one deadline for everything it waits for."""

    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.params = module.params
        self.pair = PairFirewalls(module, module.params)
        self.started = wait.now()

    def remaining(self) -> float:
        return self.params["wait_timeout"] - (wait.now() - self.started)

    def wait_for_health(self, require_sync: bool, what: str) -> Health:
        """The pair's health once the firewalls alone judge it healthy (with or without sync)."""
        try:
            return wait.wait_for(lambda: self.pair.health(require_sync=require_sync), lambda health: health.healthy,
                                 self.remaining(), what, wait.interval(self.params["poll_interval"])).value
        except wait.WaitTimeout as timeout:
            self.module.fail_json(
                msg=(f"Gave up after {self.params['wait_timeout']} s waiting for {what}. Now: "
                     f"{' | '.join(timeout.last.value.summary())}. Check `show high-availability all` and `show jobs "
                     "all` on both firewalls, or raise wait_timeout."),
                waited=round(wait.now() - self.started, 1))
            raise  # pragma: no cover - fail_json does not return

    def peer_jobs_done(self, passive: str, before: Dict[str, ET.Element]) -> List[Dict[str, str]]:
        """The jobs that appeared on the passive since `before`, once all of them have finished; fails
        when one of them failed. [] when none appeared (the sync is then judged by running-sync)."""
        def observe() -> List[Dict[str, Any]]:
            new = {i: job for i, job in job_ids(self.pair.firewalls[passive]).items() if i not in before}
            return [{"id": i, "type": (job.findtext("type") or "").strip(), "status": (job.findtext("status") or "").strip(),
                     "result": (job.findtext("result") or "").strip(),
                     "details": [" ".join(line.itertext()).strip() for line in job.findall("details/line")]}
                    for i, job in sorted(new.items(), key=lambda item: int(item[0]) if item[0].isdigit() else 0)]

        def settled(jobs: List[Dict[str, Any]]) -> bool:
            return all(j["status"] == "FIN" for j in jobs) or any(j["status"] == "FIN" and j["result"] == "FAIL" for j in jobs)

        try:
            jobs = wait.wait_for(observe, settled, self.remaining(), f"the sync jobs on {passive}",
                                 wait.interval(self.params["poll_interval"])).value
        except wait.WaitTimeout as timeout:
            jobs = timeout.last.value
            pending = ", ".join(f"{j['id']} ({j['type']}, {j['status']})" for j in jobs if j["status"] != "FIN")
            self.module.fail_json(msg=(f"The sync to {passive} did not finish within {self.params['wait_timeout']} s: "
                                       f"job {pending} still running there. Check it with `show jobs all`."),
                                  peer_jobs=jobs)
        failed = [j for j in jobs if j["status"] == "FIN" and j["result"] == "FAIL"]
        if failed:
            job = failed[0]
            self.module.fail_json(msg=(f"The sync to {passive} failed: its job {job['id']} ({job['type']}) ended FAIL: "
                                       f"{' | '.join(job['details']) or 'no details'}. Fix what it names on {passive} "
                                       "(`show jobs id` there), then re-run."), peer_jobs=jobs)
        return [{k: j[k] for k in ("id", "type", "result")} for j in jobs]


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **pair_argument_spec(),
            "wait_timeout": {"type": "int", "default": 300},
            "poll_interval": {"type": "float", "default": 1.0},
        },
        supports_check_mode=True,
    )
    run = SyncRun(module)
    health = run.wait_for_health(False, "the pair to form (one active and one passive firewall, connected)")
    waited = round(wait.now() - run.started, 1)
    active, passive = health.active, health.passive
    before = {node: health.states[node]["running_sync"] for node in health.states}
    result: Dict[str, Any] = {"active": active, "passive": passive, "running_sync_before": before, "waited": waited}
    if all(sync == SYNCED for sync in before.values()):
        module.exit_json(changed=False, msg=f"The pair is synchronized ({active} active); nothing to sync.", **result)
    if module.check_mode:
        module.exit_json(changed=True, msg=f"{passive} is {before[passive]}: a sync from {active} would be requested.",
                         **result)

    jobs_before = job_ids(run.pair.firewalls[passive])
    requested = wait.now()
    response = ""
    if IN_PROGRESS not in before.values():
        response = message_of(run.pair.firewalls[active].op(SYNC_TO_REMOTE))
        if QUEUED not in response and ALREADY_SYNCING not in response:
            module.fail_json(msg=(f"{active} did not start the sync to {passive}; it answered: {response!r}. Resolve "
                                  "what it names (pending local commits, commit locks) and re-run."),
                             response=response, **result)
    jobs = run.peer_jobs_done(passive, jobs_before)
    run.wait_for_health(True, f"both firewalls to report the running configuration {SYNCED}")
    seconds = round(wait.now() - requested, 1)
    done_jobs = ", ".join(f"{j['type']} job {j['id']} on {passive} {j['result']}" for j in jobs) or f"no job listed on {passive}"
    module.exit_json(changed=bool(response), response=response, peer_jobs=jobs, sync_seconds=seconds,
                     msg=f"{passive} was {before[passive]}; synced from {active} in {seconds} s ({done_jobs}).", **result)


if __name__ == "__main__":
    main()
