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

import sys
from pathlib import Path
from typing import Any, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lab_runs import METHOD_PAIRS, method_bench, render, timings  # noqa: E402 - the scripts directory's own module

# A maintenance release of the lab AMI's feature release (11.1.4-h7).
TARGET = "11.1.6"
STEPS = [("content to the latest release (both)", "content"), ("download (both, side by side)", "download"),
         ("install on the passive", "install:1"), ("restart until it rejoins as passive", "boots into:1"),
         ("failover (suspend the active)", "fail over"), ("install on the old active", "install:2"),
         ("restart until it answers, still suspended", "boots into:2"), ("make it functional", "make functional"),
         ("until it is passive", "wait:")]
TIMINGS = [("software_download", "a PAN-OS image download"), ("software_install", "a PAN-OS installation"),
           ("content_install", "a content installation"), ("boot_no_tcp", "boot until TCP answers"),
           ("ha_timer_scale", "PAN-OS's recommended HA timers"), ("eni_detach", "ENI in detaching"),
           ("eni_attach", "ENI in attaching"), ("ip_remap", "secondary IP remap")]


def step_seconds(steps: List[Dict[str, Any]], key: str) -> Any:
    kind, _, nth = key.partition(":")
    matching = [s for s in steps if kind in s["step"]]
    if nth:
        matching = matching[int(nth) - 1:int(nth)]
    values = [s["seconds"] for s in matching if s.get("seconds") is not None]
    return sum(values) if values else None


def seconds(value: Any, scale: float) -> str:
    """AWS seconds under the profile's assumptions, the lab's own in parentheses."""
    return "-" if value is None else f"{value / scale:.0f} ({value:.1f})"


def table(reports: Dict[str, Dict[str, Any]], profile: Dict[str, Any], markdown: bool) -> str:
    scale = profile["time_scale"]
    rows = [[f"{TARGET} upgrade, seconds: AWS (lab)", *(METHOD_PAIRS[name] for name in reports)]]
    for label, key in STEPS:
        rows.append([label, *(seconds(step_seconds(r["steps"], key), scale) for r in reports.values())])
    rows.append(["whole upgrade", *(seconds(r["steps"][-1]["start"] + (r["steps"][-1]["seconds"] or 0), scale)
                                    for r in reports.values())])
    rows.append(["dataplane outage (summed windows)", *(seconds(r["outage_seconds"], scale) for r in reports.values())])
    return render(rows, timings(profile, TIMINGS), markdown)


def upgrade(name: str, reports_dir: Path) -> List[str]:
    return ["playbooks/upgrade.yml", "-e", f"vmseries_panos_target_version={TARGET}",
            "-e", f"vmseries_upgrade_report_dir={reports_dir}"]


if __name__ == "__main__":
    sys.exit(method_bench(__doc__, "bench-upgrade-", "upgrade-{pair}.json", upgrade, table))
