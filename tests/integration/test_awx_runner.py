"""The job templates of awx/objects.yml, run the way AWX runs them, against a lab of their own.

AWX hands ansible-runner a private data directory: project/ (the clone of the repository),
inventory/hosts (the inventory it imported from the project, written back as a script printing
`ansible-inventory --list --export`), env/extravars (survey answers and the variables the PAN-OS
credential injects, its key written to a file of the job) and env/envvars; the collection comes
from the execution environment (here: the built tarball, installed as execution-environment.yml
installs it). As under AWX, the EC2 key pair is the operator's, imported before the first run,
and its private key reaches the job only through the credential.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

import paramiko
import pytest
import yaml

from .conftest import RECAP, Lab, _start_cli, _stop_cli, tagged

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PAIR = "lab-pair"
ADMIN_PASSWORD = "awx-Admin-1"


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))
OBJECTS = yaml.load((REPO / "awx" / "objects.yml").read_text(), Loader=_Loader)  # noqa: S506 - SafeLoader subclass
TEMPLATES = {t["name"]: t for t in OBJECTS["awx_job_templates"]}


@pytest.fixture(scope="module")
def awx_lab(tmp_path_factory) -> Iterator[Lab]:
    state_dir = tmp_path_factory.mktemp("awx-lab")
    proc = _start_cli(state_dir)
    if proc is None:
        pytest.fail("`vmseries-lab up` did not start: the job templates need the firewall twins")
    state = json.loads((state_dir / "state.json").read_text())
    try:
        yield Lab(state_dir=state_dir, endpoint_url=state["aws_endpoint_url"], region=state["region"], kind="vmseries-lab")
    finally:
        _stop_cli(str(VENV_BIN / "vmseries-lab"), state_dir, proc)


@pytest.fixture(scope="module")
def operator_key(awx_lab: Lab) -> str:
    """The operator's key: imported into EC2 as the pair's key pair, kept in the AWX credential."""
    key = paramiko.RSAKey.generate(2048)
    awx_lab.client("ec2").import_key_pair(KeyName=f"{PAIR}-key", PublicKeyMaterial=f"ssh-rsa {key.get_base64()} operator".encode())
    pem = Path(awx_lab.state_dir) / "operator-key.pem"
    key.write_private_key_file(str(pem))
    return pem.read_text()


@pytest.fixture(scope="module")
def ee_collections(tmp_path_factory) -> Path:
    """What the execution environment has in /usr/share/ansible/collections: the built collection."""
    work = tmp_path_factory.mktemp("ee")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    build = subprocess.run([VENV_BIN / "ansible-galaxy", "collection", "build", "--output-path", work, REPO],
                           cwd=work, env=env, capture_output=True, text=True, check=False)
    assert build.returncode == 0, build.stdout + build.stderr
    (tarball,) = work.glob("vmseries-aws_ha-*.tar.gz")
    collections = work / "collections"
    install = subprocess.run([VENV_BIN / "ansible-galaxy", "collection", "install", "--no-deps", "-p", collections, tarball],
                             cwd=work, env=env, capture_output=True, text=True, check=False)
    assert install.returncode == 0, install.stdout + install.stderr
    return collections


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The project as AWX syncs it: the files of the repository (tracked or to be committed)."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                           capture_output=True, check=True).stdout.decode().split("\0")
    root = tmp_path_factory.mktemp("scm") / "project"
    for name in filter(None, files):
        source = REPO / name
        if source.is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    return root


@pytest.fixture(scope="module")
def imported_inventory(project: Path) -> Dict[str, Any]:
    """AWX's SCM inventory update: `ansible-inventory --list --export` of the source path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    result = subprocess.run([VENV_BIN / "ansible-inventory", "-i", "inventories/lab/hosts.yml", "--list", "--export"],
                            cwd=project, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def launch(awx_lab: Lab, operator_key: str, ee_collections: Path, project: Path, imported_inventory, tmp_path_factory):
    """Launches a job template by name with survey answers on top of the survey's defaults."""

    def run(template_name: str, answers: Optional[Dict[str, Any]] = None,
            credential: Optional[Dict[str, str]] = None) -> "Job":
        """``credential``: the PAN-OS credential's inputs that differ from the admin's password and
        the operator's key."""
        template = TEMPLATES[template_name]
        data = tmp_path_factory.mktemp(re.sub(r"\W+", "-", template_name.lower()))
        shutil.copytree(project, data / "project", symlinks=True)
        (data / "inventory").mkdir()
        hosts = data / "inventory" / "hosts"
        hosts.write_text(f"#!{sys.executable}\nprint({json.dumps(json.dumps(imported_inventory))})\n")
        hosts.chmod(0o700)
        (data / "env").mkdir()
        key_file = data / "env" / "credential_ssh_key"
        key_file.write_text(operator_key)
        key_file.chmod(0o600)
        # The lab's own auth code and licensing API key (inventories/lab), as an operator fills them in.
        inputs = {"username": "admin", "password": ADMIN_PASSWORD, "auth_code": "LAB-VM300",
                  "license_api_key": "lab-licensing-api-key-0123456789abcdef", **(credential or {}),
                  "tower.filename.ssh_key": str(key_file)}
        extravars = {q["variable"]: q["default"] for q in template["survey"] if "default" in q}
        extravars.update(answers or {})
        extravars.update(render_injector(OBJECTS["awx_panos_credential_type"]["injectors"]["extra_vars"], inputs))
        missing = [q["variable"] for q in template["survey"] if q["required"] and q["variable"] not in extravars]
        assert not missing, f"AWX would not launch {template_name} without answers for {missing}"
        (data / "env" / "extravars").write_text(yaml.safe_dump(extravars))
        (data / "env" / "envvars").write_text(yaml.safe_dump({
            "VMSERIES_LAB_STATE_DIR": str(awx_lab.state_dir),
            "ANSIBLE_COLLECTIONS_PATH": str(ee_collections),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
        }))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "VMSERIES_"))}
        env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
        proc = subprocess.run(
            [VENV_BIN / "ansible-runner", "run", data, "--playbook", template["playbook"], "--limit", PAIR, "--ident", "job"],
            env=env, capture_output=True, text=True, timeout=900, check=False,
        )
        artifacts = data / "artifacts" / "job"
        status = (artifacts / "status").read_text().strip() if (artifacts / "status").exists() else "missing"
        stdout = (artifacts / "stdout").read_text() if (artifacts / "stdout").exists() else proc.stdout + proc.stderr
        return Job(status=status, runner_rc=proc.returncode, stdout=stdout)

    return run


def render_injector(value: Any, inputs: Dict[str, str]) -> Any:
    """What AWX makes of an injector: nested values kept, a field left empty rendered as ''."""
    if isinstance(value, dict):
        return {key: render_injector(item, inputs) for key, item in value.items()}
    field = re.fullmatch(r"\{\{\s*([\w.]+)\s*\}\}", value).group(1)
    return inputs.get(field, "")


def api_keys(lab: Lab) -> Dict[str, str]:
    """What an operator pastes into a keys-only credential: keygen on each firewall."""
    from panos.firewall import Firewall

    state = json.loads((lab.state_dir / "state.json").read_text())
    nodes = {instance_id: node for node, instance_id in lab_instances(lab).items()}
    return {f"api_key_{nodes[f['instance_id']]}": Firewall(f["api_host"], "admin", ADMIN_PASSWORD,
                                                            port=f["api_port"]).api_key
            for f in state["firewalls"] if f["instance_id"] in nodes}


class Job:
    def __init__(self, status: str, runner_rc: int, stdout: str) -> None:
        self.status, self.runner_rc, self.stdout = status, runner_rc, stdout

    def recap(self) -> Dict[str, int]:
        for match in RECAP.finditer(self.stdout):
            if match.group("host") == PAIR:
                return {k: int(v) for k, v in match.groupdict().items() if k != "host"}
        raise AssertionError(f"no PLAY RECAP line for {PAIR}:\n{self.stdout[-3000:]}")


def lab_instances(lab: Lab) -> Dict[str, str]:
    """node -> instance id of the pair's running firewalls."""
    nodes = {}
    filters = [{"Name": "tag:vmseries:pair", "Values": [PAIR]}, {"Name": "instance-state-name", "Values": ["running"]}]
    for reservation in lab.client("ec2").describe_instances(Filters=filters)["Reservations"]:
        for instance in reservation["Instances"]:
            tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
            nodes[tags.get("vmseries:node")] = instance["InstanceId"]
    return nodes


def lab_firewalls(lab: Lab) -> Dict[str, str]:
    state = json.loads((lab.state_dir / "state.json").read_text())
    nodes = {instance_id: node for node, instance_id in lab_instances(lab).items()}
    return {nodes[f["instance_id"]]: f["ha_state"] for f in state["firewalls"] if f["instance_id"] in nodes}


def test_deploy_job_template_builds_the_pair(launch, awx_lab: Lab):
    job = launch("Deploy HA pair")
    assert job.status == "successful" and job.runner_rc == 0, job.stdout[-6000:]
    assert job.recap()["changed"] > 0 and job.recap()["failed"] == 0
    assert lab_firewalls(awx_lab) == {"primary": "active", "secondary": "passive"}
    key_pairs = awx_lab.client("ec2").describe_key_pairs(KeyNames=[f"{PAIR}-key"])["KeyPairs"]
    assert [k.get("Tags", []) for k in key_pairs] == [[]], "the operator's imported key pair is used as is"
    assert ADMIN_PASSWORD not in job.stdout


def test_a_credential_without_password_or_api_keys_is_refused(launch, awx_lab: Lab):
    job = launch("Verify failover", credential={"password": "", "api_key_primary": "only-one"})
    assert job.status == "failed", job.stdout[-3000:]
    assert "No way to log in to the secondary firewall of pair lab-pair" in " ".join(job.stdout.split())
    # Deploying sets the password on first boot: API keys cannot stand in for it.
    job = launch("Deploy HA pair", credential={"password": "", **api_keys(awx_lab)})
    assert job.status == "failed" and "vmseries_admin_password is empty" in job.stdout, job.stdout[-3000:]
    assert job.recap()["changed"] == 0


def test_verify_failover_job_template_moves_the_dataplane_and_restores(launch, awx_lab: Lab):
    # A credential with the firewalls' API keys and no password is enough to fail the pair over.
    keys = api_keys(awx_lab)
    job = launch("Verify failover", credential={"password": "", **keys})
    assert job.status == "successful", job.stdout[-6000:]
    assert "attached:untrust" in job.stdout and "attached:trust" in job.stdout
    assert re.search(r"restore: started instance i-\w+ of primary", job.stdout), job.stdout[-3000:]
    assert not [secret for secret in (ADMIN_PASSWORD, *keys.values()) if secret in job.stdout]


def test_tear_down_job_template_needs_the_pair_name(launch, awx_lab: Lab):
    before = tagged(awx_lab, PAIR)
    job = launch("Tear down", {"vmseries_teardown_confirm": "some-other-pair"})
    assert job.status == "failed", job.stdout[-3000:]
    assert f"Not tearing down pair {PAIR}" in " ".join(job.stdout.split())
    assert tagged(awx_lab, PAIR) == before


def test_tear_down_job_template_removes_the_pair(launch, awx_lab: Lab):
    job = launch("Tear down", {"vmseries_teardown_confirm": PAIR})
    assert job.status == "successful", job.stdout[-6000:]
    assert tagged(awx_lab, PAIR) == {}
    # Not created by the collection, so not removed: the operator's key pair stays.
    assert awx_lab.client("ec2").describe_key_pairs(KeyNames=[f"{PAIR}-key"])["KeyPairs"]
