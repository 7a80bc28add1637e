"""The lab's pure parts: xpath resolution on a config tree, IAM policy evaluation, and the op
command table that lab/README.md lists."""

from __future__ import annotations

import io
import sys
from pathlib import Path
import xml.etree.ElementTree as ET

import pytest

from vmseries_lab import config as cfg
from vmseries_lab import iam_policy, opcmds
from vmseries_lab.configstore import ConfigStore

REPO = Path(__file__).resolve().parents[2]

ETH = cfg.DEVICE_XPATH + "/network/interface/ethernet"


def test_xpath_with_slashes_in_names_and_alternatives():
    tree = cfg.default_config("fw")
    cfg.merge(cfg.ensure(tree, ETH), ET.fromstring(
        "<w><entry name='ethernet1/2'><layer3/></entry><entry name='ethernet1/3'><layer3/></entry></w>"))
    assert [e.get("name") for e in cfg.find_all(tree, ETH + "/entry[@name='ethernet1/2' or @name='ethernet1/3']")] == [
        "ethernet1/2", "ethernet1/3"]
    assert cfg.find_all(tree, ETH + "/entry[@name='ethernet1/9']") == []


def test_an_attribute_step_reads_the_nodes_bare_with_that_attribute():
    """pan-os-python's name-only refresh (`.../entry/@name`): the entries, without their children."""
    store = ConfigStore("fw", lambda _action: None)
    store.op("set", ETH, "<entry name='ethernet1/2'><layer3/></entry><entry name='ethernet1/3'><layer3/></entry>")
    code, result = store.op("get", ETH + "/entry/@name")
    assert code == 19 and ET.tostring(result, encoding="unicode") == (
        '<result total-count="2" count="2"><entry name="ethernet1/2" /><entry name="ethernet1/3" /></result>')
    assert store.op("get", ETH + "/entry[@name='ethernet1/9']/@name")[0] == 7
    with pytest.raises(Exception, match="Bad xpath"):
        store.op("set", ETH + "/entry/@name", "<entry name='x'/>")


def test_every_op_command_says_what_its_answer_rests_on_and_the_readme_lists_them():
    kinds = {"capture", "fixture", "docs", "client", "assumption"}
    vague = [path for path, command in opcmds.COMMANDS.items() if command.source[0] not in kinds or not command.source[1]]
    assert not vague
    sys.path.insert(0, str(REPO / "scripts"))
    import generated_section
    from lab_commands_table import README, README_END, README_START, render_table
    section = generated_section.read(README, README_START, README_END)
    assert section == "\n" + render_table(), "lab/README.md's command table is stale: run scripts/lab_commands_table.py"


def test_set_merges_members_without_duplicates():
    tree = cfg.default_config("fw")
    zone = cfg.VSYS_XPATH + "/zone/entry[@name='trust']/network/layer3"
    cfg.merge(cfg.ensure(tree, zone), ET.fromstring("<w><member>ethernet1/3</member></w>"))
    cfg.merge(cfg.ensure(tree, zone), ET.fromstring("<w><member>ethernet1/3</member><member>ethernet1/4</member></w>"))
    assert [m.text for m in cfg.find_all(tree, zone + "/member")] == ["ethernet1/3", "ethernet1/4"]
    assert cfg.find_all(tree, zone + "/member[text()='ethernet1/4']")


@pytest.mark.parametrize("bad", ["config/devices", "/devices/entry", "/config/entry[@name='a'", "/config/x[position()=1]"])
def test_bad_xpaths(bad):
    with pytest.raises(cfg.XPathError):
        cfg.parse(bad)


def test_canonical_ignores_whitespace():
    assert cfg.canonical(ET.fromstring("<a>\n  <b> x </b>\n</a>")) == cfg.canonical(ET.fromstring("<a><b>x</b></a>"))


OPEN = {"Statement": [{"Effect": "Allow", "Action": ["ec2:AttachNetworkInterface", "ec2:DescribeInstances"], "Resource": "*"}]}
SCOPED = {"Statement": [{"Effect": "Allow", "Action": "ec2:AttachNetworkInterface",
                         "Resource": ["arn:aws:ec2:*:*:network-interface/*"],
                         "Condition": {"StringEquals": {"aws:ResourceTag/vmseries:pair": "p1"}}}]}
ENI = "arn:aws:ec2:us-east-1:123456789012:network-interface/eni-1"


def test_allow_and_implicit_deny():
    assert iam_policy.evaluate([OPEN], "ec2:attachnetworkinterface", ENI) == "Allow"
    assert iam_policy.evaluate([OPEN], "ec2:DetachNetworkInterface", ENI) is None


def test_explicit_deny_wins():
    deny = {"Statement": {"Effect": "Deny", "Action": "ec2:*", "Resource": "*"}}
    assert iam_policy.evaluate([OPEN, deny], "ec2:AttachNetworkInterface", ENI) == "Deny"


def test_tag_condition():
    assert iam_policy.evaluate([SCOPED], "ec2:AttachNetworkInterface", ENI, {"vmseries:pair": "p1"}) == "Allow"
    assert iam_policy.evaluate([SCOPED], "ec2:AttachNetworkInterface", ENI, {"vmseries:pair": "p2"}) is None
    assert iam_policy.evaluate([SCOPED], "ec2:AttachNetworkInterface", ENI.replace("network-interface", "instance")) is None


def test_unknown_condition_never_grants():
    odd = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}
    assert iam_policy.evaluate([odd], "ec2:AttachNetworkInterface", ENI) is None


def test_a_tls_only_bucket_policy_lets_the_labs_requests_through_and_still_denies():
    """The usual TLS-only statement (Deny when aws:SecureTransport is false) does not deny the
    lab's clients, which stand for HTTPS ones; an unconditional Deny still does."""
    import json

    import boto3
    from botocore.exceptions import ClientError
    from moto import mock_aws

    from vmseries_lab import moto_patches

    moto_patches.apply_all()
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": ["arn:aws:s3:::tls-only", "arn:aws:s3:::tls-only/*"]}
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="tls-only")
        s3.put_bucket_policy(Bucket="tls-only", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {**deny, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
        s3.put_object(Bucket="tls-only", Key="config/init-cfg.txt", Body=b"type=dhcp-client\n")
        assert s3.get_object(Bucket="tls-only", Key="config/init-cfg.txt")["Body"].read() == b"type=dhcp-client\n"
        s3.put_bucket_policy(Bucket="tls-only", Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]}))
        with pytest.raises(ClientError, match="AccessDenied|Forbidden|403"):
            s3.get_object(Bucket="tls-only", Key="config/init-cfg.txt")


def test_bool_conditions_on_the_request():
    secure = {"Bool": {"aws:SecureTransport": "true"}}
    assert iam_policy.condition_holds(secure, {})
    assert not iam_policy.condition_holds({"Bool": {"aws:SecureTransport": "false"}}, {})
    assert not iam_policy.condition_holds({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, {})


def test_enis_get_free_unreserved_addresses():
    """As on AWS: every ENI created without an address gets one no other ENI has, never one of the
    five the subnet reserves, and a full subnet is an error instead of a duplicate."""
    import ipaddress

    import boto3
    from botocore.exceptions import ClientError
    from moto import mock_aws

    from vmseries_lab import moto_patches

    moto_patches.apply_all()
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/28")["Subnet"]["SubnetId"]
        addresses = [ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["PrivateIpAddress"]
                     for _ in range(11)]
        network = ipaddress.ip_network("10.9.1.0/28")
        reserved = {str(network.network_address + offset) for offset in (0, 1, 2, 3, 15)}
        assert len(set(addresses)) == 11 and not reserved & set(addresses)
        with pytest.raises(ClientError, match="InsufficientFreeAddressesInSubnet"):
            ec2.create_network_interface(SubnetId=subnet)


def test_profiles_play_the_boot_phases_in_order_and_scaled():
    from vmseries_lab import profiles

    realistic = profiles.build("realistic", time_scale=0.1)
    schedule = realistic.boot_schedule()
    assert [phase for phase, _ in schedule] == [*profiles.BOOT_PHASES, profiles.READY]
    starts = [start for _, start in schedule]
    assert starts == sorted(starts) and starts[0] == 0.0
    assert schedule[-1][1] == pytest.approx(0.1 * sum(getattr(realistic, "boot_" + p.replace("-", "_"))
                                                      for p in profiles.BOOT_PHASES))
    assert realistic.phase_at(0) == "no-tcp" and realistic.phase_at(schedule[-1][1]) == profiles.READY
    assert realistic.phase_at(schedule[3][1] + 0.01) == "chassis-not-ready"
    assert realistic.seconds("eni_detach") == pytest.approx(0.5) and realistic.ha_timer_factor == pytest.approx(0.1)


def test_profile_overrides_and_their_errors():
    from vmseries_lab import profiles

    fast = profiles.build("fast", timings=dict([profiles.parse_timing("commit=0.2"), profiles.parse_timing("eni-attach=2")]))
    assert (fast.commit, fast.eni_attach, fast.time_scale) == (0.2, 2.0, 1.0)
    for bad, message in ((lambda: profiles.build("slow"), "unknown profile"),
                         (lambda: profiles.build("fast", timings={"boot": 1.0}), "unknown timing"),
                         (lambda: profiles.build("fast", timings={"commit": -1.0}), "must not be negative"),
                         (lambda: profiles.build("fast", time_scale=0), "must be positive"),
                         (lambda: profiles.parse_timing("commit"), "NAME=SECONDS"),
                         (lambda: profiles.parse_timing("commit=soon"), "not a number")):
        with pytest.raises(ValueError, match=message):
            bad()


def test_aws_calls_are_named_by_service_and_action_and_by_caller():
    from vmseries_lab.awscalls import LAB_AGENT, AwsCallCounter, is_read

    counter = AwsCallCounter()
    seen = []

    def moto(environ, start_response):
        seen.append(environ["wsgi.input"].read())  # moto still gets the whole body
        return [b""]

    app = counter.wrap(moto)
    auth = "AWS4-HMAC-SHA256 Credential=testing/20261125/us-east-1/{}/aws4_request, SignedHeaders=host"
    body = b"Action=DescribeVpcs&Version=2016-11-15"
    app({"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)), "HTTP_AUTHORIZATION": auth.format("ec2"),
         "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8", "HTTP_USER_AGENT": "Boto3/1.40"}, None)
    app({"wsgi.input": io.BytesIO(b""), "QUERY_STRING": "Action=AttachNetworkInterface", "HTTP_AUTHORIZATION": auth.format("ec2"),
         "HTTP_USER_AGENT": f"Boto3/1.40 {LAB_AGENT}"}, None)
    app({"wsgi.input": io.BytesIO(b"{}"), "CONTENT_LENGTH": "2", "HTTP_X_AMZ_TARGET": "AmazonSSM.GetParameter",
         "HTTP_AUTHORIZATION": auth.format("ssm"), "HTTP_USER_AGENT": "Boto3/1.40"}, None)
    assert seen[0] == body
    assert counter.snapshot() == {"client": {"ec2:DescribeVpcs": 1, "ssm:GetParameter": 1},
                                  "firewalls": {"ec2:AttachNetworkInterface": 1}}
    assert is_read("ec2:DescribeVpcs") and is_read("iam:ListRoles") and not is_read("ec2:CreateTags")
