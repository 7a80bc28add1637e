#!/usr/bin/env python3
"""`make bench-failover`: Palo Alto's two AWS HA methods side by side, in one lab run.

Starts a lab of its own (realistic profile unless told otherwise), deploys two pairs with one
site.yml run - `bench-interface` with interface move, `bench-secondary` with secondary-IP move -
then fails each over with playbooks/verify_failover.yml, one after the other so that neither
failover shares the machine with the other, and prints both timelines side by side with the
profile's timings that produced them (every one a documented assumption or a cited figure, see
lab/README.md). The figures are the lab's answer under those assumptions, not a measurement of AWS.

    scripts/bench_failover.py [--profile realistic|fast] [--time-scale X] [--keep-lab] [--markdown]
    scripts/bench_failover.py --render DIR [--markdown]   # the table again from a run's directory
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lab_runs import METHOD_PAIRS, method_bench, render, timings  # noqa: E402 - the scripts directory's own module

# What each method's timeline calls "the dataplane is on the new active".
MILESTONES = [
    ("peer loss detected", ["peer_loss_detected"]),
    ("promoted to active", ["promoted"]),
    ("untrust moved (ENI attached / address moved)", ["attached:untrust", "ip:untrust"]),
    ("trust moved (ENI attached / address moved)", ["attached:trust", "ip:trust"]),
    ("untrust Elastic IP through the new active", ["eip:untrust"]),
    ("protected route through the new active", ["route:"]),
]
TIMINGS = [("ha_timer_scale", "PAN-OS's recommended HA timers (peer lost after 3 heartbeats of 2 s, promotion hold 2 s)"),
           ("ec2_call", "each EC2 call of the firewall"), ("eni_detach", "ENI in detaching"),
           ("eni_attach", "ENI in attaching"), ("ip_remap", "secondary IP remap")]


def seconds(value: Any, scale: float) -> str:
    """AWS seconds under the profile's assumptions, the lab's own in parentheses."""
    return "-" if value is None else f"{value / scale:.0f} ({value:.1f})"


def first_seen(timeline: List[Dict[str, Any]], prefixes: List[str]) -> Any:
    times = [row["seconds"] for row in timeline if any(row["step"].startswith(p) for p in prefixes)]
    return max(times) if times else None


def table(reports: Dict[str, Dict[str, Any]], profile: Dict[str, Any], markdown: bool) -> str:
    scale = profile["time_scale"]
    rows = [["seconds after the active's instance was stopped: AWS (lab)", *(METHOD_PAIRS[name] for name in reports)]]
    for label, prefixes in MILESTONES:
        rows.append([label, *(seconds(first_seen(r["timeline"], prefixes), scale) for r in reports.values())])
    rows.append(["failover complete (total)", *(seconds(r["total_seconds"], scale) for r in reports.values())])
    return render(rows, timings(profile, TIMINGS), markdown)


def failover(name: str, reports_dir: Path) -> List[str]:
    return ["playbooks/verify_failover.yml", "-e", f"vmseries_failover_report_dir={reports_dir}"]


if __name__ == "__main__":
    sys.exit(method_bench(__doc__, "bench-failover-", "failover-{pair}.json", failover, table))
