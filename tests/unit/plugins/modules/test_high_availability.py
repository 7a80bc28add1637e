"""high_availability: the exact HA XML (pan-os-python's part and our election options) and where
it goes, idempotence, check mode and validation."""

from __future__ import annotations

import pytest
from conftest import ModuleExit

from ansible_collections.vmseries.aws_ha.plugins.module_utils.panos import same_xml
from ansible_collections.vmseries.aws_ha.plugins.modules import high_availability

HA_XPATH = "/config/devices/entry[@name='localhost.localdomain']/deviceconfig/high-availability"
EXPECTED = (
    "<high-availability><enabled>yes</enabled><group><group-id>7</group-id>"
    "<configuration-synchronization><enabled>yes</enabled></configuration-synchronization>"
    "<peer-ip>10.100.0.11</peer-ip><mode><active-passive /></mode>"
    "<state-synchronization><enabled>yes</enabled><transport>udp</transport></state-synchronization>"
    "<election-option><device-priority>100</device-priority><preemptive>yes</preemptive>"
    "<timers><recommended /></timers></election-option></group>"
    "<interface><ha1><port>management</port></ha1><ha2><ip-address>10.100.1.10</ip-address>"
    "<netmask>255.255.255.0</netmask><port>ethernet1/1</port><gateway>10.100.1.1</gateway></ha2></interface>"
    "</high-availability>")


def ha_args(provider, **extra):
    return {"provider": provider, "group_id": 7, "peer_ip": "10.100.0.11", "ha2_ip_address": "10.100.1.10",
            "ha2_netmask": "255.255.255.0", "ha2_gateway": "10.100.1.1", "device_priority": 100,
            "preemptive": True, "state_sync_transport": "udp", **extra}


def test_exact_ha_xml_and_xpath(fake_xapi, run_module, provider):
    result = run_module(high_availability, ha_args(provider))
    assert result["changed"] is True and result["xpath"] == HA_XPATH
    assert fake_xapi.modifying_calls() == [("edit", HA_XPATH, EXPECTED)]


def test_second_run_changes_nothing_even_in_schema_order(fake_xapi, run_module, provider):
    # PAN-OS returns the element in schema order, not in the order written.
    reordered = EXPECTED.replace("<enabled>yes</enabled><group>", "<group>").replace(
        "</interface></high-availability>", "</interface><enabled>yes</enabled></high-availability>")
    fake_xapi.load("/config/devices/entry[@name='localhost.localdomain']/deviceconfig", reordered)
    result = run_module(high_availability, ha_args(provider), diff=True)
    assert result["changed"] is False and fake_xapi.modifying_calls() == []
    assert result["diff"]["before"] == result["diff"]["after"]


def test_priority_change_in_check_mode_writes_nothing(fake_xapi, run_module, provider):
    run_module(high_availability, ha_args(provider))
    fake_xapi.calls.clear()
    result = run_module(high_availability, ha_args(provider, device_priority=110), check=True, diff=True)
    assert result["changed"] is True and fake_xapi.modifying_calls() == []
    assert "<device-priority>100</device-priority>" in result["diff"]["before"]
    assert "<device-priority>110</device-priority>" in result["diff"]["after"]


def test_advanced_timers_xml(fake_xapi, run_module, provider):
    run_module(high_availability, ha_args(provider, timers="advanced", preemptive=False, advanced_timers={
        "promotion_hold_time": 2000, "hello_interval": 8000, "heartbeat_interval": 2000,
        "preemption_hold_time": 1, "monitor_fail_hold_up_time": 0, "additional_master_hold_up_time": 500}))
    [(_action, _xpath, element)] = fake_xapi.modifying_calls()
    assert ("<election-option><device-priority>100</device-priority><preemptive>no</preemptive><timers><advanced>"
            "<promotion-hold-time>2000</promotion-hold-time><hello-interval>8000</hello-interval>"
            "<heartbeat-interval>2000</heartbeat-interval><preemption-hold-time>1</preemption-hold-time>"
            "<monitor-fail-hold-up-time>0</monitor-fail-hold-up-time>"
            "<additional-master-hold-up-time>500</additional-master-hold-up-time></advanced></timers>"
            "</election-option>") in element


def report_pre_81_version(fake_xapi):
    """Make `show system info` say 8.0.5, where pan-os-python renders the group as an entry."""
    original = fake_xapi.op

    def old_version(cmd, *args, **kwargs):
        response = original(cmd, *args, **kwargs)
        version = response.find("result/system/sw-version")
        if version is not None:
            version.text = "8.0.5"
        return response

    fake_xapi.op = old_version


def test_pre_81_layout_keeps_election_options_in_the_group_entry(fake_xapi, run_module, provider):
    report_pre_81_version(fake_xapi)
    run_module(high_availability, ha_args(provider))
    [(_action, _xpath, element)] = fake_xapi.modifying_calls()
    assert '<group><entry name="7">' in element
    assert ("<election-option><device-priority>100</device-priority><preemptive>yes</preemptive>"
            "<timers><recommended /></timers></election-option></entry></group>") in element


DEVICECONFIG = "/config/devices/entry[@name='localhost.localdomain']/deviceconfig"
# Set by hand or by paloaltonetworks.panos: path monitoring, HA1 encryption, HA2 keep-alive,
# passive link state, a backup HA1 link; with the bookkeeping attributes PAN-OS returns.
UNMANAGED = {
    "<mode><active-passive /></mode>":
        "<mode><active-passive><passive-link-state>auto</passive-link-state></active-passive></mode>",
    "<state-synchronization><enabled>yes</enabled>":
        '<state-synchronization><enabled>yes</enabled><ha2-keep-alive admin="ops" time="2026/11/20 10:00:00">'
        "<enabled>yes</enabled><action>log-only</action></ha2-keep-alive>",
    "</election-option></group>":
        "</election-option><monitoring><path-monitoring><enabled>yes</enabled><path-group><virtual-router>"
        '<entry name="default"><destination-ip><entry name="uplink"><destination-ip><member>10.100.2.1</member>'
        "</destination-ip></entry></destination-ip></entry></virtual-router></path-group></path-monitoring>"
        "</monitoring></group>",
    "<ha1><port>management</port></ha1>":
        "<ha1><port>management</port><encryption><enabled>yes</enabled></encryption></ha1>"
        "<ha1-backup><port>ethernet1/4</port><ip-address>10.100.4.10</ip-address>"
        "<netmask>255.255.255.0</netmask></ha1-backup>",
}


def with_unmanaged(xml: str) -> str:
    for plain, extended in UNMANAGED.items():
        assert plain in xml
        xml = xml.replace(plain, extended)
    return xml


def test_settings_the_module_does_not_manage_are_kept(fake_xapi, run_module, provider):
    fake_xapi.load(DEVICECONFIG, with_unmanaged(EXPECTED))
    assert run_module(high_availability, ha_args(provider))["changed"] is False
    assert fake_xapi.modifying_calls() == []

    result = run_module(high_availability, ha_args(provider, device_priority=110), diff=True)
    [(_action, _xpath, element)] = fake_xapi.modifying_calls()
    assert result["changed"] is True
    assert same_xml(element, with_unmanaged(EXPECTED.replace(">100<", ">110<")))
    assert "admin=" not in element and "time=" not in element
    assert "path-monitoring" in result["diff"]["before"] and "path-monitoring" in result["diff"]["after"]


def test_what_the_module_manages_is_replaced_whole(fake_xapi, run_module, provider):
    # Another mode, an advanced timer and an HA2 gateway the new parameters leave out must go.
    found = EXPECTED.replace("<mode><active-passive /></mode>", "<mode><active-active><device-id>0</device-id>"
                             "</active-active></mode>").replace(
        "<timers><recommended /></timers>", "<timers><advanced><hello-interval>8000</hello-interval></advanced></timers>")
    fake_xapi.load(DEVICECONFIG, found)
    run_module(high_availability, {k: v for k, v in ha_args(provider).items() if k != "ha2_gateway"})
    [(_action, _xpath, element)] = fake_xapi.modifying_calls()
    assert same_xml(element, EXPECTED.replace("<gateway>10.100.1.1</gateway>", ""))


def test_pre_81_layout_keeps_unmanaged_settings_when_the_group_id_changes(fake_xapi, run_module, provider):
    report_pre_81_version(fake_xapi)
    fake_xapi.load(DEVICECONFIG, '<high-availability><group><entry name="7"><description>pair a</description>'
                                 "<monitoring><link-monitoring><enabled>yes</enabled></link-monitoring></monitoring>"
                                 "</entry></group></high-availability>")
    run_module(high_availability, ha_args(provider, group_id=8))
    [(_action, _xpath, element)] = fake_xapi.modifying_calls()
    assert '<group><entry name="8">' in element and 'name="7"' not in element
    assert "<description>pair a</description>" in element
    assert "<monitoring><link-monitoring><enabled>yes</enabled></link-monitoring></monitoring>" in element


@pytest.mark.parametrize("extra, message", [
    ({"group_id": 64}, "group_id 64 is outside 1-63"),
    ({"group_id": 0}, "group_id 0 is outside 1-63"),
    ({"device_priority": 256}, "device_priority 256 is outside 0-255"),
    ({"timers": "advanced", "advanced_timers": {}}, "at least one value"),
    ({"advanced_timers": {"hello_interval": 8000}}, "only used with timers=advanced"),
])
def test_invalid_values_fail_before_any_request(fake_xapi, run_module, provider, extra, message):
    with pytest.raises(ModuleExit, match=message):
        run_module(high_availability, ha_args(provider, **extra))
    assert fake_xapi.calls == []
