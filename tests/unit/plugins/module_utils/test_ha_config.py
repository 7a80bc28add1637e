from __future__ import annotations

import xml.etree.ElementTree as ET

from ansible_collections.vmseries.aws_ha.plugins.module_utils import ha_config
from ansible_collections.vmseries.aws_ha.plugins.module_utils.panos import same_xml

BASE = ("<high-availability><enabled>yes</enabled><group><group-id>7</group-id><peer-ip>10.100.0.11</peer-ip>"
        "<mode><active-passive/></mode><state-synchronization><enabled>yes</enabled></state-synchronization></group>"
        "<interface><ha1><port>management</port></ha1><ha2><port>ethernet1/1</port><ip-address>10.100.1.10</ip-address>"
        "<netmask>255.255.255.0</netmask></ha2></interface></high-availability>")


def test_election_option_and_transport_xml():
    ha = ha_config.add_election_and_transport(ET.fromstring(BASE), 100, True, "recommended", None, "udp")
    assert ET.tostring(ha.find("group/election-option"), encoding="unicode") == (
        "<election-option><device-priority>100</device-priority><preemptive>yes</preemptive>"
        "<timers><recommended /></timers></election-option>")
    assert ha.findtext("group/state-synchronization/transport") == "udp"
    assert ha.findtext("group/state-synchronization/enabled") == "yes"


def test_advanced_timers():
    ha = ha_config.add_election_and_transport(ET.fromstring(BASE), 110, False, "advanced",
                                              {"promotion_hold_time": 500, "hello_interval": 8000}, "ip")
    timers = ha.find("group/election-option/timers/advanced")
    assert [(t.tag, t.text) for t in timers] == [("promotion-hold-time", "500"), ("hello-interval", "8000")]


def test_rewriting_replaces_previous_election_options():
    ha = ha_config.add_election_and_transport(ET.fromstring(BASE), 100, True, "aggressive", None, "ip")
    ha = ha_config.add_election_and_transport(ha, 120, False, "recommended", None, "ip")
    assert ha.findtext("group/election-option/device-priority") == "120"
    assert ha.find("group/election-option/timers/aggressive") is None


def test_written_config_compares_equal_in_any_order():
    written = ha_config.add_election_and_transport(ET.fromstring(BASE), 100, False, "recommended", None, "ip")
    reordered = ET.fromstring(BASE.replace("<enabled>yes</enabled><group>", "<group>").replace(
        "</interface></high-availability>", "</interface>\n  <enabled>yes</enabled></high-availability>"))
    reordered = ha_config.add_election_and_transport(reordered, 100, False, "recommended", None, "ip")
    assert same_xml(written, reordered)
    changed = ha_config.add_election_and_transport(ET.fromstring(BASE), 101, False, "recommended", None, "ip")
    assert not same_xml(written, changed)
    assert not same_xml(None, written) and same_xml(None, None)
