"""The reports as pictures (module_utils/timeline_svg.py): what each picture must show."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.vmseries.aws_ha.plugins.module_utils.timeline_svg import COLOURS, OUTAGE, timeline_svg

SVG = "{http://www.w3.org/2000/svg}"


def sample(t, primary, secondary):
    return {"t": t, "primary": {"state": primary[0], "version": primary[1]},
            "secondary": {"state": secondary[0], "version": secondary[1]}}


UPGRADE = {
    "pair": "p1", "target_version": "11.1.6", "outage_seconds": 4.0,
    "samples": [sample(0, ("active", "11.1.4-h7"), ("passive", "11.1.4-h7")),
                sample(5, ("active", "11.1.4-h7"), ("down", None)),
                sample(20, ("active", "11.1.4-h7"), ("passive", "11.1.6")),
                sample(30, ("suspended", "11.1.4-h7"), ("active", "11.1.6")),
                sample(60, ("passive", "11.1.6"), ("active", "11.1.6"))],
    "steps": [{"step": "install 11.1.6", "node": "secondary", "start": 1.0, "seconds": 3.0}],
    "outage_windows": [{"step": "fail over from primary", "start": 29.0, "seconds": 4.0}],
}


def titles(svg):
    return [t.text for t in ET.fromstring(svg).iter(f"{SVG}title")]


def test_an_upgrade_shows_each_firewall_state_and_version_over_time_and_the_outage():
    svg = timeline_svg(UPGRADE)
    root = ET.fromstring(svg)
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect")]
    for state in ("active", "passive", "suspended", "down"):
        assert COLOURS[state] in fills, state
    assert OUTAGE in fills
    bands = [t for t in titles(svg) if t.startswith(("primary:", "secondary:"))]
    # primary: active 11.1.4-h7, suspended, passive 11.1.6; secondary: passive, down, passive 11.1.6, active.
    assert len([b for b in bands if b.startswith("primary:")]) == 3
    assert len([b for b in bands if b.startswith("secondary:")]) == 4
    assert any("dataplane outage: fail over from primary, 4.0 s" == t for t in titles(svg))
    assert "4.0 s of dataplane outage" in titles(svg)[0]


def test_a_failover_shows_its_steps_from_the_trigger():
    report = {"pair": "p1", "ha_method": "interface_move", "old_active": "primary", "new_active": "secondary",
              "total_seconds": 9.5, "timeline": [{"step": "trigger", "seconds": 0.0}, {"step": "promoted", "seconds": 6.1},
                                                  {"step": "attached:trust", "seconds": 9.5}]}
    svg = timeline_svg(report)
    assert len(list(ET.fromstring(svg).iter(f"{SVG}circle"))) == 3
    assert "primary -> secondary in 9.5 s" in titles(svg)[0]


def test_anything_else_is_refused():
    with pytest.raises(ValueError):
        timeline_svg({"pair": "p1"})
