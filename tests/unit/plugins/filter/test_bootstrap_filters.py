"""The filters around the bootstrap package: bucket names, the AMI's PAN-OS version, and their errors
as Ansible shows them."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.vmseries.aws_ha.plugins.filter.bootstrap_bucket import bootstrap_bucket
from ansible_collections.vmseries.aws_ha.plugins.filter.bootstrap_init_cfg import bootstrap_init_cfg
from ansible_collections.vmseries.aws_ha.plugins.filter.pair_config import pair_config
from ansible_collections.vmseries.aws_ha.plugins.filter.panos_version_of_ami import panos_version_of_ami


def test_one_bucket_per_firewall_named_by_pair_node_and_account():
    assert bootstrap_bucket("edge-1", "secondary", "123456789012") == "edge-1-secondary-bootstrap-123456789012"
    assert len(bootstrap_bucket("a" * 30, "secondary", "123456789012")) == 63


@pytest.mark.parametrize("pair", ["a" * 31, "Edge", "edge_1"])
def test_a_pair_name_that_cannot_name_a_bucket_says_what_to_change(pair):
    with pytest.raises(AnsibleFilterError, match="not a valid S3 bucket name.*at most 30 characters"):
        bootstrap_bucket(pair, "secondary", "123456789012")


def test_the_amis_panos_version():
    assert panos_version_of_ami("PA-VM-AWS-11.1.4-h7-6a8f1b2c-9a3e-4d1f-8f0e-1c2d3e4f5a01") == "11.1.4-h7"
    assert panos_version_of_ami("ubuntu-jammy") is None


def test_filter_errors_are_ansible_errors():
    with pytest.raises(AnsibleFilterError, match="No facts for the secondary firewall"):
        pair_config({"primary": {}}, "primary", ha_method="interface_move", dataplane_addressing="static", zones={},
                    virtual_router="default", ha_group_id=1, ha_priorities={}, ha_preemptive=False, ha2_transport="ip",
                    ha_timers="recommended")
    with pytest.raises(AnsibleFilterError, match="set by the collection"):
        bootstrap_init_cfg("h", {"hostname": "other"})
