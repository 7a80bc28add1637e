"""lower_bound_problems: every number the roles read has its lower bound in the one table, a value
below it is named with the value and the bound, and what is not a number is left to the argument
spec check."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
import yaml
from ansible.errors import AnsibleLookupError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

try:
    from ansible.template import trust_as_template
except ImportError:  # before ansible-core 2.19 every string is a template
    def trust_as_template(value):
        return value

from ansible_collections.vmseries.aws_ha.plugins.lookup import lower_bound_problems as bounds
from ansible_collections.vmseries.aws_ha.plugins.lookup import stage_argument_spec

REPO = Path(__file__).resolve().parents[4]
ROLES = REPO / "roles"
# Ranges of their own in pair_preflight (HA group id 1-63; the priorities, a dict, 0-255).
BOUNDED_BY_PAIR_PREFLIGHT = {"vmseries_ha_group_id"}


def numbers(spec: Dict[str, Any], prefix: str = "") -> Iterator[str]:
    """The paths, in the table's notation, of every int or float option and suboption."""
    for name, option in spec.items():
        path = f"{prefix}.{name}" if prefix else name
        if option.get("type") in ("int", "float"):
            yield path
        if option.get("options"):
            yield from numbers(option["options"], f"{path}[]" if option.get("type") == "list" else path)


def test_every_number_of_every_role_has_a_lower_bound():
    table = {bound.path for bound in bounds.LOWER_BOUNDS}
    found = set(numbers(stage_argument_spec.merged_spec(ROLES)))
    assert {"vmseries_pair_check_timeout", "vmseries_static_routes[].metric"} <= found
    assert found - BOUNDED_BY_PAIR_PREFLIGHT <= table
    # A dict without suboptions in the spec, documented as holding the ports.
    assert {"vmseries_panos_endpoints.*.api_port", "vmseries_panos_endpoints.*.ssh_port"} <= table


def test_every_bound_is_of_a_variable_of_the_roles():
    merged = stage_argument_spec.merged_spec(ROLES)
    assert {bound.variable for bound in bounds.LOWER_BOUNDS} <= set(merged)


def test_the_roles_defaults_are_within_their_bounds():
    for defaults_file in ROLES.glob("*/defaults/main.yml"):
        assert bounds.problems(yaml.safe_load(defaults_file.read_text()) or {}) == [], defaults_file


def test_a_value_below_its_bound_is_named_with_the_value_and_the_bound():
    problems = bounds.problems({"vmseries_pair_check_timeout": -5, "vmseries_boot_timeout": 0,
                                "vmseries_failover_timeout": 1, "vmseries_license_restart_timeout": 900})
    assert len(problems) == 2
    assert problems[0].startswith("vmseries_boot_timeout 0 is below its lower bound 1: ")
    assert problems[1].startswith("vmseries_pair_check_timeout -5 is below its lower bound 1: ")
    assert all(problem.endswith("Set it to 1 or more.") for problem in problems)


def test_numbers_are_read_as_the_argument_spec_reads_them_and_the_rest_is_left_to_it():
    assert bounds.problems({"vmseries_pair_check_timeout": "-5"})[0].startswith("vmseries_pair_check_timeout -5 ")
    assert bounds.problems({"vmseries_pair_check_timeout": -0.0})[0].startswith("vmseries_pair_check_timeout 0 ")
    for not_a_number in ("later", "", None, True, [-5], {"seconds": -5}, 2.5):
        assert bounds.problems({"vmseries_pair_check_timeout": not_a_number}) == [], not_a_number


def test_paths_into_lists_and_dicts_name_the_element():
    routes = [{"name": "vpc", "destination": "10.0.0.0/8", "metric": 10},
              {"name": "onprem", "destination": "192.168.0.0/16"},
              {"name": "zero", "destination": "172.16.0.0/12", "metric": 0}]
    endpoints = {"i-0123": {"api_host": "127.0.0.1", "api_port": 0, "ssh_port": 2222},
                 "i-4567": {"ssh_port": -22}}
    problems = bounds.problems({"vmseries_static_routes": routes, "vmseries_panos_endpoints": endpoints})
    assert [problem.split(":")[0] for problem in problems] == [
        "vmseries_static_routes[2].metric 0 is below its lower bound 1",
        "vmseries_panos_endpoints.i-0123.api_port 0 is below its lower bound 1",
        "vmseries_panos_endpoints.i-4567.ssh_port -22 is below its lower bound 1",
    ]
    # Shapes the argument spec refuses reach nothing here.
    assert bounds.problems({"vmseries_static_routes": {"metric": 0}, "vmseries_panos_endpoints": [{"api_port": 0}]}) == []


def test_the_lookup_reads_the_variables_as_the_task_sees_them():
    # As the inventory gives it: a template the task resolves.
    variables = {"vmseries_pair_check_timeout": trust_as_template("{{ wait }}"), "wait": -5, "vmseries_boot_timeout": 60}
    lookup = bounds.LookupModule(loader=DataLoader(), templar=Templar(loader=DataLoader(), variables=variables))
    problems = lookup.run([], variables=variables)
    assert len(problems) == 1 and problems[0].startswith("vmseries_pair_check_timeout -5 is below its lower bound 1")
    assert lookup.run([], variables={}) == []
    with pytest.raises(AnsibleLookupError, match="takes no terms"):
        lookup.run(["vmseries_boot_timeout"], variables=variables)


def test_the_preflight_readme_lists_every_bound():
    readme = (ROLES / "preflight" / "README.md").read_text()
    for bound in bounds.LOWER_BOUNDS:
        assert f"`{bound.path}`" in readme, bound.path
