from __future__ import annotations

from ansible_collections.vmseries.aws_ha.plugins.module_utils.failover import EniSight, FailoverTimeline, table


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def ha(local_state, peer_connected=True, peer_state="active"):
    return {"enabled": True, "local": {"state": local_state}, "peer": {"connected": peer_connected, "state": peer_state}}


BEFORE = {
    "untrust": EniSight("eni-u", "i-old", 2, "attached", "203.0.113.7"),
    "trust": EniSight("eni-t", "i-old", 3, "attached"),
}


def timeline(clock):
    t = FailoverTimeline("primary", "secondary", "i-old", "i-new", BEFORE, clock=clock, wall_clock=lambda: 1_700_000_000.0)
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
    t.observe(ha("active", False, None), None, {
        "untrust": EniSight("eni-u", None, None, None, "203.0.113.7"),
        "trust": EniSight("eni-t", "i-old", 3, "detaching"),
    })
    clock.now += 0.25
    after = {
        "untrust": EniSight("eni-u", "i-new", 2, "attached", "203.0.113.7"),
        "trust": EniSight("eni-t", "i-new", 3, "attached"),
    }
    t.observe(ha("active", False, None), None, after)
    assert t.complete()
    assert t.total() == 1.5
    steps = {row["step"]: row["seconds"] for row in t.events()}
    assert steps == {"trigger": 0.0, "peer_loss_detected": 0.5, "promoted": 1.0, "detached:untrust": 1.25,
                     "detaching:trust": 1.25, "detached:trust": 1.5, "attached:untrust": 1.5, "attached:trust": 1.5,
                     "eip:untrust": 1.5}
    assert t.events()[0]["at"] == "2023-11-14T22:13:20.000Z"


def test_wrong_device_index_is_not_a_move():
    clock = Clock()
    t = timeline(clock)
    t.observe(ha("active", False, None), None, {
        "untrust": EniSight("eni-u", "i-new", 4, "attached", "203.0.113.7"),
        "trust": EniSight("eni-t", "i-new", 3, "attached"),
    })
    assert not t.complete()
    assert t.stuck_step().key == "attached:untrust"


def test_lost_eip_is_stuck():
    t = timeline(Clock())
    t.observe(ha("active", False, None), None, {
        "untrust": EniSight("eni-u", "i-new", 2, "attached", None),
        "trust": EniSight("eni-t", "i-new", 3, "attached"),
    })
    assert t.stuck_step().key == "eip:untrust"
    assert t.total() is None


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
    t.observe(ha("active", False, None), None, {
        "untrust": EniSight("eni-u", "i-old", 2, "detaching", "203.0.113.7"),
        "trust": EniSight("eni-t", "i-old", 3, "attached"),
    })
    assert t.stuck_step().key == "detached:untrust"
    clock.now += 1.0
    t.observe(ha("active", False, None), None, {
        "untrust": EniSight("eni-u", "i-new", 2, "attaching", "203.0.113.7"),
        "trust": EniSight("eni-t", None, None, None),
    })
    # Attaching is not attached: the move is not done, and says which state it is in.
    assert not t.complete() and t.stuck_step().key == "attached:untrust"
    clock.now += 1.0
    t.observe(ha("active", False, None), None, {
        "untrust": EniSight("eni-u", "i-new", 2, "attached", "203.0.113.7"),
        "trust": EniSight("eni-t", "i-new", 3, "attached"),
    })
    assert t.complete()
    seen = {row["step"]: row["seconds"] for row in t.events()}
    assert seen["detaching:untrust"] == 1.0 and seen["attaching:untrust"] == 2.0 and seen["attached:trust"] == 3.0
    # The trust ENI passed through its intermediate states between two polls: not recorded, not missed.
    assert "attaching:trust" not in seen and "detaching:trust" not in seen
