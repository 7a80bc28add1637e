# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an EC2 route leads to: the one place that knows the keys a route's target can be under."""

from __future__ import annotations

from typing import Any, Dict, Optional

# NetworkInterfaceId first: a route through an ENI attached to an instance also carries the
# InstanceId EC2 fills in, and the ENI is what the route names.
TARGET_KEYS = ("NetworkInterfaceId", "GatewayId", "NatGatewayId", "TransitGatewayId", "VpcPeeringConnectionId",
               "InstanceId", "EgressOnlyInternetGatewayId", "LocalGatewayId", "CarrierGatewayId",
               "CoreNetworkArn", "VpcEndpointId")
UNKNOWN_TARGET = "unknown target"


def route_target(route: Optional[Dict[str, Any]]) -> Optional[str]:
    """The id a route leads to (None: no route; UNKNOWN_TARGET: a kind of target not listed)."""
    if route is None:
        return None
    return next((route[key] for key in TARGET_KEYS if route.get(key)), UNKNOWN_TARGET)


def default_route(table: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    return next((r for r in table.get("Routes") or [] if r.get("DestinationCidrBlock") == "0.0.0.0/0"), None)
