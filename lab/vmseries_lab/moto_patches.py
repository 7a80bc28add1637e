"""Fixes for moto 5.2.5 where it departs from AWS in ways the collection trips over.

Applied in-process before moto serves its first request (the lab daemon, the moto-only test lab).
Each fix is idempotent and names what AWS does.
"""

from __future__ import annotations

import ipaddress
import random
import threading
import time
from typing import Any, Dict, Optional, Set

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


def apply_all() -> None:
    allow_portless_protocols()
    timed_attachments()
    assign_free_private_ips()
    find_elastic_ip_tags()
    release_enis_on_terminate()
