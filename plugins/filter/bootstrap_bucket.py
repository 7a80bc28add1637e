# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The name of a firewall's bootstrap bucket."""

from __future__ import annotations

DOCUMENTATION = r"""
name: bootstrap_bucket
short_description: The S3 bucket a VM-Series firewall of an HA pair bootstraps from
version_added: 0.3.0
description:
  - "C(<pair>-<node>-bootstrap-<account id>): one bucket per firewall, as Palo Alto's HA template makes them.
    The account id keeps pairs of the same name in two accounts apart, since bucket names are global."
  - Fails with what to change when the name is not a valid bucket name (a pair name too long or not lowercase).
options:
  _input:
    description: The pair's name.
    type: str
    required: true
  node:
    description: C(primary) or C(secondary).
    type: str
    required: true
  account_id:
    description: The AWS account id.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Name the primary's bootstrap bucket
  ansible.builtin.debug:
    msg: "{{ vmseries_pair_name | vmseries.aws_ha.bootstrap_bucket('primary', caller.account) }}"
"""

RETURN = r"""
_value:
  description: The bucket name.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.vmseries.aws_ha.plugins.module_utils import bootstrap_package


def bootstrap_bucket(pair_name: str, node: str, account_id: str) -> str:
    try:
        return bootstrap_package.bucket_name(str(pair_name), str(node), str(account_id))
    except bootstrap_package.PackageError as error:
        raise AnsibleFilterError(str(error)) from error


class FilterModule:
    def filters(self):
        return {"bootstrap_bucket": bootstrap_bucket}
