"""The merged spec is the roles' specs: every option of every role's entry point, validated the
same way; two roles defining one variable differently stop the lookup."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.vmseries.aws_ha.plugins.lookup import stage_argument_spec as lookup

ROLES = Path(__file__).resolve().parents[4] / "roles"


def test_every_option_of_every_role_is_in_the_merged_spec():
    merged = lookup.merged_spec(ROLES)
    for spec_file in ROLES.glob("*/meta/argument_specs.yml"):
        for entry_point in yaml.safe_load(spec_file.read_text())["argument_specs"].values():
            assert set(entry_point.get("options", {})) <= set(merged), spec_file
    assert "vmseries_ha_timers" in merged and "vmseries_teardown_confirm" in merged
    assert merged["vmseries_pair_name"]["required"] is True


def test_the_merged_spec_refuses_what_the_stages_refuse():
    result = ArgumentSpecValidator(lookup.merged_spec(ROLES)).validate({
        "vmseries_pair_name": "p", "vmseries_region": "us-east-1", "vmseries_availability_zone": "us-east-1a",
        "vmseries_operator_cidrs": ["203.0.113.0/24"], "vmseries_admin_password": "x",
        "vmseries_ha_timers": "fast", "vmseries_dataplane_addressing": "bogus", "vmseries_boot_timeout": "soon"})
    errors = " ".join(result.error_messages)
    assert "vmseries_ha_timers must be one of" in errors and "got: fast" in errors
    assert "vmseries_dataplane_addressing must be one of" in errors and "got: bogus" in errors
    assert "vmseries_boot_timeout" in errors
    assert len(result.error_messages) == 3


def write_role(roles: Path, name: str, options: dict) -> None:
    meta = roles / name / "meta"
    meta.mkdir(parents=True)
    (meta / "argument_specs.yml").write_text(yaml.safe_dump({"argument_specs": {"main": {"options": options}}}))


def test_required_anywhere_is_required(tmp_path):
    write_role(tmp_path, "a", {"v": {"type": "str", "description": "one"}})
    write_role(tmp_path, "b", {"v": {"type": "str", "required": True, "description": "other words"}})
    assert lookup.merged_spec(tmp_path) == {"v": {"type": "str", "required": True}}


def test_two_definitions_of_one_variable_stop_the_lookup(tmp_path):
    write_role(tmp_path, "a", {"v": {"type": "str", "choices": ["x", "y"]}})
    write_role(tmp_path, "b", {"v": {"type": "str", "choices": ["x"]}})
    with pytest.raises(AnsibleLookupError, match="v is defined differently by a:main .* and b:main"):
        lookup.merged_spec(tmp_path)
