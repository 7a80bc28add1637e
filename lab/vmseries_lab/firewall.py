"""One emulated VM-Series firewall: its boot phases and its view of AWS, composed with the parts
that hold the rest - configuration (configstore.py), administrators and API keys (accounts.py),
jobs (jobs.py), licence (licensing.FirewallLicence) and HA (ha/).

The transport (HTTPS for the XML API, SSH for the CLI, TCP for HA) lives in xmlapi.py, ssh.py and
ha/link.py, and the shapes of the op commands' answers in opcmds.py. The firewall's interfaces are
read live from moto's EC2 model of its instance, so an ENI moved by a failover shows up (and
disappears) as on AWS, once its attachment has finished.

A firewall boots in the phases of profiles.BOOT_PHASES, driven by the lab's supervisor
(enter_phase): what answers, and how, depends on the phase.
"""

from __future__ import annotations

import ipaddress
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from . import bootstrap, licensing, moto_patches, opcmds, profiles
from . import config as cfg
from .accounts import Accounts
from .configstore import ConfigStore
from .counters import Counters
from .errors import ApiError
from .jobs import JobContext, Jobs
from .software import FirewallSoftware

if TYPE_CHECKING:  # pragma: no cover - types only
    from .ha import HAEngine
    from .parts import Cloud

@dataclass
class Interface:
    name: str
    device_index: int
    eni_id: str
    mac: str
    private_ip: str
    prefix_length: int


# The boot phases from which each service answers as it does on a ready firewall.
SSH_KEY_PHASES = ("api-auth-starting", "chassis-not-ready", "autocommit", profiles.READY, profiles.RESTARTING)
CREDENTIAL_PHASES = ("chassis-not-ready", "autocommit", profiles.READY)
CHASSIS_READY_PHASES = ("autocommit", profiles.READY)
AUTOCOMMIT_PROGRESS = {"chassis-not-ready": 30, "autocommit": 70}


class Firewall:
    """A firewall twin bound to one EC2 instance of the lab."""

    def __init__(self, cloud: "Cloud", instance_id: str, serial_index: int, payg: bool = False,
                 version: str = "11.1.4-h7") -> None:
        self.cloud = cloud
        self.instance_id = instance_id
        self.counters = Counters()
        self._lock = threading.RLock()
        self.config = ConfigStore(f"PA-VM-{instance_id[-6:]}", lambda action: self.counters.incr(f"config.{action}.changes"))
        self.accounts = Accounts(self.config, hardware_id=f"0070010{serial_index:05d}")
        self.jobs = Jobs(self.config, self.counters, JobContext(
            name=instance_id, seconds=lambda name: self.profile.seconds(name),
            take_fault=lambda kind: cloud.faults.take(instance_id, kind),
            stalled=lambda: cloud.faults.holds(instance_id, "job-stall"), is_up=self.is_up,
            committed=self._committed, changed=lambda: self.on_change()))
        self.licensing = licensing.FirewallLicence(cloud.licenses, instance_id, payg)
        # The PAN-OS version of the AMI it was launched from, until an installed one boots.
        self.software = FirewallSoftware(running=version)
        # Set while the management services restart after a licence was installed.
        self.restarting = False
        self._restarts = 0
        self.phase = profiles.DOWN
        self.booted_at: Optional[float] = None
        self.mgmt_interface_swap = False
        self._swap_pending: Optional[bool] = None
        # The routing engine it booted with: the advanced one once a committed advance-routing yes
        # has been through a reboot (lab/README.md, "Routing engines").
        self.advanced_routing = False
        self.ha: Optional["HAEngine"] = None  # set by the lab
        self.on_change: Callable[[], None] = lambda: None
        self.key_name: Optional[str] = None
        self.mgmt_private_ip = ""
        # Bootstrap runs on the first boot only, "when the firewall is in a factory default state".
        self.factory_default = True
        self.bootstrap: Optional[bootstrap.Bootstrap] = None

    @property
    def hostname(self) -> str:
        return "".join(node.text or "" for node in self.config.running_nodes(cfg.DEVICE_XPATH + "/deviceconfig/system/hostname"))

    @property
    def profile(self) -> profiles.Profile:
        return self.cloud.profile

    # ---- what the HA engine may use (parts.FirewallHost) -------------------------------------
    def licence_model(self) -> str:
        return self.licensing.model

    def download_from_peer(self, version: str) -> None:
        self.software.checked = True  # the peer has asked the update server; this one trusts its list
        try:
            self.software.refuse_download(version)
        except ApiError as error:
            self.counters.event("peer_download_refused", version=version, error=error.message)
            return
        self.download_software(version)

    def release(self) -> Dict[str, str]:
        return opcmds.release_fields(self.software)

    def running_config(self) -> ET.Element:
        return self.config.running_config()

    def run_ha_sync(self, config: ET.Element, source: str, done: Callable[[], None]) -> int:
        return self.jobs.ha_sync(config, source, done)

    def _committed(self) -> None:
        if self.ha is not None:
            self.ha.apply(self.running_config())
            self.ha.config_committed()

    # ---- lifecycle -------------------------------------------------------------------------
    def power_on(self) -> None:
        """The instance has reached `running`: the first boot phase begins. Candidate = running,
        as after a reboot; job ids start again at 1; a mgmt-interface-swap saved before takes effect."""
        with self._lock:
            if self._swap_pending is not None:
                self.mgmt_interface_swap = self._swap_pending
                self._swap_pending = None
            self.config.revert_candidate()
            self.advanced_routing = self.config.advanced_routing_saved()
            self.jobs.reset()
            self.key_name = getattr(self.instance(), "key_name", None)
            self.mgmt_private_ip = self._mgmt_ip()
            self.booted_at = time.time()
            self.phase = profiles.BOOT_PHASES[0]
            self.restarting = False
            self.licensing.booted()
            upgraded = self.software.booted()
        self.counters.event("boot", version=self.software.running)
        if upgraded:
            self.counters.event("software_booted", version=upgraded)
        if self.ha is not None:
            self.ha.booted(self.running_config())

    def enter_phase(self, phase: str) -> None:
        """The supervisor moves the firewall through the boot phases in order."""
        with self._lock:
            self.phase = phase
        self.counters.event("boot_phase", phase=phase)
        autocommit = self.jobs.autocommit()
        if autocommit is not None and phase in AUTOCOMMIT_PROGRESS:
            autocommit.progress = AUTOCOMMIT_PROGRESS[phase]
        if phase == "api-auth-starting":
            if self.factory_default:
                self._first_boot()
            # The management server is up: its first job is the boot-time commit of the saved config.
            self.jobs.start_autocommit()
        elif phase == profiles.READY:
            self.jobs.finish_autocommit()
            if self.bootstrap is not None and self.bootstrap.applied and not self.bootstrap.committed:
                self.bootstrap.committed = True
                self.bootstrap.status.success(bootstrap.AUTOCOMMIT)
            if self.ha is not None:
                self.ha.apply(self.running_config())
                self.ha.start()
        self.on_change()

    def _first_boot(self) -> None:
        """The bootstrap, before the boot-time commit loads the saved configuration. A failed one
        leaves the factory configuration, and its status says why."""
        self.factory_default = False
        self.bootstrap = bootstrap.Bootstrap(self.cloud, self.instance_id, self.software.plugin)
        package = self.bootstrap.run()
        if package is None:
            if self.bootstrap.status.rows:
                self.counters.event("bootstrap_failed", phase=self.bootstrap.status.rows[-1][0],
                                    details=self.bootstrap.status.rows[-1][2])
            return
        with self._lock:
            self.config.load_bootstrap(package.config, package.hostname)
            if package.interface_swap:
                self.mgmt_interface_swap = True
                self.mgmt_private_ip = self._mgmt_ip()
        self.bootstrap.applied = True
        self.counters.event("bootstrapped", hostname=self.hostname, config=package.config is not None,
                            authcodes=len(package.authcodes))
        for auth_code in package.authcodes:
            try:
                self.fetch_license(auth_code)
            except licensing.LicenseError as error:
                # What PAN-OS does with an auth code it cannot redeem was not found: the lab boots unlicensed.
                self.counters.event("bootstrap_license_failed", error=str(error))

    def shutdown(self) -> None:
        with self._lock:
            self.phase = profiles.DOWN
            self.restarting = False
        self.jobs.abandon_autocommit()
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

    def uptime_seconds(self) -> int:
        return int(time.time() - self.booted_at) if self.booted_at else 0

    def set_mgmt_interface_swap(self, enable: bool) -> None:
        self._swap_pending = enable

    # ---- licence ---------------------------------------------------------------------------
    def fetch_license(self, auth_code: str) -> None:
        licence = self.licensing.fetch(auth_code)
        self.counters.event("license_installed", model=licence.model, serial=licence.serial)

    def deactivate_license(self) -> str:
        licence = self.licensing.deactivate()
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
            self.jobs.reset()
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

    # ---- software -----------------------------------------------------------------------------
    def download_software(self, version: str) -> int:
        def done() -> List[str]:
            self.software.refuse_download(version)  # the disk may have filled meanwhile
            self.software.downloaded.add(version)
            return ["Successfully downloaded", "Preloading into software manager",
                    "Successfully loaded into software manager"]

        return self.jobs.background("Downld", f"PAN-OS {version}", self.profile.seconds("software_download"),
                                    "download-fail", done)

    def install_software(self, version: str) -> int:
        def done() -> List[str]:
            self.software.refuse_install(version)
            self.software.pending = None if version == self.software.running else version
            self.counters.event("software_installed", version=version)
            return [f"Software installation of version {version} successfully completed. "
                    "Please reboot to switch to the new version."]

        return self.jobs.background("SWInstall", f"PAN-OS {version}", self.profile.seconds("software_install"),
                                    "install-fail", done)

    def download_content(self, version: str) -> int:
        def done() -> List[str]:
            self.software.content_downloaded.add(version)
            return ["Successfully downloaded"]

        return self.jobs.background("Downld", f"content {version}", self.profile.seconds("software_download") / 4,
                                    "download-fail", done)

    def install_content(self, version: str) -> int:
        def done() -> List[str]:
            self.software.refuse_content_install(version)
            self.software.content = version
            self.on_change()
            return [f"Content installed: {version}"]

        return self.jobs.background("ContentInstall", f"content {version}", self.profile.seconds("content_install"),
                                    "install-fail", done)

    def download_plugin(self, package: str) -> int:
        version = self.software.refuse_plugin_download(package)

        def done() -> List[str]:
            self.software.plugins_downloaded.add(version)
            return [f"Successfully downloaded {package}"]

        return self.jobs.background("Downld", package, self.profile.seconds("software_download") / 20,
                                    "download-fail", done)

    def install_plugin(self, package: str) -> int:
        version = self.software.refuse_plugin_install(package)

        def done() -> List[str]:
            # Palo Alto: "The firewall automatically uninstalls the previously installed version."
            self.software.plugin_installed = None if version == self.software.builtin_plugin else version
            self.counters.event("plugin_installed", version=version)
            self.on_change()
            return [f"Successfully installed {package}"]

        return self.jobs.background("PluginInstall", package, self.profile.seconds("content_install"),
                                    "install-fail", done)

    # ---- AWS view --------------------------------------------------------------------------
    def instance(self) -> Any:
        return self.cloud.ec2_backend().get_instance(self.instance_id)

    def interfaces(self) -> List[Interface]:
        """ethernet1/N for the ENI at device index N (index 0 is the management interface, or
        ethernet1/1 with mgmt-interface-swap, which then puts management on index 1)."""
        found = []
        for eni in self.cloud.ec2_backend().get_all_network_interfaces():
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
            pair = self.cloud.ec2_backend().describe_key_pairs([self.key_name])[0]
        except Exception:  # noqa: BLE001 - a deleted key pair just means nobody gets in by key
            return None
        return pair.material_public.decode() if isinstance(pair.material_public, bytes) else pair.material_public
