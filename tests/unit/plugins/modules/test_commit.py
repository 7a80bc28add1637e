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
