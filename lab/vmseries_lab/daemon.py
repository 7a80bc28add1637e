"""The lab process: moto in server mode, a supervisor that boots a firewall twin for every running
VM-Series instance, a control endpoint, and the state file that tells clients where it all is."""

from __future__ import annotations

import datetime
import json
import logging
import os
import re
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import boto3
import botocore.config
from botocore.exceptions import ClientError

from . import iam_policy, imds, licensing, moto_patches, profiles
from .awscalls import LAB_AGENT, AwsCallCounter
from .faults import Faults
from .firewall import Firewall
from .ha import HAEngine
from .ports import service_port
from .xmlapi import ApiServer

ACCOUNT = "123456789012"
AMI_VERSION = re.compile(r"PA-VM-AWS-(\d+\.\d+\.\d+(?:-h\d+)?)-")
# The firewall answers its restart request before its services stop.
RESTART_ANSWER_SECONDS = 0.3
AMIS_FILE = Path(__file__).with_name("amis.json")
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def ami_version(name: str) -> str:
    """The PAN-OS version in a VM-Series AMI's name (PA-VM-AWS-11.1.4-h7-<uuid>)."""
    match = AMI_VERSION.match(name)
    if match is None:
        raise ValueError(f"no PAN-OS version in the AMI name {name!r}")
    return match.group(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_json_atomically(path: Path, data: Dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    os.replace(tmp, path)


def ensure_certificate(state_dir: Path) -> tuple:
    """A self-signed certificate for every firewall's HTTPS, made once per state directory."""
    cert, key = state_dir / "lab-cert.pem", state_dir / "lab-key.pem"
    if cert.exists() and key.exists():
        return str(cert), str(key)
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vmseries-lab")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(private, hashes.SHA256())
    )
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    os.chmod(key, 0o600)
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return str(cert), str(key)


class FirewallEc2Client:
    """EC2 as a firewall's HA engine reaches it: every call takes the profile's ec2_call time (the
    round trip to the regional endpoint), and fails with RequestLimitExceeded while an
    aws-throttle fault is on."""

    def __init__(self, client: Any, faults: Faults, instance_id: Optional[str], latency: float) -> None:
        self._client, self._faults, self._instance_id, self._latency = client, faults, instance_id, latency

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute) or name.startswith(("get_paginator", "get_waiter", "can_paginate")):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            time.sleep(self._latency)
            if self._faults.take(self._instance_id, "aws-throttle"):
                raise ClientError({"Error": {"Code": "RequestLimitExceeded", "Message": "Request limit exceeded."}}, name)
            return attribute(*args, **kwargs)

        return call


class Lab:
    """What firewalls, HA engines and the control endpoint share."""

    def __init__(self, state_dir: Path, region: str, aws_port: int, profile: profiles.Profile,
                 control_port: int = 0, update_server: bool = False) -> None:
        self.state_dir = state_dir
        self.region = region
        self.aws_port = aws_port or free_port()
        self.control_port = control_port or free_port()
        self.profile = profile
        # Whether the lab plays Palo Alto's update server (vmseries-lab up --update-server).
        self.update_server = update_server
        self.faults = Faults()
        self.licenses = licensing.LicenseService()
        self.aws_calls = AwsCallCounter()
        self.firewalls: Dict[str, Firewall] = {}
        self.servers: Dict[str, Dict[str, Any]] = {}
        self._running_since: Dict[str, float] = {}
        self._metadata: Dict[str, imds.InstanceMetadataService] = {}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        # VM-Series AMI id -> (whether it is PAYG: its product code is not the BYOL one, its PAN-OS version).
        self._vmseries_amis: Dict[str, Tuple[bool, str]] = {}
        self.cert: tuple = ()
        self._moto: Any = None
        self._control: Optional[ThreadingHTTPServer] = None

    @property
    def aws_endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.aws_port}"

    # ---- AWS -------------------------------------------------------------------------------
    def ec2_backend(self) -> Any:
        from moto.ec2.models import ec2_backends

        return ec2_backends[ACCOUNT][self.region]

    def _client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.aws_endpoint_url, region_name=self.region,
                            config=botocore.config.Config(retries={"max_attempts": 1}, user_agent_extra=LAB_AGENT),
                            **CREDENTIALS)

    def ec2_client(self, instance_id: Optional[str] = None) -> Any:
        return FirewallEc2Client(self._client("ec2"), self.faults, instance_id, self.profile.seconds("ec2_call"))

    def s3_client(self) -> Any:
        return self._client("s3")

    def iam_client(self) -> Any:
        return self._client("iam")

    def inspection_client(self) -> Any:
        """EC2 for the lab's own bookkeeping (IAM evaluation), which AWS faults must not hit."""
        return self._client("ec2")

    def instance_metadata(self, instance_id: str) -> imds.InstanceMetadataService:
        with self._lock:
            service = self._metadata.get(instance_id)
            if service is None:
                service = imds.InstanceMetadataService(
                    lambda: self.ec2_backend().get_instance(instance_id),
                    lambda: iam_policy.role_of_instance(self.inspection_client(), self.iam_client(), instance_id)[0])
                self._metadata[instance_id] = service
            return service

    def ha1_port(self, mgmt_ip: str) -> Optional[int]:
        address = mgmt_ip.split("/")[0]
        # No lock: HA engines ask this while holding their own lock, and the supervisor takes
        # firewalls down (stopping their engines) while holding the lab's.
        peer = next((fw for fw in list(self.firewalls.values()) if fw.mgmt_private_ip == address and fw.is_up()), None)
        if peer is None or peer.ha is None or not peer.ha.link.listening:
            return None
        return peer.ha.link.port

    def restart(self, instance_id: str) -> None:
        """The guest reboots while its instance stays `running`: once its answer to the restart
        request is out, its services stop and the boot phases run again from the first."""
        def reboot() -> None:
            time.sleep(RESTART_ANSWER_SECONDS)
            with self._lock:
                self._take_down(instance_id)
                self._running_since[instance_id] = time.monotonic()
                self.servers[instance_id]["boots_left"] = 0 if self.faults.take(instance_id, "no-boot") else None
            self.write_state()

        threading.Thread(target=reboot, daemon=True, name=f"restart-{instance_id}").start()

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        os.environ.setdefault("MOTO_AMIS_PATH", str(AMIS_FILE))
        os.environ.setdefault("AWS_DEFAULT_REGION", self.region)
        from moto.server import ThreadedMotoServer

        moto_patches.apply_all()
        moto_patches.POWER_CYCLE_LISTENERS.append(self._on_power_cycle)
        moto_patches.ATTACHMENT_LATENCY.update(attach=self.profile.seconds("eni_attach"),
                                               detach=self.profile.seconds("eni_detach"))
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.cert = ensure_certificate(self.state_dir)
        self._vmseries_amis = {a["ami_id"]: (licensing.BYOL_PRODUCT_CODE not in a.get("product_codes", []),
                                             ami_version(a["name"]))
                               for a in json.loads(AMIS_FILE.read_text()) if a["name"].startswith("PA-VM-")}
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.aws_port, verbose=False)
        self._moto.start()
        # Count every call moto serves, by caller (moto's server keeps its WSGI app on the server).
        self._moto._server.app = self.aws_calls.wrap(self._moto._server.app)  # noqa: SLF001
        self._start_control()
        # Touch the region's backend once so that the first client call does not pay for it.
        self.ec2_backend()
        threading.Thread(target=self._supervise, daemon=True, name="supervisor").start()
        self.write_state()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            for instance_id in list(self.firewalls):
                self._take_down(instance_id)
        if self._control is not None:
            self._control.shutdown()
        if self._moto is not None:
            self._moto.stop()
        state = self.state_dir / "state.json"
        if state.exists():
            state.unlink()

    def wait(self) -> None:
        while not self._stop.wait(0.5):
            pass

    def _supervise(self) -> None:
        while not self._stop.is_set():
            try:
                self._reconcile()
            except Exception as error:  # noqa: BLE001 - the supervisor must outlive a bad poll
                (self.state_dir / "supervisor-error.log").write_text(repr(error))
            self._stop.wait(0.1)

    def _reconcile(self) -> None:
        backend = self.ec2_backend()
        changed = False
        now = time.monotonic()
        seen = set()
        for reservation in list(backend.reservations.values()):
            for instance in reservation.instances:
                if instance.image_id not in self._vmseries_amis:
                    continue
                seen.add(instance.id)
                with self._lock:
                    fw = self.firewalls.get(instance.id)
                    if fw is None:
                        fw = self._create_firewall(instance.id, *self._vmseries_amis[instance.image_id])
                        changed = True
                    changed = self._power_cycled(instance.id, getattr(instance, "vmseries_power_cycles", 0)) or changed
                    if instance.state == "running" and self.servers[instance.id].get("boots_left") == 0:
                        pass  # a guest that does not come back from its restart (fault no-boot)
                    elif instance.state == "running":
                        since = self._running_since.setdefault(instance.id, now)
                        changed = self._boot_towards(instance.id, self.profile.phase_at(now - since)) or changed
                    else:
                        self._running_since.pop(instance.id, None)
                        self.servers[instance.id].pop("boots_left", None)
                        if fw.is_up():
                            self._take_down(instance.id)
                            changed = True
                    tags = {t["key"]: t["value"] for t in backend.describe_tags(filters={"resource-id": [instance.id]})}
                    meta = self.servers[instance.id]
                    new_meta = {"pair": tags.get("vmseries:pair"), "node": tags.get("vmseries:node"),
                                "name": tags.get("Name"), "instance_state": instance.state}
                    if any(meta.get(k) != v for k, v in new_meta.items()):
                        meta.update(new_meta)
                        changed = True
                    ha_state = fw.ha.local_state if fw.ha is not None else "disabled"
                    if (meta.get("ha_state"), meta.get("commits"), meta.get("boot_phase")) != (
                            ha_state, fw.counters.get("commits"), fw.phase):
                        meta["ha_state"], meta["commits"], meta["boot_phase"] = ha_state, fw.counters.get("commits"), fw.phase
                        changed = True
        if changed:
            self.write_state()

    def _power_cycled(self, instance_id: str, cycles: int) -> bool:
        """The guest goes down once for each stop or reboot EC2 counted (moto_patches), however
        soon the instance runs again. Called holding the lab's lock; True when it went down."""
        meta = self.servers.get(instance_id)
        if meta is None or meta.setdefault("power_cycles", cycles) == cycles:
            return False
        meta["power_cycles"] = cycles
        meta.pop("boots_left", None)
        self._running_since.pop(instance_id, None)
        if not self.firewalls[instance_id].is_up():
            return False
        self._take_down(instance_id)
        return True

    def _on_power_cycle(self, instance_id: str, cycles: int) -> None:
        with self._lock:
            went_down = self._power_cycled(instance_id, cycles)
        if went_down:
            self.write_state()

    def _create_firewall(self, instance_id: str, payg: bool, version: str) -> Firewall:
        fw = Firewall(self, instance_id, len(self.firewalls) + 1, payg=payg, version=version)
        fw.on_change = self.write_state
        fw.ha = HAEngine(fw, self)
        self.firewalls[instance_id] = fw
        self.servers[instance_id] = {"api_port": service_port(), "ssh_port": service_port(), "api": None, "ssh": None}
        return fw

    def _boot_towards(self, instance_id: str, target: str) -> bool:
        """Move a firewall through every boot phase up to `target`, in order, so that what each
        phase starts (SSH, the API, the AutoCom job, HA) is started even when a poll skips it."""
        fw, meta = self.firewalls[instance_id], self.servers[instance_id]
        order = [*profiles.BOOT_PHASES, profiles.READY]
        if fw.phase == target or fw.restarting:
            return False
        if not fw.is_up():
            fw.power_on()
        for phase in order[order.index(fw.phase) + 1:order.index(target) + 1]:
            if phase == "ssh-key-refused":
                self._start_ssh(fw, meta)
            elif phase == "api-auth-starting":
                api = ApiServer(fw, meta["api_port"], *self.cert)
                api.start()
                meta["api"] = api
            fw.enter_phase(phase)
        return True

    def _start_ssh(self, fw: Firewall, meta: Dict[str, Any]) -> None:
        try:
            from .ssh import SSHServer
        except ImportError:
            meta["ssh"] = None
            return
        ssh = SSHServer(fw, "127.0.0.1", meta["ssh_port"], host_key_file=str(self.state_dir / "lab-ssh-host-key"))
        ssh.start()
        meta["ssh"] = ssh

    def _take_down(self, instance_id: str) -> None:
        fw, meta = self.firewalls[instance_id], self.servers[instance_id]
        for kind in ("api", "ssh"):
            if meta.get(kind) is not None:
                meta[kind].stop()
                meta[kind] = None
        if fw.is_up():
            fw.shutdown()

    # ---- state -----------------------------------------------------------------------------
    def firewall_status(self, instance_id: str) -> Dict[str, Any]:
        fw, meta = self.firewalls[instance_id], self.servers[instance_id]
        state = "up" if fw.is_ready() else ("booting" if meta.get("instance_state") == "running" else "down")
        if meta.get("instance_state") == "terminated":
            state = "terminated"
        return {
            "instance_id": instance_id, "pair": meta.get("pair"), "node": meta.get("node"), "name": meta.get("name"),
            "state": state, "boot_phase": fw.phase, "instance_state": meta.get("instance_state"),
            "api_host": "127.0.0.1", "api_port": meta["api_port"], "api_endpoint": f"127.0.0.1:{meta['api_port']}",
            "ssh_host": "127.0.0.1", "ssh_port": meta["ssh_port"], "ssh_endpoint": f"127.0.0.1:{meta['ssh_port']}",
            "ha_state": fw.ha.local_state if fw.ha is not None else "disabled",
            "commits": fw.counters.get("commits"), "mgmt_private_ip": fw.mgmt_private_ip,
            "serial": fw.licensing.serial, "license": fw.licensing.licence.model if fw.licensing.licence else None, "payg": fw.licensing.payg,
        }

    def status(self) -> Dict[str, Any]:
        with self._lock:
            firewalls = [self.firewall_status(i) for i in self.firewalls]
        return {
            "pid": os.getpid(), "ready": True, "aws_endpoint_url": self.aws_endpoint_url, "region": self.region,
            "control_url": f"http://127.0.0.1:{self.control_port}", "profile": self.profile.describe(),
            "update_server": self.update_server, "firewalls": firewalls, "faults": self.faults.list(),
            "licenses": self.licenses.describe(),
        }

    def write_state(self) -> None:
        if self._stop.is_set():
            return
        with self._lock:
            write_json_atomically(self.state_dir / "state.json", self.status())

    def counters(self, instance_id: Optional[str] = None) -> Dict[str, Any]:
        with self._lock:
            ids = [instance_id] if instance_id else list(self.firewalls)
            return {i: self.firewalls[i].counters.snapshot() for i in ids if i in self.firewalls}

    # ---- control endpoint ------------------------------------------------------------------
    def _start_control(self) -> None:
        lab = self

        class Control(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

            def _reply(self, status: int, data: Any) -> None:
                body = json.dumps(data, indent=2, default=str).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _body(self) -> Dict[str, Any]:
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"{}")

            def do_GET(self) -> None:  # noqa: N802
                parts = [p for p in self.path.split("/") if p]
                if parts == ["status"]:
                    self._reply(200, lab.status())
                elif parts[:1] == ["counters"] and len(parts) <= 2:
                    counters = lab.counters(parts[1] if len(parts) == 2 else None)
                    self._reply(200 if counters or len(parts) == 1 else 404, counters)
                elif parts == ["faults"]:
                    self._reply(200, lab.faults.list())
                elif parts == ["licenses"]:
                    self._reply(200, lab.licenses.describe())
                elif parts == ["aws-calls"]:
                    self._reply(200, lab.aws_calls.snapshot())
                else:
                    self._reply(404, {"error": f"no such resource {self.path}"})

            def do_POST(self) -> None:  # noqa: N802
                parts = [p for p in self.path.split("/") if p]
                try:
                    if parts == ["faults"]:
                        body = self._body()
                        fault = lab.faults.set(body.pop("kind", ""), **body)
                        lab.write_state()
                        self._reply(200, fault)
                    elif parts == ["licenses"]:
                        body = self._body()
                        code = lab.licenses.add(str(body.get("code", "")), str(body.get("model", "")), int(body.get("count", 0)),
                                                int(body.get("support_days", licensing.DEFAULT_SUPPORT_DAYS)))
                        lab.write_state()
                        self._reply(200, code.describe())
                    elif parts == ["licenses", "api-keys"]:
                        lab.licenses.add_api_key(str(self._body().get("key", "")))
                        self._reply(200, {"api_keys": len(lab.licenses.api_keys)})
                    elif parts == ["shutdown"]:
                        self._reply(200, {"stopping": True})
                        threading.Thread(target=lambda: os.kill(os.getpid(), signal.SIGTERM), daemon=True).start()
                    else:
                        self._reply(404, {"error": f"no such resource {self.path}"})
                except (ValueError, TypeError) as error:
                    self._reply(400, {"error": str(error)})

            def do_DELETE(self) -> None:  # noqa: N802
                if self.path.strip("/") == "faults":
                    lab.faults.clear()
                    lab.write_state()
                    self._reply(200, [])
                else:
                    self._reply(404, {"error": f"no such resource {self.path}"})

        self._control = ThreadingHTTPServer(("127.0.0.1", self.control_port), Control)
        self._control.daemon_threads = True
        threading.Thread(target=self._control.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True,
                         name="control").start()


def run(state_dir: Path, region: str, aws_port: int, profile: profiles.Profile, update_server: bool = False) -> None:
    """The daemon's main: runs until SIGTERM/SIGINT, then stops everything and removes state.json."""
    lab = Lab(state_dir, region, aws_port, profile, update_server=update_server)

    def terminate(*_: Any) -> None:
        lab._stop.set()

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, terminate)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    lab.start()
    lab.wait()
    lab._stop.clear()
    lab.stop()
    # Worker threads of moto's server and of SSH sessions would hold the interpreter open.
    sys.stdout.flush()
    os._exit(0)
