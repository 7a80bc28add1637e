#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: readiness
short_description: Wait until a VM-Series firewall is ready for configuration
version_added: 0.1.0
description:
  - A VM-Series boots in stages. Its XML API refuses every credential while the auth service
    starts, C(show chassis-ready) says C(no) until the management plane is up, and the boot-time
    commit (job 1, type C(AutoCom)) keeps running after that. Commits made before the auto-commit
    has finished are expected to fail (Palo Alto's own collection checks for it in C(panos_check)).
  - This module waits, up to O(timeout), until C(show chassis-ready) says C(yes) and no job in
    C(show jobs all) is unfinished, the auto-commit included, and reports how long it waited and
    for which jobs.
  - Credentials refused before the firewall has accepted them once are waited out as part of the
    boot; once it has accepted them, a refusal fails at once.
  - A failed auto-commit does not keep the firewall from being configured (the next commit
    commits the whole configuration); it is returned in RV(autocommit) and reported as a warning.
  - Read-only; runs the same in check mode.
author:
  - vmseries.aws_ha maintainers (@vmseries)
options:
  timeout:
    description:
      - Seconds to wait for chassis-ready and for every job to finish, the wait for the API to
        answer and to accept the credentials included.
    type: int
    default: 900
  poll_interval:
    description: Seconds between two checks.
    type: float
    default: 2.0
extends_documentation_fragment:
  - vmseries.aws_ha.provider.provider_only
notes:
  - Part of the C(vmseries.aws_ha.panos) action group.
"""

EXAMPLES = r"""
- name: Wait until the firewall may be configured
  vmseries.aws_ha.readiness:
    provider:
      ip_address: 203.0.113.10
      username: admin
      password: "{{ vault_admin_password }}"
    timeout: 1200
  register: ready

- name: Show how long the boot took
  ansible.builtin.debug:
    msg: "ready after {{ ready.waited }} s; auto-commit {{ ready.autocommit }}"
"""

RETURN = r"""
waited:
  description: Seconds from the first request until the firewall was ready.
  returned: always
  type: float
  sample: 41.5
chassis_ready_wait:
  description: Seconds until C(show chassis-ready) said C(yes).
  returned: always
  type: float
jobs_waited_for:
  description: The unfinished jobs seen while waiting, as C(<id> <type>).
  returned: always
  type: list
  elements: str
  sample: [1 AutoCom]
autocommit:
  description: Result of the newest C(AutoCom) job (C(OK), C(FAIL)), or null when the job list no longer has one.
  returned: always
  type: str
  sample: OK
api_wait:
  description: How long the module waited for the firewall's API to come up (seconds, failed attempts, and how many of
    those were credentials refused while it booted).
  returned: always
  type: dict
  sample: {seconds: 0.0, attempts: 0, refused_credentials: 0}
sw_version:
  description: The PAN-OS version (C(show system info) C(sw-version)), read once the firewall is ready.
  returned: always
  type: str
  sample: 11.1.2
plugin_versions:
  description: The installed plugins and their versions (C(show system info) C(plugin_versions)).
  returned: always
  type: dict
  sample: {vm_series: 5.0.1, dlp: 5.0.1}
"""

import xml.etree.ElementTree as ET
from typing import Any, Dict, List, Optional

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vmseries.aws_ha.plugins.module_utils.panos import PanosConnection, provider_spec

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


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "provider": {"type": "dict", "required": True, "options": provider_spec()},
            "timeout": {"type": "int", "default": 900},
            "poll_interval": {"type": "float", "default": 2.0},
        },
        supports_check_mode=True,
    )
    params = module.params
    connection = PanosConnection(module, params["provider"], api_wait_timeout=params["timeout"], boot_wait=True)
    started = connection.now()
    chassis_ready_wait: Optional[float] = None
    seen: Dict[str, str] = {}
    while True:
        ready_text = "".join(connection.op(CHASSIS_READY).find("result").itertext()).strip().lower()
        if ready_text == "yes" and chassis_ready_wait is None:
            chassis_ready_wait = round(connection.now() - started, 1)
        jobs_response = connection.op(SHOW_JOBS)
        pending = unfinished_jobs(jobs_response)
        for job in pending:
            seen.setdefault(job["id"], f"{job['id']} {job['type']}")
        waited = round(connection.now() - started, 1)
        if ready_text == "yes" and not pending:
            break
        if waited >= params["timeout"]:
            why = [] if ready_text == "yes" else [f"show chassis-ready says {ready_text or 'nothing'}"]
            why += [f"job {j['id']} ({j['type']}) is {j['status']} at {j['progress']}%" for j in pending]
            module.fail_json(
                msg=(f"{connection.address} was not ready for configuration after {params['timeout']} s: "
                     f"{'; '.join(why)}. A VM-Series finishes its boot-time commit (AutoCom) before it takes "
                     "configuration; raise timeout if it is still booting, or look at 'show jobs all' on it."),
                waited=waited, jobs_waited_for=list(seen.values()), api_wait=connection.api_wait)
        connection.pause(params["poll_interval"])
    system = connection.op(SYSTEM_INFO).find("result/system")
    software = software_versions(system)
    autocommit = autocommit_result(jobs_response)
    if autocommit == "FAIL":
        module.warn(f"The boot-time commit (AutoCom) of {connection.address} failed; the next commit commits the whole "
                    "configuration. 'show jobs all' on the firewall says why it failed.")
    module.exit_json(changed=False, waited=waited, chassis_ready_wait=chassis_ready_wait or 0.0,
                     jobs_waited_for=list(seen.values()), autocommit=autocommit, api_wait=connection.api_wait, **software)


if __name__ == "__main__":
    main()
