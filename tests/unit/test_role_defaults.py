"""The AWS stage roles each default the pair variables they read (so every stage runs alone);
the values must be the same everywhere."""

from __future__ import annotations

from pathlib import Path

import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"


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
