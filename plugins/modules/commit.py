#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: commit
short_description: Commit a VM-Series firewall's candidate configuration, only when it has pending changes
version_added: 0.1.0
description:
  - Asks the firewall whether the candidate differs from the running configuration
    (C(<check><pending-changes></pending-changes></check>)); when it does not, nothing happens and
    the task reports no change, so a re-run of a playbook makes no commit.
  - Otherwise commits (C(type=commit), with O(description) as the commit comment), polls the
    commit job (C(show jobs id)) until it finishes or O(timeout) passes, and fails with the job's
    messages verbatim when the commit fails.
  - A commit refused because another commit or a configuration lock is in progress is retried
    until O(timeout).
  - In check mode reports whether a commit would happen (C(changed) is the pending state),
    without committing.
  - With O(ha_settle_timeout), after a commit that leaves HA enabled, waits until the firewall's
    own HA state is C(active) or C(passive) (it has elected itself, or joined its peer). Committing
    the firewall that holds the dataplane ENIs first, and letting it settle before its peer gets
    HA, keeps the election from handing the active role (and the ENIs) to the other one.
author:
  - vmseries.aws_ha maintainers (@vmseries)
options:
  description:
    description: Commit description, shown in the firewall's commit history.
    type: str
  timeout:
    description: Seconds to wait for the commit job (and for a running commit to let ours in).
    type: int
    default: 600
  poll_interval:
    description: Seconds between two polls of the commit job.
    type: int
    default: 2
  ha_settle_timeout:
    description:
      - Seconds to wait, after a commit, for the firewall's HA state to become C(active) or
        C(passive) (a firewall without a peer elects itself after three hello intervals). C(0)
        does not wait. Nothing is waited for when nothing was committed or HA is off.
    type: int
    default: 0
extends_documentation_fragment:
  - vmseries.aws_ha.provider
notes:
  - Part of the C(vmseries.aws_ha.panos) action group.
  - Supports check mode.
"""

EXAMPLES = r"""
- name: Commit once, after all configuration tasks
  vmseries.aws_ha.commit:
    provider: "{{ provider }}"
    description: site.yml

- name: Would the firewall commit?
  vmseries.aws_ha.commit:
    provider: "{{ provider }}"
  check_mode: true
  register: pending
"""

RETURN = r"""
pending:
  description: Whether the candidate configuration differed from the running one.
  returned: always
  type: bool
job_id:
  description: The commit job's id.
  returned: when a commit ran
  type: str
  sample: "7"
job_result:
  description: C(OK) or C(FAIL).
  returned: when a commit ran
  type: str
  sample: OK
messages:
  description: The job's messages (details and warnings), verbatim.
  returned: always
  type: list
  elements: str
  sample: [Configuration committed successfully]
duration:
  description: Seconds the commit took, from submission to the job's end.
  returned: always
  type: float
ha_state:
  description: The firewall's own HA state after the commit, when O(ha_settle_timeout) made the module wait for it.
  returned: when a commit ran with O(ha_settle_timeout)
  type: str
  sample: active
api_wait:
  description: How long the module waited for the firewall's API to come up (seconds, failed attempts, and how many of
    those were credentials refused while it booted).
  returned: always
  type: dict
  sample: {seconds: 0.0, attempts: 0, refused_credentials: 0}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vmseries.aws_ha.plugins.module_utils import ha_state, wait
from ansible_collections.vmseries.aws_ha.plugins.module_utils.commit import (
    commit_command, job_messages, submit, wait_for_job)
from ansible_collections.vmseries.aws_ha.plugins.module_utils.panos import PanosConnection, provider_argument_spec


def wait_for_ha_to_settle(connection: PanosConnection, timeout: int, interval: float) -> str:
    """The firewall's own HA state once it is active or passive ('disabled' with HA off)."""
    def settled(state: dict) -> bool:
        return state["local"]["state"] in ha_state.STABLE_STATES or not state["enabled"]

    try:
        state = wait.wait_for(lambda: ha_state.parse_ha_all(connection.op(ha_state.SHOW_HA_ALL)), settled, timeout,
                              "a settled HA state", wait.interval(interval), clock=connection.now,
                              sleep=connection.pause).value
    except wait.WaitTimeout as waited:
        local = waited.last.value["local"]["state"]
        connection.module.fail_json(
            msg=(f"The commit on {connection.address} succeeded, but its HA state is still {local} after {timeout} s "
                 "(a firewall without a peer becomes active after three hello intervals). Check `show "
                 "high-availability all` on it, or raise the timeout."),
            ha_state=local, api_wait=connection.api_wait)
        raise  # pragma: no cover - fail_json does not return
    return state["local"]["state"]


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **provider_argument_spec(),
            "description": {"type": "str"},
            "timeout": {"type": "int", "default": 600},
            "poll_interval": {"type": "int", "default": 2},
            "ha_settle_timeout": {"type": "int", "default": 0},
        },
        supports_check_mode=True,
    )
    params = module.params
    connection = PanosConnection(module, params["provider"])
    pending = connection.pending_changes()
    result = {"pending": pending, "messages": [], "duration": 0.0, "api_wait": connection.api_wait}
    if not pending or module.check_mode:
        if module.check_mode and pending:
            result["messages"] = ["The candidate configuration differs from the running one: a commit would run."]
        module.exit_json(changed=pending, **result)
    started = connection.now()
    deadline = started + params["timeout"]
    job_id = submit(connection, commit_command(params["description"]), deadline)
    if job_id is None:
        # Someone committed between our check and our commit: nothing was left to commit.
        result["messages"] = ["There are no changes to commit."]
        module.exit_json(changed=False, **result)
    job = wait_for_job(connection, job_id, deadline, params["poll_interval"])
    job_result = (job.findtext("result") or "").strip()
    result.update(job_id=job_id, job_result=job_result, messages=job_messages(job),
                  duration=round(connection.now() - started, 1))
    if job_result != "OK":
        module.fail_json(
            msg=(f"Commit job {job_id} on {connection.address} failed: {' | '.join(result['messages']) or 'no message'}. "
                 "The candidate configuration is kept as it is: fix the object the messages name (or revert it "
                 "with 'revert config' on the firewall) and re-run."),
            **result)
    if params["ha_settle_timeout"] > 0:
        result["ha_state"] = wait_for_ha_to_settle(connection, params["ha_settle_timeout"], params["poll_interval"])
    module.exit_json(changed=True, **result)


if __name__ == "__main__":
    main()
