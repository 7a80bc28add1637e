from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.vmseries.aws_ha.plugins.filter.plugin_problems import FilterModule
from ansible_collections.vmseries.aws_ha.plugins.module_utils import vmseries_plugin

problems = FilterModule().filters()["plugin_problems"]
LAB_AMIS = Path(__file__).resolve().parents[4] / "lab" / "vmseries_lab" / "amis.json"


def ami(version: str) -> str:
    return f"PA-VM-AWS-{version}-6a8f1b2c-9a3e-4d1f-8f0e-1c2d3e4f5a01"


@pytest.mark.parametrize("version, floor", [
    ("9.1.16", "1.0.0"), ("10.0.4", "2.0.0"), ("10.1.14-h9", "2.1.0"), ("10.2.0", "3.0.0"),
    ("10.2.10-h9", "3.0.0"), ("11.0.6", "4.0.0"), ("11.1.4-h7", "5.0.0"), ("11.2.8", "5.0.0"), ("12.1.2", "6.0.0"),
])
def test_each_panos_line_has_the_plugin_floor_of_its_line(version, floor):
    assert vmseries_plugin.shipped_plugin_floor(version) == floor


def test_imdsv2_required_is_refused_before_plugin_3_and_allowed_from_it():
    [message] = problems(ami("10.1.14-h9"), "interface_move")
    assert "PAN-OS 10.1.14-h9" in message and "predates IMDSv2" in message
    assert "vmseries_imds_v1_allowed: true" in message and "vmseries_panos_version" in message
    assert problems(ami("10.1.14-h9"), "interface_move", True) == []
    assert problems(ami("10.2.0"), "interface_move") == []
    assert problems(ami("11.1.4-h7"), "secondary_ip") == []


def test_secondary_ip_move_is_refused_with_a_plugin_older_than_2_0_1():
    refused = problems(ami("10.0.4"), "secondary_ip", True)
    assert len(refused) == 1 and "secondary_ip needs VM-Series plugin 2.0.1" in refused[0]
    assert problems(ami("10.0.4"), "interface_move", True) == []
    assert len(problems(ami("9.1.16"), "secondary_ip")) == 2


def test_an_ami_name_without_a_version_is_not_judged():
    assert problems("my-golden-image-2025", "secondary_ip") == []
    assert vmseries_plugin.panos_version_of_ami("PA-VM-AWS-11.1.4-h7-uuid") == "11.1.4-h7"


def test_the_floor_is_never_above_what_the_labs_amis_ship():
    """The lab models exact versions; preflight's lower bound must hold for each of them."""
    from vmseries_lab import software

    for entry in json.loads(LAB_AMIS.read_text()):
        version = vmseries_plugin.panos_version_of_ami(entry["name"])
        if version is None:
            continue
        shipped = software.release(version).plugin
        assert software.version_key(vmseries_plugin.shipped_plugin_floor(version)) <= software.version_key(shipped)
        assert shipped.split(".")[0] == vmseries_plugin.shipped_plugin_floor(version).split(".")[0], version
