"""interface_map: the map from EC2 (with swap), the table, and the MAC check against the firewall."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from conftest import ModuleExit

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.vmseries.aws_ha.plugins.modules import interface_map

SUBNETS = {"subnet-m": "10.100.0.0/24", "subnet-h": "10.100.1.0/24", "subnet-u": "10.100.2.0/24"}


def eni(index, subnet, ip, mac, public=None):
    data = {"NetworkInterfaceId": f"eni-{index}", "SubnetId": subnet, "PrivateIpAddress": ip, "MacAddress": mac,
            "Attachment": {"DeviceIndex": index}, "SourceDestCheck": index == 0, "Description": f"d{index}",
            "TagSet": [{"Key": "vmseries:interface", "Value": ["mgmt", "ha2", "untrust"][index]}]}
    if public:
        data["Association"] = {"PublicIp": public}
    return data


ENIS = [eni(2, "subnet-u", "10.100.2.10", "0e:00:00:00:00:02", "198.51.100.7"),
        eni(0, "subnet-m", "10.100.0.10", "0e:00:00:00:00:00", "198.51.100.5"),
        eni(1, "subnet-h", "10.100.1.10", "0E:00:00:00:00:01")]


class FakeEc2:
    def describe_network_interfaces(self, **kwargs):
        assert kwargs["Filters"] == [{"Name": "attachment.instance-id", "Values": ["i-0abc"]}]
        return {"NetworkInterfaces": ENIS}

    def describe_subnets(self, **kwargs):
        return {"Subnets": [{"SubnetId": s, "CidrBlock": SUBNETS[s]} for s in kwargs["SubnetIds"]]}


@pytest.fixture(autouse=True)
def ec2(monkeypatch):
    monkeypatch.setattr(AnsibleAWSModule, "client", lambda self, *args, **kwargs: FakeEc2())


def show_interface_all(macs, addresses=None):
    def handler(_cmd):
        root = ET.fromstring('<response status="success"><result><ifnet/><hw/></result></response>')
        hw, ifnet = root.find("result/hw"), root.find("result/ifnet")
        for name, mac in macs.items():
            entry = ET.SubElement(hw, "entry")
            ET.SubElement(entry, "name").text = name
            ET.SubElement(entry, "mac").text = mac
            entry = ET.SubElement(ifnet, "entry")
            ET.SubElement(entry, "name").text = name
            ET.SubElement(entry, "ip").text = (addresses or {}).get(name, "N/A")
        return root
    return handler


BASE = {"instance_id": "i-0abc", "region": "eu-west-1", "access_key": "testing", "secret_key": "testing"}


def test_map_sorted_by_device_index_with_subnet_facts(run_module):
    result = run_module(interface_map, BASE)
    assert result["changed"] is False and result["verified"] is False
    assert [r["panos_name"] for r in result["interfaces"]] == ["management", "ethernet1/1", "ethernet1/2"]
    untrust = result["by_name"]["ethernet1/2"]
    assert (untrust["eni_id"], untrust["private_ip"], untrust["prefix_length"], untrust["gateway"],
            untrust["public_ip"], untrust["source_dest_check"]) == ("eni-2", "10.100.2.10", 24, "10.100.2.1",
                                                                    "198.51.100.7", False)
    assert result["by_name"]["ethernet1/1"]["mac"] == "0e:00:00:00:00:01"
    assert result["by_name"]["ethernet1/1"]["tags"] == {"vmseries:interface": "ha2"}
    header, *lines = result["table"]
    assert header.startswith("device") and "PAN-OS name" in header and len(lines) == 3
    assert len({line.index("eni-") for line in lines}) == 1  # aligned columns


def test_swap(run_module):
    result = run_module(interface_map, dict(BASE, mgmt_interface_swap=True))
    assert result["by_name"]["ethernet1/1"]["device_index"] == 0
    assert result["by_name"]["management"]["device_index"] == 1


def test_verified_against_the_firewall(fake_xapi, run_module, provider):
    fake_xapi.op_handlers["show interface"] = show_interface_all(
        {"ethernet1/1": "0e:00:00:00:00:01", "ethernet1/2": "0E:00:00:00:00:02"})
    result = run_module(interface_map, dict(BASE, provider=provider))
    assert result["verified"] is True and result["changed"] is False
    assert ("op", "<show><interface>all</interface></show>", None) in fake_xapi.calls


def test_rows_carry_the_address_the_firewall_has(fake_xapi, run_module, provider):
    fake_xapi.op_handlers["show interface"] = show_interface_all(
        {"ethernet1/1": "0e:00:00:00:00:01", "ethernet1/2": "0e:00:00:00:00:02"}, {"ethernet1/2": "10.100.2.10/24"})
    result = run_module(interface_map, dict(BASE, provider=provider))
    assert [r["firewall_ip"] for r in result["interfaces"]] == [None, None, "10.100.2.10/24"]
    assert result["table"][0].endswith("firewall IP") and result["table"][3].endswith("10.100.2.10/24")


def test_mismatch_lists_expected_and_found(fake_xapi, run_module, provider):
    # The firewall booted with swap on: its ethernet1/1 is the mgmt ENI, and ethernet1/2 is missing.
    fake_xapi.op_handlers["show interface"] = show_interface_all({"ethernet1/1": "0e:00:00:00:00:00"})
    with pytest.raises(ModuleExit) as failure:
        run_module(interface_map, dict(BASE, provider=provider))
    message = failure.value.result["msg"]
    assert "ethernet1/1: expected MAC 0e:00:00:00:00:01 of ENI eni-1 (device index 1), the firewall has 0e:00:00:00:00:00" in message
    assert "ethernet1/2: expected ENI eni-2" in message and "the firewall has no ethernet1/2" in message
    assert "mgmt-interface-swap" in message and "restart the instance" in message
    assert failure.value.result["interfaces"]  # the map is still returned for debugging
