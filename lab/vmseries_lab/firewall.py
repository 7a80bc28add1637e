"""One emulated VM-Series firewall: configuration, commits, keys, interfaces, op commands.

The transport (HTTPS for the XML API, SSH for the CLI, TCP for HA) lives in xmlapi.py, ssh.py and
ha.py; this module is what they all talk to. The firewall's interfaces are read live from moto's
EC2 model of its instance, so an ENI moved by a failover shows up (and disappears) as on AWS.
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
from .counters import Counters

SW_VERSION = "11.1.4-h7"
USER_SETTABLE_OPS = ("set", "edit", "delete", "rename", "move")


class ApiError(Exception):
    """An error response of the XML API: PAN-OS status code and message lines."""

    def __init__(self, code: int, message: str, http_status: int = 200) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status


@dataclass
class Job:
    id: int
    kind: str
    user: str
    queued: float
    status: str = "PEND"  # PEND, ACT, FIN
    result: str = "PEND"  # PEND, OK, FAIL
    progress: int = 0
    finished: Optional[float] = None
    details: List[str] = field(default_factory=list)
    description: str = ""


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


def password_hash(password: str, salt: str) -> str:
    return "$5$" + salt + "$" + hashlib.sha256((salt + password).encode()).hexdigest()


class Firewall:
    """A firewall twin bound to one EC2 instance of the lab."""

    def __init__(self, lab: Any, instance_id: str, serial_index: int) -> None:
        self.lab = lab
        self.instance_id = instance_id
        self.serial = f"0070010{serial_index:05d}"
        self.hostname = f"PA-VM-{instance_id[-6:]}"
        self.counters = Counters()
        self._lock = threading.RLock()
        self.running = cfg.default_config(self.hostname)
        self.candidate = copy.deepcopy(self.running)
        self.jobs: Dict[int, Job] = {}
        self._next_job = 1
        self._commit_lock = threading.Lock()
        self.up = False
        self.booted_at: Optional[float] = None
        self.mgmt_interface_swap = False
        self._swap_pending: Optional[bool] = None
        self.ha = None  # set by the lab: ha.HAEngine
        self.on_change: Callable[[], None] = lambda: None
        self.key_name: Optional[str] = None
        self.mgmt_private_ip = ""

    # ---- lifecycle -------------------------------------------------------------------------
    def boot(self) -> None:
        """Called when the instance has been running for the boot delay: candidate = running, as
        after a reboot, and the mgmt-interface-swap setting saved before takes effect."""
        with self._lock:
            if self._swap_pending is not None:
                self.mgmt_interface_swap = self._swap_pending
                self._swap_pending = None
            self.candidate = copy.deepcopy(self.running)
            self.jobs.clear()
            instance = self.instance()
            self.key_name = getattr(instance, "key_name", None)
            self.mgmt_private_ip = self._mgmt_ip()
            self.up = True
            self.booted_at = time.time()
        self.counters.event("boot")
        if self.ha is not None:
            self.ha.apply(self.running_config())
            self.ha.start()

    def shutdown(self) -> None:
        with self._lock:
            self.up = False
        if self.ha is not None:
            self.ha.stop()
        self.counters.event("shutdown")

    def is_up(self) -> bool:
        return self.up

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
                result = ET.Element("result", {"total-count": str(len(nodes)), "count": str(len(nodes))})
                for node in nodes:
                    result.append(copy.deepcopy(node))
                if not nodes and action == "show":
                    raise ApiError(7, "No such node")
                return (19 if nodes else 7), result
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
        salt = base64.b32encode(hashlib.sha256(f"{self.serial}{time.time()}".encode()).digest())[:8].decode().lower()
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
        return "LUFRPT" + hashlib.sha256(f"{self.serial}:{username}:{phash}".encode()).hexdigest() + "="

    def user_for_key(self, key: str) -> Optional[str]:
        with self._lock:
            users = [u.get("name") for u in cfg.find_all(self.running, "/config/mgt-config/users/entry")]
        for user in users:
            phash = self._running_phash(user)
            if phash and self._api_key(user, phash) == key:
                return user
        return None

    # ---- commits ---------------------------------------------------------------------------
    def commit(self, source: str, user: str = "admin", description: str = "") -> Optional[int]:
        """Queue a commit job; None when there is nothing to commit."""
        if not self.pending_changes():
            return None
        with self._lock:
            job = Job(self._next_job, "Commit", user, time.time(), description=description)
            self.jobs[job.id] = job
            self._next_job += 1
        self.counters.incr("commits")
        self.counters.incr(f"commits.{source}")
        threading.Thread(target=self._run_commit, args=(job,), daemon=True, name=f"commit-{self.instance_id}-{job.id}").start()
        return job.id

    def _run_commit(self, job: Job) -> None:
        with self._commit_lock:
            job.status = "ACT"
            snapshot = self.candidate_config()
            duration = self.lab.commit_duration
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
        if job.result == "OK" and self.ha is not None:
            self.ha.apply(self.running_config())
            self.ha.config_committed()
        self.on_change()

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

    def commit_and_wait(self, source: str = "cli", timeout: float = 120) -> Tuple[bool, List[str]]:
        job_id = self.commit(source)
        if job_id is None:
            return True, ["There are no changes to commit."]
        deadline = time.time() + timeout
        job = self.jobs[job_id]
        while job.status != "FIN" and time.time() < deadline:
            time.sleep(0.05)
        return job.result == "OK", list(job.details)

    def job_xml(self, job: Job) -> ET.Element:
        element = ET.Element("job")
        for tag, value in (("tenq", _stamp(job.queued)), ("tdeq", _stamp(job.queued)), ("id", str(job.id)),
                           ("user", job.user), ("type", job.kind), ("status", job.status), ("queued", "NO"),
                           ("stoppable", "no"), ("result", job.result), ("tfin", _stamp(job.finished)),
                           ("description", job.description), ("positionInQ", "0"), ("progress", str(job.progress))):
            ET.SubElement(element, tag).text = value
        details = ET.SubElement(element, "details")
        for line in job.details:
            ET.SubElement(details, "line").text = line
        ET.SubElement(element, "warnings")
        return element

    # ---- op commands -----------------------------------------------------------------------
    def system_info(self) -> ET.Element:
        mgmt = next((i for i in self.interfaces() if i.name == "management"), None)
        netmask = str(ipaddress.ip_network(f"0.0.0.0/{mgmt.prefix_length}").netmask) if mgmt else ""
        gateway = str(next(ipaddress.ip_network(f"{mgmt.private_ip}/{mgmt.prefix_length}", strict=False).hosts())) if mgmt else ""
        values = {
            "hostname": self.hostname, "ip-address": mgmt.private_ip if mgmt else "", "public-ip-address": "unknown",
            "netmask": netmask, "default-gateway": gateway, "is-dhcp": "yes", "ipv6-address": "unknown",
            "ipv6-link-local-address": "", "mac-address": mgmt.mac if mgmt else "", "time": time.ctime(),
            "uptime": f"0 days, 0:{int((time.time() - (self.booted_at or time.time())) // 60):02d}:00",
            "devicename": self.hostname, "family": "vm", "model": "PA-VM", "serial": self.serial,
            "vm-mac-base": "7C:89:C1:00:00:00", "vm-mac-count": "256", "vm-uuid": self.instance_id,
            "vm-cpuid": "AWS:00000000", "vm-license": "VM-300", "vm-cap-tier": "16.0 GB", "vm-cpu-count": "4",
            "vm-memory": "16000000", "cloud-mode": "cloud", "sw-version": SW_VERSION, "global-protect-client-package-version": "0.0.0",
            "device-dictionary-version": "1-0", "app-version": "8800-8920", "app-release-date": "",
            "av-version": "0", "threat-version": "8800-8920", "wildfire-version": "0", "url-filtering-version": "0000.00.00.000",
            "logdb-version": "11.1.2", "platform-family": "vm", "vpn-disable-mode": "off", "multi-vsys": "off",
            "operational-mode": "normal", "device-certificate-status": "None",
        }
        system = ET.Element("system")
        for tag, value in values.items():
            ET.SubElement(system, tag).text = value
        return system

    def interface_xml(self, which: str) -> ET.Element:
        """`show interface all` (ifnet + hw) or one interface, from the attached ENIs."""
        with self._lock:
            configured = {e.get("name"): e for e in cfg.find_all(self.running, cfg.DEVICE_XPATH + "/network/interface/ethernet/entry")}
            zones = {m.text: z.get("name") for z in cfg.find_all(self.running, cfg.VSYS_XPATH + "/zone/entry")
                     for m in z.iter("member")}
        result = ET.Element("result")
        ifnet, hw = ET.SubElement(result, "ifnet"), ET.SubElement(result, "hw")
        ethernets = [i for i in self.interfaces() if i.name.startswith("ethernet")]
        if which != "all":
            ethernets = [i for i in ethernets if i.name == which]
            if not ethernets:
                raise ApiError(17, f"{which} is not a valid interface", http_status=200)
        for position, iface in enumerate(ethernets, start=16):
            entry = configured.get(iface.name)
            ip = "N/A"
            if entry is not None:
                static = entry.find("layer3/ip/entry")
                if static is not None:
                    ip = static.get("name")
                elif entry.find("layer3/dhcp-client") is not None:
                    ip = f"{iface.private_ip}/{iface.prefix_length}"
            net = ET.SubElement(ifnet, "entry")
            for tag, value in (("name", iface.name), ("zone", zones.get(iface.name, "")), ("fwd", "vr:default" if ip != "N/A" else "N/A"),
                               ("vsys", "1"), ("dyn-addr", ""), ("addr6", ""), ("tag", "0"), ("ip", ip),
                               ("id", str(position)), ("addr", "")):
                ET.SubElement(net, tag).text = value
            hw_entry = ET.SubElement(hw, "entry")
            for tag, value in (("name", iface.name), ("duplex", "full"), ("type", "0"), ("state", "up"),
                               ("st", "10000/full/up"), ("mac", iface.mac), ("mode", "(autoneg)"), ("speed", "10000"),
                               ("id", str(position))):
                ET.SubElement(hw_entry, tag).text = value
        return result

    def set_mgmt_interface_swap(self, enable: bool) -> None:
        self._swap_pending = enable
