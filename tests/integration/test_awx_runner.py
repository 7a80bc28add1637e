"""The job templates of awx/objects.yml, run the way AWX runs them, against a lab of their own.

AWX hands ansible-runner a private data directory: project/ (the clone of the repository),
inventory/hosts (the inventory it imported from the project, written back as a script printing
`ansible-inventory --list --export`), env/extravars (survey answers and the variables the PAN-OS
credential injects, its key written to a file of the job) and env/envvars; the collection comes
from the execution environment (here: the built tarball, installed as execution-environment.yml
installs it). As under AWX, the EC2 key pair is the operator's, imported before the first run,
and its private key reaches the job only through the credential.

Every job runs at -vvv with secrets of this module's own (issue 22: no secret in any result): the
last test looks for each of them in every job's output, AWX job events and reports, after the
deploy licensed the pair from the auth code, the failover logged in with the API keys and the
teardown gave the licences back with the licensing API key.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import paramiko
import pytest
import yaml
from playbook_output import host_recap

from .conftest import Lab, _start_cli, _stop_cli, tagged

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PAIR = "lab-pair"
# A maintenance release of the lab AMI's feature release (11.1.4-h7), in the lab's software catalogue.
UPGRADE_TARGET = "11.1.6"
# New on every run and found nowhere else, so one seen in a job's output can only have leaked from
# the job: the admin password (PAN-OS's rules: upper and lower case, a digit), and an auth code
# and a licensing API key that the lab's licensing server knows for this module's jobs alone.
ADMIN_PASSWORD = f"Awx-{uuid.uuid4().hex[:12]}-9"
AUTH_CODE = f"I{uuid.uuid4().hex[:12].upper()}"
LICENSE_API_KEY = f"licensing-{uuid.uuid4().hex}"
AUTH_CODE_SEATS = 2
# What AWX's job template verbosity 3 (Debug) gives ansible-playbook; the most a job shows.
VERBOSITY = "-vvv"


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))
OBJECTS = yaml.load((REPO / "awx" / "objects.yml").read_text(), Loader=_Loader)  # noqa: S506 - SafeLoader subclass
TEMPLATES = {t["name"]: t for t in OBJECTS["awx_job_templates"]}


@pytest.fixture(scope="module")
def awx_lab(tmp_path_factory) -> Iterator[Lab]:
    state_dir = tmp_path_factory.mktemp("awx-lab")
    proc = _start_cli(state_dir, "--update-server")  # the upgrade job template needs it
    if proc is None:
        pytest.fail("`vmseries-lab up` did not start: the job templates need the firewall twins")
    state = json.loads((state_dir / "state.json").read_text())
    try:
        lab = Lab(state_dir=state_dir, endpoint_url=state["aws_endpoint_url"], region=state["region"], kind="vmseries-lab")
        lab_cli(lab, "license", "add", AUTH_CODE, "--model", "VM-300", "--count", str(AUTH_CODE_SEATS))
        lab_cli(lab, "license", "api-key", LICENSE_API_KEY)
        yield lab
    finally:
        _stop_cli(str(VENV_BIN / "vmseries-lab"), state_dir, proc)


def lab_cli(lab: Lab, *args: str) -> str:
    return subprocess.run([str(VENV_BIN / "vmseries-lab"), *args, "--state-dir", str(lab.state_dir)],
                          capture_output=True, text=True, timeout=60, check=True).stdout


def auth_code_seats(lab: Lab) -> Dict[str, Any]:
    """The licensing server's count of AUTH_CODE: used, left, and the serials holding it."""
    return next(c for c in json.loads(lab_cli(lab, "license", "list", "--json")) if c["code"] == AUTH_CODE)


@pytest.fixture(scope="module")
def secrets(operator_key: str) -> Dict[str, str]:
    """Every secret the jobs are given, by name; the firewalls' API keys join once the deploy has
    made them (the lab derives them from the password it set)."""
    key_lines = operator_key.strip().splitlines()
    return {"admin password": ADMIN_PASSWORD, "auth code": AUTH_CODE, "licensing API key": LICENSE_API_KEY,
            "SSH private key": key_lines[len(key_lines) // 2]}


@pytest.fixture(scope="module")
def jobs() -> List["Job"]:
    """Every job the module launched, in order."""
    return []


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
def launch(awx_lab: Lab, operator_key: str, ee_collections: Path, project: Path, imported_inventory, tmp_path_factory,
           jobs: List["Job"]):
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
        inputs = {"username": "admin", "password": ADMIN_PASSWORD, "auth_code": AUTH_CODE,
                  "license_api_key": LICENSE_API_KEY, **(credential or {}), "tower.filename.ssh_key": str(key_file)}
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
        (data / "env" / "cmdline").write_text(VERBOSITY)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "VMSERIES_"))}
        env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
        proc = subprocess.run(
            [VENV_BIN / "ansible-runner", "run", data, "--playbook", template["playbook"], "--limit", PAIR, "--ident", "job"],
            env=env, capture_output=True, text=True, timeout=900, check=False,
        )
        artifacts = data / "artifacts" / "job"
        status = (artifacts / "status").read_text().strip() if (artifacts / "status").exists() else "missing"
        stdout = (artifacts / "stdout").read_text() if (artifacts / "stdout").exists() else proc.stdout + proc.stderr
        job = Job(status=status, runner_rc=proc.returncode, stdout=stdout, template=template_name, data=data,
                  runner_output=proc.stdout + proc.stderr)
        jobs.append(job)
        return job

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
    def __init__(self, status: str, runner_rc: int, stdout: str, template: str = "", data: Optional[Path] = None,
                 runner_output: str = "") -> None:
        self.status, self.runner_rc, self.stdout = status, runner_rc, stdout
        self.template, self.data, self.runner_output = template, data, runner_output

    def command(self) -> List[str]:
        """The command line ansible-runner ran."""
        return json.loads((self.data / "artifacts" / "job" / "command").read_text())["command"]

    def events(self) -> List[Path]:
        """AWX's job events, as ansible-runner writes them: each task's whole result."""
        return sorted((self.data / "artifacts" / "job" / "job_events").glob("*.json"))

    def reports(self) -> List[Path]:
        return sorted(p for p in (self.data / "project" / "reports").rglob("*") if p.is_file())

    def leaks(self, secrets: Dict[str, str]) -> Dict[str, List[str]]:
        """Where each secret shows in what the job leaves to AWX and the operator: its output (what
        AWX shows), ansible-runner's own, everything in its artifacts (the job events among them) and
        the reports the playbook wrote. Not env/: that is AWX's input, the secrets themselves."""
        places = {"stdout": self.stdout, "ansible-runner output": self.runner_output}
        for path in [*sorted((self.data / "artifacts").rglob("*")), *self.reports()]:
            if path.is_file():
                places[str(path.relative_to(self.data))] = path.read_text(errors="replace")
        found = {name: [where for where, text in places.items() if secret in text] for name, secret in secrets.items()}
        return {name: where for name, where in found.items() if where}

    def recap(self) -> Dict[str, int]:
        return host_recap(self.stdout, PAIR)


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


def test_deploy_job_template_builds_the_pair(launch, awx_lab: Lab, secrets):
    job = launch("Deploy HA pair")
    assert job.status == "successful" and job.runner_rc == 0, job.stdout[-6000:]
    assert job.recap()["changed"] > 0 and job.recap()["failed"] == 0
    assert lab_firewalls(awx_lab) == {"primary": "active", "secondary": "passive"}
    key_pairs = awx_lab.client("ec2").describe_key_pairs(KeyNames=[f"{PAIR}-key"])["KeyPairs"]
    assert [k.get("Tags", []) for k in key_pairs] == [[]], "the operator's imported key pair is used as is"
    # Both firewalls took a seat of the credential's auth code: the deploy used it.
    assert auth_code_seats(awx_lab)["used"] == 2
    secrets.update(api_keys(awx_lab))


def test_settings_palo_altos_modules_spell_out_leave_the_next_deploy_unchanged(launch, awx_lab: Lab):
    """A user who also runs Palo Alto's collection on the pair: the zone written again as panos_zone
    writes it with the same interfaces (User-ID off, spelled out) and the HA settings panos_ha adds
    by default (passive-link-state auto, HA2 keep-alive on), each committed through pan-os-python.
    The next Deploy (site.yml) changes nothing and commits nothing: its PAN-OS stage finds the
    configuration as its last converge left it."""
    from panos.firewall import Firewall
    from panos.network import Zone

    state = json.loads((awx_lab.state_dir / "state.json").read_text())
    instances = lab_instances(awx_lab)
    endpoints = {node: next(f for f in state["firewalls"] if f["instance_id"] == instance_id)
                 for node, instance_id in instances.items()}
    ha_group = "/config/devices/entry[@name='localhost.localdomain']/deviceconfig/high-availability/group"
    devices = {node: Firewall(endpoints[node]["api_host"], "admin", ADMIN_PASSWORD, port=endpoints[node]["api_port"])
               for node in ("secondary", "primary")}
    # The active last: its commit takes the zone to its peer by config sync (HA settings are not synced).
    for node, device in devices.items():
        device.xapi.set(ha_group + "/mode/active-passive", "<passive-link-state>auto</passive-link-state>")
        device.xapi.set(ha_group + "/state-synchronization", "<ha2-keep-alive><enabled>yes</enabled></ha2-keep-alive>")
        if node == "primary":
            zone = device.add(Zone("untrust"))
            zone.refresh()
            zone.enable_user_identification = False
            zone.apply()
        assert device.commit(sync=True)["success"], node

    def synchronized() -> bool:
        devices["primary"].xapi.op("<show><high-availability><state/></high-availability></show>")
        return devices["primary"].xapi.element_root.findtext(".//group/running-sync") == "synchronized"

    deadline = time.monotonic() + 60
    while not synchronized():
        assert time.monotonic() < deadline, "the pair did not synchronize after the primary's commit"
        time.sleep(0.5)

    def commits() -> Dict[str, int]:
        counters = json.loads(lab_cli(awx_lab, "counters", "--json"))
        return {node: counters[instance_id]["counts"].get("commits", 0) for node, instance_id in instances.items()}

    before = commits()
    job = launch("Deploy HA pair")
    assert job.status == "successful" and job.recap()["changed"] == 0, job.stdout[-6000:]
    assert f"The PAN-OS configuration of pair {PAIR} is as the last converge left it" in " ".join(job.stdout.split()), \
        job.stdout[-6000:]
    assert commits() == before


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
    job = launch("Verify failover", credential={"password": "", **api_keys(awx_lab)})
    assert job.status == "successful", job.stdout[-6000:]
    assert "attached:untrust" in job.stdout and "attached:trust" in job.stdout
    assert re.search(r"restore: started instance i-\w+ of primary", job.stdout), job.stdout[-3000:]
    assert [p.name for p in job.reports()] == [f"failover-{PAIR}.json", f"failover-{PAIR}.svg"]
    assert "<svg" in job.reports()[1].read_text()


def test_upgrade_job_template_upgrades_the_pair_and_a_rerun_changes_nothing(launch, awx_lab: Lab):
    job = launch("Upgrade HA pair", {"vmseries_panos_target_version": UPGRADE_TARGET},
                 credential={"password": "", **api_keys(awx_lab)})
    assert job.status == "successful", job.stdout[-6000:]
    reports = {p.name: p for p in job.reports()}
    assert {f"upgrade-{PAIR}.json", f"upgrade-{PAIR}.txt", f"upgrade-{PAIR}.svg",
            f"upgrade-{PAIR}-before.json"} <= set(reports), reports
    report = json.loads(reports[f"upgrade-{PAIR}.json"].read_text())
    assert report["versions"] == {"primary": UPGRADE_TARGET, "secondary": UPGRADE_TARGET}
    assert len(report["outage_windows"]) == 1 and report["outage_seconds"] > 0, report["outage_windows"]
    assert "total dataplane outage" in reports[f"upgrade-{PAIR}.txt"].read_text()
    job = launch("Upgrade HA pair", {"vmseries_panos_target_version": UPGRADE_TARGET},
                 credential={"password": "", **api_keys(awx_lab)})
    assert job.status == "successful" and job.recap()["changed"] == 0, job.stdout[-4000:]
    assert "nothing to do" in job.stdout


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
    # Both seats back: the licences were deactivated with the credential's licensing API key.
    assert auth_code_seats(awx_lab)["left"] == AUTH_CODE_SEATS
    assert len(re.findall(r"(primary|secondary): Standard VM-300 serial \d+ given back", job.stdout)) == 2, \
        job.stdout[-6000:]


def test_no_secret_in_any_job_output_event_or_report(jobs, secrets):
    """Issue 22: deploy, failover, upgrade and teardown at -vvv with distinctive secrets, each of them used
    (the tests above: the auth code licensed the pair and got its seats back with the licensing API
    key, the failover logged in with the API keys), and not one of them in what any job left."""
    done = {(job.template, job.status) for job in jobs}
    assert {("Deploy HA pair", "successful"), ("Verify failover", "successful"), ("Upgrade HA pair", "successful"),
            ("Tear down", "successful")} <= done
    assert {"api_key_primary", "api_key_secondary"} <= secrets.keys(), "the deploy made no API keys"
    for job in jobs:
        assert VERBOSITY in job.command(), f"{job.template} did not run at {VERBOSITY}: {job.command()}"
        assert job.events(), f"{job.template} left no job events"
    leaks = {f"{job.template} ({job.status})": where for job in jobs if (where := job.leaks(secrets))}
    assert leaks == {}
