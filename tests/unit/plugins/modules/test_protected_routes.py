"""protected_routes.plan: one route of someone else's tables, taken only when free or already the pair's."""

from __future__ import annotations

from ansible_collections.vmseries.aws_ha.plugins.modules.protected_routes import plan


def table(ident, **route):
    routes = [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "Origin": "CreateRouteTable"}]
    if route:
        routes.append({"DestinationCidrBlock": "0.0.0.0/0", "Origin": "CreateRoute", **route})
    return {"RouteTableId": ident, "Routes": routes}


def test_present_creates_replaces_the_pairs_and_keeps_what_is_right():
    tables = [table("rtb-free"), table("rtb-peer", NetworkInterfaceId="eni-old"), table("rtb-done", NetworkInterfaceId="eni-new")]
    changes, refusals = plan(tables, "0.0.0.0/0", "present", "eni-new", ["eni-old", "eni-new"])
    assert refusals == []
    assert [(c["route_table_id"], c["before"], c["after"]) for c in changes] == [
        ("rtb-free", None, "eni-new"), ("rtb-peer", "eni-old", "eni-new"), ("rtb-done", "eni-new", "eni-new")]


def test_present_refuses_a_route_of_someone_else():
    changes, refusals = plan([table("rtb-nat", NatGatewayId="nat-1")], "0.0.0.0/0", "present", "eni-new", ["eni-new"])
    assert len(refusals) == 1 and "rtb-nat routes 0.0.0.0/0 to nat-1, which is not this pair's" in refusals[0]
    assert changes[0]["after"] == "nat-1"


def test_absent_removes_only_the_pairs_route():
    tables = [table("rtb-pair", NetworkInterfaceId="eni-old"), table("rtb-nat", NatGatewayId="nat-1"), table("rtb-free")]
    changes, refusals = plan(tables, "0.0.0.0/0", "absent", None, ["eni-old"])
    assert refusals == []
    assert [(c["route_table_id"], c["after"]) for c in changes] == [("rtb-pair", None), ("rtb-nat", "nat-1"), ("rtb-free", None)]
    assert [c["before"] != c["after"] for c in changes] == [True, False, False]
