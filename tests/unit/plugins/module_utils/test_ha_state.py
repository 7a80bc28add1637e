from __future__ import annotations

import pytest

from ansible_collections.vmseries.aws_ha.plugins.module_utils import ha_state


def show_ha_all(local_state="active", peer_state="passive", conn="up", sync="synchronized", priority=100, peer_priority=200):
    """The shape of PAN-OS 10.x/11.x `show high-availability all` (trimmed to what matters)."""
    return f"""<response status="success"><result>
      <enabled>yes</enabled>
      <group>
        <mode>Active-Passive</mode>
        <local-info>
          <version>1</version><state>{local_state}</state><state-duration>42</state-duration>
          <mgmt-ip>10.100.0.10/24</mgmt-ip><preemptive>no</preemptive><priority>{priority}</priority>
          <ha2-ipaddr>10.100.1.10/24</ha2-ipaddr><build-rel>11.1.4-h7</build-rel>
        </local-info>
        <peer-info>
          <conn-status>{conn}</conn-status><state>{peer_state}</state><priority>{peer_priority}</priority>
          <mgmt-ip>10.100.0.11/24</mgmt-ip>
        </peer-info>
        <running-sync>{sync}</running-sync><running-sync-enabled>yes</running-sync-enabled>
      </group>
    </result></response>"""


def test_parse_reads_local_peer_and_sync():
    state = ha_state.parse_ha_all(show_ha_all())
    assert state["enabled"] is True
    assert state["local"] == {
        "state": "active", "state_reason": None, "priority": 100, "preemptive": False,
        "mgmt_ip": "10.100.0.10/24", "ha2_ip": "10.100.1.10/24", "version": "11.1.4-h7",
        "last_error_reason": None, "vm_license": None, "vm_license_compat": None,
    }
    assert state["peer"] == {"connected": True, "state": "passive", "priority": 200, "mgmt_ip": "10.100.0.11/24",
                             "vm_license": None}
    assert state["running_sync"] == "synchronized"
    assert state["running_sync_enabled"] is True


def test_parse_disabled_ha():
    state = ha_state.parse_ha_all('<response status="success"><result><enabled>no</enabled></result></response>')
    assert state["enabled"] is False
    assert state["local"]["state"] == "disabled"
    assert ha_state.describe("primary", state) == "primary: HA not enabled"


def healthy_pair():
    return {
        "primary": ha_state.parse_ha_all(show_ha_all()),
        "secondary": ha_state.parse_ha_all(show_ha_all("passive", "active", priority=200, peer_priority=100)),
    }


def test_healthy_pair_has_no_problems():
    states = healthy_pair()
    assert ha_state.pair_problems(states, expect_active="primary") == []
    assert ha_state.active_node(states) == "primary"


def test_wrong_active_is_named():
    assert ha_state.pair_problems(healthy_pair(), expect_active="secondary") == [
        "primary is active where secondary was expected"]


def test_split_brain_is_a_problem():
    states = healthy_pair()
    states["secondary"] = ha_state.parse_ha_all(show_ha_all("active", "active"))
    assert ha_state.pair_problems(states) == ["2 firewalls are active (primary, secondary); exactly one must be"]
    assert ha_state.active_node(states) is None


@pytest.mark.parametrize("secondary_xml, problem", [
    (show_ha_all("initial", "active", conn="up"), "secondary is initial"),
    (show_ha_all("passive", "unknown", conn="down"), "secondary does not see its peer"),
    (show_ha_all("passive", "active", sync="not synchronized"), "running config not synchronized (as seen by secondary)"),
])
def test_unhealthy_secondary(secondary_xml, problem):
    states = healthy_pair()
    states["secondary"] = ha_state.parse_ha_all(secondary_xml)
    assert problem in ha_state.pair_problems(states)


def test_a_licence_mismatch_names_the_non_functional_peer_and_both_licences():
    states = healthy_pair()
    states["secondary"] = ha_state.parse_ha_all(show_ha_all("non-functional", "active").replace(
        "<build-rel>", "<vm-license>VM-100</vm-license><vm-license-compat>Mismatch</vm-license-compat>"
        "<last-error-state>non-functional</last-error-state><last-error-reason>VM License mismatches with peer"
        "</last-error-reason><build-rel>").replace("<mgmt-ip>10.100.0.11/24</mgmt-ip>",
                                                   "<mgmt-ip>10.100.0.11/24</mgmt-ip><vm-license>VM-300</vm-license>"))
    assert ha_state.pair_problems(states) == [
        "secondary is non-functional (VM License mismatches with peer: it has VM-100, its peer VM-300; HA peers need "
        "identical licences, license both from auth codes of the same model)"]


def test_sync_can_be_ignored():
    states = healthy_pair()
    states["secondary"] = ha_state.parse_ha_all(show_ha_all("passive", "active", sync="not synchronized"))
    assert ha_state.pair_problems(states, require_sync=False) == []


def test_unreachable_firewall():
    states = healthy_pair()
    states["primary"] = {"error": "connection refused"}
    assert ha_state.pair_problems(states) == ["primary cannot be asked: connection refused"]
    assert ha_state.describe("primary", states["primary"]) == "primary: connection refused"
    assert ha_state.describe("secondary", None) == "secondary: unreachable"


def test_describe_names_both_sides():
    line = ha_state.describe("secondary", healthy_pair()["secondary"])
    assert line == "secondary: passive (priority 200), peer connected and active, running config synchronized"
