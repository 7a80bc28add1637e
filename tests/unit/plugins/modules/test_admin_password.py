"""admin_password: no SSH when the API already takes the password; a refusal while the firewall
boots is waited out over SSH (chassis-ready) and changes nothing; otherwise the CLI dialogue,
connection and commit retries, failures and check mode."""

from __future__ import annotations

import pytest
from conftest import FakeClock, ModuleExit
from netmiko import NetmikoAuthenticationException, NetmikoTimeoutException
from panos.base import PanDevice
from panos.errors import PanDeviceXapiError

from ansible_collections.vmseries.aws_ha.plugins.module_utils import wait
from ansible_collections.vmseries.aws_ha.plugins.modules import admin_password

OK_OUTPUT = {
    "configure": "Entering configuration mode\n[edit]\nadmin@PA-VM# ",
    "set mgt-config users admin password": "Enter password   : ",
    "commit": "Commit job 2 is in progress. Use Ctrl+C to return to command prompt\n...100%\n"
              "Configuration committed successfully\n[edit]\nadmin@PA-VM# ",
    "exit": "admin@PA-VM> ",
    "show chassis-ready": "yes\nadmin@PA-VM> ",
}
BUSY = "Another commit/validate is in progress. Please try again later\n[edit]\nadmin@PA-VM# "


class Session:
    def __init__(self, outputs, password):
        self.outputs, self.password = outputs, password
        self.sent = []
        self.disconnected = False
        self.confirm_answer = "\n[edit]\nadmin@PA-VM# "

    def send_command(self, command, **kwargs):
        self.sent.append((command, kwargs["expect_string"]))
        if command == self.password:
            return "Confirm password : " if len([c for c, _ in self.sent if c == command]) == 1 else self.confirm_answer
        output = self.outputs[command]
        # A list: the answers to successive sends, the last one repeated.
        return (output.pop(0) if len(output) > 1 else output[0]) if isinstance(output, list) else output

    def disconnect(self):
        self.disconnected = True


@pytest.fixture
def firewall(monkeypatch, fake_xapi, provider):
    """The API refuses the password until the CLI has committed it."""
    state = {"password_set": False, "keygens": 0, "connects": [], "connect_errors": [], "outputs": dict(OK_OUTPUT),
             "auth_up": True}
    clock = FakeClock()
    monkeypatch.setattr(wait, "time", clock)

    def keygen(self):
        state["keygens"] += 1
        if not state["password_set"] or not state["auth_up"]:
            raise PanDeviceXapiError("URLError: code: 403 reason: Invalid Credential")
        return "LUFRPT-key"

    def connect(**kwargs):
        state["connects"].append(kwargs)
        if state["connect_errors"]:
            raise state["connect_errors"].pop(0)
        session = Session(state["outputs"], provider["password"])
        session.confirm_answer = state.get("confirm_answer", session.confirm_answer)
        original = session.send_command

        def send(command, **send_kwargs):
            out = original(command, **send_kwargs)
            if command == "commit" and "committed successfully" in out:
                state["password_set"] = True
            if command == "show chassis-ready" and "yes" in out:
                state["auth_up"] = True  # the auth service is up before the chassis is ready
            return out

        session.send_command = send
        state["session"] = session
        return session

    monkeypatch.setattr(PanDevice, "_retrieve_api_key", keygen)
    monkeypatch.setattr(admin_password, "ConnectHandler", connect)
    return state


def args(provider, **extra):
    return {"provider": provider, "ssh_key_file": "/keys/pair.pem", "ssh_host": "198.51.100.5", **extra}


def test_password_already_works_no_ssh(firewall, run_module, provider):
    firewall["password_set"] = True
    result = run_module(admin_password, args(provider, return_api_key=True))
    assert result["changed"] is False and result["method"] == "api" and result["api_key"] == "LUFRPT-key"
    assert firewall["connects"] == [] and result["ssh_attempts"] == 0


def test_fresh_firewall_gets_its_password_over_ssh(firewall, run_module, provider):
    result = run_module(admin_password, args(provider, return_api_key=True))
    assert result["changed"] is True and result["method"] == "ssh" and result["api_key"] == "LUFRPT-key"
    [connect] = firewall["connects"]
    assert connect["device_type"] == "paloalto_panos" and connect["use_keys"] is True
    assert connect["key_file"] == "/keys/pair.pem" and connect["host"] == "198.51.100.5" and connect["port"] == 22
    assert [c for c, _ in firewall["session"].sent] == [
        "show chassis-ready", "configure", "set mgt-config users admin password", provider["password"],
        provider["password"], "commit", "exit"]
    assert firewall["session"].disconnected


def test_key_is_not_returned_unless_asked(firewall, run_module, provider):
    assert "api_key" not in run_module(admin_password, args(provider))


def test_check_mode_reports_the_change_and_only_asks_over_ssh(firewall, run_module, provider):
    result = run_module(admin_password, args(provider), check=True)
    assert result["changed"] is True and [c for c, _ in firewall["session"].sent] == ["show chassis-ready"]
    assert firewall["password_set"] is False


def test_refusal_while_booting_is_waited_out_and_changes_nothing(firewall, run_module, provider):
    # The password is right, but the firewall is booting: its API refuses it until the chassis is ready.
    firewall.update(password_set=True, auth_up=False)
    firewall["outputs"]["show chassis-ready"] = ["no\nadmin@PA-VM> ", "no\nadmin@PA-VM> ", "yes\nadmin@PA-VM> "]
    result = run_module(admin_password, args(provider, return_api_key=True))
    assert result["changed"] is False and result["method"] == "api" and result["api_key"] == "LUFRPT-key"
    assert [c for c, _ in firewall["session"].sent] == ["show chassis-ready"] * 3
    assert result["chassis_ready_wait"] == 2 * admin_password.CHASSIS_READY_POLL


def test_a_bootstrapped_firewall_that_took_its_password_needs_no_ssh(firewall, run_module, provider):
    firewall["password_set"] = True
    result = run_module(admin_password, args(provider, bootstrapped=True))
    assert result["changed"] is False and result["method"] == "api" and firewall["connects"] == []


def test_a_failed_bootstrap_is_reported_in_pan_os_words_and_no_password_is_set(firewall, run_module, provider):
    status = ("Media Detection          Success   Media detected successfully\n"
              "Media Sanity Check       Success   Media sanity check successful\n"
              "Parsing of Initial Config Failed   AccessDenied: not authorized to perform: s3:GetObject")
    firewall["outputs"]["show system bootstrap status"] = status + "\nadmin@PA-VM> "
    with pytest.raises(ModuleExit) as failure:
        run_module(admin_password, args(provider, bootstrapped=True))
    message = failure.value.result["msg"]
    assert "did not take the admin password from its bootstrap package" in message
    assert "AccessDenied: not authorized to perform: s3:GetObject" in message and "terminate this instance" in message
    assert [c for c, _ in firewall["session"].sent] == ["show chassis-ready", "show system bootstrap status"]
    assert firewall["password_set"] is False and firewall["session"].disconnected


def test_a_bootstrap_still_committing_is_waited_out_before_a_refusal_counts(firewall, run_module, provider):
    """No failed phase yet: the password may come with the boot-time commit a moment later."""
    firewall["outputs"]["show system bootstrap status"] = "Media Detection  Success\nadmin@PA-VM> "
    with pytest.raises(ModuleExit) as failure:
        run_module(admin_password, args(provider, bootstrapped=True, api_wait_timeout=1))
    assert "did not take the admin password" in failure.value.result["msg"]
    assert [c for c, _ in firewall["session"].sent] == ["show chassis-ready", "show system bootstrap status",
                                                        "show system bootstrap status"]
    assert firewall["keygens"] >= 3 and firewall["password_set"] is False


def test_chassis_never_ready_fails_with_what_it_said(firewall, run_module, provider):
    firewall["outputs"]["show chassis-ready"] = ["no\nadmin@PA-VM> "]
    with pytest.raises(ModuleExit) as failure:
        run_module(admin_password, args(provider, wait_for_ssh_timeout=60))
    assert "'show chassis-ready' still said 'no" in failure.value.result["msg"]
    assert "has not finished booting" in failure.value.result["msg"] and firewall["password_set"] is False


def test_a_password_the_cli_refuses_fails_naming_the_refusal_and_commits_nothing(firewall, run_module, provider):
    firewall["confirm_answer"] = "\nPassword must be at least 8 characters long\n[edit]\nadmin@PA-VM# "
    with pytest.raises(ModuleExit) as failure:
        run_module(admin_password, args(provider))
    message = failure.value.result["msg"]
    assert "refused the new admin password: Password must be at least 8 characters long." in message
    assert "vmseries_admin_password" in message and "Nothing was committed" in message
    assert provider["password"] not in message
    assert "commit" not in [c for c, _ in firewall["session"].sent] and firewall["session"].disconnected
    assert firewall["password_set"] is False


def test_commit_during_the_boot_time_commit_is_retried(firewall, run_module, provider):
    firewall["outputs"]["commit"] = [BUSY, BUSY, OK_OUTPUT["commit"]]
    result = run_module(admin_password, args(provider))
    assert result["changed"] is True
    assert [c for c, _ in firewall["session"].sent].count("commit") == 3


def test_booting_firewall_ssh_is_retried(firewall, run_module, provider):
    firewall["connect_errors"] = [NetmikoTimeoutException("TCP connection to device failed."),
                                  NetmikoAuthenticationException("Authentication to device failed.")]
    result = run_module(admin_password, args(provider))
    assert result["changed"] is True and result["ssh_attempts"] == 3


def test_ssh_never_up_fails_with_the_cause(firewall, run_module, provider):
    firewall["connect_errors"] = [NetmikoTimeoutException("TCP connection to device failed.")] * 1000
    with pytest.raises(ModuleExit) as failure:
        run_module(admin_password, args(provider, wait_for_ssh_timeout=60))
    assert "Could not log in over SSH to admin@198.51.100.5:22 within 60 s" in failure.value.result["msg"]
    assert "may still be booting" in failure.value.result["msg"]


def test_wrong_key_is_named(firewall, run_module, provider):
    firewall["connect_errors"] = [NetmikoAuthenticationException("Authentication to device failed.")] * 1000
    with pytest.raises(ModuleExit, match=r"refuses the key: check that ssh_key_file \(/keys/pair.pem\)"):
        run_module(admin_password, args(provider, wait_for_ssh_timeout=30))


def test_commit_failure_is_reported_without_the_password(firewall, run_module, provider):
    firewall["outputs"]["commit"] = f"Commit failed: password {provider['password']} too weak\nadmin@PA-VM# "
    with pytest.raises(ModuleExit) as failure:
        run_module(admin_password, args(provider))
    assert "did not commit the new password" in failure.value.result["msg"]
    assert provider["password"] not in failure.value.result["msg"] + failure.value.result["output"]
