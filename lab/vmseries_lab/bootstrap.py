"""A VM-Series's first boot from its bootstrap: the user data names an S3 bucket (a complete
bootstrap) or carries the basic configuration's keys itself, and the firewall applies what it finds
before its boot-time commit.

What the lab takes from Palo Alto and AWS (cited in lab/README.md):
- "The bootstrap process is initiated only on first boot when the firewall is in a factory default
  state"; the package "must include the /config, /license, /software, and /content folders, even if
  they are empty" (a missing one: `btsErrorConfig: Media missing directory: software(4)`).
- The user data: `vmseries-bootstrap-aws-s3bucket=<bucket>`, or init-cfg keys, pairs separated by
  `;` (Palo Alto's templates); init-cfg.txt has one `key=value` a line.
- The bucket is read with the instance role (`s3:ListBucket` on the bucket, `s3:GetObject` on its
  objects, as Palo Alto's templates grant), checked as the dataplane move's EC2 calls are.
- Only the first auth code's licence is fetched ("the firewall will retrieve only the license key
  for the first auth code included in the file").
- `show system bootstrap status`: the four phases and their words on success. Its failure rows,
  their words, and whether init-cfg.txt wins over bootstrap.xml were not found: the lab's.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from . import iam_policy, imds, software
from . import config as cfg

if TYPE_CHECKING:  # pragma: no cover - types only
    from .parts import Cloud

BUCKET_KEY = "vmseries-bootstrap-aws-s3bucket"
FOLDERS = ("config", "license", "software", "content")
INIT_CFG, BOOTSTRAP_XML, AUTHCODES = "config/init-cfg.txt", "config/bootstrap.xml", "license/authcodes"
MEDIA, SANITY, PARSING, AUTOCOMMIT = "Media Detection", "Media Sanity Check", "Parsing of Initial Config", "Auto-commit"
SWAP = "mgmt-interface-swap"


@dataclass
class Package:
    """What a bootstrap found: init-cfg keys, a whole configuration, auth codes."""
    init_cfg: Dict[str, str] = field(default_factory=dict)
    config: Optional[ET.Element] = None
    authcodes: List[str] = field(default_factory=list)

    @property
    def hostname(self) -> Optional[str]:
        return self.init_cfg.get("hostname") or None

    @property
    def interface_swap(self) -> bool:
        modes = [m.strip() for m in self.init_cfg.get("op-command-modes", "").split(",")]
        return SWAP in modes or self.init_cfg.get(SWAP, "").lower() in ("enable", "yes")


class BootstrapError(Exception):
    """A phase that failed: the firewall comes up in its factory configuration."""

    def __init__(self, phase: str, details: str) -> None:
        super().__init__(f"{phase}: {details}")
        self.phase, self.details = phase, details


def parse_pairs(text: str, separators: str, what: str) -> Dict[str, str]:
    """key=value pairs; a pair without `=` is refused, naming it."""
    pairs: Dict[str, str] = {}
    for chunk in text.replace("\r", "").translate({ord(s): "\n" for s in separators}).split("\n"):
        chunk = chunk.strip()
        if not chunk:
            continue
        key, equals, value = chunk.partition("=")
        if not equals or not key.strip():
            raise ValueError(f"{what}: '{chunk}' is not key=value")
        pairs[key.strip()] = value.strip()
    return pairs


class Status:
    """`show system bootstrap status`: one row per phase reached, in order."""

    def __init__(self) -> None:
        self.rows: List[Tuple[str, str, str]] = []

    def success(self, phase: str, details: str = "") -> None:
        self.rows.append((phase, "Success" if phase in (MEDIA, SANITY) else "Successful", details))

    def failed(self, error: BootstrapError) -> None:
        self.rows.append((error.phase, "Failed", error.details))

    def table(self) -> str:
        lines = [f"{'Bootstrap Phase':<30}{'Status':<15}Details", f"{'=' * 15:<30}{'=' * 6:<15}{'=' * 7}"]
        lines += [f"{phase:<30}{status:<15}{details}".rstrip() for phase, status, details in self.rows]
        return "\n".join(lines) + "\n"


class Bootstrap:
    """One firewall's bootstrap at its first boot: `run()` returns the package to apply, or None
    (no bootstrap asked, or one that failed: the rows say why)."""

    def __init__(self, cloud: "Cloud", instance_id: str, plugin: str) -> None:
        self.cloud, self.instance_id, self.plugin = cloud, instance_id, plugin
        self.status = Status()
        # The firewall's bookkeeping: the package went into the saved configuration, and the
        # boot-time commit that loads it finished.
        self.applied = False
        self.committed = False

    def run(self) -> Optional[Package]:
        try:
            return self._run()
        except BootstrapError as error:
            self.status.failed(error)
            return None

    def _run(self) -> Optional[Package]:
        service = self.cloud.instance_metadata(self.instance_id)
        try:
            text = imds.user_data(service, imdsv2=software.speaks_imdsv2(self.plugin))
        except imds.MetadataError as error:
            raise BootstrapError(MEDIA, f"Failed to read user data: {error} (VM-Series plugin {self.plugin})") from None
        if not text or not text.strip():
            return None
        try:
            keys = parse_pairs(text, ";", "user data")
        except ValueError as error:
            raise BootstrapError(PARSING, str(error)) from None
        bucket = keys.pop(BUCKET_KEY, None)
        if bucket is None:
            # The basic configuration: init-cfg keys in the user data itself.
            self.status.success(MEDIA, "User data detected")
            self.status.success(SANITY, "User data sanity check successful")
            self.status.success(PARSING)
            return Package(init_cfg=keys, authcodes=[keys["authcodes"]] if keys.get("authcodes") else [])
        return self._from_bucket(bucket)

    def _from_bucket(self, bucket: str) -> Package:
        self._allowed("s3:ListBucket", f"arn:aws:s3:::{bucket}", MEDIA)
        s3 = self.cloud.s3_client()
        try:
            keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
                    for o in page.get("Contents", [])]
        except Exception as error:  # noqa: BLE001 - S3's own words, as the firewall logs them
            raise BootstrapError(MEDIA, f"Failed to access bucket {bucket}: {_s3_reason(error)}") from None
        self.status.success(MEDIA, "Media detected successfully")
        for folder in FOLDERS:
            if not any(key.startswith(folder + "/") for key in keys):
                raise BootstrapError(SANITY, f"Media missing directory: {folder}")
        self.status.success(SANITY, "Media sanity check successful")
        package = Package()
        if INIT_CFG in keys:
            try:
                package.init_cfg = parse_pairs(self._read(s3, bucket, INIT_CFG), "", "init-cfg.txt")
            except ValueError as error:
                raise BootstrapError(PARSING, str(error)) from None
        if BOOTSTRAP_XML in keys:
            package.config = self._configuration(self._read(s3, bucket, BOOTSTRAP_XML))
        if AUTHCODES in keys:
            package.authcodes = [line.strip() for line in self._read(s3, bucket, AUTHCODES).splitlines() if line.strip()][:1]
        self.status.success(PARSING)
        return package

    @staticmethod
    def _configuration(text: str) -> ET.Element:
        try:
            config = ET.fromstring(text)
        except ET.ParseError as error:
            raise BootstrapError(PARSING, f"bootstrap.xml is not well-formed XML: {error}") from None
        if config.tag != "config" or not cfg.find_all(config, cfg.DEVICE_XPATH + "/deviceconfig/system"):
            # A community report: "devices/entry/deviceconfig/system node does not exist... ignoring bootstrap config".
            raise BootstrapError(PARSING, "bootstrap.xml: devices/entry/deviceconfig/system node does not exist")
        return config

    def _read(self, s3: Any, bucket: str, key: str) -> str:
        self._allowed("s3:GetObject", f"arn:aws:s3:::{bucket}/{key}", PARSING)
        try:
            return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        except UnicodeDecodeError:
            raise BootstrapError(PARSING, f"{key} is not text") from None
        except Exception as error:  # noqa: BLE001 - S3's own words
            raise BootstrapError(PARSING, f"Failed to read {key}: {_s3_reason(error)}") from None

    def _allowed(self, action: str, resource: str, phase: str) -> None:
        decision = iam_policy.check(self.cloud.inspection_client(), self.cloud.iam_client(), self.cloud.region,
                                    self.instance_id, action, resource)
        if not decision.allowed:
            raise BootstrapError(phase, decision.reason)


def _s3_reason(error: Exception) -> str:
    details = getattr(error, "response", {}).get("Error", {})
    return f"{details.get('Code', type(error).__name__)}: {details.get('Message', str(error))}"
