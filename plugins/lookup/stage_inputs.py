# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The digest of what a stage role is asked to build: its variables and the collection's code."""

from __future__ import annotations

DOCUMENTATION = r"""
name: stage_inputs
short_description: A digest of a stage role's inputs and of the code that builds from them
version_added: 0.2.0
description:
  - Returns one SHA-256 hex digest over the values of the variables the roles read (the options
    of their C(meta/argument_specs.yml) C(main) entry point and the names in their C(defaults/main.yml),
    templated as the task calling the lookup sees them), over O(extra), and over the contents of the
    roles' files and of the collection's C(plugins) directory (documentation files left out).
  - Options marked C(no_log) in an argument spec (passwords, keys) are left out.
  - M(vmseries.aws_ha.stage_fingerprint) records it beside the digest of what the stage built, so
    a changed variable, or an upgraded collection whose roles or modules build something else, makes
    the stage run in full again. A variable that is not set counts as not set, not as its default.
  - Values are only hashed, never returned.
options:
  _terms:
    description: The roles, each by its directory (C(role_path) inside a role) or its name in this collection.
    required: true
  extra:
    description: More of what the stages build from (facts read from AWS), hashed with the variables.
    type: raw
  ignore:
    description: Variables of the role left out (those that say how to run the stage, not what to build).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Compare the network with what the last converge left
  vmseries.aws_ha.stage_fingerprint:
    stage: network
    pair_name: "{{ vmseries_pair_name }}"
    inputs_digest: "{{ lookup('vmseries.aws_ha.stage_inputs', role_path) }}"
"""

RETURN = r"""
_raw:
  description: One element, the digest (64 hex characters).
  type: list
  elements: str
"""

import hashlib
import json
from pathlib import Path
from typing import Any, Iterable, List

import yaml

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

PLUGINS = Path(__file__).resolve().parents[1]
ROLES = PLUGINS.parent / "roles"


def input_names(role_dir: Path) -> List[str]:
    """The variables a role reads: its main entry point's options (secrets left out) and its defaults."""
    names = set()
    spec_file = role_dir / "meta" / "argument_specs.yml"
    if spec_file.is_file():
        specs = yaml.safe_load(spec_file.read_text()) or {}
        options = ((specs.get("argument_specs") or {}).get("main") or {}).get("options") or {}
        names.update(name for name, option in options.items() if not (option or {}).get("no_log"))
    defaults_file = role_dir / "defaults" / "main.yml"
    if defaults_file.is_file():
        names.update(yaml.safe_load(defaults_file.read_text()) or {})
    return sorted(names)


def code_digest(directories: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for directory in directories:
        # Documentation (README.md) builds nothing.
        for path in sorted(p for p in directory.rglob("*")
                           if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".md"):
            digest.update(str(path.relative_to(directory.parent)).encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


class LookupModule(LookupBase):
    def run(self, terms: List[Any], variables: Any = None, **kwargs: Any) -> List[str]:
        if not terms:
            raise AnsibleLookupError("stage_inputs takes the roles: role_path, or role names of this collection")
        role_dirs = [Path(str(term)) if "/" in str(term) else ROLES / str(term) for term in terms]
        for role_dir in role_dirs:
            if not (role_dir / "tasks").is_dir():
                raise AnsibleLookupError(f"stage_inputs: {role_dir} is not a role's directory (no tasks/ in it)")
        unknown = set(kwargs) - {"ignore", "extra"}
        if unknown:
            raise AnsibleLookupError(f"stage_inputs: unknown options {sorted(unknown)} (it takes ignore and extra)")
        ignored = set(kwargs.get("ignore") or [])
        variables = variables or {}
        values = {}
        for name in sorted({name for role_dir in role_dirs for name in input_names(role_dir)}):
            if name in variables and name not in ignored:
                values[name] = self._templar.template(variables[name])
        document = {"inputs": values, "extra": kwargs.get("extra"), "code": code_digest([*role_dirs, PLUGINS])}
        return [hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()]
