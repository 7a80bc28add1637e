"""A firewall twin boots as a VM-Series does, one phase after another: no TCP; SSH that refuses
the key; an XML API that refuses every credential while its auth service starts; `show
chassis-ready` saying no; the boot-time AutoCom job, during which commits are refused; ready.
Observed from outside with the real clients, on a lab whose phases last long enough to be seen."""

from __future__ import annotations

import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request

import pan.xapi
import paramiko
import pytest

from .pairs import PASSWORD, launch_pair, set_password

PHASES = ["no-tcp", "ssh-key-refused", "api-auth-starting", "chassis-not-ready", "autocommit", "ready"]
FORBIDDEN = b"<response status = 'error' code = '403'><result><msg>Invalid Credential</msg></result></response>"
CHASSIS_READY = "<show><chassis-ready></chassis-ready></show>"


def tcp_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def ssh_key_accepted(fw, key_file) -> bool:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    try:
        client.connect("127.0.0.1", port=fw["ssh_port"], username="admin",
                       pkey=paramiko.RSAKey.from_private_key_file(str(key_file)),
                       allow_agent=False, look_for_keys=False, timeout=2, auth_timeout=2, banner_timeout=2)
        return True
    except paramiko.AuthenticationException:
        return False
    finally:
        client.close()


def raw_api(fw, **query):
    """The HTTP status, reason and body of one XML API request, as they come off the wire."""
    context = ssl._create_unverified_context()  # noqa: S323 - the lab's self-signed certificate
    url = f"https://127.0.0.1:{fw['api_port']}/api/?" + urllib.parse.urlencode(query)
    try:
        with urllib.request.urlopen(url, context=context, timeout=5) as response:  # noqa: S310 - loopback
            return response.status, response.reason, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.reason, error.read()


def phase_of(lab, instance_id):
    return next((f.get("boot_phase") for f in lab.state["firewalls"] if f["instance_id"] == instance_id), None)


@pytest.fixture(scope="module")
def booting(observable_lab):
    return launch_pair(observable_lab)


def test_a_fresh_firewall_goes_through_every_phase_in_order(booting, observable_lab):
    lab, pair = observable_lab, booting
    seen = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        phase = phase_of(lab, pair.primary)
        if phase is None or phase == "down":
            time.sleep(0.05)
            continue
        fw = lab.firewall(pair.primary)
        if not seen or seen[-1] != phase:
            seen.append(phase)
            # What a client sees in each phase (checked once per phase, while it lasts).
            if phase == "no-tcp":
                assert not tcp_open(fw["ssh_port"]) and not tcp_open(fw["api_port"])
            elif phase == "ssh-key-refused":
                assert not tcp_open(fw["api_port"])
                assert not ssh_key_accepted(fw, pair.key_file)
            elif phase == "api-auth-starting":
                # Refused like a wrong password, byte for byte, whatever the credentials.
                status, reason, body = raw_api(fw, type="keygen", user="admin", password=PASSWORD)
                assert (status, reason, body) == (403, "Invalid Credential", FORBIDDEN)
                assert ssh_key_accepted(fw, pair.key_file)
        if phase == "ready":
            break
        time.sleep(0.05)
    assert seen == PHASES, seen
    assert lab.firewall(pair.primary)["state"] == "up"


def test_status_shows_the_boot_phase(booting, observable_lab):
    status = observable_lab.cli("status")
    assert "BOOT PHASE" in status.stdout and "ready" in status.stdout


def test_a_restart_refuses_credentials_then_reports_chassis_ready_and_the_autocommit(booting, observable_lab):
    lab, pair = observable_lab, booting
    fw = lab.wait_up(pair.primary, timeout=30)
    set_password(fw, pair.key_file)
    key = pan.xapi.PanXapi(hostname="127.0.0.1", port=fw["api_port"], api_username="admin", api_password=PASSWORD).keygen()
    ec2 = lab.client("ec2")
    ec2.stop_instances(InstanceIds=[pair.primary])
    lab.wait_for(lambda: phase_of(lab, pair.primary) == "down", what="the firewall to go down")
    ec2.start_instances(InstanceIds=[pair.primary])
    seen = {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        phase = phase_of(lab, pair.primary)
        if phase in ("api-auth-starting", "chassis-not-ready", "autocommit", "ready") and phase not in seen:
            status, _, body = raw_api(fw, type="op", cmd=CHASSIS_READY, key=key)
            jobs = raw_api(fw, type="op", cmd="<show><jobs><all></all></jobs></show>", key=key)[2]
            commit = raw_api(fw, type="commit", cmd="<commit></commit>", key=key)[2]
            seen[phase] = (status, body, jobs, commit)
        if phase == "ready" and "ready" in seen:
            break
        time.sleep(0.05)
    assert set(seen) == {"api-auth-starting", "chassis-not-ready", "autocommit", "ready"}, sorted(seen)
    # The key that worked before the restart is refused while the auth service starts.
    assert seen["api-auth-starting"][:2] == (403, FORBIDDEN)
    # PAN-OS writes the answer as CDATA: its own start-up scripts test for "[CDATA[yes".
    assert b"<result><![CDATA[no]]></result>" in seen["chassis-not-ready"][1]
    assert b"<result><![CDATA[yes]]></result>" in seen["autocommit"][1]
    for phase in ("chassis-not-ready", "autocommit"):
        _, _, jobs, commit = seen[phase]
        assert b"<id>1</id><user /><type>AutoCom</type><status>ACT</status>" in jobs.replace(b"<user></user>", b"<user />")
        # A commit before the autocommit has finished is refused as PAN-OS refuses a second commit.
        assert commit == (b'<response status="error" code="13"><msg><line>Another commit/validate is in progress. '
                          b'Please try again later</line></msg></response>')
    _, _, jobs, commit = seen["ready"]
    assert b"<type>AutoCom</type><status>FIN</status>" in jobs and b"<result>OK</result>" in jobs
    assert b"Successfully committed last configuration" in jobs
    assert b"There are no changes to commit." in commit
