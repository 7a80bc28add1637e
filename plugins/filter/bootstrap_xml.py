# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A firewall's bootstrap.xml, rendered from the pair's configuration."""

from __future__ import annotations

DOCUMENTATION = r"""
name: bootstrap_xml
short_description: A VM-Series firewall's bootstrap.xml, from the configuration of its HA pair
version_added: 0.3.0
description:
  - Renders the whole configuration a firewall of the pair boots with from a complete bootstrap
    (C(vmseries_bootstrap=s3)), from the result of P(vmseries.aws_ha.pair_config#filter), with the same
    pan-os-python object builders the collection's modules converge running firewalls with.
  - It holds the administrator with its password hash, the management interface as a DHCP client, the
    HA2 link, the dataplane interfaces, zones and virtual router (on both firewalls, as config sync
    leaves them, so the pair forms synchronized) and this firewall's own HA settings.
requirements:
  - pan-os-python
options:
  _input:
    description: The pair's configuration, the result of P(vmseries.aws_ha.pair_config#filter).
    type: dict
    required: true
  node:
    description: C(primary) or C(secondary).
    type: str
    required: true
  panos_version:
    description: The PAN-OS version the firewall boots (the AMI's); objects are rendered in its layout.
    type: str
    required: true
  hostname:
    description: The firewall's hostname.
    type: str
    required: true
  admin_username:
    description: The administrator's name.
    type: str
    required: true
  admin_phash:
    description:
      - The administrator's password hash, a crypt string such as C(password_hash('sha256', salt)) makes.
      - Give the same salt on every run, so that an unchanged password renders the same file.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Render the primary's bootstrap.xml
  ansible.builtin.set_fact:
    bootstrap_xml_primary: >-
      {{ pair_facts_config | vmseries.aws_ha.bootstrap_xml('primary', '11.1.4-h7', 'pair1-primary', 'admin',
      vmseries_admin_password | password_hash('sha256', 'pair1salt')) }}
  no_log: true
"""

RETURN = r"""
_value:
  description: The XML document.
  type: str
"""

from typing import Any, Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.vmseries.aws_ha.plugins.module_utils import bootstrap_package


def bootstrap_xml(config: Mapping[str, Any], node: str, panos_version: str, hostname: str, admin_username: str,
                  admin_phash: str) -> str:
    try:
        return bootstrap_package.bootstrap_xml(config, str(node), str(panos_version), str(hostname),
                                               str(admin_username), str(admin_phash))
    except NameError as error:  # pan-os-python's classes were not importable
        raise AnsibleFilterError("bootstrap_xml needs pan-os-python on the controller (pip install pan-os-python).") from error
    except bootstrap_package.PackageError as error:
        raise AnsibleFilterError(str(error)) from error


class FilterModule:
    def filters(self):
        return {"bootstrap_xml": bootstrap_xml}
