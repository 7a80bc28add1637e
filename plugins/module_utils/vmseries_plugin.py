# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the VM-Series plugin of an AMI can do on AWS: the plugin reads the instance role's
credentials from the instance metadata service and makes every EC2 call of a failover, so a pair
whose plugin cannot do what the pair asks deploys, forms HA, and fails only at its first failover.

Palo Alto: "Each PAN-OS release includes a specific VM-Series plugin version that corresponds to
the PAN-OS software version" (VM-Series deployment guide, "VM-Series Plugin"). Its table of those
versions was not found; what is known is each feature release's plugin line, and that bound is all
the checks below need (the sources are in roles/preflight/README.md).
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

from ansible_collections.vmseries.aws_ha.plugins.module_utils.upgrade import version_key

# The first plugin versions with each capability.
IMDSV2 = "3.0.0"  # "Starting from plugin 3.0.0 IMDSv2 is supported on VM-Series"
SECONDARY_IP_MOVE = "2.0.1"  # "Secondary IP Move HA requires VM-Series plugin 2.0.1 or later."

# (first PAN-OS version of a line, the oldest plugin that line ships with), oldest first. A version
# older than the first row ships a plugin older than 2.0.0 (9.x images carry the 1.0 line).
PLUGIN_LINES: Tuple[Tuple[str, str], ...] = (
    ("10.0.0", "2.0.0"),
    ("10.1.0", "2.1.0"),
    ("10.2.0", "3.0.0"),  # "VM-Series Plugin 3.0.0 ... requires VM-Series version 10.2.0 at minimum"
    ("11.0.0", "4.0.0"),
    ("11.1.0", "5.0.0"),
    ("12.1.0", "6.0.0"),
)
BEFORE_FIRST_LINE = "1.0.0"

_AMI_NAME = re.compile(r"^PA-VM-AWS-(\d+\.\d+\.\d+(?:-h\d+)?)-")


def panos_version_of_ami(ami_name: str) -> Optional[str]:
    """The PAN-OS version in a VM-Series AMI's name (PA-VM-AWS-11.1.4-h7-<uuid>), None for another name."""
    match = _AMI_NAME.match(ami_name or "")
    return match.group(1) if match else None


def shipped_plugin_floor(panos_version: str) -> str:
    """The oldest VM-Series plugin that images of this PAN-OS version may ship with."""
    floor = BEFORE_FIRST_LINE
    for first, plugin in PLUGIN_LINES:
        if version_key(panos_version) >= version_key(first):
            floor = plugin
    return floor


def plugin_problems(ami_name: str, ha_method: str, imds_v1_allowed: bool) -> List[str]:
    """Why a pair launched from this AMI would not fail over on AWS; empty when nothing is known
    against it (an AMI whose name gives no version is not judged here)."""
    panos = panos_version_of_ami(ami_name)
    if panos is None:
        return []
    floor = shipped_plugin_floor(panos)
    problems = []
    if version_key(floor) < version_key(IMDSV2) and not imds_v1_allowed:
        problems.append(
            f"AMI {ami_name} runs PAN-OS {panos}, whose VM-Series plugin ({floor.rsplit('.', 1)[0]}.x) predates IMDSv2 "
            f"(plugin {IMDSV2}, PAN-OS 10.2.0 and later), and the firewalls are launched requiring IMDSv2 tokens: "
            "the plugin could not read the instance role's credentials and every failover would fail. "
            "Use PAN-OS 10.2 or later (vmseries_panos_version), or set vmseries_imds_v1_allowed: true "
            "to launch with IMDSv1 allowed.")
    if ha_method == "secondary_ip" and version_key(floor) < version_key(SECONDARY_IP_MOVE):
        problems.append(
            f"vmseries_ha_method secondary_ip needs VM-Series plugin {SECONDARY_IP_MOVE} or later, and AMI {ami_name} "
            f"runs PAN-OS {panos}, which may ship an older one: use PAN-OS 10.1 or later, or interface_move.")
    return problems
