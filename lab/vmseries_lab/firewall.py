"""One emulated VM-Series firewall: boot phases, configuration, jobs, keys, interfaces.

The transport (HTTPS for the XML API, SSH for the CLI, TCP for HA) lives in xmlapi.py, ssh.py and
ha.py, and the shapes of the op commands' answers in opcmds.py; this module is what they all talk
to. The firewall's interfaces are read live from moto's EC2 model of its instance, so an ENI moved
by a failover shows up (and disappears) as on AWS, once its attachment has finished.

A firewall boots in the phases of profiles.BOOT_PHASES, driven by the lab's supervisor
(enter_phase): what answers, and how, depends on the phase.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import ipaddress
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import config as cfg
from . import licensing, moto_patches, profiles
from .counters import Counters

USER_SETTABLE_OPS = ("set", "edit", "delete", "rename", "move")


class ApiError(Exception):
    """An error response of the XML API: PAN-OS status code (None: the envelope has none) and
    message lines; op command errors carry their lines as CDATA, as PAN-OS writes them."""

    def __init__(self, code: Optional[int], message: str, http_status: int = 200, cdata: bool = False,
                 more: Tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status
        self.cdata = cdata
        self.lines = (message, *more)


# A commit requested while the boot-time AutoCom runs. PAN-OS 7.1+ queues commits behind one
# another, but Palo Alto's maintainers call commits that fail before the autocommit completes
# expected (pan-os-ansible#19); the lab refuses them with PAN-OS's commit-in-progress answer,
# the conservative reading.
COMMIT_BUSY = "Another commit/validate is in progress. Please try again later"


@dataclass
class Job:
    id: int
    kind: str  # Commit, AutoCom, HA-Sync: the <type> PAN-OS shows
    user: str
    queued: float
    status: str = "PEND"  # PEND (waiting for its turn), ACT, FIN
    result: str = "PEND"  # PEND, OK, FAIL
    progress: int = 0
    started: Optional[float] = None
    finished: Optional[float] = None
    details: List[str] = field(default_factory=list)
    description: str = ""
    waiting: bool = False  # queued behind another job


@dataclass
class Interface:
    name: str
    device_index: int
    eni_id: str
    mac: str
    private_ip: str
    prefix_length: int


def _stamp(epoch: Optional[float]) -> str:
    return time.strftime("%Y/%m/%d %H:%M:%S", time.localtime(epoch)) if epoch else ""


def _clock(epoch: Optional[float]) -> str:
    return time.strftime("%H:%M:%S", time.localtime(epoch)) if epoch else ""


# The boot phases from which each service answers as it does on a ready firewall.
SSH_KEY_PHASES = ("api-auth-starting", "chassis-not-ready", "autocommit", profiles.READY, profiles.RESTARTING)
CREDENTIAL_PHASES = ("chassis-not-ready", "autocommit", profiles.READY)
CHASSIS_READY_PHASES = ("autocommit", profiles.READY)
AUTOCOMMIT_PROGRESS = {"chassis-not-ready": 30, "autocommit": 70}
AUTOCOMMIT_DETAILS = ["Configuration committed successfully", "Successfully committed last configuration"]


def password_hash(password: str, salt: str) -> str:
    return "$5$" + salt + "$" + hashlib.sha256((salt + password).encode()).hexdigest()


class Firewall:
    """A firewall twin bound to one EC2 instance of the lab."""

    def __init__(self, lab: Any, instance_id: str, serial_index: int, payg: bool = False) -> None:
        self.lab = lab
        self.instance_id = instance_id
        # What API keys and password salts derive from; unlike the serial, it never changes (a
        # licence does not invalidate API keys).
        self.hardware_id = f"0070010{serial_index:05d}"
        self.payg = payg
        self.licence: Optional[licensing.Licence] = None
        # A deactivated firewall keeps showing its serial until it reboots.
        self._serial_until_reboot: Optional[str] = None
        self.licensing_api_key: Optional[str] = None
        # Set while the management services restart after a licence was installed.
        self.restarting = False
        self._restarts = 0
        self.hostname = f"PA-VM-{instance_id[-6:]}"
        self.counters = Counters()
        self._lock = threading.RLock()
        self.running = cfg.default_config(self.hostname)
        self.candidate = copy.deepcopy(self.running)
        self.jobs: Dict[int, Job] = {}
        self._next_job = 1
        # One commit or validation at a time, as on PAN-OS: a commit waits for the one before it.
        self._job_slot = threading.Lock()
        self.phase = profiles.DOWN
        self.booted_at: Optional[float] = None
        self.mgmt_interface_swap = False
        self._swap_pending: Optional[bool] = None
        self.ha = None  # set by the lab: ha.HAEngine
        self.on_change: Callable[[], None] = lambda: None
        self.key_name: Optional[str] = None
        self.mgmt_private_ip = ""

    @property
    def profile(self) -> profiles.Profile:
        return self.lab.profile

    # ---- lifecycle -------------------------------------------------------------------------
    def power_on(self) -> None:
        """The instance has reached `running`: the first boot phase begins. Candidate = running,
        as after a reboot; job ids start again at 1; a mgmt-interface-swap saved before takes effect."""
        with self._lock:
            if self._swap_pending is not None:
                self.mgmt_interface_swap = self._swap_pending
                self._swap_pending = None
            self.candidate = copy.deepcopy(self.running)
            self.jobs.clear()
            self._next_job = 1
            instance = self.instance()
            self.key_name = getattr(instance, "key_name", None)
            self.mgmt_private_ip = self._mgmt_ip()
            self.booted_at = time.time()
            self.phase = profiles.BOOT_PHASES[0]
            self.restarting = False
            self._serial_until_reboot = None
            if self.payg and self.licence is None:
                # Bought with the instance: licensed from the first boot.
                self.licence = licensing.Licence(licensing.PAYG_MODEL,
                                                 self.lab.licenses.serial_for(self.instance_id, payg=True), "", time.time())
        self.counters.event("boot")
        if self.ha is not None:
            self.ha.apply(self.running_config())

    def enter_phase(self, phase: str) -> None:
        """The supervisor moves the firewall through the boot phases in order."""
        with self._lock:
            self.phase = phase
        self.counters.event("boot_phase", phase=phase)
        autocommit = self.jobs.get(1)
        if autocommit is not None and phase in AUTOCOMMIT_PROGRESS:
            autocommit.progress = AUTOCOMMIT_PROGRESS[phase]
        if phase == "api-auth-starting":
            # The management server is up: its first job is the boot-time commit of the saved config.
            self._start_autocommit()
        elif phase == profiles.READY:
            self._finish_autocommit()
            if self.ha is not None:
                self.ha.apply(self.running_config())
                self.ha.start()
        self.on_change()

    def shutdown(self) -> None:
        with self._lock:
            self.phase = profiles.DOWN
            self.restarting = False
            autocommit = self.jobs.get(1)
        if autocommit is not None and autocommit.kind == "AutoCom" and autocommit.status != "FIN":
            autocommit.status = "FIN"
        if self.ha is not None:
            self.ha.stop()
        self.counters.event("shutdown")

    def is_up(self) -> bool:
        """Powered on (in any boot phase, or ready)."""
        return self.phase != profiles.DOWN

    def is_ready(self) -> bool:
        return self.phase == profiles.READY

    def accepts_ssh_key(self) -> bool:
        return self.phase in SSH_KEY_PHASES

    def accepts_credentials(self) -> bool:
        return self.phase in CREDENTIAL_PHASES

    def chassis_ready(self) -> bool:
        return self.phase in CHASSIS_READY_PHASES

    def _start_autocommit(self) -> None:
        # Commits and validations are refused while it runs (commit()), so it needs no job slot.
        with self._lock:
            job = self._new_job("AutoCom", user="")
            job.status, job.started = "ACT", job.queued

    def _finish_autocommit(self) -> None:
        with self._lock:
            job = self.jobs.get(1)
        if job is None or job.kind != "AutoCom" or job.status == "FIN":
            return
        job.result, job.details, job.progress = "OK", list(AUTOCOMMIT_DETAILS), 100
        job.status, job.finished = "FIN", time.time()

    def autocommit_running(self) -> bool:
        with self._lock:
            job = self.jobs.get(1)
        return job is not None and job.kind == "AutoCom" and job.status != "FIN"

    # ---- licence ---------------------------------------------------------------------------
    @property
    def serial(self) -> str:
        """`show system info`'s serial: `unknown` until a licence gives the VM one."""
        if self.licence is not None:
            return self.licence.serial
        return self._serial_until_reboot or "unknown"

    def fetch_license(self, auth_code: str) -> None:
        """`request license fetch auth-code`: the licensing server assigns a capacity licence
        (raises licensing.LicenseError with the firewall's answer). The caller restarts the
        management services once the answer is out (restart_services)."""
        if self.payg:
            raise licensing.LicenseError(licensing.PAYG_FETCH)
        with self._lock:
            current = self.licence
        if current is not None and current.authcode != auth_code:
            raise licensing.LicenseError(licensing.ALREADY_LICENSED.format(model=current.model, code=current.authcode))
        licence = self.lab.licenses.activate(auth_code, self.instance_id)
        with self._lock:
            self.licence = licence
        self.counters.event("license_installed", model=licence.model, serial=licence.serial)

    def deactivate_license(self) -> str:
        """`request license deactivate VM-Capacity mode auto`: the seat goes back to the auth code
        through the licensing API key installed on the firewall."""
        with self._lock:
            licence = self.licence
        if licence is None:
            raise licensing.LicenseError(licensing.NOTHING_TO_DEACTIVATE)
        if self.payg:
            raise licensing.LicenseError(licensing.PAYG_DEACTIVATE)
        self.lab.licenses.release(licence, self.licensing_api_key)
        with self._lock:
            self.licence = None
            self._serial_until_reboot = licence.serial
        self.counters.event("license_deactivated", model=licence.model, serial=licence.serial)
        return licensing.DEACTIVATED

    def restart_services(self) -> None:
        """After a capacity licence is installed PAN-OS (8.0+) restarts its management services:
        credentials are refused for the profile's license_restart seconds, then the boot phases
        from api-auth-starting run again, with a new AutoCom job. The supervisor leaves the
        firewall to this thread while `restarting` is set."""
        with self._lock:
            self._restarts += 1
            generation = self._restarts
            self.restarting = True
            self.phase = profiles.RESTARTING
            self.jobs.clear()
            self._next_job = 1
        self.counters.event("services_restart")
        self.on_change()

        def run() -> None:
            time.sleep(self.profile.seconds("license_restart"))
            phases = profiles.BOOT_PHASES[profiles.BOOT_PHASES.index("api-auth-starting"):]
            for phase in (*phases, profiles.READY):
                with self._lock:
                    if generation != self._restarts or not self.restarting:
                        return  # shut down, or restarted again, meanwhile
                self.enter_phase(phase)
                if phase == profiles.READY:
                    with self._lock:
                        self.restarting = False
                else:
                    time.sleep(self.profile.seconds("boot_" + phase.replace("-", "_")))

        threading.Thread(target=run, daemon=True, name=f"services-restart-{self.instance_id}").start()

    # ---- AWS view --------------------------------------------------------------------------
    def instance(self) -> Any:
        return self.lab.ec2_backend().get_instance(self.instance_id)

    def interfaces(self) -> List[Interface]:
        """ethernet1/N for the ENI at device index N (index 0 is the management interface, or
        ethernet1/1 with mgmt-interface-swap, which then puts management on index 1)."""
        found = []
        for eni in self.lab.ec2_backend().get_all_network_interfaces():
            if getattr(eni, "instance", None) is None or eni.instance.id != self.instance_id:
                continue
            # A NIC being hot-plugged or unplugged is not (or no longer) an interface of the guest.
            if moto_patches.attachment_transition(eni) is not None:
                continue
            index = int(eni.device_index)
            if self.mgmt_interface_swap and index in (0, 1):
                name = "ethernet1/1" if index == 0 else "management"
            else:
                name = "management" if index == 0 else f"ethernet1/{index}"
            prefix = ipaddress.ip_network(eni.subnet.cidr_block).prefixlen
            found.append(Interface(name, index, eni.id, eni.mac_address, eni.private_ip_address, prefix))
        return sorted(found, key=lambda i: i.device_index)

    def _mgmt_ip(self) -> str:
        return next((i.private_ip for i in self.interfaces() if i.name == "management"), "")

    def authorized_public_key(self) -> Optional[str]:
        """The OpenSSH public key of the instance's EC2 key pair (what AWS puts in authorized_keys)."""
        if not self.key_name:
            return None
        try:
            pair = self.lab.ec2_backend().describe_key_pairs([self.key_name])[0]
        except Exception:  # noqa: BLE001 - a deleted key pair just means nobody gets in by key
            return None
        return pair.material_public.decode() if isinstance(pair.material_public, bytes) else pair.material_public

    # ---- configuration ---------------------------------------------------------------------
    def running_config(self) -> ET.Element:
        with self._lock:
            return copy.deepcopy(self.running)

    def candidate_config(self) -> ET.Element:
        with self._lock:
            return copy.deepcopy(self.candidate)

    def pending_changes(self) -> bool:
        with self._lock:
            return cfg.canonical(self.candidate) != cfg.canonical(self.running)

    def config_op(self, action: str, xpath: str, element: Optional[str] = None, newname: Optional[str] = None,
                  where: Optional[str] = None, dst: Optional[str] = None) -> Tuple[int, Optional[ET.Element]]:
        """type=config: returns (code, result element or None). Raises ApiError."""
        try:
            cfg.parse(xpath)
        except cfg.XPathError as error:
            raise ApiError(6, f"Bad xpath: {error}") from error
        with self._lock:
            if action in ("get", "show"):
                tree = self.candidate if action == "get" else self.running
                nodes = cfg.find_all(tree, xpath)
                if not nodes:
                    return 7, ET.Element("result")
                result = ET.Element("result", {"total-count": str(len(nodes)), "count": str(len(nodes))})
                for node in nodes:
                    result.append(copy.deepcopy(node))
                return 19, result
            if action == "set":
                fragment = self._parse_element(element, wrap=True)
                target = cfg.ensure(self.candidate, xpath)
                cfg.merge(target, fragment)
            elif action == "edit":
                fragment = self._parse_element(element, wrap=False)
                steps = cfg.parse(xpath)
                if fragment.tag != steps[-1].tag:
                    raise ApiError(12, f"edit: element <{fragment.tag}> does not match the xpath's last node <{steps[-1].tag}>")
                existing = cfg.find_all(self.candidate, xpath)
                if existing:
                    parents = cfg.parent_map(self.candidate)
                    for node in existing:
                        parent = parents[node]
                        position = list(parent).index(node)
                        parent.remove(node)
                        parent.insert(position, copy.deepcopy(fragment))
                else:
                    parent = cfg.ensure(self.candidate, "/".join(cfg.split_steps(xpath)[:-1]))
                    parent.append(copy.deepcopy(fragment))
            elif action == "delete":
                nodes = cfg.find_all(self.candidate, xpath)
                if not nodes:
                    return 7, None
                parents = cfg.parent_map(self.candidate)
                for node in nodes:
                    parents[node].remove(node)
            elif action == "rename":
                nodes = cfg.find_all(self.candidate, xpath)
                if not nodes:
                    raise ApiError(7, "Object doesn't exist")
                for node in nodes:
                    node.set("name", newname or "")
            elif action == "move":
                nodes = cfg.find_all(self.candidate, xpath)
                if not nodes:
                    raise ApiError(7, "Object doesn't exist")
                parents = cfg.parent_map(self.candidate)
                node = nodes[0]
                parent = parents[node]
                parent.remove(node)
                if where == "top":
                    parent.insert(0, node)
                elif where in ("before", "after") and dst:
                    siblings = list(parent)
                    anchor = next((i for i, s in enumerate(siblings) if s.get("name") == dst), None)
                    if anchor is None:
                        parent.insert(0, node)
                        raise ApiError(7, f"{dst} does not exist")
                    parent.insert(anchor + (1 if where == "after" else 0), node)
                else:
                    parent.append(node)
            else:
                raise ApiError(16, f"Unknown action {action}")
        self.counters.incr(f"config.{action}.changes")
        return 20, None

    @staticmethod
    def _parse_element(element: Optional[str], wrap: bool) -> ET.Element:
        if element is None:
            raise ApiError(18, "Missing element")
        try:
            if wrap:
                return ET.fromstring(f"<wrapper>{element}</wrapper>")
            return ET.fromstring(element)
        except ET.ParseError as error:
            raise ApiError(18, f"Malformed element: {error}") from error

    def install_synced_config(self, config: ET.Element) -> None:
        """HA config sync from the active peer: everything but the device-local parts
        (deviceconfig, which holds the HA settings and the management interface, and mgt-config)."""
        with self._lock:
            for tree in (self.running, self.candidate):
                local_device = cfg.find_all(tree, cfg.DEVICE_XPATH + "/deviceconfig")
                local_mgt = cfg.find_all(tree, "/config/mgt-config")
                new = copy.deepcopy(config)
                for node in cfg.find_all(new, cfg.DEVICE_XPATH + "/deviceconfig"):
                    cfg.parent_map(new)[node].remove(node)
                for node in cfg.find_all(new, "/config/mgt-config"):
                    new.remove(node)
                device = cfg.ensure(new, cfg.DEVICE_XPATH)
                for node in local_device:
                    device.append(copy.deepcopy(node))
                for node in local_mgt:
                    new.insert(0, copy.deepcopy(node))
                tree.clear()
                tree.tag = new.tag
                tree.attrib.update(new.attrib)
                for child in list(new):
                    tree.append(child)
        self.counters.incr("ha_sync_applied")
        self.on_change()

    # ---- users and keys --------------------------------------------------------------------
    def set_admin_password(self, password: str, username: str = "admin") -> None:
        salt = base64.b32encode(hashlib.sha256(f"{self.hardware_id}{time.time()}".encode()).digest())[:8].decode().lower()
        with self._lock:
            user = cfg.ensure(self.candidate, f"/config/mgt-config/users/entry[@name='{username}']")
            phash = user.find("phash")
            if phash is None:
                phash = ET.SubElement(user, "phash")
            phash.text = password_hash(password, salt)

    def _running_phash(self, username: str) -> Optional[str]:
        users = cfg.find_all(self.running, f"/config/mgt-config/users/entry[@name='{username}']/phash")
        return users[0].text if users and users[0].text else None

    def check_password(self, username: str, password: str) -> bool:
        with self._lock:
            phash = self._running_phash(username)
        if not phash or not phash.startswith("$5$"):
            return False
        salt = phash.split("$")[2]
        return password_hash(password, salt) == phash

    def check_admin_password(self, password: str) -> bool:
        return self.check_password("admin", password)

    def keygen(self, username: str, password: str) -> str:
        if not self.check_password(username, password):
            raise ApiError(403, "Invalid Credential", http_status=403)
        with self._lock:
            phash = self._running_phash(username) or ""
        return self._api_key(username, phash)

    def _api_key(self, username: str, phash: str) -> str:
        # Shaped like a PAN-OS key, and free of '+' and '/': pan-python sends keys unencoded.
        return "LUFRPT" + hashlib.sha256(f"{self.hardware_id}:{username}:{phash}".encode()).hexdigest() + "="

    def user_for_key(self, key: str) -> Optional[str]:
        with self._lock:
            users = [u.get("name") for u in cfg.find_all(self.running, "/config/mgt-config/users/entry")]
        for user in users:
            phash = self._running_phash(user)
            if phash and self._api_key(user, phash) == key:
                return user
        return None

    # ---- jobs ------------------------------------------------------------------------------
    def _new_job(self, kind: str, user: str, description: str = "") -> Job:
        """Register a job (caller holds self._lock)."""
        job = Job(self._next_job, kind, user, time.time(), description=description)
        self.jobs[job.id] = job
        self._next_job += 1
        return job

    def _take_slot(self, job: Job) -> None:
        """Wait for the jobs before this one; PAN-OS shows such a job as PEND and queued."""
        if not self._job_slot.acquire(blocking=False):
            job.waiting = True
            self._job_slot.acquire()
            job.waiting = False
        job.status, job.started = "ACT", time.time()

    def commit(self, source: str, user: str = "admin", description: str = "") -> Optional[int]:
        """Queue a commit job; None when there is nothing to commit. Raises ApiError while the
        boot-time AutoCom has not finished."""
        if self.autocommit_running():
            self.counters.incr("commits.refused_during_autocommit")
            raise ApiError(13, COMMIT_BUSY)
        if not self.pending_changes():
            return None
        with self._lock:
            job = self._new_job("Commit", user, description)
        self.counters.incr("commits")
        self.counters.incr(f"commits.{source}")
        threading.Thread(target=self._run_commit, args=(job,), daemon=True, name=f"commit-{self.instance_id}-{job.id}").start()
        return job.id

    def _run_commit(self, job: Job) -> None:
        self._take_slot(job)
        try:
            snapshot = self.candidate_config()
            duration = self.profile.seconds("commit")
            steps = 5
            for step in range(steps):
                time.sleep(duration / steps)
                job.progress = int(100 * (step + 1) / steps) - 1
            failure = self.lab.faults.take(self.instance_id, "commit-fail")
            problems = [failure["message"]] if failure else self._validate(snapshot)
            if problems:
                job.result = "FAIL"
                job.details = problems + ["Commit failed"]
                self.counters.event("commit", job=job.id, result="FAIL")
            else:
                with self._lock:
                    self.running = snapshot
                job.result = "OK"
                job.details = ["Configuration committed successfully"]
                self.counters.event("commit", job=job.id, result="OK")
            job.progress = 100
            job.status = "FIN"
            job.finished = time.time()
        finally:
            self._job_slot.release()
        if job.result == "OK" and self.ha is not None:
            self.ha.apply(self.running_config())
            self.ha.config_committed()
        self.on_change()

    def validate(self) -> int:
        """`validate full`: a Validate job that checks the candidate as a commit would, and applies nothing."""
        if self.autocommit_running():
            raise ApiError(13, COMMIT_BUSY)
        with self._lock:
            job = self._new_job("Validate", "admin")

        def run() -> None:
            self._take_slot(job)
            try:
                time.sleep(self.profile.seconds("commit") / 2)
                problems = self._validate(self.candidate_config())
                job.result = "FAIL" if problems else "OK"
                job.details = (["Validation Error:"] + problems) if problems else ["Configuration is valid"]
                job.progress, job.status, job.finished = 100, "FIN", time.time()
            finally:
                self._job_slot.release()

        threading.Thread(target=run, daemon=True, name=f"validate-{self.instance_id}-{job.id}").start()
        return job.id

    def run_ha_sync(self, config: ET.Element, source: str, done: Callable[[], None]) -> int:
        """The peer's running configuration arrives (a commit on the peer, or its sync-to-remote):
        an HA-Sync job installs it after the profile's ha_sync time, then calls done()."""
        with self._lock:
            job = self._new_job("HA-Sync", user="")
            job.description = f"running configuration from {source}"

        def run() -> None:
            job.status, job.started = "ACT", time.time()
            duration = self.profile.seconds("ha_sync")
            steps = 4
            for step in range(steps):
                time.sleep(duration / steps)
                job.progress = int(100 * (step + 1) / steps) - 1
                if not self.is_up():
                    job.result, job.status, job.finished = "FAIL", "FIN", time.time()
                    job.details = ["HA synchronization failed: the firewall went down"]
                    return
            self.install_synced_config(config)
            job.result, job.progress, job.status, job.finished = "OK", 100, "FIN", time.time()
            job.details = ["Configuration committed successfully"]
            self.counters.event("ha_sync_job", job=job.id, result="OK")
            done()

        threading.Thread(target=run, daemon=True, name=f"ha-sync-{self.instance_id}-{job.id}").start()
        return job.id

    def _validate(self, config: ET.Element) -> List[str]:
        """The few checks PAN-OS makes at commit that a deployment can get wrong."""
        problems = []
        ha = cfg.find_all(config, cfg.DEVICE_XPATH + "/deviceconfig/high-availability")
        if ha and (ha[0].findtext("enabled") or "no") == "yes":
            group = ha[0].find("group")
            group_id = group.findtext("group-id") if group is not None else None
            if group_id is None or not group_id.isdigit() or not 1 <= int(group_id) <= 63:
                problems.append("high-availability -> group -> group-id is invalid (1-63 required)")
            if group is None or not group.findtext("peer-ip"):
                problems.append("high-availability -> group -> peer-ip is missing")
        for entry in cfg.find_all(config, cfg.DEVICE_XPATH + "/network/interface/ethernet/entry"):
            name = entry.get("name", "")
            if not name.startswith("ethernet1/") or not name.split("/")[1].isdigit():
                problems.append(f"network -> interface -> ethernet -> {name} is not a valid interface name")
        return problems

    def commit_and_wait(self, source: str = "cli", timeout: float = 600) -> Tuple[bool, List[str], Optional[int]]:
        """(succeeded, messages, job id) of a commit; job id None when there was nothing to commit."""
        job_id = self.commit(source)
        if job_id is None:
            return True, ["There are no changes to commit."], None
        deadline = time.time() + timeout
        job = self.jobs[job_id]
        while job.status != "FIN" and time.time() < deadline:
            time.sleep(0.05)
        return job.result == "OK", list(job.details), job_id

    def job_xml(self, job: Job) -> ET.Element:
        """A <job> as `show jobs` gives it: an active job has tfin `Still Active` and its (empty)
        warnings before its details; a finished one the other way round."""
        element = ET.Element("job")
        finished = job.status == "FIN"
        position = 1 if job.waiting else 0
        for tag, value in (("tenq", _stamp(job.queued)), ("tdeq", _clock(job.started or job.queued)), ("id", str(job.id)),
                           ("user", job.user), ("type", job.kind), ("status", job.status),
                           ("queued", "YES" if job.waiting else "NO"),
                           ("stoppable", "yes" if job.status == "ACT" and job.progress < 99 and job.kind == "Commit" else "no"),
                           ("result", job.result), ("tfin", _stamp(job.finished) if finished else "Still Active"),
                           ("description", job.description), ("positionInQ", str(position)), ("progress", str(job.progress))):
            ET.SubElement(element, tag).text = value
        sections = ("details", "warnings") if finished else ("warnings", "details")
        for section in sections:
            holder = ET.SubElement(element, section)
            if section == "details":
                for line in job.details:
                    ET.SubElement(holder, "line").text = line
        return element

    # ---- state the op commands report (their shapes are in opcmds.py) ------------------------
    def dataplane_config(self) -> Dict[str, Any]:
        """What the running configuration says about the ethernet interfaces: entry by name,
        zone by interface, and the static routes of every virtual router."""
        with self._lock:
            interfaces = {e.get("name"): copy.deepcopy(e)
                          for e in cfg.find_all(self.running, cfg.DEVICE_XPATH + "/network/interface/ethernet/entry")}
            zones = {m.text: z.get("name") for z in cfg.find_all(self.running, cfg.VSYS_XPATH + "/zone/entry")
                     for m in z.iter("member")}
            routers = {vr.get("name"): copy.deepcopy(vr)
                       for vr in cfg.find_all(self.running, cfg.DEVICE_XPATH + "/network/virtual-router/entry")}
        return {"interfaces": interfaces, "zones": zones, "routers": routers}

    def uptime_seconds(self) -> int:
        return int(time.time() - self.booted_at) if self.booted_at else 0

    def set_mgmt_interface_swap(self, enable: bool) -> None:
        self._swap_pending = enable
