"""What upgrade_readiness compares after an upgrade, and what it never reports."""

from __future__ import annotations

from ansible_collections.vmseries.aws_ha.plugins.modules import upgrade_readiness as module


def snapshot(node, nics=None, routes=None, licence=None, priority=100, fingerprint="abc"):
    return {"node": node, "nics": nics or {"ethernet1/1": "up"}, "routes": routes or {}, "license": licence or {},
            "ha": {"priority": priority, "preemptive": False, "ha2_ip": "10.0.1.5/24"}, "config_fingerprint": fingerprint,
            "versions": {"sw_version": "11.1.4-h7"}}


def test_versions_and_swapped_roles_are_no_difference():
    before = {"active": snapshot("primary"), "passive": snapshot("secondary", priority=110)}
    after = {"active": {**snapshot("secondary", priority=110), "versions": {"sw_version": "11.1.6"}},
             "passive": {**snapshot("primary"), "versions": {"sw_version": "11.1.6"}}}
    assert module.differences(before, after) == []


def test_an_interface_a_route_a_licence_and_the_configuration_are_named():
    before = {"active": snapshot("primary", routes={"r1": {"flags": "A S"}}, licence={"PA-VM": {"expired": "no"}}),
              "passive": snapshot("secondary")}
    after = {"active": snapshot("primary", nics={"ethernet1/1": "down"}, licence={"PA-VM": {"expired": "yes"}},
                                fingerprint="def"),
             "passive": snapshot("secondary")}
    found = module.differences(before, after)
    assert any(line.startswith("the active nics: ethernet1/1 was 'up', now 'down'") for line in found), found
    assert any(line.startswith("the active routes: r1 was") for line in found), found
    assert any(line.startswith("primary license: PA-VM") for line in found), found
    assert any(line.startswith("primary config_fingerprint: was 'abc', now 'def'") for line in found), found


def test_host_routes_and_auth_codes_are_left_out():
    routes = {"a": {"flags": "A H"}, "b": {"flags": "A C"}, "c": {"flags": "A S"}}
    assert sorted(module.without_host_routes(routes)) == ["b", "c"]
    licences = {"PA-VM": {"feature": "PA-VM", "authcode": "I1234567", "expired": "no"}}
    assert module.without_auth_codes(licences) == {"PA-VM": {"feature": "PA-VM", "expired": "no"}}
    assert module.without_auth_codes(None) is None and module.without_host_routes(None) is None
