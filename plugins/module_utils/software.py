# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A firewall's software through the XML API: its images and content, downloads and installs as
PAN-OS jobs, and the restart that boots an installed image.

The commands are those pan-os-python's SoftwareUpdater and ContentUpdater send (and the XML API
guide's "Upgrade PAN-OS on Multiple HA Firewalls" use case); the answers' shapes are those of
../shared/panos-samples (sw-updates/versions/entry, content-updates/entry, result/job).
A refusal or a failed job raises SoftwareError with PAN-OS's own words.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, Dict, List, Sequence, Tuple

from ansible_collections.vmseries.aws_ha.plugins.module_utils import readiness, upgrade, wait
from ansible_collections.vmseries.aws_ha.plugins.module_utils.panos import (
    RAW_NETWORK_ERRORS, PanDeviceError, PanosConnection, PanXapiError)

SOFTWARE_CHECK = "<request><system><software><check></check></software></system></request>"
SOFTWARE_INFO = "<request><system><software><info></info></software></system></request>"
CONTENT_CHECK = "<request><content><upgrade><check></check></upgrade></content></request>"
CONTENT_DOWNLOAD_LATEST = "<request><content><upgrade><download><latest></latest></download></upgrade></content></request>"
RESTART = "<request><restart><system></system></restart></request>"
# pan-os-python's restart() accepts this error text as success: PAN-OS may answer the restart so.
RESTART_ACCEPTED = "Command succeeded with no output"


PLUGINS_CHECK = "<request><plugins><check></check></plugins></request>"
PLUGINS_LIST = "<show><plugins><packages></packages></plugins></show>"
SYSTEM_INFO = "<show><system><info></info></system></show>"
VM_SERIES_PLUGIN = "vm_series"


def plugin_download(package: str) -> str:
    return f"<request><plugins><download><file>{package}</file></download></plugins></request>"


def plugin_install(package: str) -> str:
    return f"<request><plugins><install>{package}</install></plugins></request>"


def by_version(entries: List[ET.Element]) -> Dict[str, Dict[str, str]]:
    """The entries of a software, content or plugin listing: version -> the entry's fields."""
    return {(entry.findtext("version") or "").strip(): {child.tag: (child.text or "").strip() for child in entry}
            for entry in entries}


def parse_plugins(response: ET.Element) -> Dict[str, Dict[str, str]]:
    """`show plugins packages`: the vm_series plugin's versions -> their fields (pkg-file, installed, downloaded ...)."""
    return by_version([entry for entry in response.findall("result/plugins/entry")
                       if (entry.findtext("name") or "").strip() == VM_SERIES_PLUGIN])


class SoftwareError(Exception):
    """A download, install or restart PAN-OS refused or that failed, in PAN-OS's words."""


def software_download(version: str) -> str:
    # sync-to-peer no: each peer downloads its own copy, in parallel, and each job is watched.
    return (f"<request><system><software><download><sync-to-peer>no</sync-to-peer><version>{version}</version>"
            "</download></software></system></request>")


def software_install(version: str) -> str:
    return f"<request><system><software><install><version>{version}</version></install></software></system></request>"


def content_install(version: str) -> str:
    return f"<request><content><upgrade><install><version>{version}</version></install></upgrade></content></request>"


def parse_versions(response: ET.Element) -> Dict[str, Dict[str, str]]:
    """`request system software check|info`: version -> its fields (downloaded, current, size ...)."""
    return by_version(response.findall(".//sw-updates/versions/entry"))


def parse_content(response: ET.Element) -> Dict[str, Dict[str, str]]:
    return by_version(response.findall(".//content-updates/entry"))


def content_key(version: str) -> Tuple[int, ...]:
    """Content versions read as app-threat (8800-8920): compared as numbers."""
    try:
        return tuple(int(part) for part in version.split("-"))
    except ValueError:
        return (-1,)


def job_id(response: ET.Element) -> str:
    found = (response.findtext("result/job") or "").strip()
    if not found:
        lines = " ".join(line.strip() for line in response.itertext() if line.strip())
        raise SoftwareError(f"PAN-OS answered without a job: {lines}")
    return found


class Software:
    """One firewall's software, through its PanosConnection."""

    def __init__(self, connection: PanosConnection, job_timeout: float, poll_interval: float) -> None:
        self.connection = connection
        self.job_timeout = job_timeout
        self.poll_interval = poll_interval

    @property
    def address(self) -> str:
        return self.connection.address

    def op(self, what: str, cmd: str) -> ET.Element:
        """An op command; PAN-OS's refusal raised as SoftwareError (transient errors waited out)."""
        try:
            return self.connection.call(what, lambda: self.connection.device.op(cmd, cmd_xml=False), fail=False)
        except (PanXapiError, PanDeviceError) + RAW_NETWORK_ERRORS as error:  # type: ignore[misc]
            raise SoftwareError(f"{self.address} refused to {what}: {self.connection.redact(str(error))}") from None

    def versions(self, check: bool = True) -> Dict[str, Dict[str, str]]:
        """The images PAN-OS knows: from the update server (check) or those it holds (info)."""
        if check:
            return parse_versions(self.op("check for software (request system software check)", SOFTWARE_CHECK))
        return parse_versions(self.op("list its software (request system software info)", SOFTWARE_INFO))

    def run_job(self, what: str, cmd: str) -> List[str]:
        """Start a job and wait for it to finish; its detail lines, or SoftwareError naming them."""
        return self.follow(what, job_id(self.op(what, cmd)))

    def update_content(self) -> bool:
        """Install the update server's latest content when an older one is installed."""
        listed = parse_content(self.op("check for content (request content upgrade check)", CONTENT_CHECK))
        if not listed:
            return False
        latest = max(listed, key=content_key)
        current = next((v for v, entry in listed.items() if entry.get("current") == "yes"), "")
        if content_key(current) >= content_key(latest):
            return False
        if listed[latest].get("downloaded") != "yes":
            self.run_job("download the latest content", CONTENT_DOWNLOAD_LATEST)
        self.run_job(f"install content {latest}", content_install(latest))
        return True

    @staticmethod
    def download_all(firewalls: Sequence["Software"], target: str) -> Dict[str, List[str]]:
        """Download what each firewall needs for `target` (its base image first), the firewalls'
        jobs running side by side; the images each downloaded."""
        plans: Dict[str, List[str]] = {}
        for software in firewalls:
            offered = software.versions(check=True)
            current = next((v for v, entry in offered.items() if entry.get("current") == "yes"), None)
            if current is None:
                raise SoftwareError(f"{software.address} lists no current version in request system software check")
            if target not in offered:
                raise SoftwareError(f"{software.address}: the update server does not offer {target}")
            plans[software.address] = upgrade.images_to_download(
                current, target, {v: entry.get("downloaded") == "yes" for v, entry in offered.items()})
        for position in range(max((len(p) for p in plans.values()), default=0)):
            started: List[Tuple[Software, str, str]] = []
            for software in firewalls:
                images = plans[software.address]
                if position < len(images):
                    what = f"download PAN-OS {images[position]}"
                    started.append((software, what, job_id(software.op(what, software_download(images[position])))))
            for software, what, number in started:
                software.follow(what, number)
        return plans

    def follow(self, what: str, number: str) -> List[str]:
        """Wait for job `number` to finish; its detail lines, or SoftwareError naming them."""
        show = f"<show><jobs><id>{number}</id></jobs></show>"

        def observe() -> Any:
            return self.op(f"follow job {number} ({what})", show).find("result/job")

        try:
            job = wait.wait_for(observe, lambda j: j is not None and (j.findtext("status") or "").strip() == "FIN",
                                self.job_timeout, f"job {number}", wait.interval(self.poll_interval)).value
        except wait.WaitTimeout as timeout:
            last = timeout.last.value
            progress = (last.findtext("progress") or "?") if last is not None else "?"
            raise SoftwareError(f"{self.address}: job {number} ({what}) did not finish within {self.job_timeout} s "
                                f"(progress {progress}); raise vmseries_upgrade_job_timeout, or look at it with "
                                f"'show jobs id {number}'") from None
        details = [(line.text or "").strip() for line in job.findall("details/line")]
        if (job.findtext("result") or "").strip() != "OK":
            raise SoftwareError(f"{self.address}: job {number} ({what}) failed: {' '.join(details) or 'no details'}")
        return details

    def plugin(self) -> str:
        """The VM-Series plugin version the firewall runs (`show system info`'s plugin_versions)."""
        system = self.op("read its versions (show system info)", SYSTEM_INFO).find("result/system")
        return readiness.software_versions(system)["plugin_versions"].get(VM_SERIES_PLUGIN) or ""

    def offered_plugins(self) -> Dict[str, Dict[str, str]]:
        """The vm_series plugins the update server offers (request plugins check, then show plugins
        packages): version -> its fields."""
        self.op("check for plugins (request plugins check)", PLUGINS_CHECK)
        return parse_plugins(self.op("list the plugins (show plugins packages)", PLUGINS_LIST))

    def install_plugin(self, version: str) -> None:
        """Ask the update server, download the plugin unless it is at hand, install it (PAN-OS
        uninstalls the previous one), and check the firewall reports it."""
        listed = self.offered_plugins()
        if version not in listed:
            raise SoftwareError(f"{self.address}: the update server does not offer the VM-Series plugin {version} "
                                f"(show plugins packages lists {', '.join(sorted(listed)) or 'none'})")
        package = listed[version].get("pkg-file") or f"{VM_SERIES_PLUGIN}-{version}"
        if listed[version].get("downloaded") != "yes":
            self.run_job(f"download the plugin {package}", plugin_download(package))
        self.run_job(f"install the plugin {package}", plugin_install(package))
        running = self.plugin()
        if running != version:
            raise SoftwareError(f"{self.address}: the plugin {package} installed, but the firewall reports {running}")

    def install(self, version: str) -> List[str]:
        return self.run_job(f"install PAN-OS {version}", software_install(version))

    def restart(self) -> None:
        try:
            self.connection.device.op(RESTART, cmd_xml=False)
        except (PanXapiError, PanDeviceError) as error:
            if not str(error).startswith(RESTART_ACCEPTED):
                raise SoftwareError(f"{self.address} refused to restart: {self.connection.redact(str(error))}") from None
