"""pan-os-python's own calls on every object class the collection configures - create, refresh,
apply, delete, the name-only refresh (`.../entry/@name`) and set_vsys, which Palo Alto's
panos_interface and panos_virtual_router make with their default state - against a lab firewall.
What works here is what Palo Alto's collection needs from the lab."""

from __future__ import annotations

import pytest
from panos.device import Vsys
from panos.errors import PanObjectMissing
from panos.ha import HA1, HA2, HighAvailability
from panos.network import EthernetInterface, StaticRoute, VirtualRouter, Zone

from .pairs import connect, launch_pair, set_password


@pytest.fixture(scope="module")
def firewall(running_lab):
    pair = launch_pair(running_lab)
    fw = running_lab.wait_up(pair.primary)
    set_password(fw, pair.key_file)
    return pair, fw


def names(cls, parent, **kwargs):
    return sorted(o.name for o in cls.refreshall(parent, add=False, **kwargs))


def test_interfaces_zones_and_routers_through_their_own_calls(firewall):
    pair, fw = firewall
    device = connect(fw)
    untrust = device.add(EthernetInterface("ethernet1/2", mode="layer3", ip=[pair.ips["untrust"] + "/24"]))
    untrust.create()
    # What panos_interface does with state present: the interface imported into its vsys, found by
    # reading the vsys names alone.
    untrust.set_vsys("vsys1", refresh=True, update=True)
    assert names(Vsys, connect(fw), name_only=True) == ["vsys1"]
    fresh = connect(fw)
    vsys = Vsys("vsys1")
    fresh.add(vsys)
    vsys.refresh()
    assert vsys.interface == ["ethernet1/2"]

    zone = device.add(Zone("untrust", mode="layer3", interface=["ethernet1/2"]))
    zone.create()
    router = device.add(VirtualRouter("lab-vr", interface=["ethernet1/2"]))
    router.create()
    router.set_vsys("vsys1", refresh=True, update=True)
    route = router.add(StaticRoute("default", destination="0.0.0.0/0", nexthop="10.0.2.1", interface="ethernet1/2"))
    route.create()
    assert names(EthernetInterface, connect(fw), name_only=True) == ["ethernet1/2"]
    assert names(Zone, connect(fw), name_only=True) == ["untrust"]
    assert names(VirtualRouter, connect(fw), name_only=True) == ["lab-vr"]

    # apply replaces the object; refresh reads back what was written.
    untrust.comment = "dataplane"
    untrust.apply()
    route.metric = 20
    route.apply()
    again = EthernetInterface("ethernet1/2")
    connect(fw).add(again)
    again.refresh()
    assert (again.comment, again.ip) == ("dataplane", [pair.ips["untrust"] + "/24"])
    read_route = StaticRoute("default")
    reader = VirtualRouter("lab-vr")
    connect(fw).add(reader)
    reader.add(read_route)
    read_route.refresh()
    assert (read_route.destination, read_route.metric) == ("0.0.0.0/0", 20)

    route.delete()
    router.delete()
    zone.delete()
    untrust.delete()
    assert names(VirtualRouter, connect(fw), name_only=True) == []
    assert names(EthernetInterface, connect(fw), name_only=True) == []


def test_ha_through_its_own_calls(firewall):
    pair, fw = firewall
    device = connect(fw)
    ha = device.add(HighAvailability(enabled=True, group_id=7, peer_ip=pair.ips["secondary-mgmt"],
                                     mode="active-passive", config_sync=True))
    ha.add(HA1(port="management"))
    ha.add(HA2(ip_address=pair.ips["primary-ha2"], netmask="255.255.255.0", port="ethernet1/1"))
    ha.create()
    fresh = HighAvailability()
    connect(fw).add(fresh)
    fresh.refresh()
    assert (fresh.enabled, fresh.group_id, fresh.peer_ip) == (True, 7, pair.ips["secondary-mgmt"])
    ha.group_id = 8
    ha.apply()
    fresh.refresh()
    assert fresh.group_id == 8
    ha.delete()
    gone = HighAvailability()
    connect(fw).add(gone)
    with pytest.raises(PanObjectMissing):
        gone.refresh()
