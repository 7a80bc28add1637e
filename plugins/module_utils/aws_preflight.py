# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of one HA pair definition, kept free of boto3 so it can be unit tested.

Every function returns a list of error strings instead of raising: the preflight module reports
all mistakes of a pair definition at once, so a user fixes the inventory in one pass. Each message
names the inventory variable (``vmseries_*``) and says how to fix it.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from ansible_collections.vmseries.aws_ha.plugins.module_utils import bootstrap_package, tags

IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

PAIR_NAME_RE = re.compile(r"^[a-z0-9-]{1,32}$")
SUBNET_ROLES: Tuple[str, ...] = ("mgmt", "ha2", "untrust", "trust")
# mgmt, HA2, untrust and trust all sit on the active firewall, and either firewall can be active.
REQUIRED_ENIS = 4
SUGGESTED_INSTANCE_TYPE = "m5.xlarge"
# AWS accepts VPC and subnet CIDR blocks between /16 and /28.
AWS_MIN_PREFIX, AWS_MAX_PREFIX = 16, 28
HA_GROUP_ID_RANGE = (1, 63)
HA_PRIORITY_RANGE = (0, 255)
LICENSES = ("byol", "payg")
HA2_TRANSPORTS = ("ip", "udp")
# PAN-OS's default password rules (roles/preflight/README.md has the sources): since 9.0.4 a new
# installation enforces at least 8 characters with a lowercase letter, an uppercase letter and a
# number or special character; since 10.1, commonly used words and phrases are refused whatever
# their case. Palo Alto publishes only examples of those words, listed here; its whole list is not
# public, so a firewall may still refuse a password this check lets through.
PASSWORD_MIN_LENGTH = 8
COMMON_PASSWORDS = ("admin", "password", "letmein", "pa55word", "qwerty", "q1w2e3r4")


def parse_network(value: Any, variable: str, example: str) -> Tuple[Optional[IPNetwork], Optional[str]]:
    """Parse a CIDR strictly (no host bits); return (network, None) or (None, error)."""
    try:
        return ipaddress.ip_network(str(value), strict=True), None
    except ValueError as exc:
        return None, f"{variable} {value!r} is not a valid CIDR ({exc}); write it like {example}."


def _aws_sized(net: IPNetwork, variable: str) -> List[str]:
    if net.version != 4 or not AWS_MIN_PREFIX <= net.prefixlen <= AWS_MAX_PREFIX:
        return [
            f"{variable} {net} must be an IPv4 block between /{AWS_MIN_PREFIX} and /{AWS_MAX_PREFIX} "
            "(the sizes AWS accepts for VPCs and subnets)."
        ]
    return []


def validate_pair_name(name: Any) -> List[str]:
    if not isinstance(name, str) or not PAIR_NAME_RE.match(name):
        return [
            f"vmseries_pair_name {name!r} is invalid: use 1-32 characters from a-z, 0-9 and '-' "
            f"(it becomes the {tags.PAIR} tag and the prefix of every resource name), e.g. 'prod-edge'."
        ]
    return []


def validate_vpc_cidr(vpc_cidr: Any, vpc_id: Optional[str]) -> Tuple[Optional[IPNetwork], List[str]]:
    """The created VPC's CIDR; with vmseries_vpc_id the existing VPC's CIDR is used instead."""
    if vpc_id:
        return None, []
    net, err = parse_network(vpc_cidr, "vmseries_vpc_cidr", "10.100.0.0/16")
    if err:
        return None, [err]
    errors = _aws_sized(net, "vmseries_vpc_cidr")
    return (None if errors else net), errors


def validate_subnets(
    subnet_cidrs: Any, vpc_cidrs: Sequence[IPNetwork], vpc_label: str
) -> Tuple[Dict[str, IPNetwork], List[str]]:
    """Check the four subnets: all present, valid, inside the VPC and not overlapping each other.

    ``vpc_cidrs`` is empty when the VPC CIDR itself was invalid (that error is reported already),
    and may hold several blocks for an existing VPC with secondary CIDRs.
    """
    if not isinstance(subnet_cidrs, Mapping):
        return {}, [f"vmseries_subnet_cidrs must be a dict with the keys {', '.join(SUBNET_ROLES)}."]
    errors: List[str] = []
    missing = [r for r in SUBNET_ROLES if not subnet_cidrs.get(r)]
    extra = sorted(set(subnet_cidrs) - set(SUBNET_ROLES))
    if missing:
        errors.append(f"vmseries_subnet_cidrs is missing {', '.join(missing)}: give a CIDR for each of {', '.join(SUBNET_ROLES)}.")
    if extra:
        errors.append(f"vmseries_subnet_cidrs has unknown keys {', '.join(extra)}: only {', '.join(SUBNET_ROLES)} are used.")
    parsed: Dict[str, IPNetwork] = {}
    for role in SUBNET_ROLES:
        if not subnet_cidrs.get(role):
            continue
        variable = f"vmseries_subnet_cidrs.{role}"
        net, err = parse_network(subnet_cidrs[role], variable, "10.100.0.0/24")
        if err:
            errors.append(err)
            continue
        size_errors = _aws_sized(net, variable)
        if size_errors:
            errors.extend(size_errors)
            continue
        parsed[role] = net
        if vpc_cidrs and not any(net.version == v.version and net.subnet_of(v) for v in vpc_cidrs):
            errors.append(
                f"{variable} {net} is outside {vpc_label} ({', '.join(str(v) for v in vpc_cidrs)}): "
                "choose a block inside it."
            )
    roles = list(parsed)
    for i, first in enumerate(roles):
        for second in roles[i + 1:]:
            if parsed[first].overlaps(parsed[second]):
                errors.append(
                    f"vmseries_subnet_cidrs.{first} {parsed[first]} overlaps vmseries_subnet_cidrs.{second} "
                    f"{parsed[second]}: each of the four subnets needs its own block."
                )
    return parsed, errors


def validate_operator_cidrs(operator_cidrs: Any, allow_anywhere: bool) -> List[str]:
    if not operator_cidrs or not isinstance(operator_cidrs, (list, tuple)):
        return [
            "vmseries_operator_cidrs is empty: list the CIDRs allowed to reach the firewalls' management "
            "HTTPS and SSH, e.g. ['203.0.113.0/24']."
        ]
    errors: List[str] = []
    for cidr in operator_cidrs:
        net, err = parse_network(cidr, "vmseries_operator_cidrs entry", "203.0.113.0/24")
        if err:
            errors.append(err)
        elif net.prefixlen == 0 and not allow_anywhere:
            errors.append(
                f"vmseries_operator_cidrs contains {net}, which opens management HTTPS/SSH to the whole "
                "internet: list your operator networks instead, or set vmseries_allow_mgmt_from_anywhere: true "
                "if you really mean it."
            )
    return errors


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_ha(group_id: Any, priorities: Any) -> List[str]:
    errors: List[str] = []
    low, high = HA_GROUP_ID_RANGE
    if not _is_int(group_id) or not low <= group_id <= high:
        errors.append(f"vmseries_ha_group_id {group_id!r} is out of range: PAN-OS accepts {low}-{high}.")
    if not isinstance(priorities, Mapping) or set(priorities) != {"primary", "secondary"}:
        errors.append("vmseries_ha_priorities must be a dict with exactly the keys primary and secondary, e.g. {primary: 100, secondary: 110}.")
        return errors
    low, high = HA_PRIORITY_RANGE
    valid = True
    for node in ("primary", "secondary"):
        value = priorities[node]
        if not _is_int(value) or not low <= value <= high:
            errors.append(f"vmseries_ha_priorities.{node} {value!r} is out of range: use an integer {low}-{high} (lower wins).")
            valid = False
    if valid:
        primary, secondary = priorities["primary"], priorities["secondary"]
        if primary == secondary:
            errors.append(
                f"vmseries_ha_priorities.primary and .secondary are both {primary}: they must differ, "
                "the primary's lower (lower wins the election)."
            )
        elif primary > secondary:
            errors.append(
                f"vmseries_ha_priorities.primary ({primary}) must be lower than .secondary ({secondary}): the primary "
                "is launched with the dataplane ENIs and must win the election (lower wins); swap the values."
            )
    return errors


def validate_choices(license_: Any, transport: Any) -> List[str]:
    errors: List[str] = []
    if license_ not in LICENSES:
        errors.append(f"vmseries_ami_license {license_!r} is invalid: use one of {', '.join(LICENSES)}.")
    if transport not in HA2_TRANSPORTS:
        errors.append(
            f"vmseries_ha2_transport {transport!r} is invalid: use 'ip' (IP protocol 99) or 'udp' (UDP 29281)."
        )
    return errors


def validate_licensing(license_: Any, auth_code_given: bool, allow_unlicensed: bool) -> List[str]:
    """BYOL needs an auth code unless the user deploys an unlicensed evaluation; PAYG takes none
    (its licence comes with the instance). The code itself is a secret and never reaches this."""
    if license_ == "payg" and auth_code_given:
        return ["vmseries_auth_code is set but vmseries_ami_license is payg: a usage-based (PAYG) VM-Series is licensed "
                "through AWS Marketplace and takes no auth code. Remove vmseries_auth_code, or deploy BYOL "
                "(vmseries_ami_license: byol) to license from it."]
    if license_ == "byol" and not auth_code_given and not allow_unlicensed:
        return ["vmseries_auth_code is not set for a BYOL pair: the firewalls would come up unlicensed (no serial, no "
                "capacity licence, no support). Set the VM-Series auth code (Customer Support Portal, Assets; keep it "
                "in Ansible Vault or the AWX PAN-OS credential), or set vmseries_allow_unlicensed: true for an "
                "evaluation."]
    return []


def password_problems(password: str) -> List[str]:
    """What PAN-OS's default rules refuse in a password, in words; empty when it passes."""
    problems: List[str] = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(f"has {len(password)} characters, fewer than {PASSWORD_MIN_LENGTH}")
    if not any(c.islower() for c in password):
        problems.append("has no lowercase letter")
    if not any(c.isupper() for c in password):
        problems.append("has no uppercase letter")
    if not any(not c.isalpha() for c in password):
        problems.append("has no number or special character")
    if password.lower() in COMMON_PASSWORDS:
        problems.append("is a commonly used word")
    return problems


def validate_admin_password(password: Any) -> List[str]:
    """The password the first boot sets; never echoed in a message."""
    if not password:
        return [
            "vmseries_admin_password is empty. Deploying sets it as the firewalls' admin password on first boot "
            "and logs in with it, so an API key cannot stand in for it. Set it (keep it in Ansible Vault); under "
            "AWX, fill in the PAN-OS credential's password."
        ]
    problems = password_problems(str(password))
    if problems:
        return [
            f"vmseries_admin_password {', '.join(problems)}: PAN-OS refuses it as the admin password (at least "
            f"{PASSWORD_MIN_LENGTH} characters with a lowercase letter, an uppercase letter and a number or special "
            "character, and not a commonly used word such as admin or password). Choose another (keep it in "
            "Ansible Vault)."
        ]
    return []


def validate_other_pairs(
    pair_name: Any, vpc_id: Optional[str], wanted: Mapping[str, IPNetwork], others: Sequence[Mapping[str, Any]]
) -> List[str]:
    """Mistakes between the pairs of one inventory, before either exists in AWS.

    ``others`` holds, per other pair of the run, ``{"host", "pair_name", "vpc_id", "subnet_cidrs"}``.
    """
    errors: List[str] = []
    for other in others:
        if other.get("pair_name") == pair_name:
            errors.append(
                f"vmseries_pair_name {pair_name!r} is also the name of inventory host {other.get('host')}'s pair: "
                "the name tags and names everything a pair owns (its IAM role too, which is global), so two pairs "
                "with one name would share and overwrite each other's resources. Give each pair a name of its own."
            )
            continue
        if not vpc_id or other.get("vpc_id") != vpc_id or not isinstance(other.get("subnet_cidrs"), Mapping):
            continue
        for role, net in wanted.items():
            for other_role, cidr in sorted(other["subnet_cidrs"].items()):
                try:
                    other_net = ipaddress.ip_network(str(cidr), strict=False)
                except ValueError:
                    continue  # that pair's own preflight reports it
                if net.version == other_net.version and net.overlaps(other_net):
                    errors.append(
                        f"vmseries_subnet_cidrs.{role} {net} overlaps vmseries_subnet_cidrs.{other_role} {other_net} "
                        f"of pair {other.get('pair_name')!r} (inventory host {other.get('host')}), which shares "
                        f"vmseries_vpc_id {vpc_id}: give each pair its own blocks of the VPC."
                    )
    return errors


def validate_static(params: Mapping[str, Any]) -> Tuple[Dict[str, Any], List[str]]:
    """Checks that need no AWS call. Returns parsed values the AWS checks reuse, and errors."""
    errors: List[str] = []
    errors += validate_pair_name(params.get("pair_name"))
    vpc_net, vpc_errors = validate_vpc_cidr(params.get("vpc_cidr"), params.get("vpc_id"))
    errors += vpc_errors
    errors += validate_operator_cidrs(params.get("operator_cidrs"), bool(params.get("allow_mgmt_from_anywhere")))
    errors += validate_ha(params.get("ha_group_id"), params.get("ha_priorities"))
    errors += validate_choices(params.get("ami_license"), params.get("ha2_transport"))
    errors += validate_licensing(params.get("ami_license"), bool(params.get("auth_code_given")),
                                 bool(params.get("allow_unlicensed")))
    errors += validate_ha_method(params.get("ha_method", "interface_move"), params.get("dataplane_addressing", "static"),
                                 params.get("protected_route_tables"), params.get("vpc_id"))
    errors += validate_bootstrap(params.get("pair_name"), params.get("bootstrap", "ssh"), params.get("bootstrap_init_cfg"),
                                 bool(params.get("admin_password_given")))
    return {"vpc_cidr": vpc_net}, errors


def validate_bootstrap(pair_name: Any, bootstrap: Any, init_cfg: Any, admin_password_given: bool) -> List[str]:
    """What a bootstrap needs that no later stage could mend once the firewalls have booted from it."""
    errors: List[str] = []
    if init_cfg and bootstrap not in ("user_data", "s3"):
        errors.append(f"vmseries_bootstrap_init_cfg is set but vmseries_bootstrap is {bootstrap!r}: init-cfg keys reach the "
                      "firewalls only with vmseries_bootstrap user_data or s3.")
    if init_cfg and not isinstance(init_cfg, Mapping):
        return errors + ["vmseries_bootstrap_init_cfg must be a dict of init-cfg keys and values."]
    errors += bootstrap_package.init_cfg_problems(init_cfg or {})
    if bootstrap == "s3":
        longest = bootstrap_package.longest_pair_name()
        if isinstance(pair_name, str) and len(pair_name) > longest:
            errors.append(f"vmseries_pair_name {pair_name!r} has {len(pair_name)} characters; with vmseries_bootstrap s3 it "
                          f"may have at most {longest}, as it names the bootstrap buckets "
                          "(<pair>-<node>-bootstrap-<account id>, at most 63 characters).")
        if not admin_password_given:
            errors.append("vmseries_bootstrap s3 needs vmseries_admin_password: bootstrap.xml carries its hash, and an API "
                          "key cannot be bootstrapped. Set it (keep it in Ansible Vault), or use vmseries_bootstrap ssh.")
    return errors


def validate_availability_zone(zone: Any, region: str, zones: Sequence[str]) -> List[str]:
    if zone not in zones:
        return [
            f"vmseries_availability_zone {zone!r} does not exist in region {region}: use one of "
            f"{', '.join(sorted(zones)) or '(none offered)'}."
        ]
    return []


HA_METHODS = ("interface_move", "secondary_ip")
ROUTE_TABLE_ID = re.compile(r"^rtb-[0-9a-f]{8,17}$")


def validate_ha_method(method: Any, addressing: Any, route_tables: Any, vpc_id: Optional[str]) -> List[str]:
    """What secondary-IP move needs, and the protected route tables' form, before AWS is asked."""
    errors: List[str] = []
    if method not in HA_METHODS:
        return [f"vmseries_ha_method {method!r} is invalid: use interface_move or secondary_ip."]
    if method == "secondary_ip" and addressing != "dhcp":
        errors.append(
            f"vmseries_ha_method secondary_ip needs vmseries_dataplane_addressing dhcp (it is {addressing!r}): each "
            "firewall's dataplane interfaces are DHCP clients of their own ENIs (Palo Alto, \"Configure Active/Passive "
            "HA on AWS Using a Secondary IP\"), and a static address would be the primary's on both firewalls after config sync."
        )
    if route_tables is not None:
        bad = [t for t in route_tables if not isinstance(t, str) or not ROUTE_TABLE_ID.match(t)]
        if bad:
            errors.append(f"vmseries_protected_route_tables has {', '.join(map(repr, bad))}, which is not a route "
                          "table id (rtb-0123456789abcdef0).")
        if route_tables and not vpc_id:
            errors.append(
                "vmseries_protected_route_tables names route tables, but a route table belongs to one VPC and the pair's "
                "VPC does not exist yet: set vmseries_vpc_id to the VPC of those tables, or leave "
                "vmseries_protected_route_tables unset to have the pair's own table (<pair>-protected) created."
            )
    return errors


def validate_route_tables(route_tables: Sequence[str], found: Mapping[str, Mapping[str, Any]], vpc_id: str,
                          pair_enis: Sequence[str]) -> List[str]:
    """Each protected route table exists in the pair's VPC, and its default route, if it has one,
    leads to this pair already (it is never taken from someone else). ``found`` maps id to
    ``{"vpc_id", "default_route_target"}``."""
    errors: List[str] = []
    for table in route_tables:
        info = found.get(table)
        if info is None:
            errors.append(f"vmseries_protected_route_tables: route table {table} does not exist in this region.")
        elif info["vpc_id"] != vpc_id:
            errors.append(f"vmseries_protected_route_tables: route table {table} belongs to {info['vpc_id']}, "
                          f"not to vmseries_vpc_id {vpc_id}.")
        elif info.get("default_route_target") and info["default_route_target"] not in pair_enis:
            errors.append(
                f"vmseries_protected_route_tables: route table {table} already routes 0.0.0.0/0 to "
                f"{info['default_route_target']}, which is not this pair's: remove that route yourself if the pair "
                "should take it over, or leave the table out."
            )
    return errors


def validate_method_switch(method: str, dataplane_enis: Sequence[str], pair_name: str) -> List[str]:
    """A deployed pair keeps its method. ``dataplane_enis`` are the pair_index keys of the pair's
    existing untrust/trust ENIs (`untrust` for interface move, `primary-untrust` for secondary-IP)."""
    deployed = None
    if any("-" in key for key in dataplane_enis):
        deployed = "secondary_ip"
    elif dataplane_enis:
        deployed = "interface_move"
    if deployed is None or deployed == method:
        return []
    return [
        f"vmseries_ha_method is {method} but pair {pair_name} is deployed with {deployed} (its dataplane ENIs are "
        f"{', '.join(sorted(dataplane_enis))}). A pair cannot switch in place: the two methods need different ENIs, "
        "addresses and IAM permissions, and moving them under a running pair would cut its traffic. To switch: "
        f"run playbooks/teardown.yml -e vmseries_teardown_confirm={pair_name}, then site.yml with the new method "
        f"(or keep vmseries_ha_method={deployed})."
    ]


def validate_instance_type(instance_type: str, max_enis: Optional[int], method: str = "interface_move") -> List[str]:
    """``max_enis`` is None when the region does not offer the type."""
    if max_enis is None:
        return [
            f"vmseries_instance_type {instance_type!r} is not offered in this region: use a VM-Series "
            f"supported type with {REQUIRED_ENIS} or more network interfaces, e.g. {SUGGESTED_INSTANCE_TYPE}."
        ]
    if max_enis < REQUIRED_ENIS:
        why = ("each firewall has its own four with vmseries_ha_method secondary_ip" if method == "secondary_ip" else
               "both firewalls share the type because the passive one receives the dataplane ENIs on failover")
        return [
            f"vmseries_instance_type {instance_type!r} allows only {max_enis} network interfaces, but the active "
            f"firewall needs {REQUIRED_ENIS} (mgmt, HA2, untrust, trust) and {why}: use e.g. {SUGGESTED_INSTANCE_TYPE}."
        ]
    return []


def validate_existing_subnets(
    wanted: Mapping[str, IPNetwork], existing: Sequence[Mapping[str, Any]], pair_name: str
) -> List[str]:
    """With vmseries_vpc_id, a subnet of someone else overlapping ours would be adopted or collide.

    ``existing`` holds ``{"id", "cidr", "pair"}`` (pair = the subnet's pair tag or None).
    """
    errors: List[str] = []
    for role, net in wanted.items():
        for subnet in existing:
            if subnet.get("pair") == pair_name:
                continue
            other = ipaddress.ip_network(subnet["cidr"], strict=False)
            if net.version == other.version and net.overlaps(other):
                errors.append(
                    f"vmseries_subnet_cidrs.{role} {net} overlaps subnet {subnet['id']} ({other}) that already "
                    "exists in vmseries_vpc_id and does not belong to this pair: choose a free block."
                )
    return errors
