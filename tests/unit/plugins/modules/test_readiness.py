"""readiness: chassis-ready and every job finished, AutoCom included; credentials refused while
the firewall boots waited out, refused after it accepted them failing at once; a failed AutoCom
reported, not waited for; the timeout naming what was still not ready."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from conftest import ModuleExit
from pan.xapi import PanXapiError

from ansible_collections.vmseries.aws_ha.plugins.modules import readiness

FORBIDDEN = "URLError: code: 403 reason: Invalid Credential"


def job(ident, kind, status, result):
    return (f"<job><id>{ident}</id><type>{kind}</type><status>{status}</status><result>{result}</result>"
            "<progress>50</progress></job>")


def answers(fake_xapi, chassis, jobs):
    """Each poll takes the next answer of `chassis` (yes/no) and of `jobs` (a list of <job>s); the last repeats."""
    def step(values):
        return values.pop(0) if len(values) > 1 else values[0]

    def chassis_ready(_cmd):
        return ET.fromstring(f'<response status="success"><result>{step(chassis)}</result></response>')

    def show_jobs(_cmd):
        return ET.fromstring(f'<response status="success"><result>{"".join(step(jobs))}</result></response>')

    fake_xapi.op_handlers["show chassis-ready"] = chassis_ready
    fake_xapi.op_handlers["show jobs all"] = show_jobs
    fake_xapi.op_handlers["show system info"] = lambda _cmd: ET.fromstring(SYSTEM_INFO)


# The shape of show-system-info__pan-os-upgrade-assurance__1 (../shared/panos-samples), trimmed.
SYSTEM_INFO = """<response status="success"><result><system><hostname>PA-VM</hostname><sw-version>11.0.3</sw-version>
<plugin_versions><entry name="vm_series" version="3.0.2"><pkginfo>vm_series-3.0.2</pkginfo></entry>
<entry name="dlp" version="3.0.1"><pkginfo>dlp-3.0.1-c9</pkginfo></entry></plugin_versions>
<platform-family>vm</platform-family></system></result></response>"""


def test_a_ready_firewall_is_ready_at_once(fake_xapi, run_module, provider):
    answers(fake_xapi, ["yes"], [[job(2, "Commit", "FIN", "OK"), job(1, "AutoCom", "FIN", "OK")]])
    result = run_module(readiness, {"provider": provider, "poll_interval": 0})
    assert result["changed"] is False and result["jobs_waited_for"] == [] and result["autocommit"] == "OK"
    assert [c[1] for c in fake_xapi.calls] == ["<show><chassis-ready></chassis-ready></show>",
                                                "<show><jobs><all></all></jobs></show>",
                                                "<show><system><info></info></system></show>"]
    assert result["sw_version"] == "11.0.3" and result["plugin_versions"] == {"vm_series": "3.0.2", "dlp": "3.0.1"}


def test_waits_for_chassis_ready_and_for_the_autocommit(fake_xapi, run_module, provider):
    running, done = [job(1, "AutoCom", "ACT", "PEND")], [job(1, "AutoCom", "FIN", "OK")]
    answers(fake_xapi, ["no", "no", "yes", "yes"], [running, running, running, done])
    result = run_module(readiness, {"provider": provider, "poll_interval": 0})
    assert result["jobs_waited_for"] == ["1 AutoCom"] and result["autocommit"] == "OK"
    assert [c[1] for c in fake_xapi.calls].count("<show><chassis-ready></chassis-ready></show>") == 4


def test_a_failed_job_entry_without_status_is_not_waited_for(fake_xapi, run_module, provider):
    failed = "<job><type>Failed-Job</type><details><line>job failed because of configd restart</line></details></job>"
    answers(fake_xapi, ["yes"], [[failed, job(1, "AutoCom", "FIN", "OK")]])
    assert run_module(readiness, {"provider": provider, "poll_interval": 0})["jobs_waited_for"] == []


def test_a_failed_autocommit_is_reported_not_waited_for(fake_xapi, run_module, provider):
    answers(fake_xapi, ["yes"], [[job(1, "AutoCom", "FIN", "FAIL")]])
    result = run_module(readiness, {"provider": provider, "poll_interval": 0})
    assert result["autocommit"] == "FAIL"


def test_credentials_refused_while_booting_are_waited_out(fake_xapi, run_module, provider):
    answers(fake_xapi, ["yes"], [[job(1, "AutoCom", "FIN", "OK")]])
    fake_xapi.errors = [PanXapiError(FORBIDDEN), PanXapiError(FORBIDDEN)]
    result = run_module(readiness, {"provider": provider, "poll_interval": 0})
    assert result["api_wait"]["refused_credentials"] == 2 and result["api_wait"]["attempts"] == 2


def test_credentials_refused_after_they_worked_fail_at_once(fake_xapi, run_module, provider):
    answers(fake_xapi, ["no", "yes"], [[job(1, "AutoCom", "ACT", "PEND")]])
    original = fake_xapi.op
    calls = {"n": 0}

    def op(cmd, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise PanXapiError(FORBIDDEN)
        return original(cmd, *args, **kwargs)

    fake_xapi.op = op
    with pytest.raises(ModuleExit) as failure:
        run_module(readiness, {"provider": provider, "poll_interval": 0})
    assert "refused the credentials" in failure.value.result["msg"] and calls["n"] == 3


def test_the_timeout_names_what_is_not_ready(fake_xapi, run_module, provider):
    answers(fake_xapi, ["no"], [[job(1, "AutoCom", "ACT", "PEND")]])
    with pytest.raises(ModuleExit) as failure:
        run_module(readiness, {"provider": provider, "poll_interval": 0, "timeout": 0})
    message = failure.value.result["msg"]
    assert "show chassis-ready says no" in message and "job 1 (AutoCom) is ACT at 50%" in message
