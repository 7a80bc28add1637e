#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: license
short_description: License a VM-Series firewall from an auth code, or give its licence back
version_added: 0.2.0
description:
  - O(state=present) makes sure the firewall holds a VM-Series capacity licence. A BYOL firewall
    without one fetches it with O(auth_code) (C(request license fetch auth-code)); PAN-OS answers
    C(VM Device License installed. Restarting pan services.) and restarts its management services,
    which this module waits out (bounded by O(restart_timeout)) until the firewall is ready for
    configuration again, then checks it reports a serial number and the capacity licence.
  - A firewall that already holds a capacity licence is left alone (no request that changes anything).
  - A usage-based (PAYG, AWS Marketplace) firewall is never sent an auth code; the module checks its
    marketplace licence is there (C(vm-cpuid) starts with C(AWSMP:) and C(vm-license) is not C(none)).
  - O(state=absent) gives a BYOL firewall's capacity licence back to its auth code (C(request license
    deactivate VM-Capacity mode auto)), after installing the support portal's licensing API key
    O(licensing_api_key) on the firewall (C(request license api-key set key)). The firewall needs to
    reach the Palo Alto licensing server for both.
  - Refusals of the licensing server (an invalid auth code, an auth code with no capacity left, a
    wrong API key) fail the module with PAN-OS's own words and what to do.
  - No result, message or failure carries a secret, neither O(auth_code), O(licensing_api_key), the provider's
    password or API key, nor the auth code C(request license info) lists beside each licence (at teardown no option
    of the task holds it, so C(no_log) could not mask it). RV(licenses) and RV(deactivated) leave it out, and
    PAN-OS's words are passed on with each of these secrets masked.
author:
  - vmseries.aws_ha maintainers (@vmseries)
options:
  state:
    description: C(present) to hold a capacity licence, C(absent) to give it back.
    type: str
    choices: [present, absent]
    default: present
  auth_code:
    description:
      - The VM-Series auth code (from the Customer Support Portal, Assets) for O(state=present) on a BYOL firewall
        that has no licence yet. Keep it in Ansible Vault or an AWX credential.
    type: str
  allow_unlicensed:
    description:
      - With O(state=present) and no O(auth_code), report an unlicensed BYOL firewall (RV(licensed) false)
        instead of failing; an evaluation deployment.
    type: bool
    default: false
  licensing_api_key:
    description:
      - The licensing API key of the Customer Support Portal (Products, API Key Management, Licensing API),
        needed by O(state=absent) to deactivate. Keep it in Ansible Vault or an AWX credential.
    type: str
  restart_timeout:
    description:
      - Seconds to wait, after the licence is installed, for the management services to restart and the
        firewall to be ready for configuration again.
    type: int
    default: 900
  poll_interval:
    description: Seconds between two checks while waiting for the restart.
    type: float
    default: 2.0
extends_documentation_fragment:
  - vmseries.aws_ha.provider.provider_only
notes:
  - Part of the C(vmseries.aws_ha.panos) action group.
  - The auth code a firewall's licence came from is not returned; the Customer Support Portal (Assets) lists the
    devices of each auth code by serial number (RV(serial)).
  - Check mode reads the firewall and reports what it would do; diff mode is not supported (a licence is not configuration).
  - The texts for an exhausted auth code or a wrong licensing API key are not published by Palo Alto; the module
    passes on whatever PAN-OS says.
seealso:
  - name: Activate the license for the VM-Series firewall (Palo Alto Networks)
    description: Licensing a VM-Series with an auth code.
    link: https://docs.paloaltonetworks.com/vm-series/11-1/vm-series-deployment/license-the-vm-series-firewall
  - name: Deactivate the license(s) (Palo Alto Networks)
    description: The licensing API key and the deactivation of a VM-Series licence.
    link: https://docs.paloaltonetworks.com/vm-series/11-1/vm-series-deployment/license-the-vm-series-firewall/licensing-api
"""

EXAMPLES = r"""
- name: License the firewall from the auth code
  vmseries.aws_ha.license:
    provider: "{{ provider }}"
    auth_code: "{{ vault_vmseries_auth_code }}"
  register: licence

- name: Show the licence
  ansible.builtin.debug:
    msg: "{{ licence.model }} serial {{ licence.serial }} (restart took {{ licence.restart_wait }} s)"

- name: Give the licence back before terminating the instance
  vmseries.aws_ha.license:
    provider: "{{ provider }}"
    state: absent
    licensing_api_key: "{{ vault_vmseries_license_api_key }}"
"""

RETURN = r"""
licensed:
  description: Whether the firewall holds a VM-Series capacity licence at the end.
  returned: always
  type: bool
payg:
  description: Whether the firewall is a usage-based (PAYG) VM-Series (C(vm-cpuid) starts with C(AWSMP:)).
  returned: always
  type: bool
model:
  description: The capacity licence (C(show system info) C(vm-license)), null when none.
  returned: always
  type: str
  sample: VM-300
serial:
  description: The firewall's serial number, null while it has none.
  returned: always
  type: str
  sample: "007955100000001"
licenses:
  description:
    - The licences installed (C(request license info)) at the end, each with C(feature), C(description), C(serial),
      C(issued), C(expires) and C(expired).
    - Without the auth code PAN-OS lists beside each licence (C(authcode)), a secret.
  returned: always
  type: list
  elements: dict
  sample: [{feature: PA-VM, description: Standard VM-300, serial: "007955100000001", issued: "November 25, 2026",
            expires: Never, expired: "no"}]
restart_wait:
  description: Seconds from the licence fetch until the firewall was ready again (0 when nothing was fetched).
  returned: always
  type: float
deactivated:
  description: The licences given back (O(state=absent)), as RV(licenses) listed them before (without their auth code).
  returned: always
  type: list
  elements: dict
  sample: [{feature: PA-VM, description: Standard VM-300, serial: "007955100000001", issued: "November 25, 2026",
            expires: Never, expired: "no"}]
"""

import xml.etree.ElementTree as ET
from typing import Any, Dict, List, Optional, Tuple

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vmseries.aws_ha.plugins.module_utils.panos import (
    RAW_NETWORK_ERRORS,
    PanosConnection,
    is_invalid_credentials,
    provider_spec,
)
from ansible_collections.vmseries.aws_ha.plugins.module_utils.readiness import SYSTEM_INFO, wait_until_ready

LICENSE_INFO = "<request><license><info></info></license></request>"
DEACTIVATE = "<request><license><deactivate><VM-Capacity><mode>auto</mode></VM-Capacity></deactivate></license></request>"
# PAN-OS's answer to a successful fetch; plain text although sent as XML, so pan-python reports a parse error.
FETCH_INSTALLED = "VM Device License installed"
# How long the management services may take to go down after the fetch's answer, before the module
# stops looking for it (a firewall that does not restart at all is then checked as it is).
RESTART_START_TIMEOUT = 60.0


def fetch_cmd(auth_code: str) -> str:
    return f"<request><license><fetch><auth-code>{auth_code}</auth-code></fetch></license></request>"


def api_key_cmd(key: str) -> str:
    return f"<request><license><api-key><set><key>{key}</key></set></api-key></license></request>"


def read_system(system: Optional[ET.Element]) -> Dict[str, Any]:
    """Licence facts of `show system info`: serial (None while `unknown`), vm-license (None while
    `none`), and PAYG from the CPU id (AWSMP: for AWS Marketplace, AWS: for BYOL)."""
    def text(tag: str) -> str:
        return ((system.findtext(tag) if system is not None else None) or "").strip()

    serial, model = text("serial"), text("vm-license")
    return {"serial": serial if serial and serial != "unknown" else None,
            "model": model if model and model != "none" else None,
            "payg": text("vm-cpuid").startswith("AWSMP:")}


# What a result says of each licence. Not the <authcode>: it licenses further firewalls, and at
# teardown no option of the task holds it, so Ansible's no_log masking would not catch it.
LICENSE_FIELDS = ("feature", "description", "serial", "issued", "expires", "expired")


def read_licenses(response: ET.Element) -> List[Dict[str, Optional[str]]]:
    return [{name: (entry.findtext(name) or "").strip() or None for name in LICENSE_FIELDS}
            for entry in response.findall("result/licenses/entry")]


def read_auth_codes(response: ET.Element) -> List[str]:
    return [code for code in ((entry.findtext("authcode") or "").strip()
                              for entry in response.findall("result/licenses/entry")) if code]


class Licensing:
    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.params = module.params
        self.connection = PanosConnection(module, self.params["provider"])
        self.secrets = {value for value in (self.params["auth_code"], self.params["licensing_api_key"]) if value}

    def state(self) -> Tuple[Dict[str, Any], List[Dict[str, Optional[str]]]]:
        system = read_system(self.connection.op(SYSTEM_INFO).find("result/system"))
        info = self.connection.op(LICENSE_INFO)
        for code in read_auth_codes(info):
            # PAN-OS may name the auth code in a later answer (a refused deactivation): masked there
            # too, and by Ansible in anything else the module returns.
            self.secrets.add(code)
            self.module.no_log_values.add(code)
        return system, read_licenses(info)

    def panos_text(self, error: BaseException) -> str:
        """PAN-OS's words for a refusal, without any secret the module knows of."""
        return self.redact(str(error)).strip()

    def redact(self, text: str) -> str:
        text = self.connection.redact(text)
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, "********")
        return text

    def raw_op(self, cmd: str) -> Tuple[Optional[ET.Element], Optional[BaseException]]:
        """One request that changes the licence, not retried (a retry could use a second seat):
        the answer, or the error as raised."""
        try:
            return self.connection.device.op(cmd, cmd_xml=False), None
        except Exception as error:  # noqa: BLE001 - classified by the caller
            return None, error

    def exit(self, changed: bool, restart_wait: float = 0.0, deactivated: Optional[List[Dict[str, Any]]] = None,
             system: Optional[Dict[str, Any]] = None, licences: Optional[List[Dict[str, Any]]] = None) -> None:
        if system is None or licences is None:
            system, licences = self.state()
        self.module.exit_json(changed=changed, licensed=system["model"] is not None, payg=system["payg"],
                              model=system["model"], serial=system["serial"], licenses=licences,
                              restart_wait=restart_wait, deactivated=deactivated or [])

    # ---- present ---------------------------------------------------------------------------
    def present(self) -> None:
        system, licences = self.state()
        address = self.connection.address
        if system["model"] is not None:
            self.exit(False, system=system, licences=licences)
        if system["payg"]:
            self.module.fail_json(msg=(
                f"{address} is a usage-based (PAYG) VM-Series but reports no capacity licence (vm-license none): its "
                "AWS Marketplace licence is missing. Check the instance was launched from the PAYG listing you "
                "subscribed to and can reach the licensing server; an auth code does not apply to PAYG."))
        if not self.params["auth_code"]:
            if self.params["allow_unlicensed"]:
                self.module.warn(f"{address} is not licensed (evaluation: allow_unlicensed).")
                self.exit(False, system=system, licences=licences)
            self.module.fail_json(msg=(
                f"{address} is a BYOL VM-Series without a licence and no auth_code was given: set the VM-Series auth "
                "code (vmseries_auth_code, from Ansible Vault or the AWX credential), or allow_unlicensed for an "
                "evaluation."))
        if self.module.check_mode:
            self.exit(True, system=system, licences=licences)
        self.fetch()
        restart_wait = self.wait_for_restart()
        system, licences = self.state()
        if system["model"] is None or system["serial"] is None:
            self.module.fail_json(msg=(
                f"{address} accepted the auth code but reports no capacity licence after its restart (serial "
                f"{system['serial'] or 'unknown'}, vm-license none). Look at 'request license info' on the firewall "
                "and the auth code's devices in the Customer Support Portal."), licenses=licences)
        self.exit(True, restart_wait=restart_wait, system=system, licences=licences)

    def fetch(self) -> None:
        address = self.connection.address
        _answer, error = self.raw_op(fetch_cmd(self.params["auth_code"]))
        if error is None:
            return
        document = getattr(self.connection.device.xapi, "xml_document", None) or ""
        if FETCH_INSTALLED in document or FETCH_INSTALLED in str(error):
            return
        if isinstance(error, RAW_NETWORK_ERRORS) or "RemoteDisconnected" in str(error):
            # The firewall may drop the connection as it restarts its services (pan-os-ansible#183):
            # the licence is checked once it is back.
            return
        text = self.panos_text(error)
        if is_invalid_credentials(error):
            self.connection.fail_credentials("fetch the licence")
        advice = ("Check vmseries_auth_code against the Customer Support Portal (Assets > Auth Codes)."
                  if "invalid auth code" in text.lower() else
                  "An auth code licenses as many firewalls as it was bought for: deactivate one that no longer needs it "
                  "(teardown with the licensing API key does), use another auth code, or check the firewall reaches "
                  "the licensing server (updates.paloaltonetworks.com) through its management interface.")
        self.module.fail_json(msg=f"{address} could not be licensed with the auth code: PAN-OS says: {text}. {advice}")

    def wait_for_restart(self) -> float:
        """The management services restart after the fetch: wait until the API stops taking our
        credentials (or answering at all), then until the firewall is ready again."""
        started = self.connection.now()
        while self.connection.now() - started < RESTART_START_TIMEOUT:
            try:
                self.connection.device.op(SYSTEM_INFO, cmd_xml=False)
            except Exception:  # noqa: BLE001 - any failure means the services are going down
                break
            self.connection.pause(min(self.params["poll_interval"], 1.0))
        else:
            self.module.warn(f"{self.connection.address} took the licence without restarting its management services "
                             f"within {RESTART_START_TIMEOUT:.0f} s; checking it as it is.")
        # A fresh connection that treats refused credentials as the restart still running.
        restarted = PanosConnection(self.module, self.params["provider"], api_wait_timeout=self.params["restart_timeout"],
                                    boot_wait=True)
        wait_until_ready(restarted, self.params["restart_timeout"], self.params["poll_interval"])
        self.connection = restarted
        return round(self.connection.now() - started, 1)

    # ---- absent ----------------------------------------------------------------------------
    def absent(self) -> None:
        system, licences = self.state()
        address = self.connection.address
        if system["model"] is None or system["payg"]:
            # Nothing of ours to give back: unlicensed, or a marketplace licence that ends with the instance.
            self.exit(False, system=system, licences=licences)
        key = self.params["licensing_api_key"]
        if not key:
            self.module.fail_json(msg=(
                f"{address} holds a {system['model']} licence (serial {system['serial']}) and no licensing_api_key was "
                "given to deactivate it: set vmseries_license_api_key (Customer Support Portal, Products > API Key "
                "Management > Licensing API), or accept losing the licence (vmseries_teardown_keep_licenses) and "
                "deactivate it in the portal later."))
        capacity = [entry for entry in licences if entry["feature"] == "PA-VM"] or licences
        if self.module.check_mode:
            self.exit(True, deactivated=capacity, system=system, licences=licences)
        _answer, error = self.raw_op(api_key_cmd(key))
        if error is not None and "same as old" not in str(error).lower():
            self.module.fail_json(msg=f"{address} did not take the licensing API key: PAN-OS says: {self.panos_text(error)}.")
        answer, error = self.raw_op(DEACTIVATE)
        system, remaining = self.state()
        if system["model"] is not None:
            said = self.redact(str(error) if error is not None
                               else "".join(answer.find("result").itertext()) if answer is not None else "").strip()
            self.module.fail_json(msg=(
                f"{address} still holds its {system['model']} licence after the deactivation request: PAN-OS says: "
                f"{said}. Check the licensing API key and that the firewall reaches the "
                "licensing server; the instance was not terminated."), licenses=remaining)
        self.exit(True, deactivated=capacity, system=system, licences=remaining)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "provider": {"type": "dict", "required": True, "options": provider_spec()},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "auth_code": {"type": "str", "no_log": True},
            "allow_unlicensed": {"type": "bool", "default": False},
            "licensing_api_key": {"type": "str", "no_log": True},
            "restart_timeout": {"type": "int", "default": 900},
            "poll_interval": {"type": "float", "default": 2.0},
        },
        supports_check_mode=True,
    )
    licensing = Licensing(module)
    if module.params["state"] == "present":
        licensing.present()
    else:
        licensing.absent()


if __name__ == "__main__":
    main()
