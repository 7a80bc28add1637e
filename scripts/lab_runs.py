"""What the benchmark scripts share: an inventory of N pairs for a lab of their own, and running a
command with its output in a log file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def write_inventory(path: Path, pairs: Dict[str, Dict[str, Any]]) -> None:
    """One inventory host per pair (name -> its own variables), each with a VPC of its own
    (10.<110+n>.0.0/16), on the lab inventory's group variables (endpoints, credentials, auth code)."""
    hosts = {}
    for number, (name, own) in enumerate(pairs.items()):
        second = 110 + number
        hosts[name] = {
            "vmseries_pair_name": name,
            "vmseries_availability_zone": "{{ vmseries_region }}a", "vmseries_operator_cidrs": ["127.0.0.1/32"],
            "vmseries_ssh_private_key_file": "{{ vmseries_lab_state_dir }}/keys/{{ vmseries_pair_name }}-key.pem",
            "vmseries_vpc_cidr": f"10.{second}.0.0/16",
            "vmseries_subnet_cidrs": {role: f"10.{second}.{i}.0/24" for i, role in enumerate(("mgmt", "ha2", "untrust", "trust"))},
            **own,
        }
    path.mkdir(parents=True, exist_ok=True)
    (path / "hosts.yml").write_text(json.dumps({"vmseries_ha_pairs": {"hosts": hosts}}, indent=1))
    group_vars = path / "group_vars"
    if not group_vars.exists():
        group_vars.symlink_to(REPO / "inventories" / "lab" / "group_vars")


def run(argv: List[str], env: Dict[str, str], log: Path) -> None:
    print(f"$ {' '.join(argv)}  (log: {log})", flush=True)
    with log.open("w") as out:
        proc = subprocess.run(argv, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        sys.stdout.write(log.read_text()[-6000:])
        raise SystemExit(f"{argv[0]} failed (exit {proc.returncode}); the whole log is {log}")
