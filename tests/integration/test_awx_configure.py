"""awx/configure.yml against a stand-in controller API (fake_awx.py): what it creates, that the
objects reference each other as AWX needs, that a second run changes nothing, and that a bad
setting is refused before anything is created. The real awx.awx modules do the talking."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
import yaml
from playbook_output import host_recap

from .fake_awx import ENCRYPTED, PASSWORD, USERNAME, FakeAWX

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PANOS_PASSWORD = "vault-Admin-1"
PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END RSA PRIVATE KEY-----\n"
SETTINGS = {
    "awx_project_scm_url": "https://git.example.com/network/vmseries-aws-ha.git",
    "awx_execution_environment_image": "registry.example.com/network/vmseries-aws-ha-ee:0.1.0",
    "awx_aws_credential": "AWS lab",
    "awx_panos_password": PANOS_PASSWORD,
    "awx_panos_ssh_private_key": PRIVATE_KEY,
}


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))
OBJECTS = yaml.load((REPO / "awx" / "objects.yml").read_text(), Loader=_Loader)  # noqa: S506 - SafeLoader subclass


@pytest.fixture()
def controller() -> Iterator[FakeAWX]:
    with FakeAWX() as awx:
        yield awx


def configure(controller: FakeAWX, settings: Dict[str, Any]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONTROLLER_", "TOWER_"))}
    env.update({"CONTROLLER_HOST": controller.url, "CONTROLLER_USERNAME": USERNAME, "CONTROLLER_PASSWORD": PASSWORD,
                "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"})
    return subprocess.run([VENV_BIN / "ansible-playbook", "awx/configure.yml", "-e", yaml.safe_dump(settings, default_flow_style=True)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)


def recap(run: subprocess.CompletedProcess) -> Dict[str, int]:
    return host_recap(run.stdout, "localhost")


def test_configure_builds_the_objects_and_a_rerun_changes_nothing(controller: FakeAWX):
    first = configure(controller, SETTINGS)
    assert first.returncode == 0, first.stdout[-6000:] + first.stderr[-2000:]
    assert recap(first)["changed"] == 8  # every awx.awx task: one per object kind
    assert PANOS_PASSWORD not in first.stdout and "MIIBOgIBAAJBAK" not in first.stdout

    org = controller.find("Default", "organizations")["id"]
    ee = controller.find(OBJECTS["awx_execution_environment_name"], "execution_environments")
    assert ee["image"] == SETTINGS["awx_execution_environment_image"] and ee["organization"] == org
    project = controller.find(OBJECTS["awx_project_name"], "projects")
    assert project["scm_url"] == SETTINGS["awx_project_scm_url"] and project["scm_type"] == "git"
    assert project["default_environment"] == ee["id"] and project["scm_update_on_launch"] is True

    ctype = controller.find(OBJECTS["awx_panos_credential_type_name"], "credential_types")
    assert ctype["kind"] == "cloud"
    assert ctype["injectors"]["extra_vars"]["vmseries_admin_password"] == "{{ password }}"
    credential = controller.find(OBJECTS["awx_panos_credential_name"], "credentials")
    assert credential["credential_type"] == ctype["id"]
    assert credential["inputs"] == {"username": "admin", "password": ENCRYPTED, "ssh_private_key": ENCRYPTED}
    assert controller.secrets[credential["id"]]["password"] == PANOS_PASSWORD

    inventory = controller.find(OBJECTS["awx_inventory_name"], "inventories")
    (source,) = controller.objects["inventory_sources"].values()
    assert (source["inventory"], source["source"], source["source_project"], source["source_path"]) == (
        inventory["id"], "scm", project["id"], "inventories/aws/hosts.yml")

    aws = controller.find("AWS lab", "credentials")["id"]
    for wanted in OBJECTS["awx_job_templates"]:
        template = controller.find(wanted["name"], "job_templates")
        assert (template["playbook"], template["project"], template["inventory"], template["execution_environment"]) == (
            wanted["playbook"], project["id"], inventory["id"], ee["id"])
        assert template["ask_limit_on_launch"] is True and template["survey_enabled"] is True
        # A fleet of pairs (one inventory host each) spreads over the execution nodes.
        assert template["ask_job_slice_count_on_launch"] is True
        assert controller.surveys[("job_templates", template["id"])]["spec"] == wanted["survey"]
        linked = {c["id"] for c in controller.associated("job_templates", template["id"], "credentials")}
        assert linked == {credential["id"], aws}

    workflow = controller.find(OBJECTS["awx_workflow_name"], "workflow_job_templates")
    nodes = {n["identifier"]: n for n in controller.objects["workflow_job_template_nodes"].values()
             if n["workflow_job_template"] == workflow["id"]}
    assert nodes["deploy"]["unified_job_template"] == controller.find("Deploy HA pair", "job_templates")["id"]
    assert nodes["verify"]["unified_job_template"] == controller.find("Verify failover", "job_templates")["id"]
    assert [n["identifier"] for n in controller.associated("workflow_job_template_nodes", nodes["deploy"]["id"], "success_nodes")] == ["verify"]

    controller.writes.clear()
    second = configure(controller, SETTINGS)
    assert second.returncode == 0, second.stdout[-6000:]
    assert recap(second)["changed"] == 0, second.stdout[-6000:]
    assert controller.writes == [], "a re-run must not write to the controller"


def test_missing_setting_is_refused_before_anything_is_created(controller: FakeAWX):
    before = {name: dict(objects) for name, objects in controller.objects.items()}
    run = configure(controller, {k: v for k, v in SETTINGS.items() if k != "awx_execution_environment_image"})
    assert run.returncode != 0
    assert "Set awx_project_scm_url" in " ".join(run.stdout.split())
    assert controller.objects == before and controller.writes == []
