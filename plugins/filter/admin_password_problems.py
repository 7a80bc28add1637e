# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PAN-OS's default password rules as a filter, so preflight reports a refused password without
passing it to a module: a module scrubs its no_log values from everything it returns, and a weak
password such as "admin" would then be masked inside the very variable names of the message."""

from __future__ import annotations

DOCUMENTATION = r"""
name: admin_password_problems
short_description: What PAN-OS's default password rules refuse in an admin password
version_added: 0.2.0
description:
  - Returns, as a list of messages naming C(vmseries_admin_password), why PAN-OS would refuse the
    password as the admin password with its default rules; an empty list when it passes. The
    messages never contain the password.
  - The rules are at least 8 characters with a lowercase letter, an uppercase letter and a number
    or special character (PAN-OS 9.0.4 and later), and not a commonly used word whatever its case
    (PAN-OS 10.1 and later; Palo Alto publishes examples of those words only, and those are what is
    refused here). An empty password is refused too. A password complexity profile on the firewall
    may refuse more.
options:
  _input:
    description: The password.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse a password PAN-OS would refuse
  ansible.builtin.assert:
    that: vmseries_admin_password | vmseries.aws_ha.admin_password_problems | length == 0
    fail_msg: "{{ vmseries_admin_password | vmseries.aws_ha.admin_password_problems | join(' ') }}"
"""

RETURN = r"""
_value:
  description: The problems, each a sentence naming C(vmseries_admin_password); empty when none.
  type: list
  elements: str
"""

from typing import Any, List

from ansible_collections.vmseries.aws_ha.plugins.module_utils.aws_preflight import validate_admin_password


def admin_password_problems(password: Any) -> List[str]:
    return validate_admin_password("" if password is None else str(password))


class FilterModule:
    def filters(self):
        return {"admin_password_problems": admin_password_problems}
