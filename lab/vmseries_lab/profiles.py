"""How long things take in the lab: the boot phases of a firewall, its jobs, its HA timers and the
EC2 calls its HA engine makes, as one named profile.

``fast`` is what the tests and ``make deploy`` run: every phase and latency exists, in the order
PAN-OS and EC2 go through them, but short. ``realistic`` holds the real durations (each with its
source or marked as an assumption in lab/README.md) and plays them at ``time_scale`` (0.1 by
default, so a deploy and a failover take minutes; 1.0 is real speed). ``fast`` is not scaled.

Every value can be overridden by name (``vmseries-lab up --timing commit=0.5``), in the profile's
own seconds, that is before ``time_scale``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Dict, List, Mapping, Optional, Tuple

# The order a VM-Series boots in after its instance reaches `running`; each phase lasts the
# profile's `boot_<phase>` seconds, and the firewall is `ready` after the last one.
BOOT_PHASES = ("no-tcp", "ssh-key-refused", "api-auth-starting", "chassis-not-ready", "autocommit")
READY = "ready"
DOWN = "down"
# The management services restarting after a capacity licence was installed: the API refuses every
# credential, as in api-auth-starting, for `license_restart` seconds; then the phases from
# api-auth-starting on follow again, with a new AutoCom job.
RESTARTING = "services-restarting"


@dataclass(frozen=True)
class Profile:
    name: str
    # Boot: nothing answers on TCP (kernel, then PAN-OS processes starting).
    boot_no_tcp: float
    # SSH answers but refuses the key pair (not installed for admin yet).
    boot_ssh_key_refused: float
    # The XML API answers and refuses every credential with 403 (its auth service is starting);
    # SSH takes the key. The boot-time commit (job 1, AutoCom) is queued from here on.
    boot_api_auth_starting: float
    # Credentials work; `show chassis-ready` still says no.
    boot_chassis_not_ready: float
    # `show chassis-ready` says yes; the AutoCom job is still running.
    boot_autocommit: float
    # A commit job, from ACT to FIN.
    commit: float
    # The HA-Sync job on the peer that receives the running configuration.
    ha_sync: float
    # Multiplies PAN-OS's own HA timers (hello, heartbeat, promotion and preemption hold).
    ha_timer_scale: float
    # Each EC2 API call the HA engine makes (the firewall reaching the EC2 endpoint).
    ec2_call: float
    # An ENI in `detaching` after DetachNetworkInterface, then `attaching` after AttachNetworkInterface.
    eni_detach: float
    eni_attach: float
    # After AssignPrivateIpAddresses moved a secondary IP: until the address answers on its new ENI
    # (AWS: "Remapping an IP address is an asynchronous operation").
    ip_remap: float
    # After `request license fetch` installed a capacity licence: the management services are down
    # ("Restarting pan services") before the api-auth-starting phase comes again.
    license_restart: float
    # A PAN-OS image from the update server (Downld job), its installation (SWInstall), and a content
    # release's download and installation (Downld, ContentInstall), each from ACT to FIN.
    software_download: float = 1.0
    software_install: float = 1.5
    content_install: float = 0.5
    # Every value above is multiplied by this (the realistic profile plays real durations faster).
    time_scale: float = 1.0

    def seconds(self, name: str) -> float:
        """A duration as the lab plays it: the profile's value times the time scale."""
        return float(getattr(self, name)) * self.time_scale

    @property
    def ha_timer_factor(self) -> float:
        return self.ha_timer_scale * self.time_scale

    def boot_schedule(self) -> List[Tuple[str, float]]:
        """(phase, seconds after `running` at which it starts), `ready` last."""
        schedule, offset = [], 0.0
        for phase in BOOT_PHASES:
            schedule.append((phase, offset))
            offset += self.seconds("boot_" + phase.replace("-", "_"))
        schedule.append((READY, offset))
        return schedule

    def phase_at(self, elapsed: float) -> str:
        """The boot phase a firewall is in `elapsed` seconds after its instance reached `running`."""
        current = BOOT_PHASES[0]
        for phase, start in self.boot_schedule():
            if elapsed >= start:
                current = phase
        return current

    def phase_start(self, phase: str) -> float:
        return dict(self.boot_schedule())[phase]

    def describe(self) -> Dict[str, object]:
        """For the state file and `vmseries-lab status`: the values and what the lab plays."""
        values = asdict(self)
        return {"name": self.name, "time_scale": self.time_scale, "values": values,
                "effective": {k: round(self.seconds(k), 3) for k in timing_names()}}


def timing_names() -> List[str]:
    return [f.name for f in fields(Profile) if f.name not in ("name", "time_scale")]


# Short but complete: every phase and state a client must cope with shows up for a moment.
FAST = Profile(
    name="fast",
    boot_no_tcp=1.0, boot_ssh_key_refused=0.4, boot_api_auth_starting=0.4, boot_chassis_not_ready=0.4,
    boot_autocommit=0.6,
    commit=1.0, ha_sync=0.5, ha_timer_scale=0.25,
    ec2_call=0.02, eni_detach=0.3, eni_attach=0.3, ip_remap=0.05, license_restart=0.5,
)

# Real durations in seconds; lab/README.md gives the source of each, or says it is an assumption.
REALISTIC = Profile(
    name="realistic",
    boot_no_tcp=300.0, boot_ssh_key_refused=120.0, boot_api_auth_starting=60.0, boot_chassis_not_ready=60.0,
    boot_autocommit=31.0,
    commit=30.0, ha_sync=10.0, ha_timer_scale=1.0,
    ec2_call=0.5, eni_detach=5.0, eni_attach=5.0, ip_remap=2.0, license_restart=60.0,
    software_download=120.0, software_install=420.0, content_install=90.0,
    time_scale=0.1,
)

PROFILES: Mapping[str, Profile] = {p.name: p for p in (FAST, REALISTIC)}


def build(name: str, time_scale: Optional[float] = None, timings: Optional[Mapping[str, float]] = None) -> Profile:
    """The named profile with the given time scale and overrides; ValueError names what is wrong."""
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; one of {', '.join(PROFILES)}")
    profile = PROFILES[name]
    changes: Dict[str, float] = {}
    for key, value in (timings or {}).items():
        if key not in timing_names():
            raise ValueError(f"unknown timing {key!r}; one of {', '.join(timing_names())}")
        if value < 0:
            raise ValueError(f"timing {key} must not be negative (got {value})")
        changes[key] = float(value)
    if time_scale is not None:
        if time_scale <= 0:
            raise ValueError(f"time scale must be positive (got {time_scale})")
        changes["time_scale"] = float(time_scale)
    return replace(profile, **changes)  # type: ignore[arg-type]


def parse_timing(text: str) -> Tuple[str, float]:
    """'commit=0.5' -> ('commit', 0.5), for the CLI."""
    key, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"--timing takes NAME=SECONDS, got {text!r}")
    try:
        return key.strip().replace("-", "_"), float(value)
    except ValueError as error:
        raise ValueError(f"--timing {key}: {value!r} is not a number of seconds") from error
