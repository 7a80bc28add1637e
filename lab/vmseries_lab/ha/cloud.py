"""The cloud side of a failover: what the VM-Series plugin does in AWS when its firewall becomes
active - interface move or secondary-IP move - every call made with the firewall's own instance
role, the IAM policy checked the way AWS would check it (moto does not)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List

from .. import iam_policy, imds, software

if TYPE_CHECKING:  # pragma: no cover - types only
    from ..parts import Cloud, FirewallHost

MOVE_ACTIONS = ("ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces",
                "ec2:DetachNetworkInterface", "ec2:AttachNetworkInterface")
# Dataplane ENIs start at this device index (0 is management, 1 is HA2).
DATAPLANE_INDEX = 2
# How long the plugin waits for one ENI to reach `detached` / `attached`, in AWS seconds (the
# profile's time scale applies). AWS documents no bound; amazon.aws waits up to 400 s for a detach.
ATTACHMENT_WAIT = 400.0


def _tags(resource: Dict[str, Any]) -> Dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("TagSet", resource.get("Tags", []))}


def retry(call: Callable[[], Any], attempts: int = 8, also: tuple = ()) -> Any:
    """Throttling is retried with backoff, as the AWS SDKs do; `also` names other error codes
    worth another try (an ENI still held by its old attachment)."""
    delay = 0.05
    for attempt in range(attempts):
        try:
            return call()
        except Exception as error:  # noqa: BLE001 - only the codes named are retried
            code = getattr(error, "response", {}).get("Error", {}).get("Code") if hasattr(error, "response") else None
            if code not in ("RequestLimitExceeded", "Throttling", *also) or attempt == attempts - 1:
                raise
            time.sleep(delay)
            delay *= 2
    return None


class DataplaneMove:
    """One firewall's side of taking the dataplane over from its failed peer."""

    def __init__(self, host: "FirewallHost", cloud: "Cloud") -> None:
        self.host = host
        self.cloud = cloud
        self._iam: Any = None
        self._inspect: Any = None

    def method(self) -> str:
        """Which of Palo Alto's two AWS HA methods this firewall runs. Palo Alto documents no
        setting that selects it (lab/README.md): the lab reads it from the deployment, as the two
        methods' topologies differ. A firewall with dataplane ENIs of its own is a secondary-IP
        pair member; one without waits for the peer's ENIs (interface move)."""
        backend = self.cloud.ec2_backend()
        mine = [eni for eni in list(backend.enis.values())
                if eni.instance is not None and eni.instance.id == self.host.instance_id
                and (eni.device_index or 0) >= DATAPLANE_INDEX]
        return "secondary_ip" if mine else "interface_move"

    def take_over(self, peer_instance: str, method: str) -> List[str]:
        """Move the dataplane here; what moved. Raises what stopped the move (PermissionError for
        an action the instance role may not take)."""
        self._role_credentials()
        # One pair of clients for the whole move: every IAM check of it asks them.
        self._iam, self._inspect = self.cloud.iam_client(), self.cloud.inspection_client()
        if method == "secondary_ip":
            return self._move_secondary_ips(peer_instance)
        return self._move_enis(peer_instance)

    def _role_credentials(self) -> None:
        """The plugin's first step: the instance role's credentials from the instance metadata
        service, with a session token (IMDSv2) only from plugin 3.0.0 (software.IMDSV2_PLUGIN). On
        an instance that requires tokens an older plugin is refused, and so is every EC2 call of
        the move. The words are the lab's: Palo Alto publishes none for this failure."""
        plugin = self.host.release()["VMS"]
        try:
            imds.role_credentials(self.cloud.instance_metadata(self.host.instance_id),
                                  imdsv2=software.speaks_imdsv2(plugin))
        except imds.MetadataError as error:
            hint = (" (an IMDSv1 request: the instance requires IMDSv2 session tokens, which the VM-Series plugin "
                    f"supports from {software.IMDSV2_PLUGIN})") if error.status == 401 and not software.speaks_imdsv2(plugin) else ""
            raise PermissionError(f"Unable to locate credentials: VM-Series plugin {plugin} got {error}{hint}") from None

    # ---- interface move --------------------------------------------------------------------
    def _move_enis(self, peer_instance: str) -> List[str]:
        """Interface move, what the VM-Series plugin does on promotion: for each dataplane ENI of
        the peer (device index >= 2), check the instance role may move it, detach it, wait until EC2
        says it is detached, attach it here at the same index, and wait until it is attached."""
        me = self.host.instance_id
        ec2 = self.cloud.ec2_client(me)
        described = retry(lambda: ec2.describe_network_interfaces(
            Filters=[{"Name": "attachment.instance-id", "Values": [peer_instance]}]))["NetworkInterfaces"]
        dataplane = sorted((e for e in described if e["Attachment"]["DeviceIndex"] >= DATAPLANE_INDEX),
                           key=lambda e: e["Attachment"]["DeviceIndex"])
        for eni in dataplane:
            self._check_move_permissions(eni, peer_instance)
            index = eni["Attachment"]["DeviceIndex"]
            eni_id = eni["NetworkInterfaceId"]
            retry(lambda: ec2.detach_network_interface(AttachmentId=eni["Attachment"]["AttachmentId"], Force=True))
            self._event(eni_id, index, "detaching", peer_instance)
            self._wait_attachment(ec2, eni_id, lambda a: not a, "detached")
            self._event(eni_id, index, "detached", peer_instance)
            retry(lambda: ec2.attach_network_interface(NetworkInterfaceId=eni_id, InstanceId=me, DeviceIndex=index),
                  also=("InvalidNetworkInterface.InUse",))
            self._event(eni_id, index, "attaching", peer_instance)
            self._wait_attachment(ec2, eni_id, lambda a: bool(a) and a.get("Status") == "attached"
                                  and a.get("InstanceId") == me, "attached")
            self._event(eni_id, index, "attached", peer_instance)
        return [e["NetworkInterfaceId"] for e in dataplane]

    def _check_move_permissions(self, eni: Dict[str, Any], peer_instance: str) -> None:
        region, me = self.cloud.region, self.host.instance_id
        eni_arn = iam_policy.arn(region, "network-interface", eni["NetworkInterfaceId"])
        targets = {
            "ec2:DescribeInstances": ("*", {}),
            "ec2:DescribeNetworkInterfaces": ("*", {}),
            "ec2:DetachNetworkInterface": (eni_arn, _tags(eni)),
            "ec2:AttachNetworkInterface": (eni_arn, _tags(eni)),
        }
        for action in MOVE_ACTIONS:
            self._allowed(action, *targets[action])
            if action in ("ec2:DetachNetworkInterface", "ec2:AttachNetworkInterface"):
                instance = peer_instance if action == "ec2:DetachNetworkInterface" else me
                self._allowed(action, iam_policy.arn(region, "instance", instance), self._instance_tags(instance))

    def _wait_attachment(self, ec2: Any, eni_id: str, done: Callable[[Any], bool], what: str) -> None:
        """Poll DescribeNetworkInterfaces until the ENI's attachment satisfies done()."""
        profile = self.host.profile
        deadline = time.monotonic() + ATTACHMENT_WAIT * profile.time_scale
        interval = max(0.05, min(profile.seconds("eni_detach"), profile.seconds("eni_attach")) / 5)
        while True:
            described = retry(lambda: ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id]))
            if done(described["NetworkInterfaces"][0].get("Attachment")):
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{eni_id} was not {what} within {ATTACHMENT_WAIT:.0f} s")
            time.sleep(interval)

    # ---- secondary-IP move -----------------------------------------------------------------
    def _move_secondary_ips(self, peer_instance: str) -> List[str]:
        """Secondary-IP move, as Palo Alto describes it: the new active "triggers API calls to the
        AWS infrastructure to move the configured secondary IP addresses from the dataplane
        interfaces of the failed peer to itself" (an Elastic IP on such an address moves with it,
        AWS), re-associates Elastic IPs on the peer's primary dataplane addresses, and points the
        VPC routes that targeted the peer's dataplane ENIs at its own ENI of the same device index.
        Every call under this instance's IAM role; the first one it may not make stops the move."""
        region, me = self.cloud.region, self.host.instance_id
        ec2 = self.cloud.ec2_client(me)
        self._allowed("ec2:DescribeInstances", "*", {})
        self._allowed("ec2:DescribeNetworkInterfaces", "*", {})

        def dataplane(instance: str) -> Dict[int, Dict[str, Any]]:
            described = retry(lambda: ec2.describe_network_interfaces(
                Filters=[{"Name": "attachment.instance-id", "Values": [instance]}]))["NetworkInterfaces"]
            return {e["Attachment"]["DeviceIndex"]: e for e in described if e["Attachment"]["DeviceIndex"] >= DATAPLANE_INDEX}

        mine, theirs = dataplane(me), dataplane(peer_instance)
        moved: List[str] = []
        for index, eni in sorted(mine.items()):
            peer_eni = theirs.get(index)
            if peer_eni is None:
                continue
            eni_id = eni["NetworkInterfaceId"]
            addresses = [a["PrivateIpAddress"] for a in peer_eni.get("PrivateIpAddresses", []) if not a.get("Primary")]
            if addresses:
                self._allowed("ec2:AssignPrivateIpAddresses", iam_policy.arn(region, "network-interface", eni_id), _tags(eni))
                retry(lambda: ec2.assign_private_ip_addresses(
                    NetworkInterfaceId=eni_id, PrivateIpAddresses=addresses, AllowReassignment=True))
                # AWS remaps an address asynchronously; the plugin goes on once it answers here.
                time.sleep(self.host.profile.seconds("ip_remap"))
                for address in addresses:
                    self.host.counters.event("ip_move", address=address, from_eni=peer_eni["NetworkInterfaceId"],
                                             to_eni=eni_id, device_index=index, from_instance=peer_instance, to_instance=me)
                    moved.append(address)
            public = (peer_eni.get("Association") or {})
            if public.get("AllocationId"):
                self._allowed("ec2:AssociateAddress", iam_policy.arn(region, "elastic-ip", public["AllocationId"]), {})
                retry(lambda: ec2.associate_address(AllocationId=public["AllocationId"], NetworkInterfaceId=eni_id,
                                                    AllowReassociation=True))
                self.host.counters.event("eip_move", public_ip=public.get("PublicIp", ""), to_eni=eni_id)
        moved += self._replace_routes(ec2, mine, theirs)
        return moved

    def _replace_routes(self, ec2: Any, mine: Dict[int, Dict[str, Any]], theirs: Dict[int, Dict[str, Any]]) -> List[str]:
        self._allowed("ec2:DescribeRouteTables", "*", {})
        vpc_id = next(iter(mine.values()))["VpcId"] if mine else None
        tables = retry(lambda: ec2.describe_route_tables(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]))["RouteTables"] if vpc_id else []
        by_peer_eni = {e["NetworkInterfaceId"]: index for index, e in theirs.items()}
        replaced = []
        for table in tables:
            for route in table.get("Routes", []):
                index = by_peer_eni.get(route.get("NetworkInterfaceId", ""))
                if index is None or index not in mine or not route.get("DestinationCidrBlock"):
                    continue
                self._allowed("ec2:ReplaceRoute", iam_policy.arn(self.cloud.region, "route-table", table["RouteTableId"]),
                              _tags(table))
                target = mine[index]["NetworkInterfaceId"]
                retry(lambda: ec2.replace_route(RouteTableId=table["RouteTableId"],
                                                DestinationCidrBlock=route["DestinationCidrBlock"], NetworkInterfaceId=target))
                self.host.counters.event("route_replace", route_table=table["RouteTableId"],
                                         destination=route["DestinationCidrBlock"], to_eni=target)
                replaced.append(f"{table['RouteTableId']}:{route['DestinationCidrBlock']}")
        return replaced

    # ---- IAM and bookkeeping ---------------------------------------------------------------
    def _allowed(self, action: str, resource: str, tags: Dict[str, str]) -> None:
        decision = iam_policy.check(self._inspect, self._iam, self.cloud.region, self.host.instance_id, action,
                                    resource, tags)
        if not decision.allowed:
            raise PermissionError(decision.reason)

    def _event(self, eni_id: str, index: int, phase: str, peer_instance: str) -> None:
        self.host.counters.event("eni_move", eni_id=eni_id, device_index=index, phase=phase,
                                 from_instance=peer_instance, to_instance=self.host.instance_id)

    def _instance_tags(self, instance_id: str) -> Dict[str, str]:
        backend = self.cloud.ec2_backend()
        return {t["key"]: t["value"] for t in backend.describe_tags(filters={"resource-id": [instance_id]})}
