"""The lab's instance metadata service under each of EC2's metadata options, without a lab."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from vmseries_lab import imds


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def service(http_tokens="required", http_endpoint="enabled", role="pair-vmseries-ha", clock=None):
    instance = SimpleNamespace(id="i-0123", metadata_options=SimpleNamespace(http_tokens=http_tokens,
                                                                             http_endpoint=http_endpoint))
    return imds.InstanceMetadataService(lambda: instance, lambda: role, clock or Clock()), instance


def token(svc, ttl="60"):
    status, body = svc.request("PUT", imds.TOKEN_PATH, {imds.TTL_HEADER: ttl})
    assert status == 200
    return body


def test_imdsv1_is_refused_where_tokens_are_required_and_answered_where_optional():
    required, _ = service("required")
    assert required.request("GET", "/latest/meta-data/instance-id") == (401, "")
    assert required.request("GET", "/latest/meta-data/instance-id", {imds.TOKEN_HEADER: token(required)}) == (200, "i-0123")
    optional, _ = service("optional")
    assert optional.request("GET", "/latest/meta-data/instance-id") == (200, "i-0123")


def test_a_token_needs_a_ttl_of_1_to_21600_seconds_and_expires():
    clock = Clock()
    svc, _ = service(clock=clock)
    for ttl in (None, "0", "21601", "six hours"):
        headers = {} if ttl is None else {imds.TTL_HEADER: ttl}
        assert svc.request("PUT", imds.TOKEN_PATH, headers)[0] == 400
    assert svc.request("PUT", "/latest/meta-data/api/token", {imds.TTL_HEADER: "60"})[0] == 403
    issued = token(svc, "60")
    clock.now += 61
    assert svc.request("GET", "/latest/meta-data/instance-id", {imds.TOKEN_HEADER: issued})[0] == 401


def test_an_invalid_token_is_refused_even_where_tokens_are_optional():
    svc, _ = service("optional")
    assert svc.request("GET", "/latest/meta-data/instance-id", {imds.TOKEN_HEADER: "forged"})[0] == 401


def test_a_disabled_endpoint_answers_nothing_and_options_apply_at_once():
    svc, instance = service(http_endpoint="disabled")
    assert svc.request("PUT", imds.TOKEN_PATH, {imds.TTL_HEADER: "60"})[0] == 403
    instance.metadata_options.http_endpoint = "enabled"
    assert svc.request("GET", "/latest/meta-data/instance-id", {imds.TOKEN_HEADER: token(svc)})[0] == 200


def test_role_credentials_by_imdsv2_and_their_refusals():
    svc, _ = service("required")
    credentials = imds.role_credentials(svc, imdsv2=True)
    assert list(credentials) == ["Code", "LastUpdated", "Type", "AccessKeyId", "SecretAccessKey", "Token", "Expiration"]
    assert credentials["Code"] == "Success" and credentials["Type"] == "AWS-HMAC"
    with pytest.raises(imds.MetadataError, match="401 Unauthorized") as refused:
        imds.role_credentials(svc, imdsv2=False)
    assert refused.value.status == 401
    without_role, _ = service("optional", role=None)
    with pytest.raises(imds.MetadataError, match="404 Not Found"):
        imds.role_credentials(without_role, imdsv2=False)
    listed = svc.request("GET", imds.CREDENTIALS_PATH, {imds.TOKEN_HEADER: token(svc)})
    assert listed == (200, "pair-vmseries-ha")
    assert svc.request("GET", imds.CREDENTIALS_PATH + "other", {imds.TOKEN_HEADER: token(svc)})[0] == 404
    assert json.loads(svc.request("GET", imds.CREDENTIALS_PATH + "pair-vmseries-ha",
                                  {imds.TOKEN_HEADER: token(svc)})[1])["Code"] == "Success"
