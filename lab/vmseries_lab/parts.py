"""What each part of the lab may use of another, as typed interfaces instead of back-references.

The lab (daemon.Lab) offers its firewalls a `Cloud`: AWS as an instance sees it, the licensing
server, the faults switched on, and where a peer's HA1 link listens. A firewall offers its HA
engine a `FirewallHost`: its identity, interfaces, licence and configuration, and the HA-Sync job.
Neither sees more of the other than this."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

try:
    from typing import Protocol
except ImportError:  # pragma: no cover - Python < 3.8
    from typing_extensions import Protocol  # type: ignore[assignment]

if TYPE_CHECKING:  # pragma: no cover - types only
    from .counters import Counters
    from .faults import Faults
    from .firewall import Interface
    from .imds import InstanceMetadataService
    from .licensing import LicenseService
    from .profiles import Profile


class Cloud(Protocol):
    region: str
    profile: "Profile"
    update_server: bool
    licenses: "LicenseService"
    faults: "Faults"

    def ec2_backend(self) -> Any:
        """moto's EC2 model of the region (what the instance's hypervisor knows of it)."""

    def ec2_client(self, instance_id: Optional[str] = None) -> Any:
        """EC2 as `instance_id` reaches it: the regional endpoint's latency and faults."""

    def iam_client(self) -> Any:
        ...

    def s3_client(self) -> Any:
        """S3 for a firewall's bootstrap, whose IAM checks are the lab's own (bootstrap.py)."""

    def inspection_client(self) -> Any:
        """EC2 for the lab's own bookkeeping, which faults never hit."""

    def restart(self, instance_id: str) -> None:
        """`request restart system`: the guest reboots, its instance stays running."""

    def instance_metadata(self, instance_id: str) -> "InstanceMetadataService":
        """The instance's metadata service, as its guest reaches it."""

    def ha1_port(self, mgmt_ip: str) -> Optional[int]:
        """The HA1 port of the running firewall with that management IP, if it listens."""


class FirewallHost(Protocol):
    instance_id: str
    mgmt_private_ip: str
    counters: "Counters"
    on_change: Callable[[], None]

    @property
    def profile(self) -> "Profile":
        ...

    def interfaces(self) -> List["Interface"]:
        ...

    def licence_model(self) -> str:
        """`vm-license`: the model (VM-300), or `none` unlicensed."""

    def release(self) -> Dict[str, str]:
        """Its software versions, as show high-availability all reports them."""

    def download_from_peer(self, version: str) -> None:
        """Its HA peer downloaded an image with sync-to-peer: it downloads it too."""

    def running_config(self) -> ET.Element:
        ...

    def run_ha_sync(self, config: ET.Element, source: str, done: Callable[[], None]) -> int:
        """Install the peer's running configuration in an HA-Sync job, then call done()."""
