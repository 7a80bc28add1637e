"""Fixes for moto 5.2.5 where it departs from AWS in ways the collection trips over.

Applied in-process before moto serves its first request (the lab daemon, the moto-only test lab).
Each fix is idempotent and names what AWS does.
"""

from __future__ import annotations

import ipaddress
import json
import random
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Set

PORTLESS_OK = {"tcp", "udp", "icmp", "6", "17", "1", "-1", "all"}


def allow_portless_protocols() -> None:
    """moto 5.2.5 rejects (HTTP 500) ingress rules for IP protocols without ports, such as 99 (HA2
    over IP), which AWS accepts. Give moto dummy ports, then drop them again."""
    from moto.ec2.models import security_groups

    original = security_groups.SecurityGroupRule.__init__
    if getattr(original, "_vmseries_patched", False):
        return

    def init(self: Any, ec2_backend: Any, ip_protocol: str, group_id: str, from_port: Any, to_port: Any, *args: Any, **kwargs: Any) -> None:
        portless = from_port is None and str(ip_protocol).lower() not in PORTLESS_OK
        original(self, ec2_backend, ip_protocol, group_id, -1 if portless else from_port, -1 if portless else to_port, *args, **kwargs)
        if portless:
            self.from_port = self.to_port = None

    init._vmseries_patched = True  # type: ignore[attr-defined]
    security_groups.SecurityGroupRule.__init__ = init  # type: ignore[method-assign]


def find_elastic_ip_tags() -> None:
    """moto 5.2.5 files an Elastic IP's tags under the resource type "vpc-elastic-ip", so
    DescribeTags filtered on the real type "elastic-ip" (as amazon.aws.ec2_eip does before tagging)
    finds nothing and every run re-tags the address. Accept both names."""
    from moto.ec2.models.tags import TagBackend

    original = TagBackend.describe_tags
    if getattr(original, "_vmseries_patched", False):
        return

    def describe_tags(self: Any, filters: Any = None) -> Any:
        if filters and "elastic-ip" in filters.get("resource-type", []):
            filters = {**filters, "resource-type": [*filters["resource-type"], "vpc-elastic-ip"]}
        return original(self, filters)

    describe_tags._vmseries_patched = True  # type: ignore[attr-defined]
    TagBackend.describe_tags = describe_tags  # type: ignore[method-assign]


def release_enis_on_terminate() -> None:
    """On AWS a terminated instance lets go of ENIs that are not deleted with it (ours, attached by
    id at launch); moto 5.2.5 keeps them attached for ever, so they can never be deleted. Detach
    them, but leave them in the instance's list, which moto needs to describe the instance."""
    from moto.ec2.models.instances import Instance

    original = Instance.terminate
    if getattr(original, "_vmseries_patched", False):
        return

    def terminate(self: Any) -> Any:
        result = original(self)
        for eni in self.nics.values():
            if eni.instance is self:
                eni.instance = None
                eni.attachment_id = None
                eni.attach_time = None
                eni.status = "available"
                eni.device_index = None
        return result

    terminate._vmseries_patched = True  # type: ignore[attr-defined]
    Instance.terminate = terminate  # type: ignore[method-assign]


def _addresses_in_use(network: ipaddress.IPv4Network) -> Set[ipaddress.IPv4Address]:
    from moto.ec2.models import ec2_backends

    # Across every VPC, which AWS does not require: the lab finds an HA peer by management IP
    # alone, so two pairs in VPCs with one CIDR must not share an address either.
    used = set()
    # dict.values() on moto's lazy backend dicts lists the backends that exist, creating none.
    for account in list(dict.values(ec2_backends)):
        for backend in list(dict.values(account)):
            for eni in list(getattr(backend, "enis", {}).values()):
                # moto lists every address of an ENI here, the primary one included, as dicts.
                used.update(ipaddress.ip_address(entry["PrivateIpAddress"]) for entry in eni.private_ip_addresses)
    return {address for address in used if address in network}


def assign_free_private_ips() -> None:
    """moto 5.2.5 gives an ENI created without an address a random one from the whole subnet: the
    five addresses AWS reserves included, and one another ENI already has (1 in 256 for two ENIs
    in a /24). AWS hands out a free, unreserved address or fails with
    InsufficientFreeAddressesInSubnet. Two management ENIs with one address make an HA pair whose
    peer is itself, which no real pair can be."""
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models import elastic_network_interfaces

    original = elastic_network_interfaces.random_private_ip
    if getattr(original, "_vmseries_patched", False):
        return

    def free_private_ip(cidr: Optional[str] = None, ipv6: bool = False) -> str:
        if ipv6 or not cidr:
            return original(cidr, ipv6)
        network = ipaddress.IPv4Network(cidr)
        # AWS reserves the network address, the next three (router, DNS, future use) and the last.
        usable = [network.network_address + offset for offset in range(4, network.num_addresses - 1)]
        used = _addresses_in_use(network)
        free = [address for address in usable if address not in used]
        if not free:
            raise EC2ClientError("InsufficientFreeAddressesInSubnet",
                                 f"There are not enough free addresses in subnet {cidr} to satisfy the requested number of instances.")
        return str(random.choice(free))  # noqa: S311 - an address, not a secret

    free_private_ip._vmseries_patched = True  # type: ignore[attr-defined]
    elastic_network_interfaces.random_private_ip = free_private_ip  # type: ignore[attr-defined]


# Seconds an ENI spends in `attaching` / `detaching`; set by the lab from its profile. Zero (moto's
# instant attachments) until then, which is what the AWS-only tests run with.
ATTACHMENT_LATENCY: Dict[str, float] = {"attach": 0.0, "detach": 0.0}


def attachment_transition(eni: Any) -> Optional[str]:
    """`attaching` or `detaching` while the ENI is in that state, else None."""
    transition = getattr(eni, "_vmseries_transition", None)
    if transition is None:
        return None
    state, until, attachment_id = transition
    if eni.attachment_id != attachment_id:
        return None  # that attachment is gone (detached, or the instance terminated)
    if state == "attaching":
        return state if time.monotonic() < until else None
    return state  # detaching until the detach completes


def timed_attachments() -> None:
    """moto 5.2.5 attaches and detaches an ENI at once. On AWS the attachment goes through
    `attaching` and `detaching` (InstanceNetworkInterfaceAttachment status: attaching | attached |
    detaching | detached), and an ENI still attached refuses another attachment with
    InvalidNetworkInterface.InUse. The ENI keeps its attachment, reported as `detaching`, until
    the detach has taken ATTACHMENT_LATENCY["detach"] seconds; a new attachment reports
    `attaching` for ATTACHMENT_LATENCY["attach"] seconds."""
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models import elastic_network_interfaces as enis

    backend_class = enis.NetworkInterfaceBackend
    original_attach = backend_class.attach_network_interface
    if getattr(original_attach, "_vmseries_patched", False):
        return
    original_detach = backend_class.detach_network_interface
    original_status_init = enis.Attachment.__init__

    def attach(self: Any, eni_id: str, instance_id: str, device_index: int) -> Any:
        eni = self.get_network_interface(eni_id)
        if eni.instance is not None:
            raise EC2ClientError("InvalidNetworkInterface.InUse", f"Interface: [{eni_id}] in use.")
        attachment = original_attach(self, eni_id, instance_id, device_index)
        delay = ATTACHMENT_LATENCY["attach"]
        if delay > 0:
            eni._vmseries_transition = ("attaching", time.monotonic() + delay, eni.attachment_id)
            attachment.status = "attaching"
        return attachment

    def detach(self: Any, attachment_id: str) -> None:
        eni = next((e for e in self.enis.values() if e.attachment_id == attachment_id), None)
        delay = ATTACHMENT_LATENCY["detach"]
        if eni is None or delay <= 0 or (eni.instance is not None and len(eni.instance.nics) == 1):
            return original_detach(self, attachment_id)  # moto's own answers: unknown id, last ENI
        if attachment_transition(eni) == "detaching":
            return None
        eni._vmseries_transition = ("detaching", time.monotonic() + delay, attachment_id)

        def finish() -> None:
            if eni.attachment_id == attachment_id:
                original_detach(self, attachment_id)
            eni._vmseries_transition = None

        timer = threading.Timer(delay, finish)
        timer.daemon = True
        timer.start()
        return None

    def status_init(self: Any, eni: Any) -> None:
        original_status_init(self, eni)
        self.status = attachment_transition(eni) or "attached"

    attach._vmseries_patched = True  # type: ignore[attr-defined]
    backend_class.attach_network_interface = attach  # type: ignore[method-assign]
    backend_class.detach_network_interface = detach  # type: ignore[method-assign]
    enis.Attachment.__init__ = status_init  # type: ignore[method-assign]


def _eip_entry(eni: Any, private_ip: str) -> Optional[Dict[str, Any]]:
    return next((e for e in eni.private_ip_addresses if e.get("PrivateIpAddress") == private_ip), None)


def _show_association(eip: Any) -> None:
    """List the EIP under the private address it is associated with, in DescribeNetworkInterfaces'
    PrivateIpAddresses, as AWS does for a secondary address."""
    private_ip = getattr(eip, "_vmseries_private_ip", None)
    if eip.eni is None or private_ip is None:
        return
    entry = _eip_entry(eip.eni, private_ip)
    if entry is not None:
        entry["Association"] = {"PublicIp": eip.public_ip, "IpOwnerId": eip.eni.owner_id,
                                "AllocationId": eip.allocation_id, "AssociationId": eip.association_id}


def _hide_association(eip: Any) -> None:
    private_ip = getattr(eip, "_vmseries_private_ip", None)
    if eip.eni is not None and private_ip is not None:
        entry = _eip_entry(eip.eni, private_ip)
        if entry is not None:
            entry.pop("Association", None)


def secondary_private_ips() -> None:
    """Secondary private IPs as AWS moves them, which the secondary-IP HA method relies on.

    moto 5.2.5 (1) ignores AllowReassignment: an address assigned to a second ENI stays on the
    first, so two ENIs hold it; AWS moves it (with AllowReassignment) or refuses with
    PrivateIpAddressInUse (without). (2) ignores AssociateAddress's PrivateIpAddress: the EIP is
    recorded on the ENI's primary address. AWS associates it with the address given, and "when you
    move a secondary private IP address to another network interface, any Elastic IP address that
    is associated with the IP address is also moved" (AWS EC2 user guide, multiple IP addresses).
    (3) answers AssignPrivateIpAddresses with every address of the ENI instead of the new ones.
    (4) matches the DescribeNetworkInterfaces filter addresses.private-ip-address on the primary
    address only; AWS matches any of the ENI's private addresses (private-ip-address is the primary)."""
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models import elastic_ip_addresses as eips
    from moto.ec2.models import elastic_network_interfaces as enis
    from moto.ec2.responses.elastic_ip_addresses import ElasticIPAddresses
    from moto.ec2.responses.elastic_network_interfaces import ElasticNetworkInterfaces

    backend_class = enis.NetworkInterfaceBackend
    original_assign = backend_class.assign_private_ip_addresses
    if getattr(original_assign, "_vmseries_patched", False):
        return

    def assign(self: Any, eni_id: str, private_ip_addresses: Any = None, secondary_ips_count: Any = None,
               allow_reassignment: bool = False) -> Any:
        eni = self.get_network_interface(eni_id)
        network = ipaddress.ip_network(eni.subnet.cidr_block)
        for address in private_ip_addresses or []:
            if ipaddress.ip_address(address) not in network:
                raise EC2ClientError("InvalidParameterValue",
                                     f"Address {address} does not fall within the subnet's address range")
            for other in list(self.enis.values()):
                entry = _eip_entry(other, address)
                if other is eni or entry is None:
                    continue
                if entry.get("Primary"):
                    raise EC2ClientError("InvalidParameterValue",
                                         f"Address {address} is the primary private IP address of {other.id} and cannot be reassigned")
                if not allow_reassignment:
                    raise EC2ClientError("PrivateIpAddressInUse",
                                         f"Address {address} is in use by {other.id}; set AllowReassignment to move it")
                other.private_ip_addresses.remove(entry)
                moved = [eip for eip in self.addresses
                         if eip.eni is other and getattr(eip, "_vmseries_private_ip", None) == address]
                original_assign(self, eni_id, [address], None)
                for eip in moved:
                    eip.eni = eni
                    _show_association(eip)
        return original_assign(self, eni_id, private_ip_addresses, secondary_ips_count)

    def assign_response(self: Any) -> Any:
        from moto.core.responses import ActionResult

        eni_id = self._get_param("NetworkInterfaceId")
        before = {e["PrivateIpAddress"] for e in self.ec2_backend.get_network_interface(eni_id).private_ip_addresses}
        eni = self.ec2_backend.assign_private_ip_addresses(
            eni_id, self._get_param("PrivateIpAddresses", []), self._get_int_param("SecondaryPrivateIpAddressCount", 0),
            allow_reassignment=str(self._get_param("AllowReassignment", False)).lower() == "true")
        added = [{"PrivateIpAddress": e["PrivateIpAddress"]} for e in eni.private_ip_addresses
                 if e["PrivateIpAddress"] not in before]
        return ActionResult({"NetworkInterfaceId": eni.id, "AssignedPrivateIpAddresses": added})

    original_associate = ElasticIPAddresses.associate_address

    def associate_response(self: Any) -> Any:
        private_ip = self._get_param("PrivateIpAddress")
        eni = None
        if "NetworkInterfaceId" in self._get_params():
            eni = self.ec2_backend.get_network_interface(self._get_param("NetworkInterfaceId"))
        previous_public_ip = eni.public_ip if eni is not None else None
        result = original_associate(self)
        eip = next(e for e in self.ec2_backend.addresses
                   if e.allocation_id == self._get_param("AllocationId") or e.public_ip == self._get_param("PublicIp"))
        if eni is not None and private_ip and private_ip != eni.private_ip_address:
            if _eip_entry(eni, private_ip) is None:
                eip.eni, eip.association_id = None, None
                eni.public_ip = previous_public_ip
                raise EC2ClientError("InvalidParameterValue",
                                     f"Address {private_ip} is not assigned to network interface {eni.id}")
            # The ENI's own public IP is its primary address's; this EIP belongs to the secondary one.
            eni.public_ip = previous_public_ip
            eip._vmseries_private_ip = private_ip
            _show_association(eip)
        else:
            eip._vmseries_private_ip = None
        return result

    original_disassociate = eips.ElasticAddressBackend.disassociate_address

    def disassociate(self: Any, address: Any = None, association_id: Any = None) -> None:
        for eip in self.addresses:
            if (address and eip.public_ip == address) or (association_id and eip.association_id == association_id):
                secondary = getattr(eip, "_vmseries_private_ip", None)
                _hide_association(eip)
                eip._vmseries_private_ip = None
                if secondary is not None and eip.eni is not None:
                    # Only the secondary address loses its EIP; the ENI's primary keeps its own.
                    eip.eni, eip.instance, eip.association_id = None, None, None
                    return
        original_disassociate(self, address, association_id)

    original_filter = enis.NetworkInterface.get_filter_value

    def filter_value(self: Any, filter_name: str, method_name: Optional[str] = None) -> Any:
        if filter_name == "addresses.private-ip-address":
            return [entry["PrivateIpAddress"] for entry in self.private_ip_addresses]
        return original_filter(self, filter_name, method_name)

    def private_ip_address(self: Any) -> Optional[str]:
        if self.eni is None:
            return None
        return getattr(self, "_vmseries_private_ip", None) or self.eni.private_ip_address

    assign._vmseries_patched = True  # type: ignore[attr-defined]
    backend_class.assign_private_ip_addresses = assign  # type: ignore[method-assign]
    ElasticNetworkInterfaces.assign_private_ip_addresses = assign_response  # type: ignore[method-assign]
    ElasticIPAddresses.associate_address = associate_response  # type: ignore[method-assign]
    eips.ElasticAddressBackend.disassociate_address = disassociate  # type: ignore[method-assign]
    eips.ElasticAddress.private_ip_address = property(private_ip_address)  # type: ignore[assignment]
    enis.NetworkInterface.get_filter_value = filter_value  # type: ignore[method-assign]


# Called with (instance id, power cycles so far) as moto stops or reboots an instance; the lab
# takes the guest down there and then (see count_power_cycles).
POWER_CYCLE_LISTENERS: List[Callable[[str, int], None]] = []


def count_power_cycles() -> None:
    """moto stops (and reboots) an instance at once: a stop and a start between two polls of the
    lab's supervisor would leave the guest running as if nothing happened, answering with its
    state from before the stop, and a client polling right after the start would still read it.
    Each stop and reboot counts on the instance and tells the listeners, so the guest goes down
    as EC2 accepts the stop (on AWS it shuts down over some seconds while the instance is
    `stopping`; the lab has no `stopping`). The supervisor also compares the count, should a
    listener have failed."""
    from moto.ec2.models.instances import Instance

    for name in ("stop", "reboot"):
        original = getattr(Instance, name)
        if getattr(original, "_vmseries_patched", False):
            continue

        def cycle(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            result = _original(self, *args, **kwargs)
            self.vmseries_power_cycles = getattr(self, "vmseries_power_cycles", 0) + 1
            for listener in list(POWER_CYCLE_LISTENERS):
                listener(self.id, self.vmseries_power_cycles)
            return result

        cycle._vmseries_patched = True  # type: ignore[attr-defined]
        setattr(Instance, name, cycle)


def evaluate_bucket_policy_conditions() -> None:
    """moto 5.2.5 checks a bucket policy on object requests but ignores every condition but
    StringEquals, so the usual TLS-only statement (Deny s3:* when aws:SecureTransport is false)
    denies every request. Statements apply only where the lab's own evaluator says their condition
    holds for the request (iam_policy.REQUEST_CONTEXT); moto then matches action, resource and
    principal as before."""
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    from .iam_policy import condition_holds

    original = FakeBucket.get_permission
    if getattr(original, "_vmseries_patched", False):
        return

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        document = json.loads(self.policy)
        statements = document.get("Statement", [])
        statements = statements if isinstance(statements, list) else [statements]
        applying = [{k: v for k, v in s.items() if k != "Condition"} for s in statements
                    if condition_holds(s.get("Condition") or {}, {})]
        if not applying:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps({**document, "Statement": applying})).is_action_permitted(action, resource)

    get_permission._vmseries_patched = True  # type: ignore[attr-defined]
    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]


def apply_all() -> None:
    allow_portless_protocols()
    timed_attachments()
    assign_free_private_ips()
    find_elastic_ip_tags()
    release_enis_on_terminate()
    secondary_private_ips()
    count_power_cycles()
    evaluate_bucket_policy_conditions()
