"""A firewall twin's software: the PAN-OS version it runs (its AMI's), the images it holds, the one
installed for the next boot, its content (applications and threats) and its VM-Series plugin, and the
update server it asks for new ones.

What `request system software check|info|download|install` and `request content upgrade ...`
answer is opcmds.py's; the rules PAN-OS applies (an image must be downloaded before it is installed,
the base image of a feature release before any of its maintenance releases, no image without the
disk space for it) are here. The catalogue is the lab's: lab/README.md says which of its facts come
from Palo Alto's documentation and which are the lab's assumptions.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

from .errors import ApiError

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-h(\d+))?$")


def version_key(version: str) -> Tuple[int, int, int, int]:
    match = _VERSION.match(version)
    if not match:
        raise ValueError(f"not a PAN-OS version: {version!r}")
    major, minor, patch, hotfix = match.groups()
    return int(major), int(minor), int(patch), int(hotfix or 0)


def content_key(version: str) -> Tuple[int, ...]:
    return tuple(int(part) for part in version.split("-"))


def feature_releases_apart(one: str, other: str) -> int:
    """How many feature releases of the catalogue lie between two versions (0: the same one)."""
    lines = sorted({feature_release(r.version) for r in CATALOGUE} | {feature_release(one), feature_release(other)},
                   key=lambda line: tuple(map(int, line.split("."))))
    return abs(lines.index(feature_release(one)) - lines.index(feature_release(other)))


def feature_release_key(version: str) -> Tuple[int, int]:
    return version_key(version)[:2]


def feature_release(version: str) -> str:
    major, minor, _, _ = version_key(version)
    return f"{major}.{minor}"


def base_image(version: str) -> str:
    return feature_release(version) + ".0"


@dataclass(frozen=True)
class Release:
    version: str
    size_mb: int
    released_on: str
    plugin: str  # the VM-Series plugin this PAN-OS version ships with
    min_content: str  # the oldest application and threat content the release installs on


# The update server's catalogue of the lab (an assumption in its sizes and dates; the plugin each
# version ships with and the content minimum per feature release are sourced in lab/README.md).
CATALOGUE: Tuple[Release, ...] = (
    Release("10.1.14-h9", 760, "2024/08/20 10:12:40", "2.1.9", "8520-7430"),
    Release("10.2.0", 820, "2022/02/27 11:11:31", "3.0.0", "8520-7430"),
    Release("10.2.10-h9", 905, "2024/10/14 09:21:09", "3.0.6", "8520-7430"),
    Release("10.2.13", 910, "2025/01/21 10:02:44", "3.0.7", "8520-7430"),
    Release("11.0.0", 870, "2022/11/17 12:40:05", "4.0.0", "8630-7824"),
    Release("11.0.6", 925, "2024/11/05 08:12:51", "4.0.4", "8630-7824"),
    Release("11.1.0", 955, "2023/11/02 14:01:18", "5.0.0", "8760-8344"),
    Release("11.1.4-h7", 990, "2024/11/19 16:55:37", "5.1.2", "8760-8344"),
    Release("11.1.6", 1005, "2025/01/29 11:24:10", "5.1.3", "8760-8344"),
    Release("11.2.0", 1010, "2024/05/02 13:30:22", "5.1.0", "8836-8695"),
    Release("11.2.4-h4", 1040, "2025/02/11 15:05:33", "5.1.6", "8836-8695"),
)
RELEASES: Dict[str, Release] = {r.version: r for r in CATALOGUE}
# VM-Series plugins on the update server besides those the catalogue's releases ship with: the
# maintenance releases of a plugin line published after the PAN-OS version that brought it (an
# assumption in its versions and sizes).
PLUGIN_UPDATES = ("2.1.12", "3.0.8", "4.0.5", "5.1.4", "5.1.9")
PLUGIN = "vm_series"
# The first VM-Series plugin that asks the instance metadata service with IMDSv2 session tokens
# (lab/README.md cites the plugin 3.0.0 release notes through Palo Alto's Terraform modules).
IMDSV2_PLUGIN = "3.0.0"
PLUGIN_SIZE = "15M"


def plugin_catalogue() -> List[str]:
    """Every vm_series plugin version the update server offers, oldest first."""
    return sorted({r.plugin for r in CATALOGUE} | set(PLUGIN_UPDATES), key=version_key)


def speaks_imdsv2(plugin: str) -> bool:
    return version_key(plugin) >= version_key(IMDSV2_PLUGIN)


def plugin_package(version: str) -> str:
    """The package file name `request plugins download file` and `install` take: vm_series-5.1.3."""
    return f"{PLUGIN}-{version}"


def plugin_version(package: str) -> str:
    """The version of a package file name; ApiError for anything but a vm_series package offered."""
    prefix = PLUGIN + "-"
    version = package[len(prefix):] if package.startswith(prefix) else ""
    if version not in plugin_catalogue():
        raise ApiError(17, f"Plugin {package} is not available. Please run 'request plugins check' first")
    return version


# Content on the update server (application and threat version, newest last).
CONTENT = ("8800-8920", "8836-8695", "8941-9310")
# What the panfs partition that holds the images offers a fresh VM-Series (an assumption).
DISK_FREE_MB = 6000


def release(version: str) -> Release:
    found = RELEASES.get(version)
    if found is None:
        raise ApiError(17, f"Invalid version {version}. Please check the version and try again")
    return found


@dataclass
class FirewallSoftware:
    """One firewall's software. `pending` is the version installed for the next boot."""

    running: str
    content: str = CONTENT[0]
    downloaded: Set[str] = field(default_factory=set)
    pending: Optional[str] = None
    content_downloaded: Set[str] = field(default_factory=set)
    checked: bool = False
    content_checked: bool = False
    # A VM-Series plugin installed on its own (`request plugins install`), until the next PAN-OS
    # version boots with the plugin it ships.
    plugin_installed: Optional[str] = None
    plugins_downloaded: Set[str] = field(default_factory=set)
    plugins_checked: bool = False
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def __post_init__(self) -> None:
        # What runs counts as downloaded, as PAN-OS lists it.
        self.downloaded.add(self.running)
        self.content_downloaded.add(self.content)

    @property
    def builtin_plugin(self) -> str:
        return release(self.running).plugin if self.running in RELEASES else "unknown"

    @property
    def plugin(self) -> str:
        return self.plugin_installed or self.builtin_plugin

    def booted(self) -> Optional[str]:
        """The firewall booted: the installed image is the running one now, with the plugin it
        ships. Returns the new version."""
        with self._lock:
            if self.pending is None:
                return None
            self.running, self.pending = self.pending, None
            self.plugin_installed = None
            return self.running

    def plugins_listed(self) -> List[str]:
        """What `show plugins packages` lists: the catalogue once checked, else the plugins at hand."""
        with self._lock:
            versions = {self.builtin_plugin, self.plugin} | self.plugins_downloaded
            if self.plugins_checked:
                versions |= set(plugin_catalogue())
            return sorted(versions, key=version_key, reverse=True)

    def plugin_downloaded(self, version: str) -> bool:
        return version in self.plugins_downloaded or version in (self.builtin_plugin, self.plugin)

    def refuse_plugin_download(self, package: str) -> str:
        if not self.plugins_checked:
            raise ApiError(17, f"Plugin {package} is not available. Please run 'request plugins check' first")
        return plugin_version(package)

    def refuse_plugin_install(self, package: str) -> str:
        version = plugin_version(package)
        if not self.plugin_downloaded(version):
            raise ApiError(17, f"Plugin {package} is not downloaded. Please download it before installing")
        return version

    def disk_free_mb(self) -> int:
        used = sum(release(v).size_mb for v in self.downloaded if v != self.running and v in RELEASES)
        return DISK_FREE_MB - used

    def check(self) -> List[Release]:
        """`request system software check`: asks the update server; afterwards `info` lists its catalogue."""
        self.checked = True
        return self.listed()

    def listed(self) -> List[Release]:
        """What `request system software info` lists: the catalogue once checked, else the images held."""
        with self._lock:
            versions = set(RELEASES) if self.checked else set(self.downloaded) | {self.running}
            return sorted((RELEASES[v] for v in versions if v in RELEASES), key=lambda r: version_key(r.version),
                          reverse=True)

    def refuse_download(self, version: str) -> None:
        wanted = release(version)
        if not self.checked:
            raise ApiError(17, f"{version} not in the list of available versions. Please run 'request system "
                               "software check' first")
        if version not in self.downloaded and wanted.size_mb > self.disk_free_mb():
            raise ApiError(17, f"Not enough disk space to download {version}: {wanted.size_mb} MB needed, "
                               f"{self.disk_free_mb()} MB free. Delete unused images and try again")

    def refuse_install(self, version: str) -> None:
        """PAN-OS's refusals of `request system software install version X` (before any job)."""
        release(version)
        if version not in self.downloaded:
            raise ApiError(17, f"Image {version} is not downloaded. Please download it before installing")
        base = base_image(version)
        if feature_release(version) != feature_release(self.running) and base not in self.downloaded:
            raise ApiError(17, f"Base image {base} needs to be downloaded before installing {version}")
        if content_key(self.content) < content_key(release(version).min_content):
            raise ApiError(17, f"{version} needs content {release(version).min_content} or later; {self.content} is "
                               "installed. Install a newer content release first")

    def refuse_content_install(self, version: str) -> None:
        if version not in self.content_downloaded:
            raise ApiError(17, f"Content {version} is not downloaded")
