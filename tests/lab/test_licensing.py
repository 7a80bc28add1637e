"""The lab's licensing server and a firewall's licence, through the real clients: pan-os-python's
own licensing calls, the lab's CLI, and HA between peers with different licences."""

from __future__ import annotations

import json
import re
import uuid
import xml.etree.ElementTree as ET

import pytest
from pan.xapi import PanXapiError
from panos.errors import PanDeviceError

from ansible_collections.vmseries.aws_ha.plugins.module_utils import ha_state

from .pairs import configure_ha, connect, launch_pair, set_password
from .test_failover_module import assert_both_refuse

SYSTEM_INFO = "<show><system><info></info></system></show>"
DEACTIVATE = "<request><license><deactivate><VM-Capacity><mode>auto</mode></VM-Capacity></deactivate></license></request>"


def api_key_set(key):
    return f"<request><license><api-key><set><key>{key}</key></set></api-key></license></request>"


def system(device):
    return device.op(SYSTEM_INFO, cmd_xml=False).find("result/system")


def licenses(running_lab):
    listed = running_lab.cli("license", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return {code["code"]: code for code in json.loads(listed.stdout)}


def add_code(running_lab, model="VM-300", count=2, support_days=365):
    code = "T" + uuid.uuid4().hex[:7].upper()
    added = running_lab.cli("license", "add", code, "--model", model, "--count", str(count),
                            "--support-days", str(support_days))
    assert added.returncode == 0, added.stderr
    return code


def licensed_pair(running_lab, payg=False):
    pair = launch_pair(running_lab, payg=payg)
    devices = {}
    for node in ("primary", "secondary"):
        fw = running_lab.wait_up(getattr(pair, node))
        set_password(fw, pair.key_file)
        devices[node] = connect(fw)
    return pair, devices


def wait_restarted(running_lab, device):
    """After a licence fetch: the services restart (credentials refused), then the firewall is ready."""
    def ready():
        try:
            return system(device).findtext("serial") != "unknown"
        except (PanXapiError, PanDeviceError):
            return False
    running_lab.wait_for(ready, timeout=30, interval=0.2, what="the firewall back after its licence restart")


@pytest.fixture(scope="module")
def byol_pair(running_lab):
    return licensed_pair(running_lab)


def test_byol_boots_unlicensed(byol_pair):
    _, devices = byol_pair
    info = system(devices["primary"])
    # As the unlicensed PA-VM capture shows them.
    assert info.findtext("serial") == "unknown"
    assert info.findtext("vm-license") == "none"
    assert info.findtext("vm-cpuid").startswith("AWS:")
    assert devices["primary"].request_license_info() == []


def test_invalid_auth_code_is_refused(byol_pair):
    _, devices = byol_pair
    with pytest.raises((PanXapiError, PanDeviceError)) as refused:
        devices["primary"].activate_feature_using_authorization_code("I0000000")
    assert "Invalid Auth Code: I0000000" in str(refused.value)
    assert system(devices["primary"]).findtext("vm-license") == "none"


def test_fetch_restarts_services_then_licensed_and_capacity_used(running_lab, byol_pair):
    pair, devices = byol_pair
    code = add_code(running_lab, count=1)
    # pan-os-python's own call: the plain-text answer is its success.
    devices["primary"].activate_feature_using_authorization_code(code)
    # The management services restart: credentials are refused until they are back.
    with pytest.raises((PanXapiError, PanDeviceError)):
        system(connect(running_lab.firewall(pair.primary)))
    wait_restarted(running_lab, devices["primary"])
    info = system(devices["primary"])
    assert re.fullmatch(r"\d{15}", info.findtext("serial"))
    assert info.findtext("vm-license") == "VM-300"
    entries = devices["primary"].request_license_info()
    assert [(e.feature, e.description, e.authcode, e.expired) for e in entries] == [
        ("PA-VM", "Standard VM-300", code, False),
        ("Premium", "24 x 7 phone support; advanced replacement hardware service", code, False)]
    assert entries[0].serial == info.findtext("serial")
    counters = running_lab.counters(pair.primary)
    assert counters["counts"]["events.services_restart"] == 1
    held = licenses(running_lab)[code]
    assert (held["left"], list(held["serials"].values())) == (0, [pair.primary])

    # The code's one seat is taken: the second firewall is refused with the count.
    with pytest.raises((PanXapiError, PanDeviceError)) as refused:
        devices["secondary"].activate_feature_using_authorization_code(code)
    assert f"Auth Code {code} has no capacity left" in str(refused.value)
    assert system(devices["secondary"]).findtext("serial") == "unknown"

    # Deactivation needs the portal's licensing API key on the firewall.
    with pytest.raises(PanXapiError, match="API Key is not set"):
        devices["primary"].op(DEACTIVATE, cmd_xml=False)
    devices["primary"].op(api_key_set("not-a-portal-key"), cmd_xml=False)
    with pytest.raises(PanXapiError, match="licensing API key was not accepted"):
        devices["primary"].op(DEACTIVATE, cmd_xml=False)
    assert licenses(running_lab)[code]["left"] == 0
    devices["primary"].op(api_key_set("a-portal-key-of-this-test"), cmd_xml=False)
    assert running_lab.cli("license", "api-key", "a-portal-key-of-this-test").returncode == 0
    answer = devices["primary"].op(DEACTIVATE, cmd_xml=False)
    assert "Successfully deactivated" in answer.findtext("result")
    assert licenses(running_lab)[code]["left"] == 1
    assert devices["primary"].request_license_info() == []
    assert system(devices["primary"]).findtext("vm-license") == "none"


def test_payg_boots_licensed_and_refuses_auth_codes(running_lab):
    _, devices = licensed_pair(running_lab, payg=True)
    info = system(devices["primary"])
    assert info.findtext("vm-cpuid").startswith("AWSMP:")
    assert re.fullmatch(r"[0-9A-Z]{15}", info.findtext("serial"))
    assert info.findtext("vm-license") == "VM-300"
    with pytest.raises((PanXapiError, PanDeviceError)) as refused:
        devices["primary"].activate_feature_using_authorization_code("LAB-VM300")
    assert "PAYG" in str(refused.value)


def test_peers_with_different_licences_one_goes_non_functional(running_lab, tmp_path):
    pair, devices = licensed_pair(running_lab)
    for node, model in (("primary", "VM-300"), ("secondary", "VM-100")):
        devices[node].activate_feature_using_authorization_code(add_code(running_lab, model=model, count=1))
    for node in ("primary", "secondary"):
        wait_restarted(running_lab, devices[node])
    configure_ha(devices["primary"], 9, pair.ips["secondary-mgmt"], 100, pair.ips["primary-ha2"])
    configure_ha(devices["secondary"], 9, pair.ips["primary-mgmt"], 110, pair.ips["secondary-ha2"])

    def commit(device):
        # Right after the restart the firewall may still be finishing its AutoCom.
        running_lab.wait_for(lambda: not any(j.findtext("status") != "FIN" for j in device.op(
            "<show><jobs><all></all></jobs></show>", cmd_xml=False).findall("result/job")), what="jobs done")
        assert device.commit(sync=True)["success"]

    commit(devices["primary"])
    commit(devices["secondary"])

    def states():
        return {node: d.op("<show><high-availability><all></all></high-availability></show>", cmd_xml=False)
                for node, d in devices.items()}

    running_lab.wait_for(lambda: states()["secondary"].findtext("result/group/local-info/state") == "non-functional",
                         timeout=30, what="the secondary non-functional",
                         last_seen=lambda: {n: ET.tostring(x, encoding="unicode")[:600] for n, x in states().items()})
    seen = states()
    local = seen["secondary"].find("result/group/local-info")
    assert (local.findtext("vm-license"), local.findtext("vm-license-compat")) == ("VM-100", "Mismatch")
    assert local.findtext("last-error-reason") == "VM License mismatches with peer"
    assert seen["secondary"].findtext("result/group/peer-info/vm-license") == "VM-300"
    # The primary learns its peer's new state from the next hello: wait for both views.
    running_lab.wait_for(lambda: (states()["primary"].findtext("result/group/local-info/state"),
                                  states()["primary"].findtext("result/group/peer-info/state")) == ("active", "non-functional"),
                         what="the primary active, seeing its peer non-functional")
    # What the collection's pair check makes of it: the non-functional peer named, with both licences.
    problems = ha_state.pair_problems({node: ha_state.parse_ha_all(xml) for node, xml in states().items()})
    assert problems == ["secondary is non-functional (VM License mismatches with peer: it has VM-100, its peer VM-300; "
                        "HA peers need identical licences, license both from auth codes of the same model)"]
    # The pair check and failover verification refuse it alike, naming both licences.
    both = assert_both_refuse(running_lab, tmp_path, pair, "the peers' licences differ (primary VM-300, secondary VM-100)")
    assert problems[0] in both


def test_license_cli_refuses_unknown_models(running_lab):
    refused = running_lab.cli("license", "add", "TBADMODEL", "--model", "VM-9000")
    assert refused.returncode == 2
    assert "unknown VM-Series model" in refused.stderr
