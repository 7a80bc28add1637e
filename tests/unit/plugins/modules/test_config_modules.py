"""ethernet_interface, zone and virtual_router against the fake firewall: the XML they write,
idempotence, check mode and diff."""

from __future__ import annotations

import pytest
from conftest import ModuleExit

from ansible_collections.vmseries.aws_ha.plugins.modules import ethernet_interface, virtual_router, zone

DEV = "/config/devices/entry[@name='localhost.localdomain']"
ETH = DEV + "/network/interface/ethernet/entry[@name='ethernet1/2']"
IMPORT = DEV + "/vsys/entry[@name='vsys1']/import/network/interface"
ZONE = DEV + "/vsys/entry[@name='vsys1']/zone/entry[@name='untrust']"
VR = DEV + "/network/virtual-router/entry[@name='default']"


def untrust(provider, **extra):
    return {"provider": provider, "name": "ethernet1/2", "ip": ["10.100.2.10/24"], "comment": "untrust", **extra}


def test_layer3_interface_is_written_then_left_alone(fake_xapi, run_module, provider):
    result = run_module(ethernet_interface, untrust(provider))
    assert result["changed"] is True
    assert ("edit", ETH, '<entry name="ethernet1/2"><layer3><ip><entry name="10.100.2.10/24" /></ip></layer3>'
            "<comment>untrust</comment></entry>") in fake_xapi.calls
    assert ("set", IMPORT, "<member>ethernet1/2</member>") in fake_xapi.calls
    fake_xapi.calls.clear()
    again = run_module(ethernet_interface, untrust(provider))
    assert again["changed"] is False and fake_xapi.modifying_calls() == []
    assert again["api_wait"] == {"seconds": 0.0, "attempts": 0, "refused_credentials": 0}


def test_check_mode_changes_nothing_and_diff_shows_xml(fake_xapi, run_module, provider):
    result = run_module(ethernet_interface, untrust(provider), check=True, diff=True)
    assert result["changed"] is True and fake_xapi.modifying_calls() == []
    assert result["diff"]["before"] == ""
    assert '<entry name="10.100.2.10/24" />' in result["diff"]["after"]


def test_changed_address_is_reported_with_before_and_after(fake_xapi, run_module, provider):
    run_module(ethernet_interface, untrust(provider))
    result = run_module(ethernet_interface, untrust(provider, ip=["10.100.2.11/24"]), diff=True)
    assert result["changed"] is True
    assert "10.100.2.10/24" in result["diff"]["before"] and "10.100.2.11/24" in result["diff"]["after"]


def test_missing_vsys_import_is_repaired(fake_xapi, run_module, provider):
    fake_xapi.load(DEV + "/network/interface/ethernet",
                   '<entry name="ethernet1/2"><layer3><ip><entry name="10.100.2.10/24"/></ip></layer3>'
                   "<comment>untrust</comment></entry>")
    result = run_module(ethernet_interface, untrust(provider))
    assert result["changed"] is True
    assert fake_xapi.modifying_calls() == [("set", IMPORT, "<member>ethernet1/2</member>")]


def test_dhcp_client_with_default_route(fake_xapi, run_module, provider):
    run_module(ethernet_interface, {"provider": provider, "name": "ethernet1/2", "enable_dhcp": True,
                                    "create_default_route": True})
    [edit] = [c for c in fake_xapi.calls if c[0] == "edit"]
    assert edit[2] == ('<entry name="ethernet1/2"><layer3><dhcp-client><enable>yes</enable>'
                       "<create-default-route>yes</create-default-route></dhcp-client></layer3></entry>")


def test_ha_interface(fake_xapi, run_module, provider):
    result = run_module(ethernet_interface, {"provider": provider, "name": "ethernet1/1", "mode": "ha"})
    assert result["changed"] is True
    assert ("edit", DEV + "/network/interface/ethernet/entry[@name='ethernet1/1']",
            '<entry name="ethernet1/1"><ha /></entry>') in fake_xapi.calls
    assert run_module(ethernet_interface, {"provider": provider, "name": "ethernet1/1", "mode": "ha"})["changed"] is False


def test_absent_interface(fake_xapi, run_module, provider):
    run_module(ethernet_interface, untrust(provider))
    assert run_module(ethernet_interface, untrust(provider, state="absent"))["changed"] is True
    assert ("delete", ETH, None) in fake_xapi.calls
    assert run_module(ethernet_interface, untrust(provider, state="absent"))["changed"] is False


@pytest.mark.parametrize("args, message", [
    ({"name": "eth1"}, "not an ethernet interface"),
    ({"name": "ethernet1/2", "ip": ["10.0.0.1/24"], "enable_dhcp": True}, "not both"),
    ({"name": "ethernet1/1", "mode": "ha", "ip": ["10.0.0.1/24"]}, "HA interface takes no addresses"),
])
def test_bad_interface_arguments(fake_xapi, run_module, provider, args, message):
    with pytest.raises(ModuleExit, match=message):
        run_module(ethernet_interface, {"provider": provider, **args})
    assert fake_xapi.calls == []


def test_zone_written_then_idempotent(fake_xapi, run_module, provider):
    args = {"provider": provider, "name": "untrust", "interfaces": ["ethernet1/2"]}
    assert run_module(zone, args)["changed"] is True
    assert ("edit", ZONE, '<entry name="untrust"><network><layer3><member>ethernet1/2</member></layer3>'
            "</network></entry>") in fake_xapi.calls
    fake_xapi.calls.clear()
    assert run_module(zone, args)["changed"] is False and fake_xapi.modifying_calls() == []
    result = run_module(zone, dict(args, interfaces=["ethernet1/2", "ethernet1/4"]), check=True, diff=True)
    assert result["changed"] is True and fake_xapi.modifying_calls() == []
    assert "ethernet1/4" in result["diff"]["after"] and "ethernet1/4" not in result["diff"]["before"]


ROUTE = {"name": "default", "destination": "0.0.0.0/0", "nexthop": "10.100.2.1", "interface": "ethernet1/2"}
VPC_ROUTE = {"name": "vpc", "destination": "10.100.0.0/16", "nexthop": "10.100.3.1", "interface": "ethernet1/3"}


def vr_args(provider, **extra):
    return {"provider": provider, "interfaces": ["ethernet1/2", "ethernet1/3"], "static_routes": [ROUTE, VPC_ROUTE],
            **extra}


def test_virtual_router_created_then_idempotent(fake_xapi, run_module, provider):
    result = run_module(virtual_router, vr_args(provider))
    assert result["changed"] is True and result["changed_routes"] == ["default", "vpc"]
    writes = fake_xapi.modifying_calls()
    assert writes[0] == ("set", DEV + "/network/virtual-router",
                         '<entry name="default"><interface><member>ethernet1/2</member><member>ethernet1/3</member>'
                         "</interface></entry>")
    assert ("edit", VR + "/routing-table/ip/static-route/entry[@name='default']",
            '<entry name="default"><destination>0.0.0.0/0</destination><nexthop><ip-address>10.100.2.1</ip-address>'
            "</nexthop><interface>ethernet1/2</interface><metric>10</metric></entry>") in writes
    fake_xapi.calls.clear()
    again = run_module(virtual_router, vr_args(provider))
    assert again["changed"] is False and fake_xapi.modifying_calls() == []


def test_virtual_router_keeps_other_members_and_settings(fake_xapi, run_module, provider):
    fake_xapi.load(DEV + "/network/virtual-router",
                   '<entry name="default"><interface><member>ethernet1/9</member></interface>'
                   "<ecmp><algorithm><ip-modulo/></algorithm></ecmp></entry>")
    result = run_module(virtual_router, vr_args(provider, static_routes=[ROUTE]), diff=True)
    assert result["changed"] is True and result["added_interfaces"] == ["ethernet1/2", "ethernet1/3"]
    assert ("set", VR + "/interface", "<member>ethernet1/2</member><member>ethernet1/3</member>") in fake_xapi.calls
    assert not [c for c in fake_xapi.modifying_calls() if c[1] == VR]  # the router itself is never replaced
    assert "ethernet1/9" in result["diff"]["after"] and "ethernet1/3" in result["diff"]["after"]
    assert "ethernet1/3" not in result["diff"]["before"]


def test_changed_route_replaced_in_place_check_mode(fake_xapi, run_module, provider):
    run_module(virtual_router, vr_args(provider))
    fake_xapi.calls.clear()
    moved = dict(ROUTE, nexthop="10.100.2.254")
    result = run_module(virtual_router, vr_args(provider, static_routes=[moved, VPC_ROUTE]), check=True, diff=True)
    assert result["changed"] is True and result["changed_routes"] == ["default"]
    assert fake_xapi.modifying_calls() == []
    after = result["diff"]["after"]
    assert after.index("10.100.2.254") < after.index("10.100.3.1")  # order kept


def test_absent_removes_listed_route_and_member(fake_xapi, run_module, provider):
    run_module(virtual_router, vr_args(provider))
    result = run_module(virtual_router, {"provider": provider, "interfaces": ["ethernet1/3"],
                                         "static_routes": [{"name": "vpc"}], "state": "absent"})
    assert result["changed"] is True
    assert ("delete", VR + "/interface/member[text()='ethernet1/3']", None) in fake_xapi.calls
    assert ("delete", VR + "/routing-table/ip/static-route/entry[@name='vpc']", None) in fake_xapi.calls
    assert run_module(virtual_router, {"provider": provider, "interfaces": ["ethernet1/3"],
                                       "static_routes": [{"name": "vpc"}], "state": "absent"})["changed"] is False


def test_route_without_destination_is_rejected(fake_xapi, run_module, provider):
    with pytest.raises(ModuleExit, match="destination is required"):
        run_module(virtual_router, {"provider": provider, "static_routes": [{"name": "x"}]})


def test_booting_firewall_is_waited_for_and_reported(fake_xapi, run_module, provider):
    from panos.errors import PanURLError

    fake_xapi.errors = [PanURLError("URLError: reason: [Errno 111] Connection refused"),
                        PanURLError("URLError: code: 503 reason: Service Unavailable")]
    result = run_module(zone, {"provider": provider, "name": "untrust", "interfaces": ["ethernet1/2"]})
    assert result["changed"] is True and result["api_wait"]["attempts"] == 2


def test_invalid_credentials_fail_at_once_without_secrets(fake_xapi, run_module, provider):
    from panos.errors import PanDeviceXapiError

    fake_xapi.errors = [PanDeviceXapiError("URLError: code: 403 reason: Forbidden")]
    with pytest.raises(ModuleExit) as failure:
        run_module(zone, {"provider": provider, "name": "untrust"})
    assert "refused the credentials" in failure.value.result["msg"]
    assert provider["password"] not in str(failure.value.result)
    assert len(fake_xapi.calls) == 1
