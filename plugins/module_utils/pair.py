# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A deployed pair as one object, and the one judgement of whether it is healthy.

:class:`PairFirewalls` is the PAN-OS half: both firewalls, each connected once, and their HA
states. :class:`DeployedPair` adds the AWS half, found by the pair's tags on every call: the
instances, every ENI of the pair, the dataplane's Elastic IPs and the VPC routes that lead to the
pair. :func:`judge` decides from those observations, without I/O, whether the pair is a healthy
active/passive pair with the dataplane on its active firewall, and names every condition that is
not met. The pair check, failover verification, config sync and the upgrade all ask it, so a pair
one of them accepts is never refused by another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.vmseries.aws_ha.plugins.module_utils import ha_state, tags
from ansible_collections.vmseries.aws_ha.plugins.module_utils.panos import PanosConnection, provider_spec

NODES = tags.NODES
other = tags.other
DATAPLANE = tags.DATAPLANE_INTERFACES
METHODS = ("interface_move", "secondary_ip")
HaStates = Dict[str, Optional[Dict[str, Any]]]


@dataclass(frozen=True)
class EniSight:
    """One ENI as EC2 describes it at one poll."""

    eni_id: str
    instance_id: Optional[str]
    device_index: Optional[int]
    attachment_status: Optional[str]  # attaching / attached / detaching / detached, None when available
    secondary_ips: Tuple[str, ...] = ()


@dataclass(frozen=True)
class AddressSight:
    """An Elastic IP of the dataplane: where EC2 says it is associated."""

    public_ip: str
    eni_id: Optional[str]
    private_ip: Optional[str]


@dataclass(frozen=True)
class DataplaneSight:
    """What EC2 says about the pair's dataplane at one poll. `enis` holds the dataplane ENIs keyed
    by their role (`untrust`, `trust` for interface move; `primary-untrust` ... for secondary-IP
    move), `addresses` the dataplane Elastic IPs by interface, `routes` maps (route table,
    destination) to the ENI the route targets. `attachments` maps every ENI of the pair
    (management and HA2 included) to the instance it is attached to, so an address or a route
    that leads to any of the pair's ENIs is traced to its firewall."""

    enis: Mapping[str, EniSight]
    addresses: Mapping[str, AddressSight] = field(default_factory=dict)
    routes: Mapping[Tuple[str, str], Optional[str]] = field(default_factory=dict)
    attachments: Mapping[str, Optional[str]] = field(default_factory=dict)

    def instance_of(self, eni_id: Optional[str]) -> Optional[str]:
        eni = next((e for e in self.enis.values() if e.eni_id == eni_id), None)
        if eni is not None:
            return eni.instance_id if eni.attachment_status == "attached" else None
        return self.attachments.get(eni_id) if eni_id else None

    def floating(self, node: str) -> Dict[str, Tuple[str, ...]]:
        """Secondary-IP move: the floating addresses on `node`'s ENIs, by interface."""
        return {name: self.enis[f"{node}-{name}"].secondary_ips for name in DATAPLANE
                if f"{node}-{name}" in self.enis and self.enis[f"{node}-{name}"].secondary_ips}


@dataclass
class Health:
    """One look at the pair: `problems` is empty when it is healthy."""

    problems: List[str]
    states: HaStates
    sight: Optional[DataplaneSight]
    active: Optional[str]
    dataplane_problems: List[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems

    @property
    def passive(self) -> Optional[str]:
        return other(self.active) if self.active else None

    def summary(self) -> List[str]:
        return [ha_state.describe(node, self.states.get(node)) for node in NODES]


def licence_problems(states: HaStates) -> List[str]:
    """HA peers must carry the same VM-Series licence (PAN-OS makes one of them non-functional)."""
    licences = {node: (state or {}).get("local", {}).get("vm_license") for node, state in states.items()
                if state and state.get("error") is None and state.get("enabled")}
    if len(licences) == len(NODES) and len(set(licences.values())) > 1:
        return [("the peers' licences differ (" + ", ".join(f"{node} {licences[node] or 'none'}" for node in NODES)
                 + "): HA peers need identical licences, license both from auth codes of the same model")]
    return []


def dataplane_problems(sight: DataplaneSight, instances: Mapping[str, str], ha_method: str, active: str) -> List[str]:
    """Every place where the dataplane does not lead to the active firewall."""
    def node_of(instance_id: Optional[str]) -> Optional[str]:
        return next((node for node, i in instances.items() if i == instance_id), None)

    problems = []
    if ha_method == "interface_move":
        for name in DATAPLANE:
            eni = sight.enis.get(name)
            if eni is None:
                continue
            holder = node_of(sight.instance_of(eni.eni_id))
            if holder != active:
                problems.append(f"the {name} ENI {eni.eni_id} is attached to {holder or 'no firewall'}, "
                                f"not to the active {active}")
    else:
        on_active, on_passive = sight.floating(active), sight.floating(other(active))
        for name in DATAPLANE:
            if not on_active.get(name):
                where = " (it is on the passive's)" if on_passive.get(name) else ""
                problems.append(f"the active {active}'s {name} ENI has no floating secondary address{where}")
    for name, address in sorted(sight.addresses.items()):
        node = node_of(sight.instance_of(address.eni_id))
        if node != active:
            problems.append(f"Elastic IP {address.public_ip} of {name} is associated through {node or 'no firewall'}, "
                            f"not the active {active}")
    for (table, destination), eni_id in sorted(sight.routes.items()):
        node = node_of(sight.instance_of(eni_id))
        if node != active:
            problems.append(f"route {destination} of {table} leads to {node or 'no firewall'} ({eni_id}), "
                            f"not the active {active}")
    return problems


def judge(states: HaStates, sight: Optional[DataplaneSight], instances: Mapping[str, str], ha_method: str,
          expect_active: Optional[str] = None, require_sync: bool = True) -> Health:
    """The one health judgement. `sight` None judges the firewalls alone (a pair without its AWS
    side in view, as config sync sees it)."""
    problems = ha_state.pair_problems(states, expect_active, require_sync) + licence_problems(states)
    active = ha_state.active_node(states)
    dataplane = dataplane_problems(sight, instances, ha_method, active) if active and sight else []
    return Health(problems + dataplane, states, sight, active, dataplane)


class PairFirewalls:
    """Both firewalls of a pair, each connected once for the whole module run."""

    def __init__(self, module: Any, providers: Mapping[str, Dict[str, Any]]) -> None:
        self.module = module
        self.firewalls = {node: PanosConnection(module, providers[node]) for node in NODES}

    def ha_states(self, booting: Sequence[str] = ()) -> HaStates:
        """Both firewalls' HA states; the nodes in `booting` are (re)starting (see read_ha_state)."""
        return {node: firewall.read_ha_state(booting=node in booting) for node, firewall in self.firewalls.items()}

    def health(self, expect_active: Optional[str] = None, require_sync: bool = True,
               booting: Sequence[str] = ()) -> Health:
        return judge(self.ha_states(booting), None, {}, "interface_move", expect_active, require_sync)


def pair_argument_spec() -> Dict[str, Any]:
    """One provider per node (the vmseries.aws_ha.provider.pair fragment)."""
    return {node: {"type": "dict", "required": True, "options": provider_spec()} for node in NODES}


def deployed_pair_argument_spec() -> Dict[str, Any]:
    """pair_argument_spec plus the pair's name and HA method (the vmseries.aws_ha.deployed_pair fragment)."""
    return {"pair_name": {"type": "str", "required": True},
            "ha_method": {"type": "str", "default": METHODS[0], "choices": list(METHODS)},
            **pair_argument_spec()}


class DeployedPair(PairFirewalls):
    """The pair as EC2 and its firewalls describe it, found by the pair's tags."""

    @classmethod
    def from_params(cls, module: Any, ec2: Any) -> "DeployedPair":
        """From the options of deployed_pair_argument_spec()."""
        return cls(module, ec2, module.params["pair_name"], module.params["ha_method"],
                   {node: module.params[node] for node in NODES})

    def __init__(self, module: Any, ec2: Any, name: str, ha_method: str,
                 providers: Mapping[str, Dict[str, Any]]) -> None:
        if ha_method not in METHODS:
            module.fail_json(msg=f"Unknown HA method {ha_method!r}: one of {', '.join(METHODS)}.")
        super().__init__(module, providers)
        self.ec2 = ec2
        self.name = name
        self.ha_method = ha_method
        self.instances = self._find_instances()

    def _find_instances(self) -> Dict[str, str]:
        pages = self.ec2.get_paginator("describe_instances").paginate(Filters=tags.pair_filters(
            self.name, instance_state_name=["pending", "running", "stopping", "stopped"]))
        found: Dict[str, str] = {}
        for page in pages:
            for reservation in page["Reservations"]:
                for instance in reservation["Instances"]:
                    node = tags.of(instance).get(tags.NODE)
                    if node in NODES:
                        found[node] = instance["InstanceId"]
        missing = [node for node in NODES if node not in found]
        if missing:
            self.module.fail_json(msg=(f"Pair {self.name}: no {' or '.join(missing)} firewall instance found by the tag "
                                       f"{tags.PAIR}. Deploy the pair (site.yml) first."))
        return found

    def dataplane(self, routes: Optional[Sequence[Tuple[str, str]]] = None) -> DataplaneSight:
        """The dataplane as EC2 has it now: the pair's ENIs, its dataplane EIPs, and the VPC routes
        that lead to one of its ENIs - or, given `routes`, those (table, destination) pairs
        whatever they lead to now (a route that is gone leads nowhere)."""
        described = self.ec2.describe_network_interfaces(aws_retry=True, Filters=tags.pair_filters(self.name))
        enis: Dict[str, EniSight] = {}
        attachments: Dict[str, Optional[str]] = {}
        vpcs = set()
        for eni in described["NetworkInterfaces"]:
            attachment = eni.get("Attachment") or {}
            attachments[eni["NetworkInterfaceId"]] = attachment.get("InstanceId") if attachment.get("Status") == "attached" else None
            vpcs.add(eni["VpcId"])
            eni_tags = tags.of(eni)
            if eni_tags.get(tags.INTERFACE) not in DATAPLANE:
                continue
            enis[tags.role_key(eni_tags)] = EniSight(
                eni_id=eni["NetworkInterfaceId"], instance_id=attachment.get("InstanceId"),
                device_index=attachment.get("DeviceIndex"), attachment_status=attachment.get("Status"),
                secondary_ips=tuple(a["PrivateIpAddress"] for a in eni.get("PrivateIpAddresses", []) if not a.get("Primary")))
        self._check_layout(enis)
        addresses = {}
        found = self.ec2.describe_addresses(aws_retry=True, Filters=tags.pair_filters(self.name, interface=DATAPLANE))
        for address in found["Addresses"]:
            addresses[tags.of(address).get(tags.INTERFACE)] = AddressSight(
                address["PublicIp"], address.get("NetworkInterfaceId"), address.get("PrivateIpAddress"))
        tables = self.ec2.describe_route_tables(aws_retry=True, Filters=[{"Name": "vpc-id", "Values": sorted(vpcs)}])
        found_routes: Dict[Tuple[str, str], Optional[str]] = {}
        for table in tables["RouteTables"]:
            for route in table.get("Routes", []):
                key = (table["RouteTableId"], route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock"))
                if (key in routes) if routes is not None else route.get("NetworkInterfaceId") in attachments:
                    found_routes[key] = route.get("NetworkInterfaceId")
        for key in routes or []:
            found_routes.setdefault(key, None)
        return DataplaneSight(enis=enis, addresses=addresses, routes=found_routes, attachments=attachments)

    def _check_layout(self, enis: Mapping[str, EniSight]) -> None:
        expected = list(DATAPLANE) if self.ha_method == "interface_move" else [f"{n}-{i}" for n in NODES for i in DATAPLANE]
        missing = [key for key in expected if key not in enis]
        if not missing:
            return
        other_method = "secondary_ip" if self.ha_method == "interface_move" else "interface_move"
        layout = {"interface_move": f"untrust and trust ENIs that belong to the pair (no {tags.NODE} tag)",
                  "secondary_ip": f"untrust and trust ENIs of each firewall (tagged {tags.NODE})"}
        self.module.fail_json(msg=(
            f"Pair {self.name}: dataplane ENI(s) {', '.join(missing)} for ha_method={self.ha_method} not found by the "
            f"tags {tags.PAIR} and {tags.INTERFACE} (found: {', '.join(sorted(enis)) or 'none'}). {self.ha_method} "
            f"needs {layout[self.ha_method]}; if the pair was deployed with {other_method}, set "
            f"vmseries_ha_method={other_method}; otherwise re-run the network stage."))

    def health(self, expect_active: Optional[str] = None, require_sync: bool = True,
               booting: Sequence[str] = ()) -> Health:
        return judge(self.ha_states(booting), self.dataplane(), self.instances, self.ha_method,
                     expect_active, require_sync)
