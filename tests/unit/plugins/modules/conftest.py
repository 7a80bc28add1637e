"""Run our modules in-process against a fake firewall: a real pan-os-python Firewall whose xapi
is an in-memory PAN-OS configuration (candidate + running) that records every request."""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest
from ansible.module_utils.testing import patch_module_args
from pan.xapi import PanXapi, PanXapiError
from panos.firewall import Firewall

from ansible_collections.vmseries.aws_ha.plugins.module_utils import panos as panos_utils

BASE_CONFIG = """<config version="11.1.0"><devices><entry name="localhost.localdomain">
<network><interface><ethernet/></interface><virtual-router/></network>
<deviceconfig><system><hostname>PA-VM</hostname></system></deviceconfig>
<vsys><entry name="vsys1"><zone/></entry></vsys>
</entry></devices></config>"""

STEP = re.compile(r"^([\w:-]+)(?:\[(@name|text\(\))=(['\"])(.*)\3\])?$")


def raw_steps(xpath: str) -> List[str]:
    steps, depth, current = [], 0, ""
    for char in xpath.strip("/"):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == "/" and depth == 0:
            steps.append(current)
            current = ""
        else:
            current += char
    steps.append(current)
    return steps


def split_xpath(xpath: str) -> List[Tuple[str, Optional[str], Optional[str]]]:
    parsed = []
    for step in raw_steps(xpath):
        match = STEP.match(step)
        if not match:
            raise AssertionError(f"fake xapi cannot evaluate xpath step {step!r} of {xpath}")
        parsed.append((match.group(1), match.group(2), match.group(4)))
    return parsed


def _matches(node: ET.Element, tag: str, kind: Optional[str], value: Optional[str]) -> bool:
    if node.tag != tag:
        return False
    if kind == "@name":
        return node.get("name") == value
    if kind == "text()":
        return (node.text or "") == value
    return True


def find(root: ET.Element, xpath: str) -> List[ET.Element]:
    steps = split_xpath(xpath)
    assert steps[0][0] == root.tag, xpath
    nodes = [root]
    for tag, kind, value in steps[1:]:
        nodes = [child for node in nodes for child in node if _matches(child, tag, kind, value)]
    return nodes


def ensure(root: ET.Element, xpath: str) -> ET.Element:
    node = root
    for tag, kind, value in split_xpath(xpath)[1:]:
        found = next((c for c in node if _matches(c, tag, kind, value)), None)
        if found is None:
            found = ET.SubElement(node, tag, {"name": value} if kind == "@name" else {})
            if kind == "text()":
                found.text = value
        node = found
    return node


def merge(target: ET.Element, fragment: ET.Element) -> None:
    """PAN-OS `set`: add what is missing, recurse into what exists, members by value."""
    for child in fragment:
        if child.tag == "member":
            if not any(c.tag == "member" and c.text == child.text for c in target):
                target.append(copy.deepcopy(child))
            continue
        same = next((c for c in target if c.tag == child.tag and c.get("name") == child.get("name")), None)
        if same is None:
            target.append(copy.deepcopy(child))
        elif len(child) == 0:
            same.text = child.text
        else:
            merge(same, child)


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
        self.candidate = ET.fromstring(BASE_CONFIG)
        self.running = copy.deepcopy(self.candidate)
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
        merge(ensure(self.candidate, xpath), ET.fromstring(f"<x>{element}</x>"))
        if running:
            self.running = copy.deepcopy(self.candidate)

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
    def get(self, xpath: str, **_kwargs: Any) -> ET.Element:
        self._request("get", xpath)
        nodes = find(self.candidate, xpath)
        result = ET.Element("result", {"total-count": str(len(nodes)), "count": str(len(nodes))})
        result.extend(copy.deepcopy(n) for n in nodes)
        return self._answer(response(result, "19" if nodes else "7"))

    def show(self, xpath: str, **_kwargs: Any) -> ET.Element:
        self._request("show", xpath)
        nodes = find(self.running, xpath)
        if not nodes:
            raise PanXapiError("No such node")
        result = ET.Element("result")
        result.extend(copy.deepcopy(n) for n in nodes)
        return self._answer(response(result))

    def set(self, xpath: str, element: str, **_kwargs: Any) -> ET.Element:
        self._request("set", xpath, element)
        merge(ensure(self.candidate, xpath), ET.fromstring(f"<x>{element}</x>"))
        return self._answer(response(code="20", msg="command succeeded"))

    def edit(self, xpath: str, element: str, **_kwargs: Any) -> ET.Element:
        self._request("edit", xpath, element)
        fragment = ET.fromstring(element)
        parent_xpath = "/" + "/".join(raw_steps(xpath)[:-1])
        for node in find(self.candidate, xpath):
            parent = next(p for p in self.candidate.iter() if node in list(p))
            parent.remove(node)
        ensure(self.candidate, parent_xpath).append(fragment)
        return self._answer(response(code="20", msg="command succeeded"))

    def delete(self, xpath: str, **_kwargs: Any) -> ET.Element:
        self._request("delete", xpath)
        for node in find(self.candidate, xpath):
            parent = next(p for p in self.candidate.iter() if node in list(p))
            parent.remove(node)
        return self._answer(response(code="20", msg="command succeeded"))

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
            result.text = "no" if ET.tostring(self.candidate) == ET.tostring(self.running) else "yes"
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
                self.running = copy.deepcopy(self.candidate)
        else:
            raise PanXapiError(f"fake xapi has no op {key!r}")
        return self._answer(response(result))

    def commit(self, cmd: Optional[str] = None, **_kwargs: Any) -> ET.Element:
        self._request("commit", "", cmd)
        if ET.tostring(self.candidate) == ET.tostring(self.running):
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
