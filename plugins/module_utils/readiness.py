# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""When a VM-Series takes configuration: chassis-ready and no unfinished job (the boot-time
AutoCom included). Shared by the readiness module (after a boot) and the license module (after
the management services restart that installing a capacity licence causes)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.vmseries.aws_ha.plugins.module_utils import wait

CHASSIS_READY = "<show><chassis-ready></chassis-ready></show>"
SYSTEM_INFO = "<show><system><info></info></system></show>"
SHOW_JOBS = "<show><jobs><all></all></jobs></show>"


def unfinished_jobs(response: ET.Element) -> List[Dict[str, str]]:
    """Jobs of `show jobs all` that have not finished. Entries without a status (PAN-OS lists a
    'Failed-Job' of a restarted configd that way) are over, not pending."""
    jobs = []
    for job in response.findall("result/job"):
        status = (job.findtext("status") or "").strip()
        if status and status != "FIN":
            jobs.append({"id": (job.findtext("id") or "").strip(), "type": (job.findtext("type") or "").strip(),
                         "status": status, "progress": (job.findtext("progress") or "").strip()})
    return jobs


def autocommit_result(response: ET.Element) -> Optional[str]:
    """The result of the newest AutoCom job (PAN-OS lists jobs newest first), or None."""
    for job in response.findall("result/job"):
        if (job.findtext("type") or "").strip() == "AutoCom":
            return (job.findtext("result") or "").strip() or None
    return None


def software_versions(system: Optional[ET.Element]) -> Dict[str, Any]:
    """PAN-OS and plugin versions from `show system info` (`sw-version`,
    `plugin_versions/entry[@name, @version]`)."""
    if system is None:
        return {"sw_version": None, "plugin_versions": {}}
    plugins = {entry.get("name"): entry.get("version") for entry in system.findall("plugin_versions/entry") if entry.get("name")}
    return {"sw_version": (system.findtext("sw-version") or "").strip() or None, "plugin_versions": plugins}


def wait_until_ready(connection: Any, timeout: float, poll_interval: float) -> Dict[str, Any]:
    """Poll until `show chassis-ready` says yes and no job is unfinished; fail the module naming
    what was still not ready after `timeout` seconds. Returns waited, chassis_ready_wait,
    jobs_waited_for and autocommit (the newest AutoCom's result); a failed AutoCom is warned about."""
    module = connection.module
    started = connection.now()
    chassis_ready_wait: Optional[float] = None
    seen: Dict[str, str] = {}

    def observe() -> Tuple[str, ET.Element, List[Dict[str, str]]]:
        nonlocal chassis_ready_wait
        ready_text = "".join(connection.op(CHASSIS_READY).find("result").itertext()).strip().lower()
        if ready_text == "yes" and chassis_ready_wait is None:
            chassis_ready_wait = round(connection.now() - started, 1)
        jobs_response = connection.op(SHOW_JOBS)
        pending = unfinished_jobs(jobs_response)
        for job in pending:
            seen.setdefault(job["id"], f"{job['id']} {job['type']}")
        return ready_text, jobs_response, pending

    try:
        waited = wait.wait_for(observe, lambda seen_now: seen_now[0] == "yes" and not seen_now[2], timeout,
                               "chassis-ready and no unfinished job", wait.interval(poll_interval),
                               clock=connection.now, sleep=connection.pause)
    except wait.WaitTimeout as timeout_error:
        ready_text, pending = timeout_error.last.value[0], timeout_error.last.value[2]
        why = [] if ready_text == "yes" else [f"show chassis-ready says {ready_text or 'nothing'}"]
        why += [f"job {j['id']} ({j['type']}) is {j['status']} at {j['progress']}%" for j in pending]
        module.fail_json(
            msg=(f"{connection.address} was not ready for configuration after {timeout} s: "
                 f"{'; '.join(why)}. A VM-Series finishes its boot-time commit (AutoCom) before it takes "
                 "configuration; raise timeout if it is still booting, or look at 'show jobs all' on it."),
            waited=round(timeout_error.last.seconds, 1), jobs_waited_for=list(seen.values()), api_wait=connection.api_wait)
        raise  # pragma: no cover - fail_json does not return
    autocommit = autocommit_result(waited.value[1])
    if autocommit == "FAIL":
        module.warn(f"The boot-time commit (AutoCom) of {connection.address} failed; the next commit commits the whole "
                    "configuration. 'show jobs all' on the firewall says why it failed.")
    return {"waited": round(waited.seconds, 1), "chassis_ready_wait": chassis_ready_wait or 0.0,
            "jobs_waited_for": list(seen.values()), "autocommit": autocommit}
