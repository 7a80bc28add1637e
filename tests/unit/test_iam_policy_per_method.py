"""The IAM policy the iam role writes, per HA method: exactly the actions Palo Alto lists for it,
and (evaluated by the lab's IAM evaluator, which the lab's firewalls answer to) allowing every
call that method's failover makes on the pair's resources, in both the open and the scoped form,
and nothing of the other method's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from vmseries_lab import iam_policy

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")
FOUR = {"ec2:AttachNetworkInterface", "ec2:DetachNetworkInterface", "ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces"}
SECONDARY_IP = FOUR | {"ec2:AssignPrivateIpAddresses", "ec2:AssociateAddress", "ec2:DescribeRouteTables", "ec2:ReplaceRoute"}
PAIR = {"vmseries:pair": "p1"}


@pytest.fixture(scope="module")
def policies(tmp_path_factory):
    """The role's policies rendered by Ansible itself from roles/iam/vars and defaults, for each
    method and for the pair's own or the user's route tables."""
    out = tmp_path_factory.mktemp("iam")
    cases = {
        "interface_move": {"vmseries_ha_method": "interface_move"},
        "secondary_ip": {"vmseries_ha_method": "secondary_ip"},
        "secondary_ip_user_tables": {"vmseries_ha_method": "secondary_ip", "vmseries_protected_route_tables": ["rtb-0123456789abcdef0"]},
    }
    tasks = [{"name": name, "ansible.builtin.copy": {
        "dest": str(out / f"{name}.json"), "mode": "0600",
        "content": "{{ {'open': iam_policy_open, 'scoped': iam_policy_scoped, 'description': iam_policy_descriptions[vmseries_ha_method]} | to_json }}"},
        "vars": variables} for name, variables in cases.items()]
    play = [{"hosts": "localhost", "gather_facts": False,
             "vars_files": [str(REPO / "roles/iam/defaults/main.yml"), str(REPO / "roles/iam/vars/main.yml")],
             "vars": {"vmseries_pair_name": "p1"}, "tasks": tasks}]
    (out / "play.yml").write_text(json.dumps(play))
    proc = subprocess.run([PLAYBOOK, str(out / "play.yml"), "-i", "localhost,", "-c", "local",
                           "-e", f"ansible_python_interpreter={sys.executable}"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return {name: json.loads((out / f"{name}.json").read_text()) for name in cases}


def actions(document):
    found = set()
    for statement in document["Statement"]:
        found.update([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    return found


@pytest.mark.parametrize("name, expected", [("interface_move", FOUR), ("secondary_ip", SECONDARY_IP),
                                            ("secondary_ip_user_tables", SECONDARY_IP)])
def test_exactly_the_methods_actions(policies, name, expected):
    assert actions(policies[name]["open"]) == expected
    assert actions(policies[name]["scoped"]) == expected
    assert all(s["Effect"] == "Allow" for s in policies[name]["scoped"]["Statement"])


def test_the_interface_move_description_is_the_one_aws_already_has():
    # AWS keeps a policy's description as created; pairs deployed before secondary-IP move have this one.
    vars_text = (REPO / "roles/iam/vars/main.yml").read_text()
    assert "interface_move: VM-Series HA pair {{ vmseries_pair_name }} moves its dataplane ENIs on failover" in vars_text


def arn(kind, ident):
    return iam_policy.arn("us-east-1", kind, ident)


# (action, resource, tags) of the calls each method's failover makes, as the lab's HA engine checks them.
CALLS = {
    "interface_move": [("ec2:DescribeNetworkInterfaces", "*", {}), ("ec2:DescribeInstances", "*", {}),
                       ("ec2:DetachNetworkInterface", arn("network-interface", "eni-1"), PAIR),
                       ("ec2:DetachNetworkInterface", arn("instance", "i-old"), PAIR),
                       ("ec2:AttachNetworkInterface", arn("network-interface", "eni-1"), PAIR),
                       ("ec2:AttachNetworkInterface", arn("instance", "i-new"), PAIR)],
    "secondary_ip": [("ec2:DescribeNetworkInterfaces", "*", {}), ("ec2:DescribeInstances", "*", {}),
                     ("ec2:AssignPrivateIpAddresses", arn("network-interface", "eni-2"), PAIR),
                     ("ec2:AssociateAddress", arn("elastic-ip", "eipalloc-1"), PAIR),
                     ("ec2:DescribeRouteTables", "*", {}),
                     ("ec2:ReplaceRoute", arn("route-table", "rtb-own"), PAIR)],
}


@pytest.mark.parametrize("method", ["interface_move", "secondary_ip"])
@pytest.mark.parametrize("form", ["open", "scoped"])
def test_every_failover_call_of_the_method_is_allowed(policies, method, form):
    for action, resource, tags in CALLS[method]:
        assert iam_policy.evaluate([policies[method][form]], action, resource, tags) == "Allow", (action, resource)


def test_the_scoped_policy_stays_on_the_pairs_resources(policies):
    scoped = [policies["secondary_ip"]["scoped"]]
    other_pair = {"vmseries:pair": "p2"}
    assert iam_policy.evaluate(scoped, "ec2:AssignPrivateIpAddresses", arn("network-interface", "eni-9"), other_pair) is None
    assert iam_policy.evaluate(scoped, "ec2:ReplaceRoute", arn("route-table", "rtb-else"), {}) is None
    # The user's tables are named by ARN, untagged.
    user = [policies["secondary_ip_user_tables"]["scoped"]]
    assert iam_policy.evaluate(user, "ec2:ReplaceRoute", arn("route-table", "rtb-0123456789abcdef0"), {}) == "Allow"
    assert iam_policy.evaluate(user, "ec2:ReplaceRoute", arn("route-table", "rtb-own"), PAIR) is None


def test_interface_move_allows_nothing_of_secondary_ip(policies):
    for form in ("open", "scoped"):
        for action, resource, tags in CALLS["secondary_ip"]:
            if action not in FOUR:
                assert iam_policy.evaluate([policies["interface_move"][form]], action, resource, tags) is None, action
