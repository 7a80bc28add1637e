"""awx/objects.yml against the collection: every survey question and every variable the PAN-OS
credential injects must be a variable that the roles of the job template's playbook declare in
their argument specs, with a compatible type, choices and default. A survey question that no role
reads, or that AWX would reject, fails here instead of on the controller."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Iterator, Set, Tuple

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SURVEY_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}
COMPATIBLE = {"text": {"str", "path"}, "textarea": {"str"}, "password": {"str"}, "integer": {"int"},
              "float": {"float"}, "multiplechoice": {"str", "bool"}, "multiselect": {"list"}}


class _Loader(yaml.SafeLoader):
    """Reads Ansible's !unsafe (kept for AWX to template) as the plain string it stands for."""


_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def load(path: Path):
    return yaml.load(path.read_text(), Loader=_Loader)  # noqa: S506 - SafeLoader subclass


OBJECTS = load(REPO / "awx" / "objects.yml")
TEMPLATES = OBJECTS["awx_job_templates"]


def roles_of_playbook(path: Path, seen: Set[Path] = None) -> Iterator[str]:
    """Roles a playbook runs, following import_playbook, roles: and include/import_role."""
    seen = seen if seen is not None else set()
    if path in seen:
        return
    seen.add(path)
    for play in load(path):
        if "ansible.builtin.import_playbook" in play:
            yield from roles_of_playbook((path.parent / play["ansible.builtin.import_playbook"]).resolve(), seen)
            continue
        for role in play.get("roles", []):
            yield role["role"] if isinstance(role, dict) else role
        for task in walk_tasks(play.get("pre_tasks", []) + play.get("tasks", []) + play.get("post_tasks", [])):
            for action in ("ansible.builtin.include_role", "ansible.builtin.import_role"):
                if action in task:
                    yield task[action]["name"]


def walk_tasks(tasks) -> Iterator[dict]:
    for task in tasks:
        yield task
        for key in ("block", "rescue", "always"):
            yield from walk_tasks(task.get(key, []))


def declared_options(roles) -> Dict[str, Tuple[str, dict]]:
    """Variable -> (role:entry point, spec) over every entry point of the given roles."""
    options = {}
    for fqcn in roles:
        name = fqcn.rsplit(".", 1)[-1]
        specs = load(REPO / "roles" / name / "meta" / "argument_specs.yml")["argument_specs"]
        for entry_point, spec in specs.items():
            for option, option_spec in (spec.get("options") or {}).items():
                options.setdefault(option, (f"{name}:{entry_point}", option_spec))
    return options


@pytest.mark.parametrize("template", TEMPLATES, ids=[t["name"] for t in TEMPLATES])
def test_job_template_playbook_exists_and_runs_roles(template):
    playbook = REPO / template["playbook"]
    assert playbook.is_file(), f"{template['name']}: {template['playbook']} is not in the project"
    assert set(roles_of_playbook(playbook)), f"{template['name']}: no role found in {template['playbook']}"


@pytest.mark.parametrize("template", TEMPLATES, ids=[t["name"] for t in TEMPLATES])
def test_every_survey_question_is_a_role_variable_of_that_playbook(template):
    options = declared_options(set(roles_of_playbook(REPO / template["playbook"])))
    assert template["survey"], f"{template['name']} has no survey"
    variables = [q["variable"] for q in template["survey"]]
    assert len(variables) == len(set(variables)), f"{template['name']}: a variable is asked twice"
    for question in template["survey"]:
        variable = question["variable"]
        assert variable in options, f"{template['name']}: survey variable {variable} is in no argument spec of {template['playbook']}'s roles"
        where, spec = options[variable]
        assert spec.get("type", "str") in COMPATIBLE[question["type"]], (
            f"{template['name']}: {variable} is a {question['type']} question but {where} declares type {spec.get('type', 'str')}")
        if question["type"] == "multiplechoice":
            allowed = spec.get("choices") or (["true", "false"] if spec.get("type") == "bool" else None)
            assert allowed is not None, f"{variable}: {where} declares no choices"
            assert set(question["choices"]) <= {str(c).lower() for c in allowed}, f"{variable}: choices outside {allowed}"
        if "default" in question and "default" in spec and not str(spec["default"]).startswith("<"):
            assert str(question["default"]).lower() == str(spec["default"]).lower(), (
                f"{template['name']}: survey default of {variable} ({question['default']}) differs from {where} ({spec['default']})")


@pytest.mark.parametrize("template", TEMPLATES, ids=[t["name"] for t in TEMPLATES])
def test_survey_is_one_awx_accepts(template):
    for question in template["survey"]:
        assert {"question_name", "variable", "type", "required"} <= set(question), question
        assert question["type"] in SURVEY_TYPES
        assert isinstance(question["required"], bool)
        if question["type"] == "multiplechoice":
            assert all(isinstance(c, str) for c in question["choices"]), "AWX compares choices as strings"
            assert "default" not in question or question["default"] in question["choices"]
        if question["type"] == "integer" and "default" in question:
            assert isinstance(question["default"], int)
            assert question.get("min", question["default"]) <= question["default"] <= question.get("max", question["default"])
        if question["type"] == "password":
            assert "default" not in question, "a password default would be stored in the job template"


def test_credential_injects_only_variables_the_roles_read():
    injected = set(OBJECTS["awx_panos_credential_type"]["injectors"]["extra_vars"])
    fields = {f["id"] for f in OBJECTS["awx_panos_credential_type"]["inputs"]["fields"]}
    assert set(OBJECTS["awx_panos_credential_type"]["inputs"]["required"]) <= fields
    read_by = {t["name"]: declared_options(set(roles_of_playbook(REPO / t["playbook"]))) for t in TEMPLATES}
    for variable in injected:
        assert any(variable in options for options in read_by.values()), f"the credential injects {variable}, which no role reads"
    # The two that log in to the firewalls need every login variable; licensing is Deploy's and Tear down's.
    licensing = {"vmseries_auth_code", "vmseries_license_api_key"}
    for name in ("Deploy HA pair", "Verify failover"):
        assert injected - {"vmseries_ssh_private_key_file"} - licensing <= set(read_by[name]), name
    assert {"vmseries_ssh_private_key_file", "vmseries_auth_code"} <= set(read_by["Deploy HA pair"])
    assert "vmseries_license_api_key" in read_by["Tear down"]
    for field in OBJECTS["awx_panos_credential_type"]["inputs"]["fields"]:
        if field["id"] != "username":
            assert field.get("secret") is True, f"{field['id']} must be a secret field"


def test_configure_playbook_creates_every_template_of_the_workflow():
    play = load(REPO / "awx" / "configure.yml")[0]
    tasks = {next(k for k in task if k.startswith("awx.awx.")): task for task in play["tasks"] if any(k.startswith("awx.awx.") for k in task)}
    names = {t["name"] for t in TEMPLATES}
    nodes = tasks["awx.awx.workflow_job_template"]["awx.awx.workflow_job_template"]["workflow_nodes"]
    assert {n["unified_job_template"]["name"] for n in nodes} <= names
    assert {"Deploy HA pair", "Verify failover", "Tear down"} <= names
    assert tasks["awx.awx.credential"].get("no_log") is True
