#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: interface_map
short_description: Map a VM-Series instance's ENIs to PAN-OS interface names, checked against the firewall
version_added: 0.1.0
description:
  - Lists every ENI attached to an EC2 instance with its device index, ENI id, subnet, private IP,
    prefix length, netmask, the subnet's VPC router, MAC, Elastic IP and source/dest check, and the
    PAN-OS interface that ENI is on the firewall - C(management) for device index 0 and
    C(ethernet1/N) for device index N, or with O(mgmt_interface_swap) C(ethernet1/1) for index 0
    and C(management) for index 1.
  - With O(provider), reads C(show interface all) from the firewall and fails when the MAC address
    of any C(ethernet1/N) differs from the ENI expected there, listing expected and found per
    interface, and adds to each row the address the firewall has on that interface.
  - Read-only; runs the same in check mode. The table in RV(table) is meant for humans (C(-v)).
author:
  - vmseries.aws_ha maintainers (@vmseries)
options:
  instance_id:
    description: The EC2 instance of the firewall.
    type: str
    required: true
  mgmt_interface_swap:
    description: The firewall runs with mgmt-interface-swap enabled.
    type: bool
    default: false
  provider:
    description:
      - Connection to the firewall, keys as in paloaltonetworks.panos; when given, the map is
        checked against the firewall's own interfaces.
    type: dict
    suboptions:
      ip_address:
        description: Address of the firewall's XML API.
        type: str
        required: true
      username:
        description: Administrator.
        type: str
        default: admin
      password:
        description: Its password.
        type: str
      api_key:
        description: API key, used instead of the password.
        type: str
      port:
        description: HTTPS port.
        type: int
        default: 443
      serial_number:
        description: Not used (no Panorama).
        type: str
  api_wait_timeout:
    description: Seconds to wait for a booting firewall's API.
    type: int
    default: 600
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Part of the C(vmseries.aws_ha.aws) action group for the AWS connection.
requirements:
  - pan-os-python (with O(provider))
"""

EXAMPLES = r"""
- name: Show which ENI is which ethernet1/N on the primary, checked against the firewall
  vmseries.aws_ha.interface_map:
    instance_id: i-0123456789abcdef0
    region: eu-west-1
    provider:
      ip_address: 203.0.113.10
      username: admin
      password: "{{ vault_admin_password }}"
  register: map

- name: The untrust interface's private IP
  ansible.builtin.debug:
    msg: "{{ map.by_name['ethernet1/2'].private_ip }}"
"""

RETURN = r"""
interfaces:
  description:
    - The instance's ENIs, sorted by device index.
    - With O(provider), each row also has C(firewall_ip), the address the firewall itself reports on
      that interface (CIDR, configured statically or learned by DHCP), null when it has none (and for
      the management interface, which C(show interface all) does not list); it should be the ENI's
      private IP once the interface stage has run.
    - C(secondary_ips) lists the ENI's secondary private addresses (the floating addresses of
      secondary-IP HA sit on the active firewall's untrust and trust ENIs).
  returned: always
  type: list
  elements: dict
  sample:
    - {device_index: 2, panos_name: ethernet1/2, eni_id: eni-0a1b, subnet_id: subnet-1, private_ip: 10.100.2.10,
       secondary_ips: [], prefix_length: 24, netmask: 255.255.255.0, gateway: 10.100.2.1, mac: "0e:12:34:56:78:9a",
       public_ip: 198.51.100.7, source_dest_check: false, description: "", tags: {}, firewall_ip: 10.100.2.10/24}
by_name:
  description: The same rows keyed by PAN-OS interface name.
  returned: always
  type: dict
table:
  description: The map as aligned text lines (with a C(firewall IP) column with O(provider)).
  returned: always
  type: list
  elements: str
verified:
  description: Whether the map was checked against the firewall (and matched).
  returned: always
  type: bool
api_wait:
  description: How long the module waited for the firewall's API to come up (seconds, failed attempts, and how many of
    those were credentials refused while it booted).
  returned: with O(provider)
  type: dict
  sample: {seconds: 0.0, attempts: 0, refused_credentials: 0}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.vmseries.aws_ha.plugins.module_utils import eni_map
from ansible_collections.vmseries.aws_ha.plugins.module_utils.panos import PanosConnection, provider_spec

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec={
            "instance_id": {"type": "str", "required": True},
            "mgmt_interface_swap": {"type": "bool", "default": False},
            "provider": {"type": "dict", "options": provider_spec()},
            "api_wait_timeout": {"type": "int", "default": 600},
        },
        supports_check_mode=True,
    )
    instance_id = module.params["instance_id"]
    ec2 = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    try:
        enis = ec2.describe_network_interfaces(
            aws_retry=True, Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}])["NetworkInterfaces"]
        subnet_ids = sorted({e["SubnetId"] for e in enis})
        subnets = {s["SubnetId"]: s["CidrBlock"] for s in
                   ec2.describe_subnets(aws_retry=True, SubnetIds=subnet_ids)["Subnets"]} if subnet_ids else {}
    except botocore.exceptions.ClientError as error:  # pylint: disable=used-before-assignment
        module.fail_json_aws(error, msg=f"Could not describe the ENIs of {instance_id}")
    if not enis:
        module.fail_json(msg=f"Instance {instance_id} has no attached ENIs (or does not exist in this region).")
    rows = sorted((eni_map.row(e, subnets[e["SubnetId"]], module.params["mgmt_interface_swap"]) for e in enis),
                  key=lambda r: r["device_index"])
    connection = PanosConnection(module, module.params["provider"]) if module.params["provider"] else None
    shown = connection.op("<show><interface>all</interface></show>") if connection else None
    if shown is not None:
        addresses = eni_map.firewall_addresses(shown)
        for entry in rows:
            entry["firewall_ip"] = addresses.get(entry["panos_name"])
    result = {"changed": False, "interfaces": rows, "by_name": {r["panos_name"]: r for r in rows},
              "table": eni_map.table(rows), "verified": False}
    if connection is not None:
        problems = eni_map.mismatches(rows, eni_map.firewall_macs(shown))
        if problems:
            module.fail_json(
                msg=(f"The firewall of {instance_id} ({connection.address}) disagrees with AWS about its interfaces: "
                     f"{'; '.join(problems)}. Usual causes: mgmt-interface-swap set differently on the firewall than "
                     "mgmt_interface_swap here (the ENIs of device index 0 and 1 trade places); ENIs attached after "
                     "the firewall booted (PAN-OS only sees the ENIs present at boot: restart the instance); or an "
                     "HA failover moving the dataplane ENIs right now (re-run once the pair has settled)."),
                api_wait=connection.api_wait, **result)
        result["verified"] = True
        result["api_wait"] = connection.api_wait
    module.exit_json(**result)


if __name__ == "__main__":
    main()
