"""bootstrap.xml and init-cfg.txt from the pair's configuration, and that configuration from the
pair's ENIs before launch."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.vmseries.aws_ha.plugins.module_utils import bootstrap_package, pair_config

SUBNETS = {"subnet-mgmt": "10.100.0.0/24", "subnet-ha2": "10.100.1.0/24", "subnet-untrust": "10.100.2.0/24",
           "subnet-trust": "10.100.3.0/24"}
PHASH = "$5$0123456789abcdef$i7zHaTeYqXlesRXJ8dXj6o.MEFQdzfIJpJpcWAtszs6"
SETTINGS = {"ha_method": "interface_move", "dataplane_addressing": "static", "zones": {"untrust": "outside", "trust": "inside"},
            "virtual_router": "vr1", "static_routes": [{"name": "to-onprem", "destination": "10.50.0.0/16",
                                                         "nexthop": "10.100.3.1", "interface": "ethernet1/3"}],
            "ha_group_id": 7, "ha_priorities": {"primary": 100, "secondary": 110}, "ha_preemptive": True,
            "ha2_transport": "udp", "ha_timers": "recommended"}


def eni(eni_id: str, subnet: str, ip: str) -> dict:
    return {"id": eni_id, "subnet_id": subnet, "private_ip_address": ip}


def enis(method: str) -> dict:
    found = {"primary-mgmt": eni("eni-pm", "subnet-mgmt", "10.100.0.10"), "secondary-mgmt": eni("eni-sm", "subnet-mgmt", "10.100.0.11"),
             "primary-ha2": eni("eni-ph", "subnet-ha2", "10.100.1.10"), "secondary-ha2": eni("eni-sh", "subnet-ha2", "10.100.1.11")}
    if method == "interface_move":
        found.update(untrust=eni("eni-u", "subnet-untrust", "10.100.2.10"), trust=eni("eni-t", "subnet-trust", "10.100.3.10"))
    else:
        for node, last in (("primary", 20), ("secondary", 21)):
            found[f"{node}-untrust"] = eni(f"eni-{node}-u", "subnet-untrust", f"10.100.2.{last}")
            found[f"{node}-trust"] = eni(f"eni-{node}-t", "subnet-trust", f"10.100.3.{last}")
    return found


def config(method: str = "interface_move", **overrides) -> dict:
    nodes = bootstrap_package.planned_nodes(enis(method), SUBNETS, method)
    return pair_config.desired(nodes, "primary", {**SETTINGS, "ha_method": method, **overrides})


def render(cfg: dict, node: str, version: str = "11.1.4-h7") -> ET.Element:
    return ET.fromstring(bootstrap_package.bootstrap_xml(cfg, node, version, f"pair1-{node}", "admin", PHASH))


DEVICE = "devices/entry[@name='localhost.localdomain']"


def test_planned_nodes_put_each_eni_at_its_device_index():
    nodes = bootstrap_package.planned_nodes(enis("interface_move"), SUBNETS, "interface_move")
    assert nodes["primary"]["mgmt_private_ip"] == "10.100.0.10"
    assert nodes["primary"]["interfaces"]["ethernet1/2"] == {
        "eni_id": "eni-u", "private_ip": "10.100.2.10", "prefix_length": 24, "netmask": "255.255.255.0", "gateway": "10.100.2.1"}
    assert set(nodes["secondary"]["interfaces"]) == {"ethernet1/1"}
    own = bootstrap_package.planned_nodes(enis("secondary_ip"), SUBNETS, "secondary_ip")
    assert own["secondary"]["interfaces"]["ethernet1/3"]["eni_id"] == "eni-secondary-t"


def test_a_missing_eni_or_subnet_says_what_to_run():
    partial = {k: v for k, v in enis("interface_move").items() if k != "trust"}
    with pytest.raises(bootstrap_package.PackageError, match="ENI trust of the pair was not found.*network stage"):
        bootstrap_package.planned_nodes(partial, SUBNETS, "interface_move")
    with pytest.raises(bootstrap_package.PackageError, match="subnet subnet-ha2 of ENI primary-ha2"):
        bootstrap_package.planned_nodes(enis("interface_move"), {k: v for k, v in SUBNETS.items() if k != "subnet-ha2"},
                                        "interface_move")


def test_the_pair_config_is_what_the_roles_gave_the_modules():
    cfg = config()
    assert cfg["interfaces"][0] == {"name": "ethernet1/2", "mode": "layer3", "ip": ["10.100.2.10/24"], "enable_dhcp": False,
                                    "create_default_route": False, "comment": "untrust (eni-u)"}
    assert cfg["zones"] == [{"name": "outside", "mode": "layer3", "interfaces": ["ethernet1/2"]},
                            {"name": "inside", "mode": "layer3", "interfaces": ["ethernet1/3"]}]
    assert [r["name"] for r in cfg["virtual_router"]["static_routes"]] == ["default", "to-onprem"]
    assert cfg["virtual_router"]["static_routes"][1]["metric"] == 10
    assert cfg["high_availability"]["secondary"]["peer_ip"] == "10.100.0.10"
    assert cfg["high_availability"]["primary"]["ha2_ip_address"] == "10.100.1.10"
    dhcp = config("secondary_ip", dataplane_addressing="dhcp")
    assert dhcp["interfaces"][0]["ip"] is None and dhcp["interfaces"][0]["create_default_route"]
    assert dhcp["interfaces"][0]["comment"] == "untrust" and dhcp["virtual_router"]["static_routes"][0]["name"] == "to-onprem"


def test_bootstrap_xml_holds_the_objects_the_modules_build_on_both_firewalls():
    cfg = config()
    primary, secondary = render(cfg, "primary"), render(cfg, "secondary")
    assert primary.get("version") == "11.1.0"
    for root in (primary, secondary):
        assert root.findtext("mgt-config/users/entry[@name='admin']/phash") == PHASH
        assert root.find(f"{DEVICE}/network/interface/ethernet/entry[@name='ethernet1/1']/ha") is not None
        assert root.find(f"{DEVICE}/network/interface/ethernet/entry[@name='ethernet1/2']/layer3/ip/entry[@name='10.100.2.10/24']") is not None
        assert root.findtext(f"{DEVICE}/network/virtual-router/entry[@name='vr1']/routing-table/ip/static-route/entry[@name='default']/nexthop/ip-address") == "10.100.2.1"
        assert [m.text for m in root.findall(f"{DEVICE}/vsys/entry[@name='vsys1']/import/network/interface/member")] == ["ethernet1/2", "ethernet1/3"]
        assert root.find(f"{DEVICE}/vsys/entry[@name='vsys1']/zone/entry[@name='inside']/network/layer3/member").text == "ethernet1/3"
        assert root.findtext(f"{DEVICE}/deviceconfig/system/type/dhcp-client/send-hostname") == "yes"
    ha = f"{DEVICE}/deviceconfig/high-availability"
    assert primary.findtext(f"{DEVICE}/deviceconfig/system/hostname") == "pair1-primary"
    assert primary.findtext(f"{ha}/group/peer-ip") == "10.100.0.11"
    assert secondary.findtext(f"{ha}/group/peer-ip") == "10.100.0.10"
    assert secondary.findtext(f"{ha}/group/election-option/device-priority") == "110"
    assert primary.findtext(f"{ha}/group/election-option/preemptive") == "yes"
    assert primary.findtext(f"{ha}/group/state-synchronization/transport") == "udp"
    assert primary.findtext(f"{ha}/interface/ha2/ip-address") == "10.100.1.10"
    # What config sync carries is the same on both: the pair forms synchronized.
    for path in (f"{DEVICE}/network", f"{DEVICE}/vsys"):
        assert ET.tostring(primary.find(path)) == ET.tostring(secondary.find(path))


def test_the_same_inputs_render_the_same_file():
    cfg = config()
    assert bootstrap_package.bootstrap_xml(cfg, "primary", "11.1.4-h7", "h", "admin", PHASH) == \
        bootstrap_package.bootstrap_xml(config(), "primary", "11.1.4-h7", "h", "admin", PHASH)


@pytest.mark.parametrize("node, version, phash, message", [
    ("tertiary", "11.1.4", PHASH, "No HA settings for the tertiary firewall"),
    ("primary", "eleven", PHASH, "is not of the form X.Y.Z"),
    ("primary", "11.1.4", "secret", "is not a crypt hash"),
])
def test_bootstrap_xml_refuses_what_it_cannot_render(node, version, phash, message):
    with pytest.raises(bootstrap_package.PackageError, match=message):
        bootstrap_package.bootstrap_xml(config(), node, version, "h", "admin", phash)


def test_init_cfg_has_dhcp_and_the_hostname_first_then_the_keys_given():
    text = bootstrap_package.init_cfg("pair1-primary", {"op-command-modes": "jumbo-frame", "panorama-server": "",
                                                        "dgname": None, "plugin-op-commands": "aws-gwlb-inspect:enable"})
    lines = text.splitlines()
    assert lines[:2] == ["type=dhcp-client", "hostname=pair1-primary"]
    assert "op-command-modes=jumbo-frame" in lines and "plugin-op-commands=aws-gwlb-inspect:enable" in lines
    assert not any(line.startswith(("panorama-server", "dgname")) for line in lines)
    assert bootstrap_package.init_cfg("h", {"authcodes": "I1234567"}).splitlines()[-1] == "authcodes=I1234567"


@pytest.mark.parametrize("keys, problem", [
    ({"vm-auth-key": "a\nb"}, "line break or ';'"),
    ({"dgname": "a;b"}, "line break or ';'"),
    ({"Bad Key": "x"}, "is not an init-cfg key"),
    ({"hostname": "other"}, "set by the collection"),
    ({"dhcp-send-hostname": "no"}, "set by the collection"),
    ({"op-command-modes": "jumbo-frame, mgmt-interface-swap"}, "mgmt-interface-swap is not supported"),
    ({"mgmt-interface-swap": "enable"}, "mgmt-interface-swap is not supported"),
])
def test_init_cfg_refuses_keys_that_would_break_the_bootstrap(keys, problem):
    [found] = bootstrap_package.init_cfg_problems(keys)
    assert problem in found
    with pytest.raises(bootstrap_package.PackageError, match=problem.split("'")[0]):
        bootstrap_package.init_cfg("h", keys)
