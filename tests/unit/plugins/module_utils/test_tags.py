from __future__ import annotations

from ansible_collections.vmseries.aws_ha.plugins.module_utils import tags


def test_tag_lists_and_dicts_convert_both_ways():
    listed = [{"Key": "vmseries:pair", "Value": "edge"}, {"Key": "Name", "Value": "edge-mgmt"}]
    assert tags.as_dict(listed) == {"vmseries:pair": "edge", "Name": "edge-mgmt"}
    assert tags.as_list(tags.as_dict(listed)) == listed
    assert tags.as_dict(None) == {}
    # EC2 calls them TagSet on ENIs and Tags elsewhere.
    assert tags.of({"TagSet": listed}) == tags.of({"Tags": listed}) == tags.as_dict(listed)


def test_role_keys():
    assert tags.role_key({tags.NODE: "primary", tags.INTERFACE: "mgmt"}) == "primary-mgmt"
    assert tags.role_key({tags.INTERFACE: "untrust"}) == "untrust"
    assert tags.role_key({tags.NODE: "secondary"}) == "secondary"
    assert tags.role_key({"Name": "x"}) is None


def test_pair_filters():
    assert tags.pair_filters("edge", interface=["untrust", "trust"], instance_state_name=["running"]) == [
        {"Name": "tag:vmseries:pair", "Values": ["edge"]},
        {"Name": "tag:vmseries:interface", "Values": ["untrust", "trust"]},
        {"Name": "instance-state-name", "Values": ["running"]},
    ]
