# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The digest of what a stage role is asked to build: its variables and the collection's code."""

from __future__ import annotations

DOCUMENTATION = r"""
name: stage_inputs
short_description: A digest of a stage role's inputs and of the code that builds from them
version_added: 0.2.0
description:
  - Returns one SHA-256 hex digest over the values of the variables the role reads (the options
    of its C(meta/argument_specs.yml) C(main) entry point and the names in its C(defaults/main.yml),
    templated as the role would see them) and over the contents of the role's files and of the
    collection's C(plugins) directory.
  - M(vmseries.aws_ha.stage_fingerprint) records it beside the digest of what the stage built, so
    a changed variable, or an upgraded collection whose roles or modules build something else, makes
    the stage run in full again. A variable that is not set counts as not set, not as its default.
  - Values are only hashed, never returned.
options:
  _terms:
    description: The role's directory (C(role_path) inside a role).
    required: true
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


def input_names(role_dir: Path) -> List[str]:
    """The variables a role reads: its main entry point's options and its defaults."""
    names = set()
    spec_file = role_dir / "meta" / "argument_specs.yml"
    if spec_file.is_file():
        specs = yaml.safe_load(spec_file.read_text()) or {}
        names.update(((specs.get("argument_specs") or {}).get("main") or {}).get("options") or {})
    defaults_file = role_dir / "defaults" / "main.yml"
    if defaults_file.is_file():
        names.update(yaml.safe_load(defaults_file.read_text()) or {})
    return sorted(names)


def code_digest(directories: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for directory in directories:
        for path in sorted(p for p in directory.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(directory.parent)).encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


class LookupModule(LookupBase):
    def run(self, terms: List[Any], variables: Any = None, **kwargs: Any) -> List[str]:
        if len(terms) != 1:
            raise AnsibleLookupError("stage_inputs takes one term: the role's directory (role_path)")
        role_dir = Path(str(terms[0]))
        if not (role_dir / "tasks").is_dir():
            raise AnsibleLookupError(f"stage_inputs: {role_dir} is not a role's directory (no tasks/ in it)")
        self.set_options(var_options=variables, direct=kwargs)
        ignored = set(self.get_option("ignore") or [])
        variables = variables or {}
        values = {}
        for name in input_names(role_dir):
            if name in variables and name not in ignored:
                values[name] = self._templar.template(variables[name])
        document = {"inputs": values, "code": code_digest([role_dir, PLUGINS])}
        return [hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()]
