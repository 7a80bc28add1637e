# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A commit on one firewall: submitted until the firewall takes it, then its job followed to the
end. The commit module and the upgrade (which turns preemption off and on again) use it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import List, Optional
from xml.sax.saxutils import escape

from ansible_collections.vmseries.aws_ha.plugins.module_utils import wait
from ansible_collections.vmseries.aws_ha.plugins.module_utils.panos import PanosConnection

# Refusals that clear by themselves: someone else's commit, a config lock, an HA sync.
BUSY_MARKERS = ("commit is in progress", "Another commit", "commit/validate is in progress", "Commit lock",
                "is locked", "Another sync is in progress", "install is in progress")


def commit_command(description: Optional[str]) -> str:
    return "<commit>" + (f"<description>{escape(description)}</description>" if description else "") + "</commit>"


def job_messages(job: ET.Element) -> List[str]:
    """Every <line> of the job's details and warnings, text as the firewall gave it."""
    messages = []
    for section in ("details", "warnings"):
        for line in job.findall(f"{section}/line"):
            text = "".join(line.itertext()).strip()
            if text:
                messages.append(text)
    return messages


def submit(connection: PanosConnection, command: str, deadline: float) -> Optional[str]:
    """Start the commit; the job id, or None when the firewall says there is nothing to commit.
    A firewall busy with another commit, a lock or a sync is asked again until the deadline."""
    def busy(error: BaseException) -> bool:
        return any(marker in connection.redact(str(error)) for marker in BUSY_MARKERS)

    try:
        response = wait.retry_while(
            lambda: connection.call("commit", lambda: connection.device.xapi.commit(cmd=command), fail=False),
            busy, deadline - connection.now(), "the firewall to take the commit", wait.Backoff(1.0, 15.0),
            clock=connection.now, sleep=connection.pause).value
    except Exception as error:  # noqa: BLE001 - every failure to start the commit fails the module
        text = connection.redact(str(error))
        hint = (" Another commit or a configuration lock kept the firewall busy for the whole timeout; raise "
                "timeout or remove the lock." if busy(error) else "")
        connection.module.fail_json(msg=f"Could not start a commit on {connection.address}: {text}.{hint}",
                                    api_wait=connection.api_wait)
        raise  # pragma: no cover - fail_json does not return
    job = response.findtext("result/job") if response is not None else None
    return job.strip() if job else None


def wait_for_job(connection: PanosConnection, job_id: str, deadline: float, interval: float) -> ET.Element:
    def finished(job: Optional[ET.Element]) -> bool:
        return job is not None and (job.findtext("status") or "").strip() == "FIN"

    try:
        return wait.wait_for(lambda: connection.op(f"<show><jobs><id>{job_id}</id></jobs></show>").find("result/job"),
                             finished, deadline - connection.now(), f"commit job {job_id}", wait.interval(interval),
                             clock=connection.now, sleep=connection.pause).value
    except wait.WaitTimeout as timeout:
        job = timeout.last.value
        progress = job.findtext("progress") if job is not None else "?"
        connection.module.fail_json(
            msg=(f"Commit job {job_id} on {connection.address} did not finish within the timeout (progress "
                 f"{progress}%). It keeps running on the firewall: check it with 'show jobs id {job_id}', then "
                 "re-run (raise timeout for slow commits)."),
            job_id=job_id, api_wait=connection.api_wait)
        raise  # pragma: no cover - fail_json does not return
