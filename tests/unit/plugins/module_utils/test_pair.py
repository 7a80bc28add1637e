"""The one health judgement: every unhealthy condition named, for both HA methods."""

from __future__ import annotations

import pytest

from ansible_collections.vmseries.aws_ha.plugins.module_utils import ha_state
from ansible_collections.vmseries.aws_ha.plugins.module_utils.pair import AddressSight, DataplaneSight, EniSight, judge

from test_ha_state import show_ha_all

INSTANCES = {"primary": "i-primary", "secondary": "i-secondary"}
OWNERS = {"eni-p-mgmt": "i-primary", "eni-p-ha2": "i-primary", "eni-s-mgmt": "i-secondary", "eni-s-ha2": "i-secondary"}


def states(primary="active", secondary="passive", sync="synchronized", licences=(None, None)):
    parsed = {"primary": ha_state.parse_ha_all(show_ha_all(primary, secondary, sync=sync)),
              "secondary": ha_state.parse_ha_all(show_ha_all(secondary, primary, sync=sync, priority=110))}
    for node, licence in zip(("primary", "secondary"), licences):
        parsed[node]["local"]["vm_license"] = licence
    return parsed


def interface_move_sight(untrust_on="i-primary", trust_on="i-primary", eip_eni="eni-untrust", route_eni="eni-trust"):
    return DataplaneSight(
        enis={"untrust": EniSight("eni-untrust", untrust_on, 2, "attached"),
              "trust": EniSight("eni-trust", trust_on, 3, "attached")},
        addresses={"untrust": AddressSight("198.51.100.7", eip_eni, None)},
        routes={("rtb-1", "0.0.0.0/0"): route_eni}, attachments=OWNERS)


def test_a_healthy_pair_has_no_problems():
    health = judge(states(), interface_move_sight(), INSTANCES, "interface_move")
    assert health.healthy and (health.active, health.passive) == ("primary", "secondary")


TRUST_ON_PASSIVE = "the trust ENI eni-trust is attached to secondary, not to the active primary"
ROUTE_THROUGH_IT = "route 0.0.0.0/0 of rtb-1 leads to secondary (eni-trust), not the active primary"


@pytest.mark.parametrize("sight, problems", [
    # The route through the trust ENI follows it to the passive: both are named.
    (interface_move_sight(trust_on="i-secondary"), [TRUST_ON_PASSIVE, ROUTE_THROUGH_IT]),
    (interface_move_sight(untrust_on="i-secondary", eip_eni="eni-untrust"), [
        "the untrust ENI eni-untrust is attached to secondary, not to the active primary",
        "Elastic IP 198.51.100.7 of untrust is associated through secondary, not the active primary"]),
    (interface_move_sight(eip_eni="eni-s-ha2"), ["Elastic IP 198.51.100.7 of untrust is associated through secondary, not the active primary"]),
    (interface_move_sight(route_eni="eni-s-ha2"), ["route 0.0.0.0/0 of rtb-1 leads to secondary (eni-s-ha2), not the active primary"]),
    (interface_move_sight(route_eni="eni-gone"), ["route 0.0.0.0/0 of rtb-1 leads to no firewall (eni-gone), not the active primary"]),
])
def test_where_the_dataplane_leads(sight, problems):
    health = judge(states(), sight, INSTANCES, "interface_move")
    assert health.problems == problems and health.dataplane_problems == problems


def test_every_wrong_condition_is_named_at_once():
    health = judge(states(licences=("VM-300", "VM-100")), interface_move_sight(trust_on="i-secondary", eip_eni="eni-s-ha2"),
                   INSTANCES, "interface_move")
    assert health.problems == [
        "the peers' licences differ (primary VM-300, secondary VM-100): HA peers need identical licences, license both "
        "from auth codes of the same model",
        TRUST_ON_PASSIVE,
        "Elastic IP 198.51.100.7 of untrust is associated through secondary, not the active primary",
        ROUTE_THROUGH_IT,
    ]


def test_ha_conditions_come_from_the_firewalls():
    assert judge(states(sync="not synchronized"), interface_move_sight(), INSTANCES, "interface_move").problems == [
        "running config not synchronized (as seen by primary, secondary)"]
    suspended = judge(states(secondary="suspended"), interface_move_sight(), INSTANCES, "interface_move")
    assert suspended.problems == ["secondary is suspended"] and suspended.active == "primary"
    # The dataplane is judged against the one active firewall even when its peer is unhealthy.
    both = judge(states(secondary="suspended"), interface_move_sight(trust_on="i-secondary"), INSTANCES, "interface_move")
    assert both.problems[1:] == [TRUST_ON_PASSIVE, ROUTE_THROUGH_IT]


def test_secondary_ip_move_looks_at_the_floating_addresses():
    def sight(floating_on):
        enis = {f"{node}-{name}": EniSight(f"eni-{node}-{name}", INSTANCES[node], index, "attached",
                                           ("10.0.2.50",) if node == floating_on else ())
                for node in ("primary", "secondary") for name, index in (("untrust", 2), ("trust", 3))}
        return DataplaneSight(enis=enis, addresses={"untrust": AddressSight("198.51.100.7", f"eni-{floating_on}-untrust", "10.0.2.50")},
                              routes={("rtb-1", "0.0.0.0/0"): f"eni-{floating_on}-trust"})

    assert judge(states(), sight("primary"), INSTANCES, "secondary_ip").healthy
    assert judge(states(), sight("secondary"), INSTANCES, "secondary_ip").problems == [
        "the active primary's untrust ENI has no floating secondary address (it is on the passive's)",
        "the active primary's trust ENI has no floating secondary address (it is on the passive's)",
        "Elastic IP 198.51.100.7 of untrust is associated through secondary, not the active primary",
        "route 0.0.0.0/0 of rtb-1 leads to secondary (eni-secondary-trust), not the active primary",
    ]


def test_without_the_aws_side_only_the_firewalls_are_judged():
    assert judge(states(), None, {}, "interface_move").healthy
