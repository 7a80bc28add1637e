"""stage_inputs: a role's variables (secrets and the ignored ones left out), the extra facts and
the collection's code make the digest; nothing else does."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ansible.errors import AnsibleLookupError
from ansible.template import Templar
from ansible.parsing.dataloader import DataLoader

from ansible_collections.vmseries.aws_ha.plugins.lookup import stage_inputs

ROLES = Path(__file__).resolve().parents[4] / "roles"


def digest(terms, variables, **kwargs):
    lookup = stage_inputs.LookupModule(loader=DataLoader(), templar=Templar(loader=DataLoader(), variables=variables))
    return lookup.run(terms, variables=variables, **kwargs)[0]


NETWORK = {"vmseries_pair_name": "p1", "vmseries_vpc_cidr": "10.1.0.0/16", "vmseries_full_converge": False}


def test_input_names_are_the_spec_options_and_defaults_without_secrets():
    names = stage_inputs.input_names(ROLES / "network")
    assert {"vmseries_pair_name", "vmseries_vpc_cidr", "vmseries_untrust_ingress_rules"} <= set(names)
    assert "vmseries_admin_password" not in stage_inputs.input_names(ROLES / "panos_sync")
    assert "vmseries_pair_check_timeout" in stage_inputs.input_names(ROLES / "panos_sync")


def test_a_changed_variable_changes_the_digest_an_unrelated_or_ignored_one_does_not():
    base = digest([str(ROLES / "network")], NETWORK, ignore=["vmseries_full_converge"])
    assert len(base) == 64
    assert digest([str(ROLES / "network")], {**NETWORK, "vmseries_vpc_cidr": "10.2.0.0/16"},
                  ignore=["vmseries_full_converge"]) != base
    assert digest([str(ROLES / "network")], {**NETWORK, "unrelated": 1}, ignore=["vmseries_full_converge"]) == base
    assert digest([str(ROLES / "network")], {**NETWORK, "vmseries_full_converge": True},
                  ignore=["vmseries_full_converge"]) == base


def test_secrets_are_not_hashed():
    variables = {"vmseries_pair_name": "p1", "vmseries_admin_password": "one"}
    assert digest(["panos_sync"], variables) == digest(["panos_sync"], {**variables, "vmseries_admin_password": "two"})


def test_extra_facts_and_role_names_count():
    one = digest(["panos_interfaces", "panos_ha"], {"vmseries_pair_name": "p1"}, extra={"dataplane_node": "primary"})
    two = digest(["panos_interfaces", "panos_ha"], {"vmseries_pair_name": "p1"}, extra={"dataplane_node": "secondary"})
    assert one != two


def test_the_roles_code_counts(tmp_path):
    role = tmp_path / "network"
    shutil.copytree(ROLES / "network", role)
    before = digest([str(role)], NETWORK)
    (role / "tasks" / "vpc.yml").write_text((role / "tasks" / "vpc.yml").read_text() + "\n# changed\n")
    assert digest([str(role)], NETWORK) != before


def test_not_a_role_is_refused(tmp_path):
    with pytest.raises(AnsibleLookupError, match="is not a role's directory"):
        digest([str(tmp_path)], {})
