"""A firewall twin's configuration: candidate and running trees, the XML API's type=config
actions on the candidate, HA config sync into both, and the checks a commit makes.

The tree and the xpath subset are config.py's; this module is what owns one firewall's trees and
keeps them consistent under concurrent API, CLI, commit and HA-Sync access."""

from __future__ import annotations

import copy
import threading
import xml.etree.ElementTree as ET
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import config as cfg
from .errors import ApiError


class ConfigStore:
    def __init__(self, hostname: str, on_change: Callable[[str], None]) -> None:
        self._lock = threading.RLock()
        self.running = cfg.default_config(hostname)
        self.candidate = copy.deepcopy(self.running)
        # Counts a change by its action (config.set.changes ...), for the idempotence checks.
        self._changed = on_change

    def running_config(self) -> ET.Element:
        with self._lock:
            return copy.deepcopy(self.running)

    def candidate_config(self) -> ET.Element:
        with self._lock:
            return copy.deepcopy(self.candidate)

    def pending_changes(self) -> bool:
        with self._lock:
            return cfg.canonical(self.candidate) != cfg.canonical(self.running)

    def revert_candidate(self) -> None:
        """Candidate = running, as after a reboot."""
        with self._lock:
            self.candidate = copy.deepcopy(self.running)

    def install_running(self, snapshot: ET.Element) -> None:
        """A commit succeeded: the snapshot it validated is what runs now."""
        with self._lock:
            self.running = snapshot

    def load_bootstrap(self, config: Optional[ET.Element], hostname: Optional[str]) -> None:
        """A first boot's bootstrap: bootstrap.xml is the saved configuration the boot-time commit
        loads, then init-cfg.txt's hostname is set in it (see bootstrap.py)."""
        with self._lock:
            if config is not None:
                self.running = copy.deepcopy(config)
            if hostname:
                cfg.ensure(self.running, cfg.DEVICE_XPATH + "/deviceconfig/system/hostname").text = hostname
            self.candidate = copy.deepcopy(self.running)

    def op(self, action: str, xpath: str, element: Optional[str] = None, newname: Optional[str] = None,
           where: Optional[str] = None, dst: Optional[str] = None) -> Tuple[int, Optional[ET.Element]]:
        """type=config: returns (code, result element or None). Raises ApiError."""
        attribute = None
        try:
            if action in ("get", "show"):
                xpath, attribute = cfg.split_attribute(xpath)
            cfg.parse(xpath)
        except cfg.XPathError as error:
            raise ApiError(6, f"Bad xpath: {error}") from error
        with self._lock:
            if action in ("get", "show"):
                return self._read(self.candidate if action == "get" else self.running, xpath, attribute)
            if action == "set":
                cfg.merge(cfg.ensure(self.candidate, xpath), _parse_element(element, wrap=True))
            elif action == "edit":
                self._edit(xpath, _parse_element(element, wrap=False))
            elif action == "delete":
                nodes = cfg.find_all(self.candidate, xpath)
                if not nodes:
                    return 7, None
                parents = cfg.parent_map(self.candidate)
                for node in nodes:
                    parents[node].remove(node)
            elif action == "rename":
                for node in self._existing(xpath):
                    node.set("name", newname or "")
            elif action == "move":
                self._move(self._existing(xpath)[0], where, dst)
            else:
                raise ApiError(16, f"Unknown action {action}")
        self._changed(action)
        return 20, None

    @staticmethod
    def _read(tree: ET.Element, xpath: str, attribute: Optional[str] = None) -> Tuple[int, ET.Element]:
        nodes = cfg.find_all(tree, xpath)
        if attribute is not None:
            nodes = [bare for bare in (cfg.attribute_only(node, attribute) for node in nodes) if bare is not None]
        else:
            nodes = [copy.deepcopy(node) for node in nodes]
        if not nodes:
            return 7, ET.Element("result")
        result = ET.Element("result", {"total-count": str(len(nodes)), "count": str(len(nodes))})
        result.extend(nodes)
        return 19, result

    def _existing(self, xpath: str) -> List[ET.Element]:
        nodes = cfg.find_all(self.candidate, xpath)
        if not nodes:
            raise ApiError(7, "Object doesn't exist")
        return nodes

    def _edit(self, xpath: str, fragment: ET.Element) -> None:
        steps = cfg.parse(xpath)
        if fragment.tag != steps[-1].tag:
            raise ApiError(12, f"edit: element <{fragment.tag}> does not match the xpath's last node <{steps[-1].tag}>")
        existing = cfg.find_all(self.candidate, xpath)
        if not existing:
            cfg.ensure(self.candidate, "/".join(cfg.split_steps(xpath)[:-1])).append(copy.deepcopy(fragment))
            return
        parents = cfg.parent_map(self.candidate)
        for node in existing:
            parent = parents[node]
            position = list(parent).index(node)
            parent.remove(node)
            parent.insert(position, copy.deepcopy(fragment))

    def _move(self, node: ET.Element, where: Optional[str], dst: Optional[str]) -> None:
        parent = cfg.parent_map(self.candidate)[node]
        parent.remove(node)
        if where == "top":
            parent.insert(0, node)
        elif where in ("before", "after") and dst:
            anchor = next((i for i, s in enumerate(list(parent)) if s.get("name") == dst), None)
            if anchor is None:
                parent.insert(0, node)
                raise ApiError(7, f"{dst} does not exist")
            parent.insert(anchor + (1 if where == "after" else 0), node)
        else:
            parent.append(node)

    def install_synced(self, config: ET.Element) -> None:
        """HA config sync from the active peer: everything but the device-local parts
        (deviceconfig, which holds the HA settings and the management interface, and mgt-config)."""
        with self._lock:
            for tree in (self.running, self.candidate):
                local_device = cfg.find_all(tree, cfg.DEVICE_XPATH + "/deviceconfig")
                local_mgt = cfg.find_all(tree, "/config/mgt-config")
                new = copy.deepcopy(config)
                for node in cfg.find_all(new, cfg.DEVICE_XPATH + "/deviceconfig"):
                    cfg.parent_map(new)[node].remove(node)
                for node in cfg.find_all(new, "/config/mgt-config"):
                    new.remove(node)
                device = cfg.ensure(new, cfg.DEVICE_XPATH)
                for node in local_device:
                    device.append(copy.deepcopy(node))
                for node in local_mgt:
                    new.insert(0, copy.deepcopy(node))
                tree.clear()
                tree.tag = new.tag
                tree.attrib.update(new.attrib)
                for child in list(new):
                    tree.append(child)

    def running_nodes(self, xpath: str) -> List[ET.Element]:
        """Copies of the running configuration's nodes at xpath."""
        with self._lock:
            return [copy.deepcopy(node) for node in cfg.find_all(self.running, xpath)]

    def ensure_candidate(self, xpath: str) -> ET.Element:
        """The candidate's node at xpath, created if missing; the caller changes it in place
        under `locked()`."""
        return cfg.ensure(self.candidate, xpath)

    def locked(self) -> Any:
        return self._lock

    def dataplane_config(self) -> Dict[str, Any]:
        """What the running configuration says about the ethernet interfaces: entry by name,
        zone by interface, and the virtual routers and logical routers (their interfaces and static
        routes)."""
        with self._lock:
            interfaces = {e.get("name"): copy.deepcopy(e)
                          for e in cfg.find_all(self.running, cfg.DEVICE_XPATH + "/network/interface/ethernet/entry")}
            zones = {m.text: z.get("name") for z in cfg.find_all(self.running, cfg.VSYS_XPATH + "/zone/entry")
                     for m in z.iter("member")}
            routers = {vr.get("name"): copy.deepcopy(vr)
                       for vr in cfg.find_all(self.running, cfg.DEVICE_XPATH + "/network/virtual-router/entry")}
            logical_routers = {lr.get("name"): copy.deepcopy(lr)
                               for lr in cfg.find_all(self.running, cfg.DEVICE_XPATH + "/network/logical-router/entry")}
        return {"interfaces": interfaces, "zones": zones, "routers": routers, "logical_routers": logical_routers}

    def advanced_routing_saved(self) -> bool:
        """Whether the running configuration turns the advanced routing engine on (it takes effect
        at the next boot)."""
        with self._lock:
            found = cfg.find_all(self.running, cfg.DEVICE_XPATH + "/deviceconfig/setting/advance-routing")
        return bool(found) and (found[0].text or "").strip() == "yes"


def commit_problems(config: ET.Element) -> List[str]:
    """The few checks PAN-OS makes at commit that a deployment can get wrong."""
    problems = []
    ha = cfg.find_all(config, cfg.DEVICE_XPATH + "/deviceconfig/high-availability")
    if ha and (ha[0].findtext("enabled") or "no") == "yes":
        group = ha[0].find("group")
        group_id = group.findtext("group-id") if group is not None else None
        if group_id is None or not group_id.isdigit() or not 1 <= int(group_id) <= 63:
            problems.append("high-availability -> group -> group-id is invalid (1-63 required)")
        if group is None or not group.findtext("peer-ip"):
            problems.append("high-availability -> group -> peer-ip is missing")
    for entry in cfg.find_all(config, cfg.DEVICE_XPATH + "/network/interface/ethernet/entry"):
        name = entry.get("name", "")
        if not name.startswith("ethernet1/") or not name.split("/")[1].isdigit():
            problems.append(f"network -> interface -> ethernet -> {name} is not a valid interface name")
    return problems


def _parse_element(element: Optional[str], wrap: bool) -> ET.Element:
    if element is None:
        raise ApiError(18, "Missing element")
    try:
        if wrap:
            return ET.fromstring(f"<wrapper>{element}</wrapper>")
        return ET.fromstring(element)
    except ET.ParseError as error:
        raise ApiError(18, f"Malformed element: {error}") from error
