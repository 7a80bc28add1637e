"""The PAN-OS XML API over HTTPS for one firewall twin.

Request and response shapes follow PAN-OS: ``/api/`` with ``type`` = keygen | config | op | commit,
parameters in the query (GET) or form body (POST, what pan-python sends); responses
``<response status="success|error" code="N">`` with ``<result>`` or ``<msg><line>``.
"""

from __future__ import annotations

import ssl
import threading
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Optional, Tuple
from urllib.parse import parse_qs, urlparse

from .firewall import ApiError, Firewall

HA_OPS = {
    ("show", "high-availability", "state"): "state",
    ("show", "high-availability", "all"): "all",
}


def _response(status: str, code: Optional[int] = None, result: Optional[ET.Element] = None,
              msg: Optional[str] = None, lines: bool = True) -> bytes:
    root = ET.Element("response", {"status": status})
    if code is not None:
        root.set("code", str(code))
    if result is not None:
        root.append(result)
    if msg is not None:
        holder = ET.SubElement(root, "msg")
        if lines:
            ET.SubElement(holder, "line").text = msg
        else:
            holder.text = msg
    return ET.tostring(root, encoding="utf-8")


def _error(code: int, message: str) -> bytes:
    return _response("error", code, msg=message)


def _op_path(cmd: ET.Element) -> Tuple[Tuple[str, ...], str]:
    """<show><jobs><id>5</id></jobs></show> -> (("show", "jobs", "id"), "5")."""
    path, node = [cmd.tag], cmd
    while len(node):
        node = node[0]
        path.append(node.tag)
    return tuple(path), (node.text or "").strip()


class ApiHandler(BaseHTTPRequestHandler):
    server_version = "PAN-OS-lab"
    protocol_version = "HTTP/1.1"

    @property
    def firewall(self) -> Firewall:
        return self.server.firewall  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        return

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._handle(parse_qs(urlparse(self.path).query, keep_blank_values=True))

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        params = parse_qs(urlparse(self.path).query, keep_blank_values=True)
        params.update(parse_qs(body, keep_blank_values=True))
        self._handle(params)

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self, raw: Dict[str, list]) -> None:
        params = {k: v[-1] for k, v in raw.items()}
        fw = self.firewall
        if not urlparse(self.path).path.rstrip("/").endswith("/api"):
            self._send(404, _error(404, "Not Found"))
            return
        kind = params.get("type", "")
        fw.counters.incr("api.requests")
        fw.counters.incr(f"api.{kind or 'none'}")
        hang = fw.lab.faults.take(fw.instance_id, "api-hang")
        if hang:
            time.sleep(float(hang.get("seconds") or 30))
        failure = fw.lab.faults.take(fw.instance_id, "api-error")
        if failure:
            self._send(200, _error(int(failure.get("code") or 13), failure["message"]))
            return
        try:
            status, body = self._dispatch(kind, params)
        except ApiError as error:
            if error.http_status == 403:
                body = _response("error", 403, result=self._msg_result(error.message))
                self._send(403, body)
                return
            self._send(error.http_status, _error(error.code, error.message))
            return
        self._send(status, body)

    @staticmethod
    def _msg_result(message: str) -> ET.Element:
        result = ET.Element("result")
        ET.SubElement(result, "msg").text = message
        return result

    def _authenticate(self, params: Dict[str, str]) -> str:
        key = params.get("key") or self.headers.get("X-PAN-KEY")
        if key:
            user = self.firewall.user_for_key(key)
            if user:
                return user
        elif params.get("user") and params.get("password"):
            if self.firewall.check_password(params["user"], params["password"]):
                return params["user"]
        raise ApiError(403, "Invalid Credential", http_status=403)

    def _dispatch(self, kind: str, params: Dict[str, str]) -> Tuple[int, bytes]:
        fw = self.firewall
        if kind == "keygen":
            key = fw.keygen(params.get("user", ""), params.get("password", ""))
            result = ET.Element("result")
            ET.SubElement(result, "key").text = key
            return 200, _response("success", result=result)
        user = self._authenticate(params)
        if kind == "config":
            action = params.get("action", "")
            code, result = fw.config_op(action, params.get("xpath", ""), params.get("element"),
                                        params.get("newname"), params.get("where"), params.get("dst"))
            if action in ("get", "show"):
                return 200, _response("success", code, result=result)
            if code == 7:
                return 200, _response("success", 7, msg="Object doesn't exist", lines=False)
            return 200, _response("success", 20, msg="command succeeded", lines=False)
        if kind == "commit":
            return self._commit(params, user)
        if kind == "op":
            return self._op(params.get("cmd", ""))
        raise ApiError(12, f"Invalid type {kind!r}" if kind else "Missing type")

    def _commit(self, params: Dict[str, str], user: str) -> Tuple[int, bytes]:
        try:
            cmd = ET.fromstring(params.get("cmd") or "<commit></commit>")
        except ET.ParseError as error:
            raise ApiError(17, f"Malformed commit command: {error}") from error
        if cmd.tag != "commit":
            raise ApiError(17, f"Unknown commit command <{cmd.tag}>")
        description = cmd.findtext("description") or ""
        job_id = self.firewall.commit("api", user=user, description=description)
        if job_id is None:
            return 200, _response("success", 19, msg="There are no changes to commit.", lines=False)
        result = ET.Element("result")
        msg = ET.SubElement(result, "msg")
        ET.SubElement(msg, "line").text = f"Commit job enqueued with jobid {job_id}"
        ET.SubElement(result, "job").text = str(job_id)
        return 200, _response("success", 19, result=result)

    def _op(self, text: str) -> Tuple[int, bytes]:
        fw = self.firewall
        try:
            cmd = ET.fromstring(text)
        except ET.ParseError as error:
            raise ApiError(17, f"Malformed command: {error}") from error
        path, argument = _op_path(cmd)
        result = ET.Element("result")
        if path == ("show", "system", "info"):
            result.append(fw.system_info())
        elif path[:2] == ("show", "interface"):
            result = fw.interface_xml(argument or "all")
        elif path == ("show", "jobs", "id"):
            job = fw.jobs.get(int(argument)) if argument.isdigit() else None
            if job is None:
                raise ApiError(17, f"job {argument} not found")
            result.append(fw.job_xml(job))
        elif path == ("show", "jobs", "all"):
            for job in sorted(fw.jobs.values(), key=lambda j: -j.id):
                result.append(fw.job_xml(job))
        elif path in HA_OPS:
            result = fw.ha.state_xml(HA_OPS[path]) if fw.ha is not None else self._ha_disabled()
        elif path[:3] == ("request", "high-availability", "state") and len(path) == 4 and path[3] in ("suspend", "functional"):
            if fw.ha is None or not fw.ha.enabled:
                raise ApiError(17, "HA is not enabled")
            getattr(fw.ha, path[3])()
            result.text = "Successfully changed HA state to " + ("suspended" if path[3] == "suspend" else "functional")
        elif path == ("show", "config", "running"):
            result.append(fw.running_config())
        elif path == ("show", "config", "candidate"):
            result.append(fw.candidate_config())
        elif path == ("check", "pending-changes"):
            result.text = "yes" if fw.pending_changes() else "no"
        elif path[:4] == ("set", "system", "setting", "mgmt-interface-swap"):
            fw.set_mgmt_interface_swap(argument == "yes")
            result.text = "Reboot the firewall for the change to take effect."
        elif path[:4] == ("show", "system", "setting", "mgmt-interface-swap"):
            result.text = "Mgmt interface swap: " + ("enabled" if fw.mgmt_interface_swap else "disabled")
        else:
            raise ApiError(17, f"Invalid syntax: {' '.join(path)} is not a command this firewall understands")
        fw.counters.incr("api.op." + "_".join(path[:3]))
        return 200, _response("success", result=result)

    @staticmethod
    def _ha_disabled() -> ET.Element:
        result = ET.Element("result")
        ET.SubElement(result, "enabled").text = "no"
        return result


class ApiServer:
    """The firewall's HTTPS listener; stop() makes the port refuse connections again."""

    def __init__(self, firewall: Firewall, port: int, certfile: str, keyfile: str) -> None:
        self.firewall = firewall
        self.port = port
        self.certfile, self.keyfile = certfile, keyfile
        self._httpd: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    def start(self) -> None:
        httpd = ThreadingHTTPServer(("127.0.0.1", self.port), ApiHandler)
        httpd.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certfile, self.keyfile)
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        httpd.firewall = self.firewall  # type: ignore[attr-defined]
        self.port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True,
                                        name=f"api-{self.firewall.instance_id}")
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
