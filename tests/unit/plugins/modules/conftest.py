"""Run our modules in-process against a fake firewall: a real pan-os-python Firewall whose xapi
is the lab's own configuration store (candidate + running, its xpath evaluation and `set` merge:
one implementation of PAN-OS's configuration semantics, not a second one here) and records every
request. Op commands and commits are canned per test."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest
from ansible.module_utils.testing import patch_module_args
from pan.xapi import PanXapi, PanXapiError
from panos.firewall import Firewall
from vmseries_lab.configstore import ConfigStore
from vmseries_lab.errors import ApiError

from ansible_collections.vmseries.aws_ha.plugins.module_utils import panos as panos_utils

BASE_CONFIG = """<config version="11.1.0"><devices><entry name="localhost.localdomain">
<network><interface><ethernet/></interface><virtual-router/></network>
<deviceconfig><system><hostname>PA-VM</hostname></system></deviceconfig>
<vsys><entry name="vsys1"><zone/></entry></vsys>
</entry></devices></config>"""

def response(result: Optional[ET.Element] = None, code: Optional[str] = None, msg: Optional[str] = None) -> ET.Element:
    root = ET.Element("response", {"status": "success"})
    if code:
        root.set("code", code)
    if result is not None:
        root.append(result)
    if msg is not None:
        ET.SubElement(root, "msg").text = msg
    return root


class FakeXapi:
    """The subset of pan.xapi.PanXapi that pan-os-python and our modules use."""

    MODIFYING = ("set", "edit", "delete", "commit")

    def __init__(self) -> None:
        self.store = ConfigStore("PA-VM", lambda _action: None)
        self.store.install_running(ET.fromstring(BASE_CONFIG))
        self.store.revert_candidate()
        self.calls: List[Tuple[str, str, Optional[str]]] = []
        self.errors: List[BaseException] = []  # raised by the next requests, in order
        self.jobs: Dict[int, Dict[str, Any]] = {}
        self.job_polls_before_fin = 1
        self.commit_result: Tuple[str, List[str]] = ("OK", ["Configuration committed successfully"])
        self.op_handlers: Dict[str, Callable[[ET.Element], ET.Element]] = {}
        self.element_root: Optional[ET.Element] = None
        self.api_key = "fake-key"

    # helpers for tests
    def load(self, xpath: str, element: str, running: bool = True) -> None:
        self.store.op("set", xpath, element)
        if running:
            self.store.install_running(self.store.candidate_config())

    def modifying_calls(self) -> List[Tuple[str, str, Optional[str]]]:
        return [c for c in self.calls if c[0] in self.MODIFYING]

    def _request(self, action: str, xpath: str = "", element: Optional[str] = None) -> None:
        if isinstance(element, bytes):
            element = element.decode()
        self.calls.append((action, xpath, element))
        if self.errors:
            raise self.errors.pop(0)

    def _answer(self, root: ET.Element) -> ET.Element:
        self.element_root = root
        return root

    # config
    def _config(self, action: str, xpath: str, element: Optional[str] = None) -> ET.Element:
        self._request(action, xpath, element)
        try:
            code, result = self.store.op(action, xpath, element)
        except ApiError as error:
            raise PanXapiError(error.message) from error
        if action == "show" and code == 7:
            raise PanXapiError("No such node")
        if result is not None:
            return self._answer(response(result, str(code)))
        return self._answer(response(code=str(code), msg="command succeeded"))

    def get(self, xpath: str, **_kwargs: Any) -> ET.Element:
        return self._config("get", xpath)

    def show(self, xpath: str, **_kwargs: Any) -> ET.Element:
        return self._config("show", xpath)

    def set(self, xpath: str, element: str, **_kwargs: Any) -> ET.Element:
        return self._config("set", xpath, element.decode() if isinstance(element, bytes) else element)

    def edit(self, xpath: str, element: str, **_kwargs: Any) -> ET.Element:
        return self._config("edit", xpath, element.decode() if isinstance(element, bytes) else element)

    def delete(self, xpath: str, **_kwargs: Any) -> ET.Element:
        return self._config("delete", xpath)

    # op and commit
    def op(self, cmd: str, vsys: Any = None, cmd_xml: bool = False, extra_qs: Any = None, **_kwargs: Any) -> ET.Element:
        if cmd_xml:
            cmd = PanXapi(hostname="fake", api_key="fake").cmd_xml(cmd)
        self._request("op", cmd)
        element = ET.fromstring(cmd)
        path = []
        node = element
        while node is not None:
            path.append(node.tag)
            node = node[0] if len(node) else None
        key = " ".join(path)
        if key in self.op_handlers:
            return self._answer(self.op_handlers[key](element))
        result = ET.Element("result")
        if key == "check pending-changes":
            result.text = "yes" if self.store.pending_changes() else "no"
        elif key == "show system info":
            system = ET.SubElement(result, "system")
            for tag, value in (("sw-version", "11.1.2"), ("serial", "007000000000001"), ("model", "PA-VM"),
                               ("hostname", "PA-VM"), ("multi-vsys", "off"), ("app-version", "8800-8920")):
                ET.SubElement(system, tag).text = value
        elif key == "show jobs id":
            job_id = int(element.findtext("jobs/id"))
            job = self.jobs[job_id]
            job["polls"] += 1
            done = job["polls"] >= self.job_polls_before_fin
            xml_job = ET.SubElement(result, "job")
            for tag, value in (("id", str(job_id)), ("type", "Commit"), ("status", "FIN" if done else "ACT"),
                               ("result", job["result"] if done else "PEND"), ("progress", "100" if done else "50")):
                ET.SubElement(xml_job, tag).text = value
            details = ET.SubElement(xml_job, "details")
            for line in (job["messages"] if done else []):
                ET.SubElement(details, "line").text = line
            if done and job["result"] == "OK":
                self.store.install_running(self.store.candidate_config())
        else:
            raise PanXapiError(f"fake xapi has no op {key!r}")
        return self._answer(response(result))

    def commit(self, cmd: Optional[str] = None, **_kwargs: Any) -> ET.Element:
        self._request("commit", "", cmd)
        if not self.store.pending_changes():
            return self._answer(response(code="19", msg="There are no changes to commit."))
        job_id = max(self.jobs, default=0) + 1
        self.jobs[job_id] = {"polls": 0, "result": self.commit_result[0], "messages": list(self.commit_result[1]),
                             "cmd": cmd}
        result = ET.Element("result")
        ET.SubElement(ET.SubElement(result, "msg"), "line").text = f"Commit job enqueued with jobid {job_id}"
        ET.SubElement(result, "job").text = str(job_id)
        return self._answer(response(result, "19"))

    def keygen(self, **_kwargs: Any) -> str:
        self._request("keygen")
        return self.api_key


class FakeClock:
    """Stands in for a module's `time`: sleeping moves the clock, nothing waits."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class ModuleExit(Exception):
    def __init__(self, result: Dict[str, Any], failed: bool) -> None:
        super().__init__(result.get("msg", ""))
        self.result = result
        self.failed = failed


@pytest.fixture
def fake_xapi(monkeypatch: pytest.MonkeyPatch) -> FakeXapi:
    xapi = FakeXapi()

    def firewall(*args: Any, **kwargs: Any) -> Firewall:
        device = Firewall(*args, **kwargs)
        device._xapi_private = xapi
        return device

    monkeypatch.setattr(panos_utils, "Firewall", firewall)
    monkeypatch.setattr(panos_utils.time, "sleep", lambda _seconds: None)
    return xapi


@pytest.fixture
def run_module(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Dict[str, Any]]:
    """run_module(module, args, check=False, diff=False) -> result dict; raises ModuleExit(failed=True)
    when the module fails."""
    from ansible.module_utils import basic

    def exit_json(self: Any, **kwargs: Any) -> None:
        raise ModuleExit(kwargs, failed=False)

    def fail_json(self: Any, msg: str, **kwargs: Any) -> None:
        raise ModuleExit({"msg": msg, **kwargs}, failed=True)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)

    def run(module: Any, args: Dict[str, Any], check: bool = False, diff: bool = False) -> Dict[str, Any]:
        args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
        with patch_module_args(json.loads(json.dumps(args))):
            try:
                module.main()
            except ModuleExit as outcome:
                if outcome.failed:
                    raise
                return outcome.result
        raise AssertionError("module returned without exit_json")

    return run


@pytest.fixture
def provider() -> Dict[str, Any]:
    return {"ip_address": "192.0.2.10", "username": "admin", "password": "Secr3t-pass"}
