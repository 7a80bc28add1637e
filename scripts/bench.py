#!/usr/bin/env python3
"""`make bench`: what a converge of site.yml costs, on labs of its own (fast profile).

Runs, each on a fresh lab: one pair's full converge and then its no-op re-run; N pairs converged
at once for each N of --pairs (default 4 and 8). For every run: wall time, CPU time per pair
(ansible-playbook and every module process it ran; the lab not counted), tasks and changes per
pair (from the play recap), AWS API calls per pair (moto's count of the calls from outside the
lab, reads and writes apart: `vmseries-lab aws-calls`), PAN-OS API calls per pair (the firewall
twins' request counters, reads and writes apart), and the ratios the converge-speed issue asks
for. Prints a table (Markdown with --markdown, the README's) and writes it all as JSON.

    scripts/bench.py [--pairs 4 8] [--json FILE] [--markdown]
    scripts/bench.py --render FILE [--markdown]     # the table again from a run's JSON
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lab_runs import BIN, run, write_inventory  # noqa: E402 - the scripts directory's own module
from vmseries_lab.awscalls import is_read  # noqa: E402 - the lab's own read/write rule

RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)", re.M)
# PAN-OS requests that change something: configuration writes, commits, and op requests other
# than the licence listing (licence fetch, HA sync, suspend).
PANOS_WRITE_COUNTERS = ("config.set.changes", "config.edit.changes", "config.delete.changes", "config.rename.changes",
                        "config.move.changes", "api.commit")


def lab_json(state_dir: Path, *args: str) -> Any:
    out = subprocess.run([str(BIN / "vmseries-lab"), *args, "--json", "--state-dir", str(state_dir)],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return json.loads(out)


def snapshot(state_dir: Path) -> Dict[str, Dict[str, int]]:
    """AWS calls from outside the lab, and every firewall's API counters."""
    aws = lab_json(state_dir, "aws-calls")["client"]
    panos: Dict[str, int] = {"reads": 0, "writes": 0}
    for data in lab_json(state_dir, "counters").values():
        counts = data["counts"]
        writes = sum(counts.get(name, 0) for name in PANOS_WRITE_COUNTERS)
        writes += sum(n for name, n in counts.items()
                      if name.startswith("api.op.request_") and name != "api.op.request_license_info")
        panos["writes"] += writes
        panos["reads"] += counts.get("api.requests", 0) - writes
    return {"aws": aws, "panos": panos}


def delta(before: Dict[str, Any], after: Dict[str, Any], pairs: int) -> Dict[str, Any]:
    calls = {name: after["aws"].get(name, 0) - before["aws"].get(name, 0) for name in after["aws"]}
    calls = {name: n for name, n in calls.items() if n}
    aws_writes = {name: n for name, n in calls.items() if not is_read(name)}
    return {
        "aws_reads_per_pair": round(sum(n for name, n in calls.items() if name not in aws_writes) / pairs, 1),
        "aws_writes_per_pair": round(sum(aws_writes.values()) / pairs, 1),
        "aws_writes": aws_writes,
        "panos_reads_per_pair": round((after["panos"]["reads"] - before["panos"]["reads"]) / pairs, 1),
        "panos_writes_per_pair": round((after["panos"]["writes"] - before["panos"]["writes"]) / pairs, 1),
    }


def converge(name: str, state_dir: Path, inventory: Path, pairs: int, env: Dict[str, str], work: Path) -> Dict[str, Any]:
    before = snapshot(state_dir)
    log = work / f"{name}.log"
    started = time.monotonic()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run([str(BIN / "ansible-playbook"), "site.yml", "-i", str(inventory)], env, log)
    seconds = round(time.monotonic() - started, 1)
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # ansible-playbook, its forks and every module process (the lab runs apart and is not counted).
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    recaps = RECAP.findall(log.read_text())
    tasks = [int(ok) + int(failed) + int(skipped) for _host, ok, _changed, _unreachable, failed, skipped in recaps]
    changed = [int(c) for _host, _ok, c, *_rest in recaps]
    return {"run": name, "pairs": pairs, "seconds": seconds, "cpu_seconds_per_pair": round(cpu / pairs, 1),
            "tasks_per_pair": round(sum(tasks) / len(tasks), 1),
            "changed_per_pair": round(sum(changed) / len(changed), 1), **delta(before, snapshot(state_dir), pairs)}


def on_fresh_lab(work: Path, label: str, pairs: int, runs: List[str]) -> List[Dict[str, Any]]:
    state_dir = work / f"lab-{label}"
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "VMSERIES_LAB_STATE_DIR": str(state_dir),
           "ANSIBLE_NOCOLOR": "1"}
    run([str(BIN / "vmseries-lab"), "up", "--profile", "fast", "--state-dir", str(state_dir)], env, work / f"lab-{label}.log")
    try:
        inventory = work / f"inventory-{label}"
        write_inventory(inventory, {f"bench-{n}": {} for n in range(1, pairs + 1)})
        return [converge(name, state_dir, inventory, pairs, env, work) for name in runs]
    finally:
        subprocess.run([str(BIN / "vmseries-lab"), "down", "--state-dir", str(state_dir)], env=env, capture_output=True,
                       check=False)


def machine() -> str:
    return f"{platform.node() or 'machine'}: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def ratios(results: List[Dict[str, Any]]) -> Dict[str, float]:
    by_run = {r["run"]: r for r in results}
    one = by_run["full converge, 1 pair"]["seconds"]
    found = {"no-op re-run / full converge": by_run["no-op re-run, 1 pair"]["seconds"] / one}
    for r in results:
        if r["run"].startswith("full converge") and r["pairs"] > 1:
            found[f"{r['pairs']} pairs / 1 pair"] = r["seconds"] / one
    return {k: round(v, 2) for k, v in found.items()}


def table(report: Dict[str, Any], markdown: bool) -> str:
    head = ["run", "pairs", "seconds", "CPU s/pair", "tasks/pair", "changed/pair", "AWS reads/pair", "AWS writes/pair",
            "PAN-OS reads/pair", "PAN-OS writes/pair"]
    keys = ["run", "pairs", "seconds", "cpu_seconds_per_pair", "tasks_per_pair", "changed_per_pair", "aws_reads_per_pair", "aws_writes_per_pair",
            "panos_reads_per_pair", "panos_writes_per_pair"]
    rows = [[str(r.get(k, "")) for k in keys] for r in report["results"]]
    ratio_rows = [[name, str(value)] for name, value in report["ratios"].items()]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(r) + " |" for r in rows]
        lines += ["", "| ratio | value |", "|---|---|"] + [f"| {a} | {b} |" for a, b in ratio_rows]
        lines += ["", f"Measured {report['date']} on {report['machine']} (fast lab profile, forks {report['forks']})."]
        return "\n".join(lines)
    widths = [max(len(x) for x in column) for column in zip(head, *rows)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in [head, *rows]]
    lines += [""] + [f"{a}: {b}" for a, b in ratio_rows] + ["", f"{report['date']}, {report['machine']}"]
    return "\n".join(lines)


def forks() -> str:
    out = subprocess.run([str(BIN / "ansible-config"), "dump", "--only-changed"], capture_output=True, text=True,
                         check=False).stdout
    found = re.search(r"DEFAULT_FORKS\(.*\) = (\d+)", out)
    return found.group(1) if found else "5"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, nargs="*", default=[4, 8], help="the N of the N-pairs runs")
    parser.add_argument("--json", type=Path, help="where to write the results (default: the run's directory)")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--render", type=Path, metavar="FILE", help="print the table of an earlier run's JSON")
    args = parser.parse_args()
    if args.render:
        print(table(json.loads(args.render.read_text()), args.markdown))
        return 0
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    results = on_fresh_lab(work, "1", 1, ["full converge, 1 pair", "no-op re-run, 1 pair"])
    for pairs in args.pairs:
        results += on_fresh_lab(work, str(pairs), pairs, [f"full converge, {pairs} pairs"])
    report = {"date": time.strftime("%Y-%m-%d"), "machine": machine(), "forks": forks(), "results": results,
              "ratios": ratios(results)}
    target = args.json or work / "bench.json"
    target.write_text(json.dumps(report, indent=1))
    print()
    print(table(report, args.markdown))
    print(f"\nJSON: {target} (logs in {work}; the table again: scripts/bench.py --render {target})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
