"""The rules of a rolling upgrade (module_utils/upgrade.py): the path, the images, the next step."""

from __future__ import annotations

import pytest

from ansible_collections.vmseries.aws_ha.plugins.module_utils import upgrade
from ansible_collections.vmseries.aws_ha.plugins.module_utils.upgrade import NodeView, next_action

OFFERED = {v: {} for v in ("10.2.0", "10.2.10-h9", "10.2.13", "11.0.0", "11.0.6", "11.1.0", "11.1.6")}


def names(problems):
    return [p.split(":")[0] for p in problems]


@pytest.mark.parametrize("current, target, expected", [
    ("10.2.10-h9", "10.2.13", []),
    ("10.2.13", "11.0.6", []),
    ("11.0.6", "10.2.0", ["upgrade_path"]),
    ("10.2.10-h9", "11.1.6", ["upgrade_path"]),
    ("10.2.10-h9", "12.1.0", ["target_offered", "upgrade_path", "upgrade_path"]),
    ("10.2.10-h9", "10.2.11", ["target_offered"]),
])
def test_path_problems(current, target, expected):
    assert names(upgrade.path_problems(current, target, OFFERED)) == expected


def test_a_downgrade_passes_when_allowed():
    assert upgrade.path_problems("11.0.6", "11.0.0", OFFERED, allow_downgrade=True) == []


def test_crossing_two_feature_releases_names_the_one_to_go_to_first():
    (problem,) = upgrade.path_problems("10.2.10-h9", "11.1.6", OFFERED)
    assert "11.0" in problem and "latest 11.0.x first" in problem


@pytest.mark.parametrize("current, target, downloaded, expected", [
    ("10.2.10-h9", "11.0.6", {}, ["11.0.0", "11.0.6"]),
    ("10.2.10-h9", "11.0.6", {"11.0.0": True}, ["11.0.6"]),
    ("10.2.10-h9", "11.0.0", {}, ["11.0.0"]),
    ("10.2.10-h9", "10.2.13", {}, ["10.2.13"]),
    ("10.2.10-h9", "10.2.13", {"10.2.13": True}, []),
])
def test_images_to_download(current, target, downloaded, expected):
    assert upgrade.images_to_download(current, target, downloaded) == expected


def test_bad_versions_are_refused():
    with pytest.raises(ValueError):
        upgrade.version_key("11.1")
    assert names(upgrade.path_problems("10.2.10-h9", "latest", OFFERED)) == ["upgrade_path"]
    assert names(upgrade.path_problems("", "11.0.6", OFFERED)) == ["upgrade_path"]


def views(primary, secondary):
    def view(node, spec):
        if spec is None:
            return NodeView(node, False)
        version, state = spec
        return NodeView(node, True, version, state, state == "suspended")
    return {"primary": view("primary", primary), "secondary": view("secondary", secondary)}


OLD, NEW = "10.2.10-h9", "11.0.6"


@pytest.mark.parametrize("primary, secondary, expected", [
    # Palo Alto's order, step by step, from the pair as it is at each moment.
    ((OLD, "active"), (OLD, "passive"), ("upgrade", "secondary")),
    ((OLD, "active"), None, ("wait", "secondary")),
    ((OLD, "active"), (NEW, "initial"), ("wait", "secondary")),
    ((OLD, "active"), (NEW, "passive"), ("suspend", "primary")),
    ((OLD, "suspended"), (NEW, "active"), ("upgrade", "primary")),
    ((NEW, "suspended"), (NEW, "active"), ("functional", "primary")),
    ((NEW, "initial"), (NEW, "active"), ("wait", "primary")),
    ((NEW, "passive"), (NEW, "active"), ("done", None)),
    # Interrupted between the suspension and the install, or with the secondary suspended by hand.
    ((OLD, "passive"), (NEW, "active"), ("upgrade", "primary")),
    ((OLD, "active"), (OLD, "suspended"), ("upgrade", "secondary")),
    ((OLD, "active"), (NEW, "suspended"), ("functional", "secondary")),
    ((OLD, "initial"), (OLD, "initial"), ("wait", None)),
])
def test_next_action(primary, secondary, expected):
    action = next_action(views(primary, secondary), NEW)
    assert (action.kind, action.node) == expected, action


def test_failback_when_asked_once_both_run_the_target():
    assert (next_action(views((NEW, "passive"), (NEW, "active")), NEW, failback_to="primary").kind) == "failback"
    assert next_action(views((NEW, "active"), (NEW, "passive")), NEW, failback_to="primary").kind == "done"


@pytest.mark.parametrize("plugins, expected", [
    ({"primary": "5.1.3", "secondary": "5.1.3"}, ("plugin", "secondary")),  # the passive first
    ({"primary": "5.1.3", "secondary": "5.1.4"}, ("plugin", "primary")),  # then the active
    ({"primary": "5.1.4", "secondary": "5.1.4"}, ("done", None)),
    ({"primary": "", "secondary": "5.1.4"}, ("plugin", "primary")),  # not read: installed again
])
def test_next_plugin_action(plugins, expected):
    action = upgrade.next_plugin_action(views((NEW, "active"), (NEW, "passive")), plugins, "5.1.4")
    assert (action.kind, action.node) == expected, action


def test_plugin_versions():
    assert upgrade.is_plugin_version("5.1.4") and upgrade.is_plugin_version("3.0.6-h1")
    assert not upgrade.is_plugin_version("vm_series-5.1.4") and not upgrade.is_plugin_version("5.1")


def test_outage_windows_sum_and_table():
    windows = [upgrade.OutageWindow("fail over from primary", 10.0, 14.5), upgrade.OutageWindow("fail back", 30.0, 31.0)]
    assert upgrade.outage_total(windows) == 5.5
    lines = upgrade.report_table([{"step": "install 11.0.6", "node": "secondary", "start": 1.0, "seconds": 3.0}], windows)
    assert lines[-1] == "total dataplane outage: 5.5 s in 2 window(s)"


def test_the_better_priority_is_the_lower_one_and_the_primary_on_a_tie_or_unknown():
    def with_priorities(primary, secondary):
        return {"primary": NodeView("primary", True, OLD, "active", priority=primary),
                "secondary": NodeView("secondary", True, OLD, "passive", priority=secondary)}
    assert upgrade.better_priority(with_priorities(110, 100)) == "secondary"
    assert upgrade.better_priority(with_priorities(100, 100)) == "primary"
    assert upgrade.better_priority(with_priorities(None, 100)) == "primary"
