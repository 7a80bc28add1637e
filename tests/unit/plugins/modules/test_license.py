"""license: a licensed firewall left alone; an unlicensed BYOL one fetches from the auth code,
waits out the services' restart and is checked; PAN-OS's refusals passed on with what to do;
PAYG checked, never sent a code; deactivation with the licensing API key, refused without it; no
result or failure carries the auth code, the licensing API key or the provider's password."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from ansible.module_utils import basic
from conftest import ModuleExit
from pan.xapi import PanXapiError

from ansible_collections.vmseries.aws_ha.plugins.modules import license as license_module

FORBIDDEN = "URLError: code: 403 reason: Invalid Credential"
INSTALLED = "VM Device License installed. Restarting pan services."
# The auth code the firewall's licence came from, as `request license info` names it; distinct from
# the codes the tests pass, so that only the module's own care keeps it out of a result.
HELD_CODE = "I7654321"


def answer(result):
    return ET.fromstring(f'<response status="success">{result}</response>')


class Licensing:
    """A firewall's licence as the op commands show it, and the licensing server behind it."""

    def __init__(self, fake_xapi, model=None, payg=False, refuse=None, refuse_deactivation=None):
        self.xapi, self.model, self.payg, self.refuse = fake_xapi, model, payg, refuse
        self.refuse_deactivation = refuse_deactivation
        self.serial = "007955100000001" if model else None
        self.restart_polls = 0  # requests refused after a fetch, as the services restart
        self.api_key = None
        for key, handler in (("show system info", self.system_info), ("request license info", self.info),
                             ("request license fetch auth-code", self.fetch), ("show chassis-ready", self.ready),
                             ("show jobs all", self.jobs), ("request license api-key set key", self.set_key),
                             ("request license deactivate VM-Capacity mode", self.deactivate)):
            fake_xapi.op_handlers[key] = handler

    def _restarting(self):
        if self.restart_polls:
            self.restart_polls -= 1
            raise PanXapiError(FORBIDDEN)

    def system_info(self, _cmd):
        self._restarting()
        cpuid = "AWSMP:0123456789abcdef0:hd44w1chf26uv4p52cdynb2o:eu-west-1" if self.payg else "AWS:57060500FFFBEBBF"
        return answer(f"<result><system><serial>{self.serial or 'unknown'}</serial><vm-cpuid>{cpuid}</vm-cpuid>"
                             f"<vm-license>{self.model or 'none'}</vm-license></system></result>")

    def info(self, _cmd):
        entry = (f"<entry><feature>PA-VM</feature><description>Standard {self.model}</description><serial>{self.serial}"
                 "</serial><issued>November 25, 2026</issued><expires>Never</expires><expired>no</expired>"
                 f"<authcode>{HELD_CODE}</authcode></entry>") if self.model else ""
        return answer(f"<result><licenses>{entry}</licenses></result>")

    def fetch(self, cmd):
        if self.refuse:
            raise PanXapiError(self.refuse)
        self.model, self.serial, self.restart_polls = "VM-300", "007955100000001", 2
        # pan-python's answer to PAN-OS's plain text sent as XML.
        self.xapi.xml_document = INSTALLED
        raise PanXapiError("ElementTree.fromstring ParseError: syntax error: line 1, column 0")

    def ready(self, _cmd):
        self._restarting()
        return answer("<result>yes</result>")

    def jobs(self, _cmd):
        return answer("<result><job><id>1</id><type>AutoCom</type><status>FIN</status><result>OK</result></job></result>")

    def set_key(self, cmd):
        self.api_key = cmd.findtext("license/api-key/set/key")
        return answer("<result>API Key is successfully set</result>")

    def deactivate(self, _cmd):
        if self.api_key != "portal-key":
            raise PanXapiError("API Key is not set" if self.api_key is None else "the licensing API key was not accepted")
        if self.refuse_deactivation:
            raise PanXapiError(self.refuse_deactivation)
        self.model = None
        return answer("<result>Successfully deactivated VM. Please issue reboot</result>")


def ops(fake_xapi):
    return [call[1] for call in fake_xapi.calls if call[0] == "op"]


def fetches(fake_xapi):
    return [c for c in ops(fake_xapi) if "<fetch>" in c]


def leaked(result, *secrets):
    """The secrets found anywhere in a result (its values, lists and messages, serialized)."""
    text = json.dumps(result)
    return [secret for secret in secrets if secret in text]


def test_a_licensed_firewall_is_left_alone(fake_xapi, run_module, provider):
    Licensing(fake_xapi, model="VM-300")
    result = run_module(license_module, {"provider": provider, "auth_code": "I1234567"})
    assert result["changed"] is False and result["licensed"] and result["model"] == "VM-300"
    assert fetches(fake_xapi) == []
    assert leaked(result, HELD_CODE, "I1234567", provider["password"]) == []


def test_licences_are_listed_without_their_auth_code(fake_xapi, run_module, provider):
    """What the pair check reads (check mode, no auth code given): every field but the code."""
    Licensing(fake_xapi, model="VM-300")
    result = run_module(license_module, {"provider": provider, "allow_unlicensed": True}, check=True)
    (licence,) = result["licenses"]
    assert licence == {"feature": "PA-VM", "description": "Standard VM-300", "serial": "007955100000001",
                       "issued": "November 25, 2026", "expires": "Never", "expired": "no"}
    assert leaked(result, HELD_CODE) == []


def test_unlicensed_byol_fetches_waits_out_the_restart_and_is_checked(fake_xapi, run_module, provider):
    licensing = Licensing(fake_xapi)
    result = run_module(license_module, {"provider": provider, "auth_code": "I1234567", "poll_interval": 0})
    assert result["changed"] is True
    assert (result["model"], result["serial"], result["payg"]) == ("VM-300", "007955100000001", False)
    assert leaked(result, HELD_CODE, "I1234567") == []
    assert fetches(fake_xapi) == ["<request><license><fetch><auth-code>I1234567</auth-code></fetch></license></request>"]
    assert licensing.restart_polls == 0  # the module saw the restart and waited it out
    assert result["licenses"][0]["description"] == "Standard VM-300"


def test_check_mode_fetches_nothing(fake_xapi, run_module, provider):
    Licensing(fake_xapi)
    result = run_module(license_module, {"provider": provider, "auth_code": "I1234567"}, check=True)
    assert result["changed"] is True and not result["licensed"] and fetches(fake_xapi) == []


@pytest.mark.parametrize("refusal, advice", [
    ("Failed to install licenses. Invalid Auth Code: {code}", "Check vmseries_auth_code"),
    ("Failed to install licenses. Auth Code {code} has no capacity left", "licenses as many firewalls as it was bought for"),
])
def test_refusals_carry_panos_words_without_the_code_and_what_to_do(fake_xapi, run_module, provider, refusal, advice):
    Licensing(fake_xapi, refuse=refusal.format(code="I0000000"))
    with pytest.raises(ModuleExit) as failed:
        run_module(license_module, {"provider": provider, "auth_code": "I0000000"})
    assert refusal.format(code="********") in failed.value.result["msg"] and advice in failed.value.result["msg"]
    assert leaked(failed.value.result, "I0000000", provider["password"]) == []
    assert len(fetches(fake_xapi)) == 1  # never retried: a retry could take a second seat


def test_byol_without_auth_code_fails_unless_unlicensed_is_allowed(fake_xapi, run_module, provider):
    Licensing(fake_xapi)
    with pytest.raises(ModuleExit) as failed:
        run_module(license_module, {"provider": provider})
    assert "no auth_code was given" in failed.value.result["msg"]
    result = run_module(license_module, {"provider": provider, "allow_unlicensed": True})
    assert result["changed"] is False and result["licensed"] is False


def test_payg_is_checked_never_sent_a_code(fake_xapi, run_module, provider):
    Licensing(fake_xapi, model="VM-300", payg=True)
    result = run_module(license_module, {"provider": provider})
    assert result["payg"] and result["licensed"] and fetches(fake_xapi) == []


def test_payg_without_its_marketplace_licence_fails(fake_xapi, run_module, provider):
    Licensing(fake_xapi, payg=True)
    with pytest.raises(ModuleExit) as failed:
        run_module(license_module, {"provider": provider, "auth_code": "I1234567"})
    assert "AWS Marketplace licence is missing" in failed.value.result["msg"] and fetches(fake_xapi) == []


def test_deactivation_installs_the_key_and_reports_what_was_given_back(fake_xapi, run_module, provider):
    Licensing(fake_xapi, model="VM-300")
    result = run_module(license_module, {"provider": provider, "state": "absent", "licensing_api_key": "portal-key"})
    assert result["changed"] is True and result["licensed"] is False
    assert [(d["description"], d["serial"]) for d in result["deactivated"]] == [("Standard VM-300", "007955100000001")]
    # Teardown passes no auth code: nothing but the module keeps the one of the licence out of the result.
    assert "authcode" not in result["deactivated"][0]
    assert leaked(result, HELD_CODE, "portal-key", provider["password"]) == []
    assert [c for c in ops(fake_xapi) if "<api-key>" in c or "<deactivate>" in c] == [
        "<request><license><api-key><set><key>portal-key</key></set></api-key></license></request>",
        license_module.DEACTIVATE]


def test_deactivation_without_the_key_is_refused(fake_xapi, run_module, provider):
    Licensing(fake_xapi, model="VM-300")
    with pytest.raises(ModuleExit) as failed:
        run_module(license_module, {"provider": provider, "state": "absent"})
    assert "no licensing_api_key was given" in failed.value.result["msg"]
    assert "vmseries_teardown_keep_licenses" in failed.value.result["msg"]


def test_deactivation_with_a_wrong_key_fails_and_hides_it(fake_xapi, run_module, provider):
    Licensing(fake_xapi, model="VM-300")
    with pytest.raises(ModuleExit) as failed:
        run_module(license_module, {"provider": provider, "state": "absent", "licensing_api_key": "wrong-key"})
    assert "still holds its VM-300 licence" in failed.value.result["msg"]
    assert leaked(failed.value.result, "wrong-key", HELD_CODE, provider["password"]) == []


def test_a_refused_deactivation_naming_the_auth_code_and_key_is_passed_on_masked(fake_xapi, run_module, provider):
    Licensing(fake_xapi, model="VM-300",
              refuse_deactivation=f"Failed to deactivate the license of auth code {HELD_CODE} with API key portal-key")
    with pytest.raises(ModuleExit) as failed:
        run_module(license_module, {"provider": provider, "state": "absent", "licensing_api_key": "portal-key"})
    assert "PAN-OS says: Failed to deactivate the license of auth code ******** with API key ********" in \
        failed.value.result["msg"]
    assert leaked(failed.value.result, HELD_CODE, "portal-key", provider["password"]) == []


def test_a_refused_licensing_api_key_is_passed_on_masked(fake_xapi, run_module, provider):
    Licensing(fake_xapi, model="VM-300")

    def refused(_cmd):
        raise PanXapiError(f"Invalid API key portal-key for the firewall with {provider['password']}")

    fake_xapi.op_handlers["request license api-key set key"] = refused
    with pytest.raises(ModuleExit) as failed:
        run_module(license_module, {"provider": provider, "state": "absent", "licensing_api_key": "portal-key"})
    assert "did not take the licensing API key: PAN-OS says: Invalid API key ******** for the firewall" in \
        failed.value.result["msg"]
    assert leaked(failed.value.result, "portal-key", provider["password"]) == []


def test_the_auth_codes_read_are_masked_by_ansible_in_anything_else_returned(fake_xapi, run_module, provider,
                                                                             monkeypatch):
    """exit_json runs remove_values over the result with module.no_log_values: the held code is there."""
    seen = {}
    real_init = basic.AnsibleModule.__init__

    def keep(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        seen["module"] = self

    monkeypatch.setattr(basic.AnsibleModule, "__init__", keep)
    Licensing(fake_xapi, model="VM-300")
    run_module(license_module, {"provider": provider, "state": "absent", "licensing_api_key": "portal-key"})
    assert {HELD_CODE, "portal-key", provider["password"]} <= seen["module"].no_log_values


def test_nothing_to_give_back_changes_nothing(fake_xapi, run_module, provider):
    Licensing(fake_xapi)
    result = run_module(license_module, {"provider": provider, "state": "absent", "licensing_api_key": "portal-key"})
    assert result["changed"] is False and result["deactivated"] == []
    assert not [c for c in ops(fake_xapi) if "<deactivate>" in c]


def test_a_connection_dropped_by_the_restart_counts_as_fetched_then_checked(fake_xapi, run_module, provider):
    licensing = Licensing(fake_xapi)
    fetch = licensing.fetch

    def dropped(cmd):
        try:
            fetch(cmd)
        except PanXapiError:
            pass
        fake_xapi.xml_document = ""
        # What pan-os-ansible#183 saw: the firewall closes the connection as its services restart.
        raise PanXapiError("RemoteDisconnected('Remote end closed connection without response')")

    fake_xapi.op_handlers["request license fetch auth-code"] = dropped
    result = run_module(license_module, {"provider": provider, "auth_code": "I1234567", "poll_interval": 0})
    assert result["changed"] is True and result["model"] == "VM-300" and len(fetches(fake_xapi)) == 1
