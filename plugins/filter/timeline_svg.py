# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The upgrade's and the failover check's reports as pictures, written beside the JSON."""

from __future__ import annotations

DOCUMENTATION = r"""
name: timeline_svg
short_description: A pair_upgrade or failover_verify report as an SVG timeline
version_added: 0.2.0
description:
  - An upgrade report (the result of M(vmseries.aws_ha.pair_upgrade)) becomes one band per
    firewall coloured by its HA state over time, labelled with the version it ran, the dataplane
    outage windows marked across both.
  - A failover report (the C(report) of M(vmseries.aws_ha.failover_verify)) becomes its steps on a
    time axis from the trigger to the moment the dataplane led to the new active.
  - Plain SVG 1.1, no script and no external resource, so any browser or image viewer shows it.
options:
  _input:
    description: The report.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Draw the failover
  ansible.builtin.copy:
    dest: reports/failover-prod-east.svg
    content: "{{ failover_verify_result.report | vmseries.aws_ha.timeline_svg }}"
    mode: "0644"
"""

RETURN = r"""
_value:
  description: The SVG document.
  type: str
"""

from typing import Any, Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.vmseries.aws_ha.plugins.module_utils.timeline_svg import timeline_svg as render


def timeline_svg(report: Mapping[str, Any]) -> str:
    try:
        return render(report)
    except (ValueError, KeyError, TypeError) as error:
        raise AnsibleFilterError(f"timeline_svg: {error}") from error


class FilterModule:
    def filters(self):
        return {"timeline_svg": timeline_svg}
