#!/usr/bin/env python3
"""`make bench-upgrade`: a rolling PAN-OS upgrade of each AWS HA method, in one lab run.

Starts a lab of its own (realistic profile unless told otherwise), deploys two pairs with one
site.yml run - `bench-interface` with interface move, `bench-secondary` with secondary-IP move -
then upgrades each with playbooks/upgrade.yml to TARGET, one after the other, and prints the steps
and the dataplane outage of both side by side with the profile's timings that produced them (each
a documented assumption or a cited figure, see lab/README.md). The figures are the lab's answer
under those assumptions, not a measurement of AWS.

    scripts/bench_upgrade.py [--profile realistic|fast] [--time-scale X] [--keep-lab] [--markdown]
    scripts/bench_upgrade.py --render DIR [--markdown]   # the table again from a run's directory
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lab_runs import BIN, run, write_inventory  # noqa: E402 - the scripts directory's own module

PAIRS = {"bench-interface": "interface_move", "bench-secondary": "secondary_ip"}
# A maintenance release of the lab AMI's feature release (11.1.4-h7).
TARGET = "11.1.6"
STEPS = [("content to the latest release (both)", "content"), ("download (both, side by side)", "download"),
         ("install on the passive", "install:1"), ("restart and rejoin of the passive", "boots:1"),
         ("failover (suspend the active)", "fail over"), ("install on the old active", "install:2"),
         ("restart and rejoin of the old active", "boots:2"), ("make it functional", "make functional")]
TIMINGS = [("software_download", "a PAN-OS image download"), ("software_install", "a PAN-OS installation"),
           ("content_install", "a content installation"), ("boot_no_tcp", "boot until TCP answers"),
           ("ha_timer_scale", "PAN-OS's recommended HA timers"), ("eni_detach", "ENI in detaching"),
           ("eni_attach", "ENI in attaching"), ("ip_remap", "secondary IP remap")]


def step_seconds(steps: List[Dict[str, Any]], key: str) -> Any:
    kind, _, nth = key.partition(":")
    matching = [s for s in steps if s["step"].startswith(kind)]
    if nth:
        matching = matching[int(nth) - 1:int(nth)]
    values = [s["seconds"] for s in matching if s.get("seconds") is not None]
    return sum(values) if values else None


def seconds(value: Any, scale: float) -> str:
    """AWS seconds under the profile's assumptions, the lab's own in parentheses."""
    return "-" if value is None else f"{value / scale:.0f} ({value:.1f})"


def table(reports: Dict[str, Dict[str, Any]], profile: Dict[str, Any], markdown: bool) -> str:
    scale = profile["time_scale"]
    rows = [[f"{TARGET} upgrade, seconds: AWS (lab)", *(PAIRS[name] for name in reports)]]
    for label, key in STEPS:
        rows.append([label, *(seconds(step_seconds(r["steps"], key), scale) for r in reports.values())])
    rows.append(["whole upgrade", *(seconds(r["steps"][-1]["start"] + (r["steps"][-1]["seconds"] or 0), scale)
                                    for r in reports.values())])
    rows.append(["dataplane outage (summed windows)", *(seconds(r["outage_seconds"], scale) for r in reports.values())])
    effective = profile["effective"]
    real = [["lab profile", f"{profile['name']}, time scale {scale}: the lab plays every duration x {scale}"]]
    real += [[name, f"{profile['values'][name]} s: {what} (lab: {effective[name]} s)" if name != "ha_timer_scale" else
              f"x {profile['values'][name]}: {what}"] for name, what in TIMINGS]
    if markdown:
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
        lines += ["", "| timing | value |", "|---|---|"] + [f"| `{k}` | {v} |" for k, v in real]
        return "\n".join(lines)
    width = max(len(row[0]) for row in rows + real)
    lines = [f"{row[0]:<{width}}  " + "  ".join(f"{cell:>15}" for cell in row[1:]) for row in rows]
    lines += [""] + [f"{k:<{width}}  {v}" for k, v in real]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="realistic", choices=["realistic", "fast"])
    parser.add_argument("--time-scale", type=float)
    parser.add_argument("--keep-lab", action="store_true", help="leave the lab running afterwards")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown (the README's)")
    parser.add_argument("--render", type=Path, metavar="DIR", help="print the table of an earlier run's directory")
    args = parser.parse_args()
    if args.render:
        reports = {name: json.loads((args.render / "reports" / f"upgrade-{name}.json").read_text()) for name in PAIRS}
        print(table(reports, json.loads((args.render / "profile.json").read_text()), args.markdown))
        return 0
    work = Path(tempfile.mkdtemp(prefix="bench-upgrade-"))
    state_dir, reports_dir = work / "lab", work / "reports"
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "VMSERIES_LAB_STATE_DIR": str(state_dir),
           "ANSIBLE_NOCOLOR": "1"}
    up = [str(BIN / "vmseries-lab"), "up", "--profile", args.profile, "--state-dir", str(state_dir)]
    if args.time_scale:
        up += ["--time-scale", str(args.time_scale)]
    run(up, env, work / "lab-up.log")
    try:
        write_inventory(work / "inventory", {name: {"vmseries_ha_method": method, "vmseries_dataplane_addressing": "dhcp"}
                                             for name, method in PAIRS.items()})
        playbook = str(BIN / "ansible-playbook")
        run([playbook, "site.yml", "-i", str(work / "inventory"), "--forks", "2"], env, work / "site.log")
        for name in PAIRS:
            run([playbook, "playbooks/upgrade.yml", "-i", str(work / "inventory"), "--limit", name,
                 "-e", f"vmseries_panos_target_version={TARGET}", "-e", f"vmseries_upgrade_report_dir={reports_dir}"],
                env, work / f"upgrade-{name}.log")
        reports = {name: json.loads((reports_dir / f"upgrade-{name}.json").read_text()) for name in PAIRS}
        profile = json.loads((state_dir / "state.json").read_text())["profile"]
        (work / "profile.json").write_text(json.dumps(profile, indent=1))
    finally:
        if not args.keep_lab:
            subprocess.run([str(BIN / "vmseries-lab"), "down", "--state-dir", str(state_dir)], env=env,
                           capture_output=True, check=False)
    print()
    print(table(reports, profile, args.markdown))
    print(f"\nReports: {reports_dir} (the table again: scripts/bench_upgrade.py --render {work})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
