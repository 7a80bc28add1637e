from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.vmseries.aws_ha.plugins.filter.pair_index import pair_index


def eni(eni_id, **tags):
    return {"id": eni_id, "tags": {k.replace("_", ":", 1): v for k, v in tags.items()}}


def test_keys_from_tags():
    resources = [
        eni("eni-1", vmseries_node="primary", vmseries_interface="mgmt"),
        eni("eni-2", vmseries_interface="untrust"),
        {"instance_id": "i-1", "tags": {"vmseries:node": "secondary"}},
        eni("eni-3", Name="someone else's"),
    ]
    index = pair_index(resources)
    assert set(index) == {"primary-mgmt", "untrust", "secondary"}
    assert index["primary-mgmt"]["id"] == "eni-1"


def test_duplicates_named():
    with pytest.raises(AnsibleFilterError, match="eni-1 and eni-2 are both tagged as 'trust'"):
        pair_index([eni("eni-1", vmseries_interface="trust"), eni("eni-2", vmseries_interface="trust")])


def test_empty():
    assert pair_index([]) == {} and pair_index(None) == {}
