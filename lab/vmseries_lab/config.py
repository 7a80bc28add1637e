"""A PAN-OS configuration tree and the xpath subset the XML API is driven with.

PAN-OS addresses configuration with absolute xpaths such as
``/config/devices/entry[@name='localhost.localdomain']/network/interface/ethernet/entry[@name='ethernet1/2']``.
The steps are element names with optional predicates: ``[@name='x']``, ``[@name='a' or @name='b']``,
``[text()='x']`` (for ``member``), and ``*``; a read may end in an attribute step (``.../entry/@name``,
which pan-os-python sends to read the names alone). That is what pan-os-python and pan-python send,
and what this module resolves against an ElementTree.
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import List, Optional, Tuple

DEVICE = "localhost.localdomain"
DEVICE_XPATH = f"/config/devices/entry[@name='{DEVICE}']"
VSYS_XPATH = f"{DEVICE_XPATH}/vsys/entry[@name='vsys1']"


class XPathError(ValueError):
    """An xpath PAN-OS would reject as malformed."""


@dataclass(frozen=True)
class Step:
    tag: str
    names: Optional[tuple] = None  # @name values, any of which matches
    text: Optional[str] = None  # text() value

    def matches(self, element: ET.Element) -> bool:
        if self.tag != "*" and element.tag != self.tag:
            return False
        if self.names is not None and element.get("name") not in self.names:
            return False
        if self.text is not None and (element.text or "").strip() != self.text:
            return False
        return True

    def create(self) -> ET.Element:
        if self.tag == "*" or (self.names is not None and len(self.names) != 1):
            raise XPathError(f"cannot create a node from the step {self.tag}")
        element = ET.Element(self.tag)
        if self.names:
            element.set("name", self.names[0])
        if self.text is not None:
            element.text = self.text
        return element


_NAME_PREDICATE = re.compile(r"^@name\s*=\s*(['\"])(.*?)\1$")
_TEXT_PREDICATE = re.compile(r"^text\(\)\s*=\s*(['\"])(.*?)\1$")


def split_steps(xpath: str) -> List[str]:
    """Split on '/' outside predicates and quotes."""
    parts, current, depth, quote = [], "", 0, None
    for char in xpath:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "/" and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += char
    if quote or depth:
        raise XPathError(f"unbalanced quotes or brackets in {xpath}")
    parts.append(current)
    return parts


_ATTRIBUTE_STEP = re.compile(r"^@([\w\-]+)$")


def split_attribute(xpath: str) -> Tuple[str, Optional[str]]:
    """A read's xpath and the attribute its last step selects (`.../entry/@name` -> the entries'
    xpath and `name`), or the xpath itself and None."""
    steps = split_steps(xpath.rstrip("/"))
    match = _ATTRIBUTE_STEP.match(steps[-1])
    if not match:
        return xpath, None
    return "/".join(steps[:-1]), match.group(1)


def attribute_only(element: ET.Element, attribute: str) -> Optional[ET.Element]:
    """What PAN-OS returns for an attribute step: the node, bare, with that attribute alone
    (pan-os-python reads `result/entry[@name]`); None when the node has no such attribute."""
    value = element.get(attribute)
    return None if value is None else ET.Element(element.tag, {attribute: value})


def parse(xpath: str) -> List[Step]:
    if not xpath or not xpath.startswith("/"):
        raise XPathError(f"xpath must be absolute: {xpath!r}")
    raw = split_steps(xpath.rstrip("/"))[1:]
    steps = []
    for token in raw:
        match = re.match(r"^([\w\-*.]+)(?:\[(.*)\])?$", token)
        if not match:
            raise XPathError(f"cannot parse step {token!r}")
        tag, predicate = match.group(1), match.group(2)
        if predicate is None:
            steps.append(Step(tag))
            continue
        alternatives = [p.strip() for p in re.split(r"\s+or\s+", predicate)]
        names = []
        for alternative in alternatives:
            name = _NAME_PREDICATE.match(alternative)
            text = _TEXT_PREDICATE.match(alternative)
            if name:
                names.append(name.group(2))
            elif text and len(alternatives) == 1:
                steps.append(Step(tag, text=text.group(2)))
                break
            else:
                raise XPathError(f"unsupported predicate [{predicate}]")
        else:
            steps.append(Step(tag, names=tuple(names)))
    if not steps or steps[0].tag != "config":
        raise XPathError(f"xpath must start with /config: {xpath!r}")
    return steps


def find_all(root: ET.Element, xpath: str) -> List[ET.Element]:
    steps = parse(xpath)
    current = [root] if steps[0].matches(root) else []
    for step in steps[1:]:
        current = [child for parent in current for child in parent if step.matches(child)]
    return current


def ensure(root: ET.Element, xpath: str) -> ET.Element:
    """The node at xpath, creating missing nodes on the way as PAN-OS does for `set`."""
    steps = parse(xpath)
    node = root
    for step in steps[1:]:
        found = next((child for child in node if step.matches(child)), None)
        if found is None:
            found = step.create()
            node.append(found)
        node = found
    return node


def merge(target: ET.Element, source: ET.Element) -> None:
    """`set` semantics: children of source are merged into target; entries (by name) and members
    (by text) are matched, other elements by tag; leaf text replaces."""
    for child in source:
        if child.tag == "member":
            if not any(m.tag == "member" and (m.text or "") == (child.text or "") for m in target):
                target.append(copy.deepcopy(child))
            continue
        if child.get("name") is not None:
            existing = next((c for c in target if c.tag == child.tag and c.get("name") == child.get("name")), None)
        else:
            existing = next((c for c in target if c.tag == child.tag), None)
        if existing is None:
            target.append(copy.deepcopy(child))
        elif len(child) == 0 and (child.text or "").strip():
            existing.text = child.text
            for sub in list(existing):
                existing.remove(sub)
        else:
            merge(existing, child)
    if (source.text or "").strip() and len(source) == 0:
        target.text = source.text


def parent_map(root: ET.Element) -> dict:
    return {child: parent for parent in root.iter() for child in parent}


def canonical(element: ET.Element) -> str:
    """A whitespace-insensitive serialization, to compare candidate and running."""
    clone = copy.deepcopy(element)
    for node in clone.iter():
        node.text = (node.text or "").strip() or None
        node.tail = None
    return ET.tostring(clone, encoding="unicode")


def default_config(hostname: str) -> ET.Element:
    """What a fresh VM-Series answers to `show config running`: enough structure for the xpaths
    pan-os-python and our modules use, no dataplane configuration, and the `<shared>` defaults of
    the factory configurations VM-Series 10.0 and 10.2 export (empty application and service
    containers, the botnet report's settings)."""
    return ET.fromstring(f"""
<config version="11.1.0" urldb="paloaltonetworks">
  <mgt-config>
    <users>
      <entry name="admin">
        <permissions><role-based><superuser>yes</superuser></role-based></permissions>
      </entry>
    </users>
  </mgt-config>
  <shared>
    <application/>
    <application-group/>
    <service/>
    <service-group/>
    <botnet>
      <configuration>
        <http>
          <dynamic-dns><enabled>yes</enabled><threshold>5</threshold></dynamic-dns>
          <malware-sites><enabled>yes</enabled><threshold>5</threshold></malware-sites>
          <recent-domains><enabled>yes</enabled><threshold>5</threshold></recent-domains>
          <ip-domains><enabled>yes</enabled><threshold>10</threshold></ip-domains>
          <executables-from-unknown-sites><enabled>yes</enabled><threshold>5</threshold></executables-from-unknown-sites>
        </http>
        <other-applications><irc>yes</irc></other-applications>
        <unknown-applications>
          <unknown-tcp>
            <destinations-per-hour>10</destinations-per-hour>
            <sessions-per-hour>10</sessions-per-hour>
            <session-length><maximum-bytes>100</maximum-bytes><minimum-bytes>50</minimum-bytes></session-length>
          </unknown-tcp>
          <unknown-udp>
            <destinations-per-hour>10</destinations-per-hour>
            <sessions-per-hour>10</sessions-per-hour>
            <session-length><maximum-bytes>100</maximum-bytes><minimum-bytes>50</minimum-bytes></session-length>
          </unknown-udp>
        </unknown-applications>
      </configuration>
      <report><topn>100</topn><scheduled>yes</scheduled></report>
    </botnet>
  </shared>
  <devices>
    <entry name="{DEVICE}">
      <network>
        <interface><ethernet/></interface>
        <virtual-router/>
        <profiles/>
      </network>
      <deviceconfig>
        <system>
          <hostname>{hostname}</hostname>
          <type><dhcp-client><send-hostname>yes</send-hostname><send-client-id>no</send-client-id>
            <accept-dhcp-hostname>no</accept-dhcp-hostname><accept-dhcp-domain>no</accept-dhcp-domain></dhcp-client></type>
        </system>
        <setting/>
      </deviceconfig>
      <vsys>
        <entry name="vsys1">
          <import><network><interface/></network></import>
          <zone/>
          <rulebase/>
        </entry>
      </vsys>
    </entry>
  </devices>
</config>""")
