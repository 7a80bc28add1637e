"""vmseries-lab: start, stop and inspect the lab (moto + VM-Series firewall twins)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional

from . import profiles
from .faults import Faults

READY_TIMEOUT = 30.0
# Under the state dir: where playbooks save the private keys of key pairs created in the lab's EC2.
KEYS_DIR = "keys"


def default_state_dir() -> Path:
    env = os.environ.get("VMSERIES_LAB_STATE_DIR")
    if env:
        return Path(env)
    here = Path.cwd().resolve()
    for directory in (here, *here.parents):
        if (directory / "galaxy.yml").exists():
            return directory / ".lab"
    return here / ".lab"


def read_state(state_dir: Path) -> Optional[Dict[str, Any]]:
    try:
        return json.loads((state_dir / "state.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_state(state_dir: Path) -> Optional[Dict[str, Any]]:
    state = read_state(state_dir)
    if state and state.get("pid") and alive(int(state["pid"])):
        return state
    return None


def control(state: Dict[str, Any], method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(state["control_url"] + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
        return json.loads(response.read())


def cmd_up(args: argparse.Namespace) -> int:
    state_dir = args.state_dir
    existing = running_state(state_dir)
    if existing:
        print(f"The lab is already running (pid {existing['pid']}, AWS at {existing['aws_endpoint_url']}).")
        return 0
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "state.json").unlink(missing_ok=True)
    # A new lab's EC2 has no key pairs, so private keys saved for the last lab's key pairs are
    # stale: left there, they would make the next run's preflight refuse to create the key pair.
    shutil.rmtree(state_dir / KEYS_DIR, ignore_errors=True)
    (state_dir / KEYS_DIR).mkdir(mode=0o700)
    daemon_args = [sys.executable, "-m", "vmseries_lab.cli", "daemon", "--state-dir", str(state_dir),
                   "--aws-port", str(args.aws_port), "--region", args.region, "--profile", args.profile.name,
                   "--time-scale", str(args.profile.time_scale)]
    for name in profiles.timing_names():
        daemon_args += ["--timing", f"{name}={getattr(args.profile, name)}"]
    if args.update_server:
        daemon_args.append("--update-server")
    if args.foreground:
        return cmd_daemon(args)
    log = open(state_dir / "lab.log", "ab")  # noqa: SIM115 - handed to the daemon for its lifetime
    proc = subprocess.Popen(daemon_args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    started = time.monotonic()
    print("Starting the lab (moto + firewall supervisor)", end="", flush=True)
    while time.monotonic() - started < READY_TIMEOUT:
        state = read_state(state_dir)
        if state and state.get("pid") == proc.pid and state.get("ready"):
            print(f" ready in {time.monotonic() - started:.1f} s")
            print(f"AWS endpoint: {state['aws_endpoint_url']} ({state['region']}); control: {state['control_url']}")
            print(f"Profile:      {describe_profile(state)}")
            played = "played by the lab" if state.get("update_server") else "none (--update-server plays one)"
            print(f"Update server: {played}")
            print(f"State file:   {state_dir / 'state.json'}")
            return 0
        if proc.poll() is not None:
            print(" failed")
            print((state_dir / "lab.log").read_text()[-3000:], file=sys.stderr)
            return 1
        print(".", end="", flush=True)
        time.sleep(0.2)
    print(" timed out")
    proc.terminate()
    print((state_dir / "lab.log").read_text()[-3000:], file=sys.stderr)
    return 1


def cmd_daemon(args: argparse.Namespace) -> int:
    from .daemon import run

    run(args.state_dir, args.region, args.aws_port, args.profile, args.update_server)
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    state = running_state(args.state_dir)
    if not state:
        print("The lab is not running.")
        (args.state_dir / "state.json").unlink(missing_ok=True)
        return 0
    pid = int(state["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)
    (args.state_dir / "state.json").unlink(missing_ok=True)
    print(f"The lab (pid {pid}) is stopped.")
    return 0


def describe_profile(state: Dict[str, Any]) -> str:
    profile = state.get("profile") or {}
    effective = profile.get("effective", {})
    boot = sum(v for k, v in effective.items() if k.startswith("boot_"))
    return (f"{profile.get('name')} (time scale {profile.get('time_scale')}): boot {boot:.1f} s, commit "
            f"{effective.get('commit')} s, ENI detach/attach {effective.get('eni_detach')}/{effective.get('eni_attach')} s, "
            f"HA timers x{effective.get('ha_timer_scale')}")


def table(rows: List[List[str]]) -> str:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)


def cmd_status(args: argparse.Namespace) -> int:
    state = running_state(args.state_dir)
    if not state:
        if args.json:
            print(json.dumps({"running": False}))
        else:
            print(f"The lab is not running (state dir {args.state_dir}).")
        return 3
    if args.json:
        print(json.dumps(state, indent=2))
        return 0
    print(f"AWS endpoint {state['aws_endpoint_url']} ({state['region']}), control {state['control_url']}")
    print(f"Profile {describe_profile(state)}")
    rows = [["INSTANCE", "PAIR/NODE", "STATE", "BOOT PHASE", "HA", "LICENCE", "API", "SSH", "COMMITS"]]
    for fw in state["firewalls"]:
        licence = f"{fw.get('license') or 'none'}{' (PAYG)' if fw.get('payg') else ''}"
        rows.append([fw["instance_id"], f"{fw.get('pair') or '-'}/{fw.get('node') or '-'}", fw["state"],
                     fw.get("boot_phase", "-"), fw["ha_state"], licence, fw["api_endpoint"], fw["ssh_endpoint"],
                     str(fw["commits"])])
    print(table(rows) if len(rows) > 1 else "No firewalls (launch an instance from a VM-Series AMI).")
    return 0


def cmd_counters(args: argparse.Namespace) -> int:
    state = running_state(args.state_dir)
    if not state:
        print("The lab is not running.", file=sys.stderr)
        return 3
    try:
        counters = control(state, "GET", "/counters" + (f"/{args.instance_id}" if args.instance_id else ""))
    except urllib.error.HTTPError as error:
        print(f"No firewall {args.instance_id} in the lab ({error.code}).", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(counters, indent=2))
        return 0
    for instance_id, data in counters.items():
        print(instance_id)
        for name, value in data["counts"].items():
            print(f"  {name:<40} {value}")
    return 0


def cmd_fault(args: argparse.Namespace) -> int:
    state = running_state(args.state_dir)
    if not state:
        print("The lab is not running.", file=sys.stderr)
        return 3
    if args.action == "clear":
        control(state, "DELETE", "/faults")
        print("All faults cleared.")
        return 0
    body = {"kind": args.kind, "instance_id": args.instance, "message": args.message or "", "count": args.count}
    if args.seconds is not None:
        body["seconds"] = args.seconds
    print(json.dumps(control(state, "POST", "/faults", body)))
    return 0


def cmd_license(args: argparse.Namespace) -> int:
    """The lab's licensing server: auth codes (model, count, what is left, which serials hold one)
    and the support portal's licensing API keys."""
    state = running_state(args.state_dir)
    if not state:
        print("The lab is not running.", file=sys.stderr)
        return 3
    try:
        if args.action == "add":
            body = {"code": args.code, "model": args.model, "count": args.count}
            if args.support_days is not None:
                body["support_days"] = args.support_days
            print(json.dumps(control(state, "POST", "/licenses", body)))
            return 0
        if args.action == "api-key":
            control(state, "POST", "/licenses/api-keys", {"key": args.code})
            print("Licensing API key registered.")
            return 0
    except urllib.error.HTTPError as error:
        print(f"vmseries-lab license {args.action}: {json.loads(error.read()).get('error')}", file=sys.stderr)
        return 2
    codes = control(state, "GET", "/licenses")
    if args.json:
        print(json.dumps(codes, indent=2))
        return 0
    rows = [["AUTH CODE", "MODEL", "COUNT", "LEFT", "SUPPORT UNTIL", "SERIALS (INSTANCE)"]]
    for code in codes:
        held = ", ".join(f"{serial} ({instance})" for serial, instance in code["serials"].items()) or "-"
        rows.append([code["code"], code["model"], str(code["count"]), str(code["left"]), code["support_until"], held])
    print(table(rows))
    return 0


def cmd_aws_calls(args: argparse.Namespace) -> int:
    """The AWS API calls moto has served since the lab started, by caller (client: everything outside
    the lab; firewalls: the HA engines) and service:action, reads and writes apart."""
    from .awscalls import is_read

    state = running_state(args.state_dir)
    if not state:
        print("The lab is not running.", file=sys.stderr)
        return 3
    calls = control(state, "GET", "/aws-calls")
    if args.json:
        print(json.dumps(calls, indent=2))
        return 0
    rows = [["CALLER", "CALL", "KIND", "COUNT"]]
    for caller, counts in calls.items():
        for name, count in counts.items():
            rows.append([caller, name, "read" if is_read(name) else "write", str(count)])
    print(table(rows) if len(rows) > 1 else "No AWS calls yet.")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="vmseries-lab", description=__doc__)
    top.add_argument("--state-dir", type=Path, default=None,
                     help="state directory (default: $VMSERIES_LAB_STATE_DIR, else .lab/ at the repository root)")
    sub = top.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--state-dir", type=Path, default=argparse.SUPPRESS, help="state directory")

    for name in ("up", "daemon"):
        p = sub.add_parser(name, help="start the lab and wait until it is ready" if name == "up" else argparse.SUPPRESS)
        common(p)
        p.add_argument("--aws-port", type=int, default=0, help="moto's port (0: a free one)")
        p.add_argument("--region", default="us-east-1")
        p.add_argument("--profile", default="fast", choices=sorted(profiles.PROFILES),
                       help="fast (default: tests, make deploy) or realistic (real durations, played at --time-scale)")
        p.add_argument("--time-scale", type=float, default=None,
                       help="multiplies every duration of the profile (realistic: 0.1 unless given; 1 = real speed)")
        p.add_argument("--timing", action="append", default=[], metavar="NAME=SECONDS",
                       help="override one duration of the profile, in its own seconds: "
                            + ", ".join(profiles.timing_names()))
        p.add_argument("--update-server", action="store_true",
                       help="play Palo Alto's update server (software, content, plugins, support) for every "
                            "firewall, as a rolling upgrade needs; without it they answer as firewalls that "
                            "cannot reach it")
        if name == "up":
            p.add_argument("--foreground", action="store_true", help="run in this process (for debugging)")
    p = sub.add_parser("down", help="stop the lab")
    common(p)
    p = sub.add_parser("status", help="the firewalls: instance, HA state, endpoints, commits")
    common(p)
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("counters", help="per-firewall counters and events")
    common(p)
    p.add_argument("instance_id", nargs="?")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("fault", help="inject or clear faults")
    common(p)
    p.add_argument("action", choices=["set", "clear"])
    p.add_argument("--kind", choices=Faults.KINDS)
    p.add_argument("--instance", help="instance id (default: every firewall)")
    p.add_argument("--message")
    p.add_argument("--count", type=int, help="how many times the fault fires (default: until cleared)")
    p.add_argument("--seconds", type=float, help="api-hang: how long each request hangs")
    p = sub.add_parser("aws-calls", help="the AWS API calls served, by caller and action")
    common(p)
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("license", help="the licensing server: auth codes and licensing API keys")
    common(p)
    p.add_argument("action", choices=["list", "add", "api-key"],
                   help="list the auth codes; add CODE (or raise its count); api-key KEY: register a portal key")
    p.add_argument("code", nargs="?", help="the auth code (add) or the licensing API key (api-key)")
    p.add_argument("--model", default="VM-300", help="capacity model of the auth code (add; default VM-300)")
    p.add_argument("--count", type=int, default=2, help="how many firewalls the auth code licenses (add; default 2)")
    p.add_argument("--support-days", type=int,
                   help="the support term of the auth code from now, in days (add; default a year; 0 or less: lapsed)")
    p.add_argument("--json", action="store_true")
    return top


def main(argv: Optional[List[str]] = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "state_dir", None) is None:
        args.state_dir = default_state_dir()
    args.state_dir = Path(args.state_dir).resolve()
    if args.command == "license" and args.action != "list" and not args.code:
        print(f"license {args.action} needs {'the auth code' if args.action == 'add' else 'the key'}", file=sys.stderr)
        return 2
    if args.command == "fault" and args.action == "set" and not args.kind:
        print("fault set needs --kind", file=sys.stderr)
        return 2
    if args.command in ("up", "daemon"):
        try:
            args.profile = profiles.build(args.profile, args.time_scale,
                                          dict(profiles.parse_timing(t) for t in args.timing))
        except ValueError as error:
            print(f"vmseries-lab {args.command}: {error}", file=sys.stderr)
            return 2
    handlers = {"up": cmd_up, "daemon": cmd_daemon, "down": cmd_down, "status": cmd_status,
                "counters": cmd_counters, "fault": cmd_fault, "license": cmd_license,
                "aws-calls": cmd_aws_calls}
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
