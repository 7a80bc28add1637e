# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One argument spec for every variable the collection's stages read, merged from the roles' own
meta/argument_specs.yml, so that preflight validates against the definitions the stages use."""

from __future__ import annotations

DOCUMENTATION = r"""
name: stage_argument_spec
short_description: The merged argument spec of every stage role of the collection
version_added: 0.2.0
description:
  - Reads C(meta/argument_specs.yml) of every role of this collection, every entry point
    (C(main), C(teardown)), and merges their options into one argument spec, for
    M(ansible.builtin.validate_argument_spec). The roles' specs stay the only definition of the
    variables; the preflight role uses this lookup to check, before anything is created, every
    variable that C(site.yml), C(playbooks/verify_failover.yml) and C(playbooks/teardown.yml) read.
  - Descriptions and defaults are left out (validation does not need them). An option required
    by any entry point is required in the merged spec.
  - An option defined differently by two roles (type, choices, elements, suboptions) is an error
    naming both roles, because preflight could otherwise accept what a stage refuses.
"""

EXAMPLES = r"""
- name: Check every variable the stages read
  ansible.builtin.validate_argument_spec:
    argument_spec: "{{ lookup('vmseries.aws_ha.stage_argument_spec') }}"
"""

RETURN = r"""
_raw:
  description: One element, the merged argument spec (option name to its definition).
  type: list
  elements: dict
"""

from pathlib import Path
from typing import Any, Dict, Iterable, Tuple

import yaml

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

ROLES = Path(__file__).resolve().parents[2] / "roles"
# What the spec says to people, not to the validator.
NOT_VALIDATED = ("description", "default", "version_added")


def _strip(option: Dict[str, Any]) -> Dict[str, Any]:
    stripped = {key: value for key, value in option.items() if key not in NOT_VALIDATED}
    if "options" in stripped:
        stripped["options"] = {name: _strip(sub) for name, sub in stripped["options"].items()}
    return stripped


def role_specs(roles_dir: Path) -> Iterable[Tuple[str, Dict[str, Any]]]:
    """(role:entry point, options) of every role's argument_specs.yml, roles in name order."""
    for spec_file in sorted(roles_dir.glob("*/meta/argument_specs.yml")):
        role = spec_file.parent.parent.name
        entry_points = (yaml.safe_load(spec_file.read_text()) or {}).get("argument_specs") or {}
        for entry_point, spec in sorted(entry_points.items()):
            yield f"{role}:{entry_point}", spec.get("options") or {}


def merged_spec(roles_dir: Path = ROLES) -> Dict[str, Any]:
    merged: Dict[str, Dict[str, Any]] = {}
    defined_by: Dict[str, str] = {}
    required = set()
    for where, options in role_specs(roles_dir):
        for name, option in options.items():
            definition = _strip(option)
            if definition.pop("required", False):
                required.add(name)
            if name not in merged:
                merged[name], defined_by[name] = definition, where
            elif merged[name] != definition:
                raise AnsibleLookupError(
                    f"{name} is defined differently by {defined_by[name]} ({merged[name]}) and {where} ({definition}) "
                    "in the roles' meta/argument_specs.yml: make the two definitions the same.")
    return {name: {**definition, "required": True} if name in required else definition
            for name, definition in merged.items()}


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        if not ROLES.is_dir():
            raise AnsibleLookupError(f"no roles directory at {ROLES}: the lookup must run from the collection")
        return [merged_spec(ROLES)]
