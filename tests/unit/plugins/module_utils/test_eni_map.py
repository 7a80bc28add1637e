from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.vmseries.aws_ha.plugins.module_utils import eni_map


def eni(index, mac, ip="10.100.2.10", public=None):
    data = {"NetworkInterfaceId": f"eni-{index}", "SubnetId": "subnet-1", "PrivateIpAddress": ip,
            "MacAddress": mac.upper(), "Attachment": {"DeviceIndex": index}, "SourceDestCheck": index == 0, "TagSet": []}
    if public:
        data["Association"] = {"PublicIp": public}
    return data


@pytest.mark.parametrize("index, swap, name", [
    (0, False, "management"), (1, False, "ethernet1/1"), (2, False, "ethernet1/2"), (3, False, "ethernet1/3"),
    (0, True, "ethernet1/1"), (1, True, "management"), (2, True, "ethernet1/2"),
])
def test_panos_name(index, swap, name):
    assert eni_map.panos_name(index, swap) == name


def test_row_has_prefix_netmask_gateway_and_lowercase_mac():
    row = eni_map.row(eni(2, "0E:AA:BB:CC:DD:02", public="198.51.100.7"), "10.100.2.0/24")
    assert (row["panos_name"], row["prefix_length"], row["netmask"], row["gateway"]) == ("ethernet1/2", 24, "255.255.255.0", "10.100.2.1")
    assert row["mac"] == "0e:aa:bb:cc:dd:02" and row["public_ip"] == "198.51.100.7"


def show_interface_all(macs):
    hw = "".join(f"<entry><name>{n}</name><mac>{m}</mac></entry>" for n, m in macs.items())
    return ET.fromstring(f"<response status='success'><result><ifnet/><hw>{hw}</hw></result></response>")


ROWS = [eni_map.row(eni(i, f"0e:00:00:00:00:0{i}"), "10.100.2.0/24") for i in range(4)]


def test_matching_firewall_has_no_mismatch():
    macs = eni_map.firewall_macs(show_interface_all({f"ethernet1/{i}": f"0E:00:00:00:00:0{i}" for i in (1, 2, 3)}))
    assert eni_map.mismatches(ROWS, macs) == []


def test_swapped_interfaces_are_named_both_ways():
    macs = {"ethernet1/1": "0e:00:00:00:00:01", "ethernet1/2": "0e:00:00:00:00:03", "ethernet1/3": "0e:00:00:00:00:02"}
    problems = eni_map.mismatches(ROWS, macs)
    assert problems[0] == ("ethernet1/2: expected MAC 0e:00:00:00:00:02 of ENI eni-2 (device index 2), the firewall has "
                           "0e:00:00:00:00:03; that ENI's MAC is on its ethernet1/3")
    assert len(problems) == 2


def test_missing_interface():
    problems = eni_map.mismatches(ROWS, {"ethernet1/1": "0e:00:00:00:00:01", "ethernet1/2": "0e:00:00:00:00:02"})
    assert problems == ["ethernet1/3: expected ENI eni-3 (device index 3, MAC 0e:00:00:00:00:03), but the firewall has no ethernet1/3"]


def test_table_is_aligned():
    lines = eni_map.table(ROWS)
    assert lines[0].startswith("device  PAN-OS name") and len(lines) == 5
    assert lines[1].split()[:2] == ["0", "management"]


def test_firewall_addresses_static_dhcp_and_none():
    shown = ET.fromstring(
        "<response status='success'><result><ifnet>"
        "<entry><name>ethernet1/1</name><ip>N/A</ip></entry>"
        "<entry><name>ethernet1/2</name><ip>10.100.2.10/24</ip></entry>"
        "<entry><name>ethernet1/3</name><ip></ip></entry>"
        "<entry><name>tunnel</name><ip>N/A</ip></entry>"
        "</ifnet><hw/></result></response>")
    assert eni_map.firewall_addresses(shown) == {"ethernet1/1": None, "ethernet1/2": "10.100.2.10/24", "ethernet1/3": None}


def test_table_shows_firewall_addresses_once_read():
    rows = [dict(r, firewall_ip=None) for r in ROWS]
    rows[2]["firewall_ip"] = "10.100.2.10/24"
    lines = eni_map.table(rows)
    assert lines[0].endswith("firewall IP") and lines[3].endswith("10.100.2.10/24") and lines[1].endswith("-")
    assert "firewall IP" not in eni_map.table(ROWS)[0]
