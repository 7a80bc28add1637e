# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A firewall's bootstrap package: its bootstrap.xml and init-cfg.txt, from the configuration
pair_config computes, rendered by the same pan-os-python builders (panos_objects) the modules
converge running firewalls with.

bootstrap.xml is the configuration the firewall commits at its first boot, replacing its factory
one (Palo Alto's bootstrap package docs list it as one of the two /config files), so besides the
pair's objects it carries what the firewall needs to stay reachable and administrable: the management interface as a
DHCP client (what a VM-Series on AWS boots with), the administrator and its password hash, and
vsys1 with its imports. The skeleton's other elements are the ones every PAN-OS configuration
export has (config version, shared, vsys1); the default contents PAN-OS adds under <shared> are
left to PAN-OS. An assumption, with no Palo Alto statement found either way: a firewall fills its
schema defaults in when it loads a configuration without them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any, Dict, List, Mapping, Optional

from ansible_collections.vmseries.aws_ha.plugins.module_utils import panos_objects
from ansible_collections.vmseries.aws_ha.plugins.module_utils.eni_map import subnet_facts
from ansible_collections.vmseries.aws_ha.plugins.module_utils.tags import NODES

try:
    from panos.firewall import Firewall
except ImportError:
    pass  # the filter reports the missing library

DEVICE = "localhost.localdomain"
VSYS = "vsys1"
# The management interface by DHCP, as init-cfg.txt keys (Palo Alto's init-cfg.txt fields) and as
# the deviceconfig/system/type/dhcp-client elements they set: send our hostname, never take the
# DHCP server's (init-cfg and bootstrap.xml name the firewall).
DHCP_CLIENT = (("dhcp-send-hostname", "send-hostname", "yes"), ("dhcp-send-client-id", "send-client-id", "yes"),
               ("dhcp-accept-server-hostname", "accept-dhcp-hostname", "no"),
               ("dhcp-accept-server-domain", "accept-dhcp-domain", "yes"))
SWAP = "mgmt-interface-swap"
PHASH = re.compile(r"^\$(1|5|6)\$[./0-9A-Za-z]{1,16}\$[./0-9A-Za-z]+$")


class PackageError(ValueError):
    """The package cannot be rendered from what was given; the message says what to fix."""


def _sub(parent: ET.Element, tag: str, name: Optional[str] = None) -> ET.Element:
    child = ET.SubElement(parent, tag)
    if name is not None:
        child.set("name", name)
    return child


def _element(device: Any, obj: Any) -> ET.Element:
    device.add(obj)
    try:
        return ET.fromstring(obj.element_str())
    finally:
        device.remove(obj)


def _members(parent: ET.Element, names: List[str]) -> None:
    for name in names:
        _sub(parent, "member").text = name


def config_version(panos_version: str) -> str:
    """The `version` attribute of <config>: the feature release, as PAN-OS writes it (11.1.0)."""
    match = re.match(r"^(\d+)\.(\d+)\.\d+", panos_version or "")
    if not match:
        raise PackageError(f"PAN-OS version {panos_version!r} is not of the form X.Y.Z[-hN]: give the AMI's version.")
    return f"{match.group(1)}.{match.group(2)}.0"


def bootstrap_xml(config: Mapping[str, Any], node: str, panos_version: str, hostname: str,
                  admin_username: str, admin_phash: str) -> str:
    """The node's whole configuration: the pair's dataplane objects (on both firewalls, as config
    sync would leave them, so the pair forms synchronized), its own HA settings, the HA2 link."""
    if node not in config.get("high_availability", {}):
        raise PackageError(f"No HA settings for the {node} firewall in the configuration given.")
    if not PHASH.match(admin_phash or ""):
        raise PackageError("admin_phash is not a crypt hash ($5$<salt>$<hash>); make it with "
                           "password_hash('sha256', <salt of at most 16 characters>).")
    root = ET.Element("config", {"version": config_version(panos_version), "urldb": "paloaltonetworks"})
    device = Firewall()
    # pan-os-python renders versioned objects (HA) in the layout of this version.
    device._set_version_and_version_info(panos_version)
    users = _sub(_sub(root, "mgt-config"), "users")
    admin = _sub(users, "entry", admin_username)
    _sub(admin, "phash").text = admin_phash
    _sub(_sub(_sub(admin, "permissions"), "role-based"), "superuser").text = "yes"
    _sub(root, "shared")
    entry = _sub(_sub(root, "devices"), "entry", DEVICE)

    network = _sub(entry, "network")
    ethernet = _sub(_sub(network, "interface"), "ethernet")
    for params in [config["ha2_interface"], *config["interfaces"]]:
        ethernet.append(_element(device, panos_objects.ethernet_interface(params)))
    routers = _sub(network, "virtual-router")
    routers.append(_element(device, panos_objects.virtual_router(config["virtual_router"])))

    deviceconfig = _sub(entry, "deviceconfig")
    system = _sub(deviceconfig, "system")
    _sub(system, "hostname").text = hostname
    dhcp = _sub(_sub(system, "type"), "dhcp-client")
    for _key, tag, value in DHCP_CLIENT:
        _sub(dhcp, tag).text = value
    deviceconfig.append(panos_objects.high_availability(device, config["high_availability"][node]))

    vsys = _sub(_sub(entry, "vsys"), "entry", VSYS)
    imports = _sub(_sub(vsys, "import"), "network")
    _members(_sub(imports, "interface"), [i["name"] for i in config["interfaces"] if i.get("mode", "layer3") == "layer3"])
    _members(_sub(imports, "virtual-router"), [config["virtual_router"]["name"]])
    zones = _sub(vsys, "zone")
    for params in config["zones"]:
        zones.append(_element(device, panos_objects.zone(params)))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode") + "\n"


def init_cfg_problems(keys: Optional[Mapping[str, Any]]) -> List[str]:
    """Why these init-cfg keys cannot go into the pair's bootstrap (vmseries_bootstrap_init_cfg)."""
    problems = []
    for key, value in (keys or {}).items():
        if not re.fullmatch(r"[a-z0-9-]+", str(key)):
            problems.append(f"vmseries_bootstrap_init_cfg key {key!r} is not an init-cfg key (lowercase words joined by '-', "
                            "as in Palo Alto's init-cfg.txt: panorama-server, vm-auth-key, op-command-modes, ...).")
        elif re.search(r"[\r\n;]", str(value if value is not None else "")):
            problems.append(f"vmseries_bootstrap_init_cfg {key}: the value has a line break or ';', which would end the key "
                            "(init-cfg.txt takes one key a line; the user data separates keys with ';').")
        elif key in ("type", "hostname", "authcodes") or key.startswith("dhcp-"):
            problems.append(f"vmseries_bootstrap_init_cfg {key}: set by the collection (management by DHCP, the hostname "
                            "<pair>-<node>, the auth code from vmseries_auth_code); leave it out.")
        elif key == SWAP or SWAP in [m.strip() for m in str(value or "").split(",")]:
            problems.append(f"vmseries_bootstrap_init_cfg {key}: mgmt-interface-swap is not supported: the pair's ENIs put the "
                            "management interface at device index 0 (the interface map and HA rely on it).")
    return problems


def init_cfg(hostname: str, extra: Optional[Mapping[str, Any]] = None) -> str:
    """init-cfg.txt: one key=value a line, the management interface by DHCP and the hostname first,
    then the caller's keys (op-command-modes, plugin-op-commands, the Panorama keys) and the auth
    code. Empty values are left out, as Palo Alto's sample leaves keys blank that do not apply."""
    extra = dict(extra or {})
    authcodes = extra.pop("authcodes", None)
    problems = init_cfg_problems(extra)
    if problems:
        raise PackageError(" ".join(problems))
    keys: Dict[str, str] = {"type": "dhcp-client", "hostname": hostname, **{key: value for key, _tag, value in DHCP_CLIENT}}
    keys.update({str(k): str(v) for k, v in extra.items() if v is not None and str(v) != ""})
    if authcodes:
        keys["authcodes"] = str(authcodes)
    return "".join(f"{key}={value}\n" for key, value in keys.items())


def planned_nodes(enis: Mapping[str, Mapping[str, Any]], subnet_cidrs: Mapping[str, str], ha_method: str) -> Dict[str, Any]:
    """The facts pair_config needs, before launch: the network stage's ENIs (by their role key, as
    pair_index gives them: primary-mgmt, primary-ha2, untrust, ...; amazon.aws.ec2_eni_info's
    fields) at the device indexes the instances stage attaches them to (mgmt 0, HA2 1, untrust 2,
    trust 3; no mgmt-interface-swap). With interface move the primary holds the dataplane ENIs."""
    def interface(key: str) -> Dict[str, Any]:
        eni = enis.get(key)
        if eni is None:
            raise PackageError(f"ENI {key} of the pair was not found by its tags: run the network stage first.")
        subnet = eni.get("subnet_id")
        if subnet not in subnet_cidrs:
            raise PackageError(f"The subnet {subnet} of ENI {key} ({eni.get('id')}) was not found.")
        return {"eni_id": eni["id"], "private_ip": eni["private_ip_address"], **subnet_facts(subnet_cidrs[subnet])}

    nodes: Dict[str, Any] = {}
    for node in NODES:
        interfaces = {"ethernet1/1": interface(f"{node}-ha2")}
        if ha_method == "secondary_ip":
            interfaces.update({"ethernet1/2": interface(f"{node}-untrust"), "ethernet1/3": interface(f"{node}-trust")})
        elif node == "primary":
            interfaces.update({"ethernet1/2": interface("untrust"), "ethernet1/3": interface("trust")})
        nodes[node] = {"mgmt_private_ip": interface(f"{node}-mgmt")["private_ip"], "interfaces": interfaces}
    return nodes


BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
BUCKET_NAME_MAX = 63
ACCOUNT_ID_LENGTH = 12


def _bucket(pair_name: str, node: str, account_id: str) -> str:
    return f"{pair_name}-{node}-bootstrap-{account_id}"


def longest_pair_name(account_id_length: int = ACCOUNT_ID_LENGTH) -> int:
    """The longest pair name whose buckets' names stay within S3's 63 characters."""
    return BUCKET_NAME_MAX - len(_bucket("", "secondary", "0" * account_id_length))


def bucket_name(pair_name: str, node: str, account_id: str) -> str:
    """One bucket per firewall, as Palo Alto's HA template (aws-ha-cft) makes them, so that no
    plugin version's rule on bucket folders applies. Bucket names are global across AWS accounts:
    the account id keeps two accounts' pairs of the same name apart."""
    name = _bucket(pair_name, node, account_id)
    if not BUCKET_NAME.match(name):
        raise PackageError(f"The bootstrap bucket name {name!r} is not a valid S3 bucket name (3-63 lowercase letters, "
                           f"digits and hyphens): with vmseries_bootstrap=s3 a pair name has at most "
                           f"{longest_pair_name(len(str(account_id)))} characters, lowercase letters, digits and hyphens.")
    return name
