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

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vmseries.aws_ha.plugins.module_utils.panos import PanosConnection, provider_spec
from ansible_collections.vmseries.aws_ha.plugins.module_utils.readiness import SYSTEM_INFO, software_versions, wait_until_ready


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
    ready = wait_until_ready(connection, params["timeout"], params["poll_interval"])
    software = software_versions(connection.op(SYSTEM_INFO).find("result/system"))
    module.exit_json(changed=False, api_wait=connection.api_wait, **ready, **software)


if __name__ == "__main__":
    main()
