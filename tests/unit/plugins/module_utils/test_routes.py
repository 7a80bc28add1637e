"""routes.route_target: the ENI a route leads through wins over the instance EC2 fills in."""

from __future__ import annotations

from ansible_collections.vmseries.aws_ha.plugins.module_utils.routes import UNKNOWN_TARGET, default_route, route_target


def test_route_target():
    assert route_target(None) is None
    assert route_target({"NetworkInterfaceId": "eni-1", "InstanceId": "i-1"}) == "eni-1"
    assert route_target({"NatGatewayId": "nat-1"}) == "nat-1"
    assert route_target({"DestinationCidrBlock": "0.0.0.0/0"}) == UNKNOWN_TARGET


def test_default_route():
    table = {"Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"},
                        {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}]}
    assert default_route(table)["GatewayId"] == "igw-1"
    assert default_route({"Routes": []}) is None
