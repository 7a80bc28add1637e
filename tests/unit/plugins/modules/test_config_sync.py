"""config_sync: nothing on a synchronized pair; one sync-to-remote from the active on a formed pair
that is not synchronized, then the peer's job and running-sync waited for; check mode; failures
that say what the firewall said."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from conftest import FakeClock, FakeXapi, ModuleExit
from panos.firewall import Firewall

from ansible_collections.vmseries.aws_ha.plugins.module_utils import panos as panos_utils
from ansible_collections.vmseries.aws_ha.plugins.module_utils import wait
from ansible_collections.vmseries.aws_ha.plugins.modules import config_sync

QUEUED = "HA synchronization job has been queued on peer. Please check job status on peer."
SYNC_CMD = config_sync.SYNC_TO_REMOTE


class Node(FakeXapi):
    """One firewall of the pair: its HA view, its jobs, and what a sync request does to them."""

    def __init__(self, state, sync="not synchronized", connected=True):
        super().__init__()
        self.ha = {"state": state, "sync": sync, "connected": connected}
        self.job_list = [("1", "AutoCom", "FIN", "OK")]
        self.sync_answer = QUEUED
        self.on_sync = None
        self.op_handlers["show high-availability all"] = self._ha
        self.op_handlers["show jobs all"] = self._jobs
        self.op_handlers["request high-availability sync-to-remote running-config"] = self._sync

    def _ha(self, _cmd):
        peer = "passive" if self.ha["state"] == "active" else "active"
        return ET.fromstring(
            f'<response status="success"><result><enabled>yes</enabled><group><mode>Active-Passive</mode>'
            f'<local-info><state>{self.ha["state"]}</state><priority>100</priority></local-info>'
            f'<peer-info><conn-status>{"up" if self.ha["connected"] else "down"}</conn-status><state>{peer}</state>'
            f'</peer-info><running-sync>{self.ha["sync"]}</running-sync><running-sync-enabled>yes</running-sync-enabled>'
            '</group></result></response>')

    def _jobs(self, _cmd):
        jobs = "".join(f"<job><id>{i}</id><type>{t}</type><status>{s}</status><result>{r}</result>"
                       f"<details><line>{'Configuration committed successfully' if r == 'OK' else 'Commit failed'}</line>"
                       "</details></job>" for i, t, s, r in reversed(self.job_list))
        return ET.fromstring(f'<response status="success"><result>{jobs}</result></response>')

    def _sync(self, _cmd):
        if self.on_sync:
            self.on_sync()
        return ET.fromstring(f'<response status="success"><msg><line>{self.sync_answer}</line></msg></response>')


@pytest.fixture
def pair(monkeypatch):
    nodes = {"192.0.2.10": Node("active"), "192.0.2.11": Node("passive")}
    clock = FakeClock()

    def firewall(hostname, *args, **kwargs):
        device = Firewall(hostname, *args, **kwargs)
        device._xapi_private = nodes[hostname]
        return device

    monkeypatch.setattr(panos_utils, "Firewall", firewall)
    monkeypatch.setattr(wait, "time", clock)
    active, passive = nodes["192.0.2.10"], nodes["192.0.2.11"]

    def sync_runs_a_job_on_the_passive():
        passive.job_list.append(("2", "HA-Sync", "ACT", "PEND"))

        def finish(_cmd, original=passive.op_handlers["show jobs all"]):
            passive.job_list[-1] = ("2", "HA-Sync", "FIN", "OK")
            for node in nodes.values():
                node.ha["sync"] = "synchronized"
            return original(_cmd)

        passive.op_handlers["show jobs all"] = finish

    active.on_sync = sync_runs_a_job_on_the_passive
    return active, passive, clock


def args(**extra):
    base = {"primary": {"ip_address": "192.0.2.10", "api_key": "k1"},
            "secondary": {"ip_address": "192.0.2.11", "api_key": "k2"}, "poll_interval": 1}
    return {**base, **extra}


def sync_requests(node):
    return [c for c in node.calls if c[0] == "op" and c[1] == SYNC_CMD]


def test_a_synchronized_pair_gets_no_request(pair, run_module):
    active, passive, _ = pair
    for node in (active, passive):
        node.ha["sync"] = "synchronized"
    result = run_module(config_sync, args())
    assert result["changed"] is False and "nothing to sync" in result["msg"]
    assert sync_requests(active) == sync_requests(passive) == []


def test_an_unsynchronized_pair_is_synced_once_from_the_active(pair, run_module):
    active, passive, _ = pair
    result = run_module(config_sync, args())
    assert result["changed"] is True and (result["active"], result["passive"]) == ("primary", "secondary")
    assert len(sync_requests(active)) == 1 and sync_requests(passive) == []
    assert result["response"] == QUEUED and result["peer_jobs"] == [{"id": "2", "type": "HA-Sync", "result": "OK"}]
    assert result["running_sync_before"] == {"primary": "not synchronized", "secondary": "not synchronized"}
    assert "synced from primary" in result["msg"] and "HA-Sync job 2 on secondary OK" in result["msg"]


def test_check_mode_requests_nothing(pair, run_module):
    active, _, _ = pair
    result = run_module(config_sync, args(), check=True)
    assert result["changed"] is True and sync_requests(active) == []


def test_a_pair_that_does_not_form_fails_with_both_states(pair, run_module):
    active, passive, clock = pair
    passive.ha["connected"] = active.ha["connected"] = False
    with pytest.raises(ModuleExit) as failure:
        run_module(config_sync, args(wait_timeout=10))
    assert "the pair to form" in failure.value.result["msg"] and "peer not connected" in failure.value.result["msg"]
    assert sync_requests(active) == [] and clock.now >= 10


def test_a_failed_sync_job_fails_with_its_details(pair, run_module):
    active, passive, _ = pair
    active.on_sync = lambda: passive.job_list.append(("2", "HA-Sync", "FIN", "FAIL"))
    with pytest.raises(ModuleExit) as failure:
        run_module(config_sync, args())
    assert "job 2 (HA-Sync) ended FAIL: Commit failed" in failure.value.result["msg"]


def test_a_refused_request_fails_with_the_firewalls_answer(pair, run_module):
    active, _, _ = pair
    active.on_sync = None
    active.sync_answer = "Local commit jobs are queued. running configuration will not be synchronized with HA peer"
    with pytest.raises(ModuleExit) as failure:
        run_module(config_sync, args())
    assert "Local commit jobs are queued" in failure.value.result["msg"] and len(sync_requests(active)) == 1


def test_a_sync_in_progress_is_waited_for_not_requested(pair, run_module):
    active, passive, _ = pair
    for node in (active, passive):
        node.ha["sync"] = "synchronization in progress"
    original = passive.op_handlers["show high-availability all"]
    polls = {"n": 0}

    def settles(cmd):
        polls["n"] += 1
        if polls["n"] > 2:
            for node in (active, passive):
                node.ha["sync"] = "synchronized"
        return original(cmd)

    passive.op_handlers["show high-availability all"] = settles
    result = run_module(config_sync, args())
    assert result["changed"] is False and sync_requests(active) == []
