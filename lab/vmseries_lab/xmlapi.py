"""The PAN-OS XML API over HTTPS for one firewall twin.

Request and response shapes follow PAN-OS (``../shared/panos-samples/``): ``/api/`` with ``type``
= keygen | config | op | commit, parameters in the query (GET) or form body (POST, what pan-python
sends). Answers from the management server are ``<response status="success|error" code="N">``
with ``<result>`` or ``<msg><line>``, HTTP 200 even for errors; the web front end's own refusals
(a bad credential) are HTTP 403 with the reason phrase as message and single-quoted attributes.
Op commands are dispatched through the table in opcmds.py.
"""

from __future__ import annotations

import ssl
import threading
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, Optional, Tuple
from urllib.parse import parse_qs, urlparse

from . import opcmds
from .errors import ApiError
from .firewall import Firewall

# The web front end's answer to a wrong password, a stale key, and any credential while the
# firewall's auth service is still starting: byte for byte what VM-Series send (97 bytes).
INVALID_CREDENTIAL = "Invalid Credential"
FORBIDDEN_BODY = b"<response status = 'error' code = '403'><result><msg>Invalid Credential</msg></result></response>"


def _response(status: str, code: Optional[int] = None, result: Optional[ET.Element] = None,
              msg: Optional[str] = None, lines: Tuple[str, ...] = (), cdata: bool = False) -> bytes:
    """A management-server answer. `msg` is a bare <msg> text; `lines` become <msg><line>s."""
    root = ET.Element("response", {"status": status})
    if code is not None:
        root.set("code", str(code))
    if result is not None:
        root.append(result)
    if msg is not None:
        ET.SubElement(root, "msg").text = msg
    if lines:
        holder = ET.SubElement(root, "msg")
        for line in lines:
            ET.SubElement(holder, "line").text = opcmds.cdata(line) if cdata else line
    return opcmds.write_cdata(ET.tostring(root, encoding="unicode")).encode("utf-8")


def _error(error: ApiError) -> bytes:
    return _response("error", error.code, lines=error.lines, cdata=error.cdata)


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

    def _send(self, status: int, body: bytes, reason: Optional[str] = None) -> None:
        self.send_response(status, reason)
        self.send_header("Content-Type", "application/xml; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self, raw: Dict[str, list]) -> None:
        params = {k: v[-1] for k, v in raw.items()}
        fw = self.firewall
        if not urlparse(self.path).path.rstrip("/").endswith("/api"):
            self._send(404, _error(ApiError(404, "Not Found")))
            return
        kind = params.get("type", "")
        fw.counters.incr("api.requests")
        fw.counters.incr(f"api.{kind or 'none'}")
        hang = fw.cloud.faults.take(fw.instance_id, "api-hang")
        if hang:
            time.sleep(float(hang.get("seconds") or 30))
        failure = fw.cloud.faults.take(fw.instance_id, "api-error")
        if failure:
            self._send(200, _error(ApiError(int(failure.get("code") or 13), failure["message"])))
            return
        self._after: Optional[Callable[[], None]] = None
        try:
            status, body = self._dispatch(kind, params)
        except ApiError as error:
            if error.http_status == 403:
                self._send(403, FORBIDDEN_BODY, INVALID_CREDENTIAL)
                return
            self._send(error.http_status, _error(error))
            return
        self._send(status, body)
        if self._after is not None:
            # What the firewall does once its answer is out (a licence fetch restarts its services).
            self.wfile.flush()
            self._after()

    def _authenticate(self, params: Dict[str, str]) -> str:
        fw = self.firewall
        if not fw.accepts_credentials():
            # The auth service is still starting: PAN-OS refuses even the right credentials.
            fw.counters.incr("api.refused_while_booting")
            raise ApiError(403, INVALID_CREDENTIAL, http_status=403)
        key = params.get("key") or self.headers.get("X-PAN-KEY")
        if key:
            user = fw.accounts.user_for_key(key)
            if user:
                return user
        elif params.get("user") and params.get("password"):
            if fw.accounts.check_password(params["user"], params["password"]):
                return params["user"]
        raise ApiError(403, INVALID_CREDENTIAL, http_status=403)

    def _dispatch(self, kind: str, params: Dict[str, str]) -> Tuple[int, bytes]:
        fw = self.firewall
        if kind == "keygen":
            if not fw.accepts_credentials():
                fw.counters.incr("api.refused_while_booting")
                raise ApiError(403, INVALID_CREDENTIAL, http_status=403)
            key = fw.accounts.keygen(params.get("user", ""), params.get("password", ""))
            body = f"<response status = 'success'><result><key>{key}</key></result></response>"
            return 200, body.encode()
        user = self._authenticate(params)
        if kind == "config":
            return self._config(params)
        if kind == "commit":
            return self._commit(params, user)
        if kind == "op":
            return self._op(params.get("cmd", ""))
        raise ApiError(12, f"Invalid type {kind!r}" if kind else "Missing type")

    def _config(self, params: Dict[str, str]) -> Tuple[int, bytes]:
        action, xpath = params.get("action", ""), params.get("xpath", "")
        if action == "show" and not xpath:
            # The whole running configuration.
            result = ET.Element("result")
            result.append(self.firewall.running_config())
            return 200, _response("success", result=result)
        code, result = self.firewall.config.op(action, xpath, params.get("element"), params.get("newname"),
                                               params.get("where"), params.get("dst"))
        if action == "get":
            return 200, _response("success", code, result=result)
        if action == "show":
            if code == 7:
                # `show` of a missing node is an error without a code; `get` a success with code 7.
                raise ApiError(None, "No such node")
            shown = ET.Element("result")
            for node in result if result is not None else []:
                shown.append(node)
            return 200, _response("success", result=shown)
        if code == 7:
            return 200, _response("success", 7, msg="Object doesn't exist")
        return 200, _response("success", 20, msg="command succeeded")

    def _commit(self, params: Dict[str, str], user: str) -> Tuple[int, bytes]:
        try:
            cmd = ET.fromstring(params.get("cmd") or "<commit></commit>")
        except ET.ParseError as error:
            raise ApiError(17, f"Malformed commit command: {error}") from error
        if cmd.tag != "commit":
            raise opcmds.unexpected((cmd.tag,))
        description = cmd.findtext("description") or ""
        job_id = self.firewall.jobs.commit("api", user=user, description=description)
        if job_id is None:
            return 200, _response("success", 19, msg="There are no changes to commit.")
        enqueued = opcmds.job_enqueued("Commit", job_id)
        return 200, _response("success", enqueued.code, result=enqueued.result)

    def _op(self, text: str) -> Tuple[int, bytes]:
        fw = self.firewall
        try:
            cmd = ET.fromstring(text)
        except ET.ParseError as error:
            raise ApiError(17, f"Malformed command: {error}") from error
        path, reply = opcmds.run(fw, cmd)
        fw.counters.incr("api.op." + "_".join(path[:3]))
        if isinstance(reply, opcmds.Message):
            return 200, _response("success", lines=reply.lines)
        if isinstance(reply, opcmds.PlainText):
            # Sent with the XML content type all the same, as PAN-OS does (pan-os-python's
            # activate_feature_using_authorization_code handles exactly this).
            self._after = reply.then
            return 200, reply.text.encode("utf-8")
        if isinstance(reply, opcmds.Coded):
            return 200, _response("success", reply.code, result=reply.result)
        return 200, _response("success", result=reply)


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
