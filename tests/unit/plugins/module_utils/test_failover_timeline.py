from __future__ import annotations

import pytest

from ansible_collections.vmseries.aws_ha.plugins.module_utils.failover_timeline import FailoverTimeline, table
from ansible_collections.vmseries.aws_ha.plugins.module_utils.pair import AddressSight, DataplaneSight, EniSight


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def ha(local_state, peer_connected=True, peer_state="active"):
    return {"enabled": True, "local": {"state": local_state}, "peer": {"connected": peer_connected, "state": peer_state}}


EIP = AddressSight("203.0.113.7", "eni-u", "10.0.2.10")
ROUTE = ("rtb-1", "0.0.0.0/0")


def moved(untrust, trust, eip=EIP, route="eni-t"):
    return DataplaneSight(enis={"untrust": untrust, "trust": trust}, addresses={"untrust": eip}, routes={ROUTE: route})


BEFORE = moved(EniSight("eni-u", "i-old", 2, "attached"), EniSight("eni-t", "i-old", 3, "attached"))
AFTER = moved(EniSight("eni-u", "i-new", 2, "attached"), EniSight("eni-t", "i-new", 3, "attached"))


def timeline(clock, before=BEFORE, method="interface_move"):
    t = FailoverTimeline("primary", "secondary", "i-old", "i-new", before, method=method, clock=clock,
                         wall_clock=lambda: 1_700_000_000.0)
    t.start()
    return t


def test_full_failover_in_order():
    clock = Clock()
    t = timeline(clock)
    t.observe(ha("passive"), ha("active", peer_state="passive"), BEFORE)
    assert t.stuck_step().key == "peer_loss_detected"
    clock.now += 0.5
    t.observe(ha("passive", peer_connected=False, peer_state=None), {"error": "connection refused"}, BEFORE)
    clock.now += 0.5
    t.observe(ha("active", peer_connected=False, peer_state=None), None, BEFORE)
    assert t.stuck_step().key == "detached:untrust"
    clock.now += 0.25
    t.observe(ha("active", False, None), None, moved(EniSight("eni-u", None, None, None),
                                                     EniSight("eni-t", "i-old", 3, "detaching")))
    clock.now += 0.25
    t.observe(ha("active", False, None), None, AFTER)
    assert t.complete()
    assert t.total() == 1.5
    steps = {row["step"]: row["seconds"] for row in t.events()}
    assert steps == {"trigger": 0.0, "peer_loss_detected": 0.5, "promoted": 1.0, "detached:untrust": 1.25,
                     "detaching:trust": 1.25, "detached:trust": 1.5, "attached:untrust": 1.5, "attached:trust": 1.5,
                     "eip:untrust": 1.5, "route:rtb-1:0.0.0.0/0": 1.5}
    assert t.events()[0]["at"] == "2023-11-14T22:13:20.000Z"


def test_wrong_device_index_is_not_a_move():
    t = timeline(Clock())
    t.observe(ha("active", False, None), None, moved(EniSight("eni-u", "i-new", 4, "attached"),
                                                     EniSight("eni-t", "i-new", 3, "attached")))
    assert not t.complete()
    assert t.stuck_step().key == "attached:untrust"


def test_lost_eip_is_stuck():
    t = timeline(Clock())
    t.observe(ha("active", False, None), None, moved(AFTER.enis["untrust"], AFTER.enis["trust"],
                                                     eip=AddressSight("203.0.113.7", None, None)))
    assert t.stuck_step().key == "eip:untrust"
    assert t.total() is None


def test_a_route_to_another_target_is_stuck():
    t = timeline(Clock())
    t.observe(ha("active", False, None), None, moved(AFTER.enis["untrust"], AFTER.enis["trust"], route="eni-elsewhere"))
    assert [s.key for s in t.missing()] == ["route:rtb-1:0.0.0.0/0"]


def test_unreachable_new_active_detects_nothing():
    t = timeline(Clock())
    t.observe({"error": "timed out"}, None, BEFORE)
    assert t.stuck_step().key == "peer_loss_detected"
    assert t.last_seen["new_ha"] == {"error": "timed out"}


def test_table_lines():
    clock = Clock()
    t = timeline(clock)
    clock.now += 1
    t.observe(ha("active", False, None), None, BEFORE)
    lines = table(t.events())
    assert lines[0].split() == ["t", "(s)", "step", "description"]
    assert lines[2].split()[:2] == ["1.000", "peer_loss_detected"]


def test_attachment_states_in_between_are_recorded_but_not_required():
    clock = Clock()
    t = timeline(clock)
    t.observe(ha("active", False, None), None, BEFORE)
    clock.now += 1.0
    t.observe(ha("active", False, None), None, moved(EniSight("eni-u", "i-old", 2, "detaching"), BEFORE.enis["trust"]))
    assert t.stuck_step().key == "detached:untrust"
    clock.now += 1.0
    t.observe(ha("active", False, None), None, moved(EniSight("eni-u", "i-new", 2, "attaching"),
                                                     EniSight("eni-t", None, None, None)))
    # Attaching is not attached: the move is not done, and says which state it is in.
    assert not t.complete() and t.stuck_step().key == "attached:untrust"
    clock.now += 1.0
    t.observe(ha("active", False, None), None, AFTER)
    assert t.complete()
    seen = {row["step"]: row["seconds"] for row in t.events()}
    assert seen["detaching:untrust"] == 1.0 and seen["attaching:untrust"] == 2.0 and seen["attached:trust"] == 3.0
    # The trust ENI passed through its intermediate states between two polls: not recorded, not missed.
    assert "attaching:trust" not in seen and "detaching:trust" not in seen


# Secondary-IP move: each firewall keeps its ENIs; addresses, the EIP and the route move.
def secondary_ip_sight(holder, eip_eni=None, route=None):
    instance = {"primary": "i-old", "secondary": "i-new"}
    enis = {}
    for node in ("primary", "secondary"):
        for index, name in ((2, "untrust"), (3, "trust")):
            floating = ({"untrust": ("10.0.2.100",), "trust": ("10.0.3.100",)}[name] if node == holder else ())
            enis[f"{node}-{name}"] = EniSight(f"eni-{node[0]}{name[0]}", instance[node], index, "attached", floating)
    eip = AddressSight("203.0.113.7", eip_eni or f"eni-{holder[0]}u", "10.0.2.100")
    return DataplaneSight(enis=enis, addresses={"untrust": eip}, routes={ROUTE: route or f"eni-{holder[0]}t"})


def test_secondary_ip_failover_steps():
    clock = Clock()
    t = timeline(clock, secondary_ip_sight("primary"), method="secondary_ip")
    assert [s.key for s in t.steps] == ["peer_loss_detected", "promoted", "ip:untrust", "ip:trust", "eip:untrust",
                                        "route:rtb-1:0.0.0.0/0"]
    clock.now += 1.0
    t.observe(ha("active", False, None), None, secondary_ip_sight("primary"))
    assert t.stuck_step().key == "ip:untrust"
    clock.now += 0.5
    t.observe(ha("active", False, None), None, secondary_ip_sight("secondary", route="eni-pt"))
    # Addresses and the EIP (which AWS moves with its address) are there; the route is not.
    assert [s.key for s in t.missing()] == ["route:rtb-1:0.0.0.0/0"]
    assert "route 0.0.0.0/0 of rtb-1" in t.stuck_step().description
    clock.now += 0.5
    t.observe(ha("active", False, None), None, secondary_ip_sight("secondary"))
    assert t.complete() and t.total() == 2.0


def test_secondary_ip_eip_left_on_the_old_active_is_named():
    t = timeline(Clock(), secondary_ip_sight("primary"), method="secondary_ip")
    t.observe(ha("active", False, None), None, secondary_ip_sight("secondary", eip_eni="eni-pu"))
    assert [s.key for s in t.missing()] == ["eip:untrust"]


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown HA method"):
        timeline(Clock(), method="vrrp")
