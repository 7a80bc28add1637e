"""playbooks/aws.yml (the AWS stages of site.yml) against the lab: what they create, that a
re-run changes nothing (also after a manual move of the dataplane ENIs), the user data of
`vmseries_bootstrap: user_data` and the firewalls booting licensed from it, the S3 bootstrap
packages and their IAM grants, and that teardown removes everything. One deployed pair serves
every assertion, so the tests of this module run in file order and share it."""

from __future__ import annotations

import base64
import json
import stat
from typing import Any, Dict, List

import pytest

from .conftest import Lab, tagged
from .test_license_lab import lab_cli, lab_wait

pytestmark = pytest.mark.slow

PAIR = "lab-pair"
OPERATOR_CIDRS = ["127.0.0.1/32"]  # inventories/lab
AUTH_CODE, ADMIN_PASSWORD = "LAB-VM300", "lab-Admin-1"  # inventories/lab
ACCOUNT = "123456789012"  # moto's
# The pair boots from user data (the SSH path is site.yml's default, deployed by the AWX Deploy
# job template's test); every run of this module passes it, as a user re-running the stages would.
DEPLOYED_WITH = {"vmseries_bootstrap": "user_data"}
FAILOVER_ACTIONS = sorted([
    "ec2:AttachNetworkInterface",
    "ec2:DetachNetworkInterface",
    "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces",
])


def by_tags(items: List[Dict[str, Any]], key: str = "TagSet") -> Dict[str, Dict[str, Any]]:
    """ENIs/instances keyed like the pair_index filter: <node>-<interface>, <interface> or <node>."""
    result = {}
    for item in items:
        tags = {t["Key"]: t["Value"] for t in item.get(key, [])}
        name = "-".join(tags[k] for k in ("vmseries:node", "vmseries:interface") if k in tags)
        assert name not in result, f"two resources tagged {name}"
        result[name] = item
    return result


@pytest.fixture(scope="module")
def deployed(lab: Lab, run_playbook):
    first = run_playbook("playbooks/aws.yml", DEPLOYED_WITH)
    assert first.rc == 0, first.output[-5000:]
    return first


@pytest.fixture()
def ec2(lab: Lab):
    return lab.client("ec2")


def pair_enis(ec2) -> Dict[str, Dict[str, Any]]:
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "tag:vmseries:pair", "Values": [PAIR]}])["NetworkInterfaces"]
    return by_tags(enis)


def pair_instances(ec2) -> Dict[str, Dict[str, Any]]:
    reservations = ec2.describe_instances(Filters=[
        {"Name": "tag:vmseries:pair", "Values": [PAIR]},
        {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
    ])["Reservations"]
    return by_tags([i for r in reservations for i in r["Instances"]], key="Tags")


def attached(ec2, instance_id: str) -> Dict[int, str]:
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}])["NetworkInterfaces"]
    return {n["Attachment"]["DeviceIndex"]: n["NetworkInterfaceId"] for n in enis}


def ingress(ec2, name: str) -> set:
    group = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"{PAIR}-{name}"]}])["SecurityGroups"]
    assert len(group) == 1
    rules = set()
    for perm in group[0]["IpPermissions"]:
        for rng in perm.get("IpRanges", []) + perm.get("Ipv6Ranges", []):
            rules.add((perm["IpProtocol"], perm.get("FromPort"), perm.get("ToPort"), rng.get("CidrIp") or rng.get("CidrIpv6")))
        assert not perm.get("UserIdGroupPairs"), f"{name}: unexpected group references"
    return rules


def test_first_run_creates(deployed):
    assert deployed.recap()["changed"] > 0


def test_enis_by_device_index(deployed, ec2):
    enis, instances = pair_enis(ec2), pair_instances(ec2)
    assert set(enis) == {"primary-mgmt", "primary-ha2", "secondary-mgmt", "secondary-ha2", "untrust", "trust"}
    assert set(instances) == {"primary", "secondary"}
    ids = {k: v["NetworkInterfaceId"] for k, v in enis.items()}
    assert attached(ec2, instances["primary"]["InstanceId"]) == {
        0: ids["primary-mgmt"], 1: ids["primary-ha2"], 2: ids["untrust"], 3: ids["trust"]}
    assert attached(ec2, instances["secondary"]["InstanceId"]) == {0: ids["secondary-mgmt"], 1: ids["secondary-ha2"]}


def test_source_dest_check_off_on_dataplane(deployed, ec2):
    checks = {k: v["SourceDestCheck"] for k, v in pair_enis(ec2).items()}
    assert checks == {"primary-mgmt": True, "secondary-mgmt": True, "primary-ha2": False,
                      "secondary-ha2": False, "untrust": False, "trust": False}


def test_elastic_ips(deployed, ec2):
    enis = pair_enis(ec2)
    addresses = ec2.describe_addresses(Filters=[{"Name": "tag:vmseries:pair", "Values": [PAIR]}])["Addresses"]
    assert sorted(a.get("NetworkInterfaceId") for a in addresses) == sorted(
        enis[k]["NetworkInterfaceId"] for k in ("primary-mgmt", "secondary-mgmt", "untrust"))


def test_security_group_rules_exactly(deployed, ec2):
    ips = {k: v["PrivateIpAddress"] for k, v in pair_enis(ec2).items()}
    assert ingress(ec2, "mgmt") == {("tcp", p, p, c) for p in (443, 22) for c in OPERATOR_CIDRS}
    mgmt_peers = {f"{ips['primary-mgmt']}/32", f"{ips['secondary-mgmt']}/32"}
    assert ingress(ec2, "ha1") == {("tcp", p, p, c) for p in (28769, 28260) for c in mgmt_peers}
    ha2_peers = {f"{ips['primary-ha2']}/32", f"{ips['secondary-ha2']}/32"}
    assert {(proto, cidr) for proto, _, _, cidr in ingress(ec2, "ha2")} == {("99", c) for c in ha2_peers}
    assert ingress(ec2, "untrust") == set()
    vpc_cidr = ec2.describe_vpcs(Filters=[{"Name": "tag:vmseries:pair", "Values": [PAIR]}])["Vpcs"][0]["CidrBlock"]
    assert ingress(ec2, "trust") == {("-1", None, None, vpc_cidr)}
    groups = {k: sorted(g["GroupName"] for g in v["Groups"]) for k, v in pair_enis(ec2).items()}
    assert groups["primary-mgmt"] == groups["secondary-mgmt"] == [f"{PAIR}-ha1", f"{PAIR}-mgmt"]
    assert groups["untrust"] == [f"{PAIR}-untrust"] and groups["trust"] == [f"{PAIR}-trust"]


def test_instances_hardening(deployed, ec2):
    instances = pair_instances(ec2)
    zones = {i["Placement"]["AvailabilityZone"] for i in instances.values()}
    assert len(zones) == 1
    subnets = ec2.describe_subnets(Filters=[{"Name": "tag:vmseries:pair", "Values": [PAIR]}])["Subnets"]
    assert {s["AvailabilityZone"] for s in subnets} == zones and len(subnets) == 4
    for node, instance in instances.items():
        assert instance["State"]["Name"] == "running", node
        assert instance["IamInstanceProfile"]["Arn"].endswith(f":instance-profile/{PAIR}-vmseries-ha"), node
        assert instance["MetadataOptions"]["HttpTokens"] == "required", node
        assert instance["EbsOptimized"] is True, node
        assert instance["KeyName"] == f"{PAIR}-key"
        volumes = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [instance["InstanceId"]]}])["Volumes"]
        assert volumes and all(v["Encrypted"] and v["VolumeType"] == "gp3" for v in volumes), node


def test_user_data_carries_the_basic_configuration_and_each_firewall_boots_licensed(deployed, ec2, lab: Lab):
    """vmseries_bootstrap user_data: each firewall is launched with management by DHCP, its hostname
    and the auth code in its user data, and boots licensed, with no commit through the API. (That
    the licence stage then fetches nothing is shown by the molecule scenario's pairs, which boot
    licensed from S3.)"""
    assert AUTH_CODE not in deployed.output, "the auth code was printed"
    for node, instance in pair_instances(ec2).items():
        instance_id = instance["InstanceId"]
        user_data = ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="userData")["UserData"]["Value"]
        assert base64.b64decode(user_data).decode() == (
            f"type=dhcp-client;hostname={PAIR}-{node};dhcp-send-hostname=yes;dhcp-send-client-id=yes;"
            f"dhcp-accept-server-hostname=no;dhcp-accept-server-domain=yes;authcodes={AUTH_CODE}")

        def counts() -> Dict[str, int]:
            return json.loads(lab_cli(lab, "counters", "--json", instance_id))[instance_id]["counts"]

        lab_wait(lambda: counts().get("events.license_installed") == 1, f"{node} licensed at boot")
        assert counts().get("events.bootstrapped") == 1 and not counts().get("commits"), (node, counts())


def test_private_key_written(deployed, lab: Lab):
    key = lab.state_dir / "keys" / f"{PAIR}-key.pem"
    assert key.exists()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_iam_policy_role_profile(deployed, lab: Lab):
    iam = lab.client("iam")
    name = f"{PAIR}-vmseries-ha"
    policy = next(p for p in iam.list_policies(Scope="Local")["Policies"] if p["PolicyName"] == name)
    document = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"]
    if isinstance(document, str):
        document = json.loads(document)
    actions = sorted(a for s in document["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]))
    assert actions == FAILOVER_ACTIONS
    role = iam.get_role(RoleName=name)["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "ec2.amazonaws.com"}]
    attached_policies = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached_policies] == [policy["Arn"]]
    profile = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
    assert [r["RoleName"] for r in profile["Roles"]] == [name]


def test_rerun_after_failover_changes_nothing_and_leaves_dataplane_on_secondary(deployed, ec2, run_playbook, lab: Lab):
    """Move untrust/trust to the secondary as a failover does; a re-run must change nothing, and so
    not move them back. (A re-run of a pair that did not fail over: the molecule scenario's
    idempotence step, site.yml with these stages.)"""
    instances, enis = pair_instances(ec2), pair_enis(ec2)
    for index, key in ((2, "untrust"), (3, "trust")):
        ec2.detach_network_interface(AttachmentId=enis[key]["Attachment"]["AttachmentId"])
        # EC2 keeps the ENI `detaching` for a while, and refuses to attach it elsewhere until then.
        ec2.get_waiter("network_interface_available").wait(NetworkInterfaceIds=[enis[key]["NetworkInterfaceId"]],
                                                          WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        ec2.attach_network_interface(NetworkInterfaceId=enis[key]["NetworkInterfaceId"],
                                     InstanceId=instances["secondary"]["InstanceId"], DeviceIndex=index)
    writes_before = lab.aws_writes()
    run = run_playbook("playbooks/aws.yml", DEPLOYED_WITH)
    assert run.rc == 0, run.output[-5000:]
    assert run.recap()["changed"] == 0, run.output[-8000:]
    # changed=0 and no write call either: nothing is re-applied that already holds.
    assert lab.aws_writes() == writes_before
    on_secondary = attached(ec2, instances["secondary"]["InstanceId"])
    assert on_secondary[2] == enis["untrust"]["NetworkInterfaceId"] and on_secondary[3] == enis["trust"]["NetworkInterfaceId"]
    assert set(attached(ec2, instances["primary"]["InstanceId"])) == {0, 1}


def test_network_drift_runs_the_converge_and_a_converged_network_skips_it(deployed, ec2, run_playbook, lab: Lab):
    """The network stage skips its converge only when its fingerprint says nothing it manages
    changed: a removed rule and a source/dest check turned back on are put right by a full converge,
    which then records the network again; the next run skips and writes nothing."""
    skipped = "is as the last converge left it: its tasks are skipped"
    group = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"{PAIR}-mgmt"]}])["SecurityGroups"][0]
    ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": OPERATOR_CIDRS[0]}]}])
    trust = pair_enis(ec2)["trust"]["NetworkInterfaceId"]
    ec2.modify_network_interface_attribute(NetworkInterfaceId=trust, SourceDestCheck={"Value": True})

    def said(run) -> str:  # the YAML callback folds long messages
        return " ".join(run.output.split())

    drifted = run_playbook("playbooks/network.yml", DEPLOYED_WITH)
    assert drifted.rc == 0, drifted.output[-5000:]
    assert "changed since the last converge: security_groups, enis" in said(drifted), drifted.output[-8000:]
    assert ("tcp", 22, 22, OPERATOR_CIDRS[0]) in ingress(ec2, "mgmt")
    assert pair_enis(ec2)["trust"]["SourceDestCheck"] is False

    writes_before = lab.aws_writes()
    again = run_playbook("playbooks/network.yml", DEPLOYED_WITH)
    assert again.rc == 0 and skipped in said(again), again.output[-5000:]
    assert again.recap()["changed"] == 0 and lab.aws_writes() == writes_before

    # Told not to trust the fingerprint, every amazon.aws task checks for itself and finds nothing to do.
    full = run_playbook("playbooks/network.yml", {**DEPLOYED_WITH, "vmseries_full_converge": True})
    assert full.rc == 0 and "vmseries_full_converge is set" in said(full), full.output[-5000:]
    assert full.recap()["changed"] == 0 and lab.aws_writes() == writes_before, full.output[-8000:]


def test_instance_without_profile_is_reported_not_patched(deployed, ec2, run_playbook):
    secondary = pair_instances(ec2)["secondary"]["InstanceId"]
    association = ec2.describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": [secondary]}])["IamInstanceProfileAssociations"][0]
    ec2.disassociate_iam_instance_profile(AssociationId=association["AssociationId"])
    run = run_playbook("playbooks/instances.yml", DEPLOYED_WITH)
    assert run.rc != 0
    assert "was not launched with the instance profile" in run.output and secondary in run.output
    assert "IamInstanceProfile" not in pair_instances(ec2)["secondary"]


def test_ha_rules_follow_encryption_and_transport(deployed, ec2, run_playbook):
    """The default rules (test_security_group_rules_exactly) replaced, not added to: the sets below
    are exact. Last before the teardown, which removes the groups anyway."""
    ips = {k: v["PrivateIpAddress"] for k, v in pair_enis(ec2).items()}
    mgmt_peers = {f"{ips['primary-mgmt']}/32", f"{ips['secondary-mgmt']}/32"}
    ha2_peers = {f"{ips['primary-ha2']}/32", f"{ips['secondary-ha2']}/32"}
    run = run_playbook("playbooks/network.yml", {**DEPLOYED_WITH, "vmseries_ha1_encryption": True,
                                                  "vmseries_ha2_transport": "udp"})
    assert run.rc == 0, run.output[-5000:]
    assert ingress(ec2, "ha1") == {("tcp", 28, 28, c) for c in mgmt_peers}
    assert ingress(ec2, "ha2") == {("udp", 29281, 29281, c) for c in ha2_peers}


def test_s3_bootstrap_gives_each_firewall_a_private_tls_only_package_only_the_pairs_role_reads(deployed, lab: Lab,
                                                                                               run_playbook):
    """vmseries_bootstrap s3, the AWS side: the IAM stage again and the bootstrap package over the
    deployed network. That firewalls boot from such packages configured, licensed and paired, the
    PAN-OS stages then commit nothing and both HA methods fail over is the molecule scenario (both
    its pairs boot from S3); a failed bootstrap is in tests/lab/test_bootstrap.py."""
    variables = {"vmseries_bootstrap": "s3", "vmseries_bootstrap_init_cfg": {"dns-primary": "169.254.169.253",
                                                                              "panorama-server": ""}}
    buckets = {node: f"{PAIR}-{node}-bootstrap-{ACCOUNT}" for node in ("primary", "secondary")}
    for playbook in ("playbooks/iam.yml", "playbooks/bootstrap_package.yml"):
        done = run_playbook(playbook, variables)
        assert done.rc == 0, (playbook, done.output[-5000:])
        assert AUTH_CODE not in done.output and ADMIN_PASSWORD not in done.output, f"{playbook} printed a secret"

    s3 = lab.client("s3")
    for node, bucket in buckets.items():
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert all(block[k] for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"))
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"][0]["ObjectOwnership"]
        assert ownership == "BucketOwnerEnforced"
        [deny] = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
        assert deny["Effect"] == "Deny" and deny["Action"] == "s3:*" and deny["Principal"] == "*"
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert sorted(deny["Resource"]) == [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
        tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
        assert tags["vmseries:pair"] == PAIR and tags["vmseries:node"] == node
        keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
        assert keys == ["config/bootstrap.xml", "config/init-cfg.txt", "content/", "license/authcodes", "software/"]
        init_cfg = s3.get_object(Bucket=bucket, Key="config/init-cfg.txt")["Body"].read().decode().splitlines()
        assert init_cfg[:2] == ["type=dhcp-client", f"hostname={PAIR}-{node}"] and "dns-primary=169.254.169.253" in init_cfg
        assert not any(line.startswith("panorama-server") for line in init_cfg)
        assert s3.get_object(Bucket=bucket, Key="license/authcodes")["Body"].read().decode() == AUTH_CODE + "\n"
        bootstrap_xml = s3.get_object(Bucket=bucket, Key="config/bootstrap.xml")["Body"].read().decode()
        assert f"<hostname>{PAIR}-{node}</hostname>" in bootstrap_xml and "<phash>$5$" in bootstrap_xml

    iam = lab.client("iam")
    policy = next(p for p in iam.list_policies(Scope="Local")["Policies"] if p["PolicyName"] == f"{PAIR}-vmseries-ha")
    document = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"]
    statements = {s.get("Sid"): s for s in document["Statement"]}
    assert statements["VmseriesBootstrapList"]["Action"] == ["s3:ListBucket"]
    assert sorted(statements["VmseriesBootstrapList"]["Resource"]) == sorted(f"arn:aws:s3:::{b}" for b in buckets.values())
    assert statements["VmseriesBootstrapRead"]["Action"] == ["s3:GetObject"]
    assert sorted(statements["VmseriesBootstrapRead"]["Resource"]) == sorted(f"arn:aws:s3:::{b}/*" for b in buckets.values())
    assert [a for s in statements.values() for a in s["Action"] if a.startswith("s3:")] == ["s3:ListBucket", "s3:GetObject"]

    # The same variables render the same package: nothing is rewritten. Changed ones rewrite it for
    # the next first boot: bootstrap.xml, and without an auth code no auth code file (an earlier
    # one would license the next first boot), but the license folder PAN-OS requires.
    again = run_playbook("playbooks/bootstrap_package.yml", variables)
    assert again.rc == 0 and again.recap()["changed"] == 0, again.output[-5000:]
    changed = run_playbook("playbooks/bootstrap_package.yml", {**variables, "vmseries_ha_group_id": 7, "vmseries_auth_code": ""})
    assert changed.rc == 0 and changed.recap()["changed"] == 3, changed.output[-5000:]
    for bucket in buckets.values():
        rendered = s3.get_object(Bucket=bucket, Key="config/bootstrap.xml")["Body"].read().decode()
        assert "<group-id>7</group-id>" in rendered
        keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
        assert keys == ["config/bootstrap.xml", "config/init-cfg.txt", "content/", "license/", "software/"]


def test_teardown_removes_nothing_unless_the_pair_is_confirmed(deployed, lab: Lab, run_playbook):
    before = tagged(lab, PAIR)
    for confirmation in (None, {"vmseries_teardown_confirm": "other-pair"}):
        run = run_playbook("playbooks/teardown.yml", confirmation)
        assert run.rc != 0
        assert f"Not tearing down pair {PAIR}" in run.output
        assert f"-e vmseries_teardown_confirm={PAIR}" in run.output
        assert run.recap()["changed"] == 0
    assert tagged(lab, PAIR) == before


def test_teardown_removes_everything(deployed, lab: Lab, run_playbook):
    run = run_playbook("playbooks/teardown.yml", {"vmseries_teardown_confirm": f"other-pair, {PAIR}"})
    assert run.rc == 0, run.output[-5000:]
    assert tagged(lab, PAIR) == {}
    assert not (lab.state_dir / "keys" / f"{PAIR}-key.pem").exists()
    again = run_playbook("playbooks/teardown.yml", {"vmseries_teardown_confirm": PAIR})
    assert again.rc == 0, again.output[-5000:]
    assert again.recap()["changed"] == 0
