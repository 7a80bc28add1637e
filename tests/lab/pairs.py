"""Build a VM-Series HA pair in the lab with the real clients only: boto3 for AWS, netmiko for the
first-boot password, pan-os-python for the configuration."""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from netmiko import ConnectHandler
from panos.firewall import Firewall
from panos.ha import HA1, HA2, HighAvailability
from panos.network import EthernetInterface

from ansible_collections.vmseries.aws_ha.plugins.module_utils import ha_state

PASSWORD = "Lab-Secret-1"
FOUR_ACTIONS = ["ec2:AttachNetworkInterface", "ec2:DetachNetworkInterface",
                "ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces"]
SECONDARY_IP_ACTIONS = FOUR_ACTIONS + ["ec2:AssignPrivateIpAddresses", "ec2:AssociateAddress",
                                       "ec2:DescribeRouteTables", "ec2:ReplaceRoute"]


@dataclass
class Pair:
    name: str
    primary: str
    secondary: str
    enis: Dict[str, str]  # role -> eni id
    ips: Dict[str, str]  # role -> private ip
    key_file: Path
    method: str = "interface_move"
    route_table: str = ""


BYOL_PRODUCT_CODE = "6njl1pau431dv1qxipg63mvah"
PAYG_PRODUCT_CODE = "hd44w1chf26uv4p52cdynb2o"


def _vmseries_ami(ec2: Any, payg: bool = False, version_line: str = "11.1") -> str:
    images = ec2.describe_images(Owners=["679593333241"], Filters=[
        {"Name": "name", "Values": [f"PA-VM-AWS-{version_line}.*"]},
        {"Name": "product-code", "Values": [PAYG_PRODUCT_CODE if payg else BYOL_PRODUCT_CODE]}])["Images"]
    return images[0]["ImageId"]


def make_profile(iam: Any, name: str, actions: List[str]) -> str:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    policy = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(document))["Policy"]["Arn"]
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    iam.attach_role_policy(RoleName=name, PolicyArn=policy)
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    return name


def launch_pair(lab: Any, actions: List[str] = FOUR_ACTIONS, method: str = "interface_move", payg: bool = False,
                version_line: str = "11.1", http_tokens: str = "required",
                user_data: Optional[Callable[[str, str, Dict[str, str]], Optional[str]]] = None) -> Pair:
    """Interface move: primary with mgmt/ha2/untrust/trust at device 0-3, secondary with mgmt/ha2.
    Secondary-IP move: each firewall with its own four, the floating secondary IPs on the
    primary's untrust and trust ENIs, the Elastic IP on the floating untrust address, and a route
    table whose default route points at the primary's trust ENI. Same AZ, instance profile at launch,
    `http_tokens` as the instances stage launches (IMDSv2 required) unless told otherwise.
    `user_data(pair name, node, private IPs by role)` gives each firewall's user data, if any."""
    ec2, iam = lab.client("ec2"), lab.client("iam")
    name = "t" + uuid.uuid4().hex[:8]
    octet = int(name[1:3], 16)
    vpc = ec2.create_vpc(CidrBlock=f"10.{octet}.0.0/16")["Vpc"]["VpcId"]
    subnets = {role: ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{octet}.{i}.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
               for i, role in enumerate(["mgmt", "ha2", "untrust", "trust"])}
    key = ec2.create_key_pair(KeyName=name)
    key_file = Path(lab.state_dir) / f"{name}.pem"
    key_file.write_text(key["KeyMaterial"])
    key_file.chmod(0o600)
    profile = make_profile(iam, name, actions)
    enis, ips = {}, {}
    if method == "secondary_ip":
        layout = [(f"{node}-{interface}", interface) for node in ("primary", "secondary")
                  for interface in ("mgmt", "ha2", "untrust", "trust")]
    else:
        layout = [("primary-mgmt", "mgmt"), ("primary-ha2", "ha2"), ("secondary-mgmt", "mgmt"),
                  ("secondary-ha2", "ha2"), ("untrust", "untrust"), ("trust", "trust")]
    for role, subnet in layout:
        tags = [{"Key": "vmseries:pair", "Value": name}, {"Key": "vmseries:interface", "Value": subnet}]
        if "-" in role:
            tags.append({"Key": "vmseries:node", "Value": role.split("-")[0]})
        eni = ec2.create_network_interface(SubnetId=subnets[subnet], TagSpecifications=[{
            "ResourceType": "network-interface", "Tags": tags}])["NetworkInterface"]
        enis[role], ips[role] = eni["NetworkInterfaceId"], eni["PrivateIpAddress"]
    allocation = ec2.allocate_address(Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [
        {"Key": "vmseries:pair", "Value": name}, {"Key": "vmseries:interface", "Value": "untrust"}]}])
    ips["untrust-public"] = allocation["PublicIp"]
    # The protected subnets' default route, through the active's trust side.
    route_table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    if method == "secondary_ip":
        for interface in ("untrust", "trust"):
            assigned = ec2.assign_private_ip_addresses(NetworkInterfaceId=enis[f"primary-{interface}"],
                                                       SecondaryPrivateIpAddressCount=1)
            ips[f"{interface}-floating"] = assigned["AssignedPrivateIpAddresses"][0]["PrivateIpAddress"]
        # The Elastic IP sits on the floating address and moves with it.
        ec2.associate_address(AllocationId=allocation["AllocationId"], NetworkInterfaceId=enis["primary-untrust"],
                              PrivateIpAddress=ips["untrust-floating"])
        ec2.create_route(RouteTableId=route_table, DestinationCidrBlock="0.0.0.0/0", NetworkInterfaceId=enis["primary-trust"])
        attached = {"primary": [f"primary-{i}" for i in ("mgmt", "ha2", "untrust", "trust")],
                    "secondary": [f"secondary-{i}" for i in ("mgmt", "ha2", "untrust", "trust")]}
    else:
        # The untrust ENI's Elastic IP travels with the ENI on failover.
        ec2.associate_address(AllocationId=allocation["AllocationId"], NetworkInterfaceId=enis["untrust"])
        ec2.create_route(RouteTableId=route_table, DestinationCidrBlock="0.0.0.0/0", NetworkInterfaceId=enis["trust"])
        attached = {"primary": ["primary-mgmt", "primary-ha2", "untrust", "trust"],
                    "secondary": ["secondary-mgmt", "secondary-ha2"]}
    ami = _vmseries_ami(ec2, payg, version_line)
    instances = {}
    for node, roles in attached.items():
        text = user_data(name, node, ips) if user_data is not None else None
        instances[node] = ec2.run_instances(
            ImageId=ami, MinCount=1, MaxCount=1, InstanceType="m5.xlarge", KeyName=name,
            IamInstanceProfile={"Name": profile}, **({"UserData": text} if text else {}),
            MetadataOptions={"HttpEndpoint": "enabled", "HttpTokens": http_tokens},
            NetworkInterfaces=[{"NetworkInterfaceId": enis[r], "DeviceIndex": i} for i, r in enumerate(roles)],
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "vmseries:pair", "Value": name},
                                                                    {"Key": "vmseries:node", "Value": node}]}],
        )["Instances"][0]["InstanceId"]
    return Pair(name, instances["primary"], instances["secondary"], enis, ips, key_file, method, route_table)


def set_password(fw: Dict[str, Any], key_file: Path, password: str = PASSWORD, committed: bool = True) -> str:
    """What an operator does on a fresh VM-Series on AWS: SSH in with the key pair, set the
    admin password, commit. Each step waits for the CLI's own prompt (netmiko's config_mode()
    and commit() wait for the channel to go quiet instead, seconds each)."""
    connection = ConnectHandler(device_type="paloalto_panos", host=fw["ssh_host"], port=fw["ssh_port"],
                                username="admin", use_keys=True, key_file=str(key_file), allow_agent=False,
                                fast_cli=True)
    try:
        output = ""
        for command, prompt in (("configure", r"#"), ("set mgt-config users admin password", r"Enter password"),
                                (password, r"Confirm password"), (password, r"#"),
                                ("commit", r"100%|no changes"), ("exit", r">")):
            output += connection.send_command(command, expect_string=prompt, strip_prompt=False, cmd_verify=False,
                                              read_timeout=60)
    finally:
        connection.disconnect()
    if committed:
        assert "Configuration committed successfully" in output or "no changes" in output, output
    return output


def connect(fw: Dict[str, Any], password: str = PASSWORD) -> Firewall:
    return Firewall(fw["api_host"], "admin", password, port=fw["api_port"])


def configure_ha(device: Firewall, group_id: int, peer_ip: str, priority: int, ha2_ip: str,
                 preemptive: bool = False) -> None:
    """HA through pan-os-python's objects, and the election options it does not model through the
    XML API at their xpath, as our high_availability module does."""
    device.add(EthernetInterface("ethernet1/1", mode="ha")).create()
    ha = HighAvailability(enabled=True, group_id=group_id, peer_ip=peer_ip, mode="active-passive",
                          config_sync=True, state_sync=True, ha2_keepalive=False)
    device.add(ha)
    ha.add(HA1(port="management"))
    ha.add(HA2(ip_address=ha2_ip, netmask="255.255.255.0", port="ethernet1/1"))
    ha.create()
    device.xapi.set(
        xpath="/config/devices/entry[@name='localhost.localdomain']/deviceconfig/high-availability/group/election-option",
        element=f"<device-priority>{priority}</device-priority><preemptive>{'yes' if preemptive else 'no'}</preemptive>"
                "<timers><recommended/></timers>")


class Watcher:
    """Both firewalls' HA states through the XML API, sampled until stopped."""

    def __init__(self, devices):
        self.devices = devices
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _state(self, device):
        try:
            return ha_state.parse_ha_all(device.op(ha_state.SHOW_HA_ALL, cmd_xml=False))["local"]["state"]
        except Exception:  # noqa: BLE001 - restarting: no answer
            return "down"

    def _run(self):
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), {node: self._state(d) for node, d in self.devices.items()}))
            self._stop.wait(0.1)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
