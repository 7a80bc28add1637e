"""config_fingerprint: converged only with the recorded fingerprint and nothing pending; what the
stage's modules leave alone is no difference."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ansible_collections.vmseries.aws_ha.plugins.module_utils.panos import canonical
from ansible_collections.vmseries.aws_ha.plugins.modules.config_fingerprint import differences, fingerprint, managed_view


def test_fingerprint_parts():
    found = fingerprint("a" * 64, "config")
    assert found.startswith("inputs=aaaaaaaaaaaa config=") and len(found.split()) == 2
    assert fingerprint("a" * 64, "config") != fingerprint("a" * 64, "other config")


def test_differences_name_the_parts_and_pending_changes():
    now = fingerprint("a" * 64, "config")
    assert differences(now, now, pending=False) == []
    assert differences(now, now, pending=True) == ["pending"]
    assert differences(fingerprint("b" * 64, "config"), now, pending=False) == ["inputs"]
    assert differences(fingerprint("a" * 64, "old"), now, pending=False) == ["config"]
    assert differences("", now, pending=False) == ["inputs", "config"]


HA = """<high-availability><enabled>yes</enabled><group><group-id>9</group-id><peer-ip>10.0.0.5</peer-ip>
<mode><active-passive>{passive}</active-passive></mode>
<state-synchronization><enabled>yes</enabled><transport>ethernet</transport>{keepalive}</state-synchronization>
<election-option><device-priority>{priority}</device-priority><preemptive>no</preemptive></election-option>
{monitoring}</group><interface><ha1><port>management</port></ha1><ha2><port>ethernet1/1</port></ha2></interface>
</high-availability>"""
ZONE = """<zone><entry name="untrust"><network><layer3><member>ethernet1/2</member></layer3></network>{user_id}</entry></zone>"""


def config_text(priority="100", passive="", keepalive="", monitoring="", user_id="") -> str:
    devices = ET.fromstring(
        "<devices><entry name='localhost.localdomain'><deviceconfig><system><hostname>fw</hostname></system>"
        + HA.format(priority=priority, passive=passive, keepalive=keepalive, monitoring=monitoring)
        + "</deviceconfig><vsys><entry name='vsys1'>" + ZONE.format(user_id=user_id) + "</entry></vsys></entry></devices>")
    return repr(canonical(managed_view(devices)))


def test_what_the_converge_leaves_alone_is_no_difference():
    """Palo Alto's panos_ha and panos_zone spell out settings the stage's modules keep as found
    (passive-link-state, HA2 keep-alive) or read as absent (User-ID off): no full converge for those."""
    plain = config_text()
    assert config_text(passive="<passive-link-state>auto</passive-link-state>",
                       keepalive="<ha2-keep-alive><enabled>yes</enabled></ha2-keep-alive>",
                       monitoring="<monitoring><path-monitoring><enabled>yes</enabled></path-monitoring></monitoring>",
                       user_id="<enable-user-identification>no</enable-user-identification>") == plain
    # What the modules own is still seen, and so is User-ID turned on.
    assert config_text(priority="110") != plain
    assert config_text(user_id="<enable-user-identification>yes</enable-user-identification>") != plain


def test_the_firewalls_configuration_is_left_as_read():
    devices = ET.fromstring("<devices><entry name='x'><deviceconfig>" + HA.format(
        priority="1", passive="<passive-link-state>auto</passive-link-state>", keepalive="", monitoring="")
        + "</deviceconfig></entry></devices>")
    managed_view(devices)
    assert devices.find(".//passive-link-state") is not None
