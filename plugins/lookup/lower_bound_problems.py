# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lower bound of every number the stages read (timeouts, route metrics, ports), in one table,
so that preflight refuses a value below it before anything changes. The roles' argument specs
cannot say it: ansible-core's argument spec knows types and choices, not bounds."""

from __future__ import annotations

DOCUMENTATION = r"""
name: lower_bound_problems
short_description: The numbers of a pair definition that are below their lower bound
version_added: 0.2.0
description:
  - Checks every number a stage role of this collection reads (the timeouts of the stages and of the
    failover check, the metrics of C(vmseries_static_routes), the ports of C(vmseries_panos_endpoints))
    against its lower bound, from one table in this plugin, and returns a message for each value below
    it, naming the variable (with the path into a list or dict), the value and the bound.
  - Reads the variables as the calling task sees them (inventory, extra vars); a variable that is not
    set is not checked (the roles' defaults are at or above their bounds). A value that is not a number
    is left to the argument spec check (M(ansible.builtin.validate_argument_spec) with
    P(vmseries.aws_ha.stage_argument_spec#lookup)), which names it.
  - Used by the preflight role, so a negative C(vmseries_pair_check_timeout) is refused before the pair
    is built instead of failing the pair check afterwards.
  - The HA group id and the device priorities have ranges of their own, checked by
    M(vmseries.aws_ha.pair_preflight).
"""

EXAMPLES = r"""
- name: Refuse the numbers below their lower bound
  ansible.builtin.assert:
    that: query('vmseries.aws_ha.lower_bound_problems') | length == 0
    fail_msg: "{{ query('vmseries.aws_ha.lower_bound_problems') | join(' ') }}"
"""

RETURN = r"""
_raw:
  description: The problems, each a sentence naming the variable, its value and the bound; empty when none.
  type: list
  elements: str
"""

from dataclasses import dataclass
from typing import Any, Iterator, List, Mapping, Sequence, Tuple

from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.validation import check_type_int
from ansible.plugins.lookup import LookupBase


@dataclass(frozen=True)
class Bound:
    # A variable, or a path into it: `[]` is every element of a list, `*` every value of a dict.
    path: str
    minimum: int
    why: str

    @property
    def steps(self) -> List[str]:
        return self.path.replace("[]", ".[]").split(".")

    @property
    def variable(self) -> str:
        return self.steps[0]


# A timeout is a number of seconds to wait. At 0 or less nothing is waited for, so the stage fails
# although the firewalls are fine, and by then AWS has changed (the instances run, or the active
# firewall is stopped).
LOWER_BOUNDS: Tuple[Bound, ...] = (
    Bound("vmseries_boot_timeout", 1,
          "it is the seconds a launched firewall's SSH, API and readiness are waited for, and waiting for none "
          "fails the stage with the instances already running"),
    Bound("vmseries_license_restart_timeout", 1,
          "it is the seconds a firewall's restart after licensing is waited for, and waiting for none fails the "
          "stage with the instances already running"),
    # The commit stage reads 0 as "do not wait": the first firewall would not settle active before
    # its peer gets HA.
    Bound("vmseries_pair_check_timeout", 1,
          "it is the seconds the first firewall is given to settle active and the pair to form, sync and "
          "settle, and giving none fails the run after the pair is built"),
    Bound("vmseries_failover_timeout", 1,
          "it is the seconds the failover is given once the active firewall is stopped, and giving none fails "
          "the check with that firewall already stopped"),
    Bound("vmseries_failover_restore_timeout", 1,
          "it is the seconds the old active is given to rejoin the pair, and giving none fails the check while "
          "it restarts"),
    Bound("vmseries_upgrade_job_timeout", 1,
          "it is the seconds a download or install job is given, and giving none fails the upgrade mid-way"),
    Bound("vmseries_upgrade_boot_timeout", 1,
          "it is the seconds a restarted firewall is given to rejoin its peer, and giving none fails the upgrade "
          "with that firewall restarting"),
    Bound("vmseries_upgrade_failover_timeout", 1,
          "it is the seconds the failover is given once the active is suspended, and giving none fails the "
          "upgrade with that firewall suspended"),
    Bound("vmseries_upgrade_poll_interval", 1,
          "it is the seconds between polls, and polling without a pause floods the firewalls' management plane"),
    Bound("vmseries_static_routes[].metric", 1, "PAN-OS accepts a static route metric of 1-65535"),
    Bound("vmseries_panos_endpoints.*.api_port", 1, "a TCP port is 1-65535"),
    Bound("vmseries_panos_endpoints.*.ssh_port", 1, "a TCP port is 1-65535"),
)


def _values(value: Any, steps: Sequence[str], where: str) -> Iterator[Tuple[str, Any]]:
    """(name with its path, value) of what a path reaches; shapes that do not fit reach nothing,
    since the argument spec check reports them."""
    if not steps:
        yield where, value
    elif steps[0] == "[]":
        if isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                yield from _values(item, steps[1:], f"{where}[{index}]")
    elif isinstance(value, Mapping):
        keys = list(value) if steps[0] == "*" else [steps[0]] if steps[0] in value else []
        for key in keys:
            yield from _values(value[key], steps[1:], f"{where}.{key}")


def problems(variables: Mapping[str, Any], bounds: Sequence[Bound] = LOWER_BOUNDS) -> List[str]:
    """A message for each value of ``variables`` (templated) below its bound."""
    found: List[str] = []
    for bound in bounds:
        if bound.variable not in variables:
            continue
        for where, value in _values(variables[bound.variable], bound.steps[1:], bound.variable):
            if value is None or isinstance(value, bool):
                continue
            try:
                number = check_type_int(value)
            except TypeError:
                continue
            if number < bound.minimum:
                found.append(f"{where} {number} is below its lower bound {bound.minimum}: {bound.why}. "
                             f"Set it to {bound.minimum} or more.")
    return found


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        if terms or kwargs:
            raise AnsibleLookupError("lower_bound_problems takes no terms and no options: it reads the variables "
                                     "of its own table")
        variables = variables or {}
        names = sorted({bound.variable for bound in LOWER_BOUNDS})
        return problems({name: self._templar.template(variables[name]) for name in names if name in variables})
