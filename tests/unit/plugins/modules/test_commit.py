"""commit: no-op when nothing is pending, check mode, job polling, failure messages verbatim,
retry while another commit runs."""

from __future__ import annotations

import pytest
from conftest import ModuleExit
from panos.errors import PanCommitInProgress

from ansible_collections.vmseries.aws_ha.plugins.modules import commit

ZONES = "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']/zone"


def make_pending(xapi):
    xapi.load(ZONES, '<entry name="untrust"/>', running=False)


def test_nothing_pending_means_no_commit(fake_xapi, run_module, provider):
    result = run_module(commit, {"provider": provider})
    assert result["changed"] is False and result["pending"] is False
    assert [c[0] for c in fake_xapi.calls] == ["op"]  # only check pending-changes


def test_check_mode_reports_pending_without_committing(fake_xapi, run_module, provider):
    make_pending(fake_xapi)
    result = run_module(commit, {"provider": provider}, check=True)
    assert result["changed"] is True and result["pending"] is True
    assert fake_xapi.modifying_calls() == []


def test_commit_waits_for_the_job(fake_xapi, run_module, provider):
    make_pending(fake_xapi)
    fake_xapi.job_polls_before_fin = 3
    result = run_module(commit, {"provider": provider, "description": "site.yml <run 1>", "poll_interval": 0})
    assert result["changed"] is True and result["job_id"] == "1" and result["job_result"] == "OK"
    assert result["messages"] == ["Configuration committed successfully"]
    assert fake_xapi.jobs[1]["cmd"] == "<commit><description>site.yml &lt;run 1&gt;</description></commit>"
    assert fake_xapi.jobs[1]["polls"] == 3
    assert run_module(commit, {"provider": provider})["changed"] is False


def test_failed_commit_fails_with_the_job_messages_verbatim(fake_xapi, run_module, provider):
    make_pending(fake_xapi)
    lines = ["Validation Error:", " zone -> untrust  is missing 'network'", "zone is invalid"]
    fake_xapi.commit_result = ("FAIL", lines)
    with pytest.raises(ModuleExit) as failure:
        run_module(commit, {"provider": provider, "poll_interval": 0})
    assert "Validation Error: | zone -> untrust  is missing 'network' | zone is invalid" in failure.value.result["msg"]
    assert failure.value.result["messages"] == [line.strip() for line in lines]
    assert failure.value.result["job_result"] == "FAIL"


def test_another_commit_in_progress_is_retried(fake_xapi, run_module, provider):
    make_pending(fake_xapi)
    original = fake_xapi.commit
    refusals = [PanCommitInProgress("Another commit/validate is in progress. Please try again later")] * 2

    def busy_then_ok(*args, **kwargs):
        if refusals:
            fake_xapi.calls.append(("commit", "", "refused"))
            raise refusals.pop(0)
        return original(*args, **kwargs)

    fake_xapi.commit = busy_then_ok
    result = run_module(commit, {"provider": provider, "poll_interval": 0})
    assert result["changed"] is True and result["job_result"] == "OK"
    assert [c[2] for c in fake_xapi.calls if c[0] == "commit"][:2] == ["refused", "refused"]


def test_job_timeout_names_the_job(fake_xapi, run_module, provider, monkeypatch):
    make_pending(fake_xapi)
    fake_xapi.job_polls_before_fin = 10 ** 6
    with pytest.raises(ModuleExit, match=r"Commit job 1 .* did not finish within the timeout"):
        run_module(commit, {"provider": provider, "timeout": 0, "poll_interval": 0})


def ha_answers(fake_xapi, states):
    """`show high-availability all` answering the given local states in turn (the last repeats)."""
    import xml.etree.ElementTree as ET

    def answer(_cmd):
        state = states.pop(0) if len(states) > 1 else states[0]
        return ET.fromstring(f'<response status="success"><result><enabled>yes</enabled><group><local-info>'
                             f'<state>{state}</state></local-info><peer-info/></group></result></response>')

    fake_xapi.op_handlers["show high-availability all"] = answer


def test_the_first_firewall_of_a_pair_settles_before_its_peer_commits(fake_xapi, run_module, provider):
    make_pending(fake_xapi)
    ha_answers(fake_xapi, ["initial", "initial", "active"])
    result = run_module(commit, {"provider": provider, "poll_interval": 0, "ha_settle_timeout": 60})
    assert result["changed"] is True and result["ha_state"] == "active"
    assert [c[1] for c in fake_xapi.calls].count("<show><high-availability><all></all></high-availability></show>") == 3


def test_no_settling_wait_without_a_commit(fake_xapi, run_module, provider):
    ha_answers(fake_xapi, ["initial"])
    result = run_module(commit, {"provider": provider, "ha_settle_timeout": 60})
    assert result["changed"] is False and "ha_state" not in result


def test_a_firewall_that_does_not_settle_fails_naming_its_state(fake_xapi, run_module, provider):
    make_pending(fake_xapi)
    ha_answers(fake_xapi, ["initial"])
    with pytest.raises(ModuleExit) as failure:
        run_module(commit, {"provider": provider, "poll_interval": 0, "ha_settle_timeout": 0 + 1})
    assert "its HA state is still initial after 1 s" in failure.value.result["msg"]
