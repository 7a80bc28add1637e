#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: virtual_router
short_description: Interfaces and static routes of a VM-Series virtual router, in the candidate config
version_added: 0.1.0
description:
  - With O(state=present), makes the virtual router exist with the given interfaces among its
    members and the given static routes (by name) in it. Members and routes not listed are kept,
    so the module can share a virtual router with configuration made elsewhere; a listed route
    that differs is replaced as a whole.
  - With O(state=absent), removes the listed interfaces from the members and the listed static
    routes (by name); when neither is listed, removes the virtual router itself.
  - Edits the candidate configuration only (commit with M(vmseries.aws_ha.commit)), with targeted
    requests (C(set) of missing members, C(edit) of one route), so the router's other settings
    (ECMP, protocols) are never rewritten. Reports a change only when something differs, with the
    virtual router's XML before and after in diff mode.
author:
  - vmseries.aws_ha maintainers (@vmseries)
options:
  name:
    description: Virtual router name.
    type: str
    default: default
  interfaces:
    description: Interfaces that must be (O(state=present)) or must not be (O(state=absent)) members.
    type: list
    elements: str
    default: []
  static_routes:
    description:
      - Static routes that must exist (O(state=present)), each replaced as a whole when it differs,
        or must not exist (O(state=absent), only C(name) matters).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Route name.
        type: str
        required: true
      destination:
        description: Destination CIDR; required with O(state=present).
        type: str
      nexthop:
        description:
          - Next-hop IP address (on AWS, the subnet's VPC router, its first address). Omit for a
            route without next hop (interface only).
        type: str
      interface:
        description: Egress interface.
        type: str
      metric:
        description: Route metric.
        type: int
        default: 10
  state:
    description: Whether the listed members and routes (or the router) must be there.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - vmseries.aws_ha.provider
notes:
  - Part of the C(vmseries.aws_ha.panos) action group.
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: Dataplane interfaces in the default virtual router, default route to the untrust subnet's router
  vmseries.aws_ha.virtual_router:
    provider: "{{ provider }}"
    interfaces: [ethernet1/2, ethernet1/3]
    static_routes:
      - {name: default, destination: 0.0.0.0/0, nexthop: 10.100.2.1, interface: ethernet1/2}
      - {name: vpc, destination: 10.100.0.0/16, nexthop: 10.100.3.1, interface: ethernet1/3}

- name: Drop a route
  vmseries.aws_ha.virtual_router:
    provider: "{{ provider }}"
    static_routes:
      - name: vpc
    state: absent
"""

RETURN = r"""
diff:
  description: The virtual router's XML before and after (in diff mode).
  returned: when diff mode is on
  type: dict
added_interfaces:
  description: Interfaces that were (or in check mode would be) added to, or removed from, the members.
  returned: always
  type: list
  elements: str
changed_routes:
  description: Names of the static routes that were (or would be) written or removed.
  returned: always
  type: list
  elements: str
api_wait:
  description: How long the module waited for the firewall's API to come up (seconds, failed attempts, and how many of
    those were credentials refused while it booted).
  returned: always
  type: dict
  sample: {seconds: 0.0, attempts: 0, refused_credentials: 0}
"""

from typing import Any, Dict, List, Optional
from xml.sax.saxutils import escape

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vmseries.aws_ha.plugins.module_utils import panos_objects
from ansible_collections.vmseries.aws_ha.plugins.module_utils.panos import (
    PanosConnection,
    current_object,
    element_text,
    provider_argument_spec,
    xml_diff,
)

try:
    from panos.network import StaticRoute, VirtualRouter
except ImportError:
    pass  # PanosConnection reports the missing library


def route_named(router: Optional["VirtualRouter"], name: str) -> Optional["StaticRoute"]:
    if router is None:
        return None
    return next((r for r in router.findall(StaticRoute) if r.name == name), None)


def copy_of(device: Any, router: Optional["VirtualRouter"], name: str) -> "VirtualRouter":
    """A detached copy of router (parsed again from its XML), or an empty router."""
    copy = VirtualRouter(name)
    if router is not None:
        device.add(copy)
        copy.refresh(xml=router.element())
        device.remove(copy)
    return copy


def present(module: AnsibleModule, connection: PanosConnection, existing: Optional["VirtualRouter"]) -> Dict[str, Any]:
    params = module.params
    device = connection.device
    members: List[str] = list(existing.interface or []) if existing is not None else []
    missing = [i for i in params["interfaces"] if i not in members]
    routes = [panos_objects.static_route(r) for r in params["static_routes"]]
    differing = [r for r in routes if not r.equal(route_named(existing, r.name))]
    # The router as it will be: the existing one with the members and routes added or replaced in place.
    after = copy_of(device, existing, params["name"])
    after.interface = (members + missing) or None
    for route in differing:
        old = route_named(after, route.name)
        if old is not None:
            after.insert(after.children.index(old), route)
            after.remove(old)
        else:
            after.add(route)
    changed = existing is None or bool(missing) or bool(differing)
    if changed and not module.check_mode:
        router = VirtualRouter(params["name"], interface=missing or None)
        device.add(router)
        if existing is None:
            # create() merges (type=config&action=set) and imports the router into vsys1.
            connection.call(f"create virtual router {params['name']}", router.create)
        elif missing:
            members_xml = "".join(f"<member>{escape(i)}</member>" for i in missing)
            connection.xapi_set(router.xpath() + "/interface", members_xml)
        for route in differing:
            router.add(route)
            connection.call(f"write static route {route.name} of {params['name']}", route.apply)
    return {"changed": changed, "after": element_text(after), "added_interfaces": missing,
            "changed_routes": [r.name for r in differing]}


def absent(module: AnsibleModule, connection: PanosConnection, existing: Optional["VirtualRouter"]) -> Dict[str, Any]:
    params = module.params
    if existing is None:
        return {"changed": False, "after": "", "added_interfaces": [], "changed_routes": []}
    device = connection.device
    if not params["interfaces"] and not params["static_routes"]:
        if not module.check_mode:
            device.add(existing)
            connection.call(f"delete virtual router {params['name']}", existing.delete)
        return {"changed": True, "after": "", "added_interfaces": [], "changed_routes": []}
    members = list(existing.interface or [])
    leaving = [i for i in params["interfaces"] if i in members]
    doomed = [r for r in (route_named(existing, x["name"]) for x in params["static_routes"]) if r is not None]
    after = copy_of(device, existing, params["name"])
    after.interface = [i for i in members if i not in leaving] or None
    for route in doomed:
        after.remove(route_named(after, route.name))
    changed = bool(leaving or doomed)
    if changed and not module.check_mode:
        device.add(existing)
        for interface in leaving:
            connection.xapi_delete(f"{existing.xpath()}/interface/member[text()='{interface}']")
        for route in doomed:
            connection.call(f"delete static route {route.name} of {params['name']}", route.delete)
    return {"changed": changed, "after": element_text(after), "added_interfaces": leaving,
            "changed_routes": [r.name for r in doomed]}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **provider_argument_spec(),
            "name": {"type": "str", "default": "default"},
            "interfaces": {"type": "list", "elements": "str", "default": []},
            "static_routes": {"type": "list", "elements": "dict", "default": [], "options": {
                "name": {"type": "str", "required": True},
                "destination": {"type": "str"},
                "nexthop": {"type": "str"},
                "interface": {"type": "str"},
                "metric": {"type": "int", "default": 10},
            }},
            "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        },
        supports_check_mode=True,
    )
    params = module.params
    if params["state"] == "present":
        incomplete = [r["name"] for r in params["static_routes"] if not r["destination"]]
        if incomplete:
            module.fail_json(msg=f"static_routes {', '.join(incomplete)}: destination is required with state=present "
                                 "(a CIDR such as 0.0.0.0/0).")
    connection = PanosConnection(module, params["provider"])
    existing = current_object(connection, connection.device, VirtualRouter, params["name"])
    before = element_text(existing) if existing is not None else ""
    outcome = (present if params["state"] == "present" else absent)(module, connection, existing)
    after = outcome.pop("after")
    result = {**outcome, "api_wait": connection.api_wait}
    if module._diff:
        result["diff"] = xml_diff(before, after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
