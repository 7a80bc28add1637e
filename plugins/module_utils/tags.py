# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tags that make AWS resources part of a pair, in one place.

Every stage finds a pair's resources again by these tags on every run (nothing is carried between
runs in files), so their spelling and the role key an ENI gets from them must be the same in every
module, filter and role.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional

PAIR = "vmseries:pair"
NODE = "vmseries:node"
INTERFACE = "vmseries:interface"
# On a firewall whose HA preemption the upgrade turned off, until it turns it on again.
UPGRADE_PREEMPTION = "vmseries:upgrade-preemption"
NODES = ("primary", "secondary")
DATAPLANE_INTERFACES = ("untrust", "trust")


def other(node: str) -> str:
    """The pair's other firewall."""
    return NODES[1] if node == NODES[0] else NODES[0]


def as_dict(tags: Optional[Iterable[Mapping[str, str]]]) -> Dict[str, str]:
    """boto3's `[{"Key": k, "Value": v}]` as a dict (`Tags` or `TagSet`, possibly absent)."""
    return {tag["Key"]: tag["Value"] for tag in tags or []}


def as_list(tags: Mapping[str, str]) -> List[Dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def of(resource: Mapping[str, Any]) -> Dict[str, str]:
    """The tags of a boto3 resource description, whichever key the service uses for them."""
    return as_dict(resource.get("Tags") or resource.get("TagSet"))


def role_key(tags: Mapping[str, str]) -> Optional[str]:
    """What the resource is to the pair: `primary-mgmt` (a node's own), `untrust` (the pair's, as
    the interface-move dataplane ENIs are), `secondary` (an instance); None when untagged."""
    parts = [tags[name] for name in (NODE, INTERFACE) if tags.get(name)]
    return "-".join(parts) or None


def pair_filters(pair_name: str, **extra: Iterable[str]) -> List[Dict[str, Any]]:
    """EC2 Describe filters for the pair's resources; `extra` maps a filter name to its values
    (`tag:vmseries:interface` is given as `interface`)."""
    names = {"interface": f"tag:{INTERFACE}", "node": f"tag:{NODE}"}
    filters: List[Dict[str, Any]] = [{"Name": f"tag:{PAIR}", "Values": [pair_name]}]
    filters += [{"Name": names.get(name, name.replace("_", "-")), "Values": list(values)} for name, values in extra.items()]
    return filters
