"""Fixtures for the integration tests: a lab (or moto) on free loopback ports, and ansible-playbook.

The lab comes from the `vmseries-lab` CLI when it is installed and starts; otherwise from
moto_lab.py (moto alone, which is all the AWS stages need). VMSERIES_TEST_LAB=moto forces the
latter, =cli forbids the fallback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import boto3
import pytest
from playbook_output import host_recap

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PLAYBOOK = str(VENV_BIN / "ansible-playbook") if (VENV_BIN / "ansible-playbook").exists() else "ansible-playbook"
STARTUP_TIMEOUT = 60


@dataclass
class Lab:
    state_dir: Path
    endpoint_url: str
    region: str
    kind: str

    def client(self, service: str):
        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def aws_writes(self) -> Optional[Dict[str, int]]:
        """The write calls (anything but Describe/Get/List) made to the lab's AWS from outside the lab
        so far, by service:action; None on moto alone, which counts nothing."""
        if self.kind != "vmseries-lab":
            return None
        out = subprocess.run([str(VENV_BIN / "vmseries-lab"), "aws-calls", "--json", "--state-dir", str(self.state_dir)],
                             capture_output=True, text=True, check=True, timeout=60).stdout
        from vmseries_lab.awscalls import is_read

        return {name: n for name, n in json.loads(out)["client"].items() if not is_read(name)}


@dataclass
class PlaybookRun:
    rc: int
    output: str

    def recap(self, host: str = "lab-pair") -> Dict[str, int]:
        return host_recap(self.output, host)


def _wait_for_state(state_file: Path, proc: subprocess.Popen) -> Optional[Dict[str, Any]]:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if state_file.exists():
            try:
                state = json.loads(state_file.read_text())
                if state.get("aws_endpoint_url") and state.get("region"):
                    return state
            except json.JSONDecodeError:
                pass  # being written
        if proc.poll() not in (None, 0):
            return None
        time.sleep(0.2)
    return None


def _start_cli(state_dir: Path, *options: str) -> Optional[subprocess.Popen]:
    """`vmseries-lab up` with `options` (`--update-server`, ...)."""
    cli = shutil.which("vmseries-lab", path=str(VENV_BIN)) or shutil.which("vmseries-lab")
    if not cli:
        return None
    proc = subprocess.Popen(
        [cli, "up", "--state-dir", str(state_dir), "--aws-port", "0", *options],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO,
    )
    if _wait_for_state(state_dir / "state.json", proc) is None:
        _stop_cli(cli, state_dir, proc)
        return None
    return proc


def _terminate(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _stop_cli(cli: str, state_dir: Path, proc: subprocess.Popen) -> None:
    subprocess.run([cli, "down", "--state-dir", str(state_dir)], cwd=REPO, capture_output=True, timeout=60, check=False)
    _terminate(proc)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    wanted = os.environ.get("VMSERIES_TEST_LAB", "auto")
    state_dir = tmp_path_factory.mktemp("lab")
    proc = None
    kind = "moto"
    if wanted in ("auto", "cli"):
        proc = _start_cli(state_dir)
        if proc is not None:
            kind = "vmseries-lab"
        elif wanted == "cli":
            pytest.fail("VMSERIES_TEST_LAB=cli but `vmseries-lab up` did not start")
    if proc is None:
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("moto_lab.py")), str(state_dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO,
        )
        if _wait_for_state(state_dir / "state.json", proc) is None:
            proc.kill()
            pytest.fail("moto did not start")
    state = json.loads((state_dir / "state.json").read_text())
    try:
        yield Lab(state_dir=state_dir, endpoint_url=state["aws_endpoint_url"], region=state["region"], kind=kind)
    finally:
        if kind == "vmseries-lab":
            _stop_cli(shutil.which("vmseries-lab", path=str(VENV_BIN)) or "vmseries-lab", state_dir, proc)
        else:
            _terminate(proc)


@pytest.fixture(scope="session")
def run_playbook(lab: Lab):
    """Run a playbook of the repository against the lab inventory; extra vars as a dict."""

    def run(playbook: str, extra_vars: Optional[Dict[str, Any]] = None, args: List[str] = (),
            inventory: str = "inventories/lab", env: Optional[Dict[str, str]] = None) -> PlaybookRun:
        env = {**os.environ, "VMSERIES_LAB_STATE_DIR": str(lab.state_dir), "ANSIBLE_NOCOLOR": "1",
               "ANSIBLE_DEPRECATION_WARNINGS": "0", "ANSIBLE_FORCE_COLOR": "0", **(env or {})}
        cmd = [PLAYBOOK, playbook, "-i", inventory, *args]
        if extra_vars:
            cmd += ["-e", json.dumps(extra_vars)]
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)
        return PlaybookRun(proc.returncode, proc.stdout + proc.stderr)

    return run


def tagged(lab: Lab, pair: str) -> Dict[str, List[str]]:
    """Every live resource carrying vmseries:pair=<pair>, by kind (DescribeTags in moto keeps tags
    of deleted resources, so each kind is listed through its own Describe call)."""
    ec2, iam, s3 = lab.client("ec2"), lab.client("iam"), lab.client("s3")
    flt = [{"Name": "tag:vmseries:pair", "Values": [pair]}]
    found = {
        "instances": [i["InstanceId"] for r in ec2.describe_instances(Filters=flt)["Reservations"]
                      for i in r["Instances"] if i["State"]["Name"] != "terminated"],
        "vpcs": [v["VpcId"] for v in ec2.describe_vpcs(Filters=flt)["Vpcs"]],
        "subnets": [s["SubnetId"] for s in ec2.describe_subnets(Filters=flt)["Subnets"]],
        "route_tables": [r["RouteTableId"] for r in ec2.describe_route_tables(Filters=flt)["RouteTables"]],
        "igws": [g["InternetGatewayId"] for g in ec2.describe_internet_gateways(Filters=flt)["InternetGateways"]],
        "security_groups": [g["GroupId"] for g in ec2.describe_security_groups(Filters=flt)["SecurityGroups"]],
        "enis": [n["NetworkInterfaceId"] for n in ec2.describe_network_interfaces(Filters=flt)["NetworkInterfaces"]],
        "eips": [a["AllocationId"] for a in ec2.describe_addresses(Filters=flt)["Addresses"]],
        "key_pairs": [k["KeyName"] for k in ec2.describe_key_pairs(Filters=flt)["KeyPairs"]],
        "iam_roles": [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"] == f"{pair}-vmseries-ha"],
        "iam_policies": [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"] if p["PolicyName"] == f"{pair}-vmseries-ha"],
        "instance_profiles": [p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]
                              if p["InstanceProfileName"] == f"{pair}-vmseries-ha"],
        "s3_buckets": [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(f"{pair}-")],
    }
    return {kind: ids for kind, ids in found.items() if ids}


def aws_snapshot(lab: Lab) -> Dict[str, Any]:
    """Everything EC2 and IAM hold in the lab's region, as their Describe/List calls return it: two
    snapshots are equal only when nothing was created, changed or deleted."""
    ec2, iam, s3 = lab.client("ec2"), lab.client("iam"), lab.client("s3")
    calls = {
        "vpcs": lambda: ec2.describe_vpcs()["Vpcs"],
        "subnets": lambda: ec2.describe_subnets()["Subnets"],
        "route_tables": lambda: ec2.describe_route_tables()["RouteTables"],
        "internet_gateways": lambda: ec2.describe_internet_gateways()["InternetGateways"],
        "network_acls": lambda: ec2.describe_network_acls()["NetworkAcls"],
        "security_groups": lambda: ec2.describe_security_groups()["SecurityGroups"],
        "network_interfaces": lambda: ec2.describe_network_interfaces()["NetworkInterfaces"],
        "addresses": lambda: ec2.describe_addresses()["Addresses"],
        "instances": lambda: [i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]],
        "volumes": lambda: ec2.describe_volumes()["Volumes"],
        "key_pairs": lambda: ec2.describe_key_pairs()["KeyPairs"],
        "tags": lambda: ec2.describe_tags()["Tags"],
        "iam_roles": lambda: iam.list_roles()["Roles"],
        "iam_policies": lambda: iam.list_policies(Scope="Local")["Policies"],
        "iam_instance_profiles": lambda: iam.list_instance_profiles()["InstanceProfiles"],
        "s3_buckets": lambda: s3.list_buckets()["Buckets"],
    }
    return {kind: call() for kind, call in calls.items()}
