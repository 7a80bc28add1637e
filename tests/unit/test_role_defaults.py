"""The AWS stage roles each default the pair variables they read (so every stage runs alone);
the values must be the same everywhere."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = ROOT / "roles"
CONTRACTS = ROOT / "docs" / "contracts.md"


def test_shared_defaults_agree():
    seen = {}
    for defaults in sorted(ROLES.glob("*/defaults/main.yml")):
        for name, value in (yaml.safe_load(defaults.read_text()) or {}).items():
            if not name.startswith("vmseries_"):
                continue
            if name in seen:
                assert seen[name][1] == value, f"{name}: {seen[name][0]} and {defaults} disagree"
            else:
                seen[name] = (defaults, value)
    assert "vmseries_subnet_cidrs" in seen


def documented_pair_variables():
    """The names in the first column of the pair variables table of docs/contracts.md; a row may
    shorten its later names to their suffix (`vmseries_failover_method` / `_timeout`)."""
    section = CONTRACTS.read_text().split("## Pair variables", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        stem = None
        for name in re.findall(r"`([a-z0-9_]+)`", line.split("|")[1]):
            if name.startswith("vmseries_"):
                names.add(name)
                stem = name.rsplit("_", 1)[0]
            elif name.startswith("_") and stem:
                names.add(stem + name)
    return names


def test_unprefixed_defaults_are_pair_variables():
    """.ansible-lint-ignore skips var-naming[no-role-prefix] for whole roles/*/defaults/main.yml
    files because the pair variables are the public interface; this keeps that skip from hiding
    a role's own variable without its prefix."""
    documented = documented_pair_variables()
    assert "vmseries_failover_report_dir" in documented
    stray = []
    for defaults in sorted(ROLES.glob("*/defaults/main.yml")):
        role = defaults.parts[-3]
        for name in yaml.safe_load(defaults.read_text()) or {}:
            if not name.lstrip("_").startswith(f"{role}_") and name not in documented:
                stray.append(f"{defaults.relative_to(ROOT)}: {name}")
    assert not stray, (
        "neither the role's prefix nor a pair variable of docs/contracts.md: " + ", ".join(stray)
    )
