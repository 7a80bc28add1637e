# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A firewall's init-cfg.txt."""

from __future__ import annotations

DOCUMENTATION = r"""
name: bootstrap_init_cfg
short_description: A VM-Series firewall's init-cfg.txt
version_added: 0.3.0
description:
  - The basic configuration of a bootstrap package, one C(key=value) a line, as Palo Alto's
    init-cfg.txt takes it - the management interface as a DHCP client, the hostname, then the keys given
    (C(op-command-modes), C(plugin-op-commands), C(panorama-server), C(tplname), C(dgname), ...).
  - Keys whose value is empty or null are left out.
options:
  _input:
    description: The hostname.
    type: str
    required: true
  keys:
    description: More init-cfg keys and their values.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Render the primary's init-cfg.txt
  ansible.builtin.set_fact:
    init_cfg_primary: "{{ 'pair1-primary' | vmseries.aws_ha.bootstrap_init_cfg({'op-command-modes': 'jumbo-frame'}) }}"
"""

RETURN = r"""
_value:
  description: The file's text.
  type: str
"""

from typing import Any, Mapping, Optional

from ansible.errors import AnsibleFilterError

from ansible_collections.vmseries.aws_ha.plugins.module_utils import bootstrap_package


def bootstrap_init_cfg(hostname: str, keys: Optional[Mapping[str, Any]] = None) -> str:
    try:
        return bootstrap_package.init_cfg(str(hostname), keys)
    except bootstrap_package.PackageError as error:
        raise AnsibleFilterError(str(error)) from error


class FilterModule:
    def filters(self):
        return {"bootstrap_init_cfg": bootstrap_init_cfg}
