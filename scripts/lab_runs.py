"""What the benchmark scripts share: an inventory of N pairs for a lab of their own, running a
command with its output in a log file, and the run of one pair per HA method on a lab of its own
(`make bench-failover`, `make bench-upgrade`)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, List

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


# One pair per AWS HA method, in one site.yml run; DHCP for both (secondary-IP move needs it), so
# that they differ in the method only.
METHOD_PAIRS = {"bench-interface": "interface_move", "bench-secondary": "secondary_ip"}
Table = Callable[[Dict[str, Dict[str, Any]], Dict[str, Any], bool], str]


def render(rows: List[List[str]], real: List[List[str]], markdown: bool) -> str:
    """A comparison table (first row the header) and the profile's timings under it."""
    if markdown:
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
        lines += ["", "| timing | value |", "|---|---|"] + [f"| `{k}` | {v} |" for k, v in real]
        return "\n".join(lines)
    width = max(len(row[0]) for row in rows + real)
    lines = [f"{row[0]:<{width}}  " + "  ".join(f"{cell:>15}" for cell in row[1:]) for row in rows]
    lines += [""] + [f"{k:<{width}}  {v}" for k, v in real]
    return "\n".join(lines)


def timings(profile: Dict[str, Any], described: List[tuple]) -> List[List[str]]:
    """The profile's timings that produced a table, each with what it is."""
    scale, effective = profile["time_scale"], profile["effective"]
    real = [["lab profile", f"{profile['name']}, time scale {scale}: the lab plays every duration x {scale}"]]
    real += [[name, f"{profile['values'][name]} s: {what} (lab: {effective[name]} s)" if name != "ha_timer_scale" else
              f"x {profile['values'][name]}: {what}"] for name, what in described]
    return real


def method_bench(doc: str, prefix: str, report: str, playbook: Callable[[str, Path], List[str]], table: Table) -> int:
    """Deploy METHOD_PAIRS on a lab of their own, run `playbook(pair, reports_dir)` for each pair
    in turn (neither shares the machine with the other's), and print `table` of their reports
    (`report` names a pair's report file, with {pair})."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--profile", default="realistic", choices=["realistic", "fast"])
    parser.add_argument("--time-scale", type=float)
    parser.add_argument("--keep-lab", action="store_true", help="leave the lab running afterwards")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown (the README's)")
    parser.add_argument("--render", type=Path, metavar="DIR", help="print the table of an earlier run's directory")
    args = parser.parse_args()
    if args.render:
        reports = {name: json.loads((args.render / "reports" / report.format(pair=name)).read_text()) for name in METHOD_PAIRS}
        print(table(reports, json.loads((args.render / "profile.json").read_text()), args.markdown))
        return 0
    work = Path(tempfile.mkdtemp(prefix=prefix))
    state_dir, reports_dir = work / "lab", work / "reports"
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "VMSERIES_LAB_STATE_DIR": str(state_dir),
           "ANSIBLE_NOCOLOR": "1"}
    # The upgrade needs Palo Alto's update server; the failover never asks it.
    up = [str(BIN / "vmseries-lab"), "up", "--profile", args.profile, "--state-dir", str(state_dir), "--update-server"]
    if args.time_scale:
        up += ["--time-scale", str(args.time_scale)]
    run(up, env, work / "lab-up.log")
    try:
        write_inventory(work / "inventory", {name: {"vmseries_ha_method": method, "vmseries_dataplane_addressing": "dhcp"}
                                             for name, method in METHOD_PAIRS.items()})
        ansible_playbook = str(BIN / "ansible-playbook")
        run([ansible_playbook, "site.yml", "-i", str(work / "inventory"), "--forks", "2"], env, work / "site.log")
        for name in METHOD_PAIRS:
            run([ansible_playbook, *playbook(name, reports_dir), "-i", str(work / "inventory"), "--limit", name], env,
                work / f"{prefix}{name}.log")
        reports = {name: json.loads((reports_dir / report.format(pair=name)).read_text()) for name in METHOD_PAIRS}
        profile = json.loads((state_dir / "state.json").read_text())["profile"]
        (work / "profile.json").write_text(json.dumps(profile, indent=1))
    finally:
        if not args.keep_lab:
            subprocess.run([str(BIN / "vmseries-lab"), "down", "--state-dir", str(state_dir)], env=env,
                           capture_output=True, check=False)
    print()
    print(table(reports, profile, args.markdown))
    print(f"\nReports: {reports_dir} (the table again: {sys.argv[0]} --render {work})")
    return 0
