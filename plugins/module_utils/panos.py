# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way our modules talk to a firewall.

pan-os-python's ``Firewall`` built from a ``provider`` dict with the keys of paloaltonetworks.panos;
every request goes through :meth:`PanosConnection.call`, which

* waits for a booting firewall (connection refused, HTTP 5xx/429, timeouts, "not ready") until
  ``api_wait_timeout`` has passed, with exponential backoff, and records the wait in ``api_wait``;
* with ``boot_wait``, also waits out refused credentials (HTTP 403) until the firewall has accepted
  them once: a booting PAN-OS refuses every credential while its auth service starts;
* once the firewall has answered, retries transient failures a bounded number of times;
* fails at once on invalid credentials (HTTP 403) from a firewall that accepted them before, or
  without ``boot_wait``, telling how to fix them;
* never lets the password or the API key reach a message or a result.

Raw XML API helpers (``xapi_get`` / ``xapi_set`` / ``xapi_edit`` / ``xapi_delete`` / ``op``) cover
what pan-os-python's object model lacks; ``xml_diff`` and ``same_xml`` serve check and diff mode.
"""

from __future__ import annotations

import copy
import http.client
import re
import time
import xml.etree.ElementTree as ET
from typing import Any, Callable, Dict, Optional, Union

try:
    from pan.xapi import PanXapiError
    from panos.errors import PanDeviceError, PanObjectMissing
    from panos.firewall import Firewall

    HAS_PANOS = True
    PANOS_IMPORT_ERROR = None
except ImportError as error:  # pragma: no cover - reported by require_panos()
    HAS_PANOS = False
    PANOS_IMPORT_ERROR = error
    PanXapiError = Exception  # type: ignore[assignment,misc]
    PanDeviceError = Exception  # type: ignore[assignment,misc]
    PanObjectMissing = LookupError  # type: ignore[assignment,misc]

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.vmseries.aws_ha.plugins.module_utils import ha_state, wait

DEVICE_XPATH = "/config/devices/entry[@name='localhost.localdomain']"
VSYS1_XPATH = DEVICE_XPATH + "/vsys/entry[@name='vsys1']"

# Failures that mean "not up yet" or "try again": the firewall is booting, restarting its
# management server, or the network hiccupped.
TRANSIENT_MARKERS = ("URLError", "Connection refused", "timed out", "Connection reset", "Remote end closed",
                     "EOF occurred", "not ready", "Temporarily unavailable", "Bad Gateway", "Service Unavailable",
                     "Gateway Timeout", "Too Many Requests", "management server", "BadStatusLine")
HTTP_STATUS = re.compile(r"URLError: code: \d{3}\b")
TRANSIENT_HTTP = re.compile(r"code: (5\d\d|429)\b")
INVALID_CREDENTIALS = ("code: 403", "Invalid Credential", "Invalid credentials")
# Network-level failures pan.xapi does not wrap (read timeouts, dropped connections).
RAW_NETWORK_ERRORS = (OSError, http.client.HTTPException)

DEFAULT_API_WAIT_TIMEOUT = 600
DEFAULT_RETRIES = 3
DEFAULT_REQUEST_TIMEOUT = 60
MAX_BACKOFF = 10.0


def provider_spec() -> Dict[str, Any]:
    """The `provider` suboptions of paloaltonetworks.panos, so users can mix the collections."""
    return {
        "ip_address": {"type": "str", "required": True},
        "username": {"type": "str", "default": "admin"},
        "password": {"type": "str", "no_log": True},
        "api_key": {"type": "str", "no_log": True},
        "port": {"type": "int", "default": 443},
        "serial_number": {"type": "str"},
    }


def provider_argument_spec() -> Dict[str, Any]:
    """`provider` plus `api_wait_timeout`, as documented by the vmseries.aws_ha.provider fragment."""
    return {
        "provider": {"type": "dict", "required": True, "options": provider_spec()},
        "api_wait_timeout": {"type": "int", "default": DEFAULT_API_WAIT_TIMEOUT},
    }


def is_invalid_credentials(error: BaseException) -> bool:
    return any(marker in str(error) for marker in INVALID_CREDENTIALS)


def is_transient(error: BaseException) -> bool:
    """Not an answer but a firewall that is not (yet) there: worth waiting for or retrying."""
    if is_invalid_credentials(error):
        return False
    if isinstance(error, RAW_NETWORK_ERRORS):
        return True
    text = str(error)
    if HTTP_STATUS.search(text):  # an HTTP answer: only 5xx and 429 are worth another try
        return bool(TRANSIENT_HTTP.search(text))
    return any(marker in text for marker in TRANSIENT_MARKERS)


def _sleep(seconds: float) -> None:
    time.sleep(seconds)  # looked up at call time, so tests can patch time.sleep


def _monotonic() -> float:
    return time.monotonic()


def require_panos(module: Any) -> None:
    if not HAS_PANOS:
        module.fail_json(msg=missing_required_lib("pan-os-python"), exception=str(PANOS_IMPORT_ERROR))


class PanosConnection:
    """A firewall reached through `provider`.

    Every request goes through `call()`. Until the firewall has answered once, transient errors
    are waited out up to `api_wait_timeout` seconds (a firewall booting after launch); after that,
    a transient error is retried `retries` times. `api_wait` tells how long the wait took.
    """

    def __init__(self, module: Any, provider: Dict[str, Any], api_wait_timeout: Optional[int] = None,
                 retries: int = DEFAULT_RETRIES, request_timeout: int = DEFAULT_REQUEST_TIMEOUT,
                 sleep: Optional[Callable[[float], None]] = None, clock: Optional[Callable[[], float]] = None,
                 boot_wait: bool = False) -> None:
        require_panos(module)
        self.module = module
        self.provider = provider
        self.address = f"{provider['ip_address']}:{provider.get('port') or 443}"
        if not provider.get("api_key") and not provider.get("password"):
            module.fail_json(msg=f"provider for {self.address}: set password or api_key (keep them in Ansible Vault).")
        if api_wait_timeout is None:
            api_wait_timeout = (getattr(module, "params", None) or {}).get("api_wait_timeout")
        self.api_wait_timeout = DEFAULT_API_WAIT_TIMEOUT if api_wait_timeout is None else api_wait_timeout
        self.retries = retries
        self.boot_wait = boot_wait
        self._sleep = sleep if sleep is not None else _sleep
        self._clock = clock if clock is not None else _monotonic
        self.up = False
        self.attempts = 0
        self.api_wait: Dict[str, Any] = {"seconds": 0.0, "attempts": 0, "refused_credentials": 0}
        self.device = Firewall(provider["ip_address"], provider.get("username") or "admin", provider.get("password"),
                               api_key=provider.get("api_key"), port=provider.get("port") or 443)
        self.device.timeout = request_timeout

    def now(self) -> float:
        """Monotonic seconds (the clock given at construction; tests pass a fake one)."""
        return self._clock()

    def pause(self, seconds: float) -> None:
        self._sleep(seconds)

    # -- the one way in ----------------------------------------------------------------------------
    @property
    def waited(self) -> float:
        return self.api_wait["seconds"]

    def call(self, what: str, func: Callable[[], Any], fail: bool = True) -> Any:
        """Run func (one or a few API requests), waiting out a booting or briefly unreachable
        firewall. PanObjectMissing passes through: it is an answer, callers decide what it means.
        With fail=False errors are raised (redacted messages stay on the exception) instead of
        failing the module."""
        started = self._clock()
        pauses = wait.Backoff(1.0, MAX_BACKOFF)
        retried = 0
        while True:
            self.attempts += 1
            try:
                result = func()
            except PanObjectMissing:
                self.up = True
                raise
            except (PanXapiError, PanDeviceError) + RAW_NETWORK_ERRORS as error:  # type: ignore[misc]
                message = self.redact(f"{type(error).__name__}: {error}" if isinstance(error, RAW_NETWORK_ERRORS)
                                      else str(error))
                booting_refusal = is_invalid_credentials(error) and self.boot_wait and not self.up
                if is_invalid_credentials(error) and not booting_refusal:
                    if fail:
                        self.fail_credentials(what)
                    raise
                delay = pauses.pause()
                if booting_refusal:
                    self.api_wait["refused_credentials"] += 1
                elif not is_transient(error):
                    if fail:
                        self.module.fail_json(msg=f"Could not {what} on {self.address}: {message}.")
                    raise
                if not self.up:
                    waited = self._clock() - started
                    if waited >= self.api_wait_timeout:
                        if fail and booting_refusal:
                            self.module.fail_json(
                                msg=(f"{self.address} refused the credentials for {self.api_wait_timeout} s "
                                     f"({self.api_wait['attempts']} attempts) while trying to {what}. A booting "
                                     "PAN-OS refuses every credential until its auth service is up, but not for this "
                                     "long: check the provider's username and password or api_key (on a fresh "
                                     "VM-Series the admin password is set over SSH first, by "
                                     "vmseries.aws_ha.admin_password), or raise api_wait_timeout."),
                                api_wait=dict(self.api_wait))
                        if fail:
                            self.module.fail_json(
                                msg=(f"The XML API of {self.address} did not answer within {self.api_wait_timeout} s "
                                     f"({self.api_wait['attempts']} attempts) while trying to {what}; last error: "
                                     f"{message}. Is the firewall still booting (raise api_wait_timeout), is the "
                                     "address right, and do the security groups let this controller reach HTTPS?"),
                                api_wait=dict(self.api_wait))
                        raise
                    pause = min(delay, max(self.api_wait_timeout - waited, 0.1))
                    self.api_wait["attempts"] += 1
                    self.api_wait["seconds"] = round(self.api_wait["seconds"] + pause, 1)
                else:
                    if retried >= self.retries:
                        if fail:
                            self.module.fail_json(
                                msg=(f"Could not {what} on {self.address} after {retried + 1} attempts: {message}. "
                                     "The firewall answered before, so it is probably overloaded or restarting its "
                                     "management server; re-run the task."))
                        raise
                    retried += 1
                    pause = delay
                self._sleep(pause)
                continue
            self.up = True
            return result

    def fail_credentials(self, what: str) -> None:
        self.module.fail_json(msg=(
            f"{self.address} refused the credentials while trying to {what} (HTTP 403, invalid credential). "
            "Check the provider's username and password or api_key; on a fresh VM-Series the "
            "admin password must first be set over SSH (vmseries.aws_ha.admin_password)."),
            api_wait=dict(self.api_wait))

    def redact(self, text: str) -> str:
        for secret in (self.provider.get("password"), self.provider.get("api_key")):
            if secret:
                text = text.replace(secret, "********")
        return text

    _redact = redact

    # -- raw XML API -------------------------------------------------------------------------------
    def op(self, cmd: str) -> ET.Element:
        """An op command given as XML (`<show>...</show>`); the whole <response> element."""
        return self.call(f"run {cmd}", lambda: self.device.op(cmd, cmd_xml=False))

    def pending_changes(self) -> bool:
        """Whether the candidate configuration differs from the running one."""
        response = self.op("<check><pending-changes></pending-changes></check>")
        return (response.findtext("result") or "").strip() == "yes"

    def xapi_get(self, xpath: str) -> Optional[ET.Element]:
        """The node at xpath in the candidate configuration, or None."""
        response = self.call(f"read {xpath}", lambda: self.device.xapi.get(xpath))
        return _single_result(response)

    def xapi_show(self, xpath: str) -> Optional[ET.Element]:
        """The node at xpath in the running configuration, or None."""
        try:
            response = self.call(f"read running {xpath}", lambda: self.device.xapi.show(xpath), fail=False)
        except (PanXapiError, PanDeviceError) + RAW_NETWORK_ERRORS as error:  # type: ignore[misc]
            if "No such node" in str(error):
                return None
            if is_invalid_credentials(error):
                self.fail_credentials(f"read running {xpath}")
            self.module.fail_json(msg=f"Could not read running {xpath} on {self.address}: {self.redact(str(error))}.",
                                  api_wait=dict(self.api_wait))
            raise  # pragma: no cover - fail_json does not return
        return _single_result(response)

    def xapi_set(self, xpath: str, element: str) -> None:
        """Merge element (the children of the node at xpath) into the candidate configuration."""
        self.call(f"set {xpath}", lambda: self.device.xapi.set(xpath, element))

    def xapi_edit(self, xpath: str, element: str) -> None:
        """Replace the node at xpath (element is the node itself) in the candidate configuration."""
        self.call(f"edit {xpath}", lambda: self.device.xapi.edit(xpath, element))

    def xapi_delete(self, xpath: str) -> None:
        self.call(f"delete {xpath}", lambda: self.device.xapi.delete(xpath))

    def ensure_version(self) -> None:
        """pan-os-python renders versioned objects from the PAN-OS version (`show system info`)."""
        if self.device.version is None:
            self.call("read the PAN-OS version (show system info)", self.device.refresh_system_info)

    def read_ha_state(self, booting: bool = False) -> Dict[str, Any]:
        """`show high-availability all` parsed, or {'error': ...} when the firewall cannot be
        asked (stopped, booting): the pair checks must see an unreachable firewall, not fail.
        `booting`: the firewall is known to be (re)starting, so refused credentials mean its auth
        service is not up yet rather than wrong credentials."""
        try:
            response = self.device.op(ha_state.SHOW_HA_ALL, cmd_xml=False)
        except (PanXapiError, PanDeviceError) + RAW_NETWORK_ERRORS as error:  # type: ignore[misc]
            if is_invalid_credentials(error):
                if booting:
                    return {"error": "refused the credentials while it boots (its auth service is not up yet)"}
                self.fail_credentials("read the HA state")
            return {"error": self.redact(str(error))}
        return ha_state.parse_ha_all(response)


def _single_result(response: Optional[ET.Element]) -> Optional[ET.Element]:
    if response is None:
        return None
    result = response.find("result")
    if result is None or len(result) == 0:
        return None
    return result[0]


# -- XML comparison and diff -----------------------------------------------------------------------
BOOKKEEPING_ATTRIBUTES = ("admin", "dirtyId", "time", "uuid")
XmlLike = Union[None, str, bytes, ET.Element]


def _as_element(value: XmlLike) -> Optional[ET.Element]:
    if value is None or (isinstance(value, (str, bytes)) and not value.strip()):
        return None
    return ET.fromstring(value) if isinstance(value, (str, bytes)) else value


# Leaves that mean the same written or left out, so a configuration that spells them out (as
# Palo Alto's panos_zone does, writing enable-user-identification no unless asked for User-ID) is not
# a difference. Only settings whose absence is documented to mean that value belong here: a zone's
# User-ID is off unless enabled (Palo Alto's schema-derived spec, pan-os-codegen zone.yaml: an
# optional bool without default). panos_ha's passive-link-state auto and ha2-keep-alive enabled yes do
# not: PAN-OS's defaults for those are not published, and what evidence there is says shutdown and
# off - they are settings of their own, which the high_availability module keeps as it found them.
DEFAULT_LEAVES = {"enable-user-identification": "no"}


def _is_default_leaf(element: ET.Element) -> bool:
    return len(element) == 0 and DEFAULT_LEAVES.get(element.tag) == (element.text or "").strip()


def canonical(element: ET.Element) -> Any:
    """An order-insensitive, whitespace-insensitive form: PAN-OS returns configuration in schema
    order, which need not be the order it was written in, and adds attributes (admin, time) of
    its own; a leaf at the value its absence means (DEFAULT_LEAVES) counts as absent."""
    children = sorted((canonical(child) for child in element if not _is_default_leaf(child)), key=repr)
    name = element.get("name")
    return (element.tag, name, (element.text or "").strip(), tuple(children))


def same_xml(a: XmlLike, b: XmlLike) -> bool:
    ea, eb = _as_element(a), _as_element(b)
    if ea is None or eb is None:
        return ea is None and eb is None
    return canonical(ea) == canonical(eb)


def without_bookkeeping(element: ET.Element) -> ET.Element:
    """A copy of element without the attributes PAN-OS adds to configuration it returns (who
    changed a node and when): they are not configuration, and are not to be written back."""
    element = copy.deepcopy(element)
    for node in element.iter():
        for attribute in BOOKKEEPING_ATTRIBUTES:
            node.attrib.pop(attribute, None)
    return element


def pretty_xml(value: XmlLike) -> str:
    """Indented XML without PAN-OS bookkeeping attributes, one element per line, for diffs."""
    element = _as_element(value)
    if element is None:
        return ""
    element = without_bookkeeping(element)
    for node in element.iter():
        if node.text is not None and not node.text.strip():
            node.text = None
        node.tail = None
    ET.indent(element)
    return ET.tostring(element, encoding="unicode") + "\n"


def xml_diff(before: XmlLike, after: XmlLike) -> Dict[str, str]:
    """The `diff` result of a module (Ansible shows it with --diff)."""
    return {"before": pretty_xml(before), "after": pretty_xml(after)}


def element_text(obj: Any) -> str:
    """A pan-os-python object's configuration XML."""
    text = obj.element_str()
    return text.decode() if isinstance(text, bytes) else text


# -- pan-os-python objects -------------------------------------------------------------------------
def current_object(connection: PanosConnection, parent: Any, cls: Any, name: str) -> Optional[Any]:
    """The object as the candidate configuration has it, or None.

    Reads the XML through `xapi_get` and parses it with refresh(xml=...): pan-os-python's own
    refresh() turns every API error, a refused connection included, into PanObjectMissing, which
    would make a booting firewall look empty."""
    connection.ensure_version()
    existing = cls(name)
    parent.add(existing)
    try:
        node = connection.xapi_get(existing.xpath())
        if node is None:
            return None
        existing.refresh(xml=node)
    finally:
        parent.remove(existing)
    return existing


def ensure_object(connection: PanosConnection, parent: Any, desired: Any, check_mode: bool,
                  compare_children: bool = False) -> Dict[str, Any]:
    """Make the candidate configuration hold `desired` (replacing what is there), only when it
    differs; the result carries changed and a before/after diff."""
    existing = current_object(connection, parent, type(desired), desired.uid)
    parent.add(desired)
    before = element_text(existing) if existing is not None else ""
    if existing is not None and same_xml(existing.element(compare_children, True), desired.element(compare_children, True)):
        return {"changed": False, "diff": xml_diff(before, before)}
    if not check_mode:
        connection.call(f"configure {type(desired).__name__} {desired.uid}", desired.apply)
    return {"changed": True, "diff": xml_diff(before, element_text(desired))}


def remove_object(connection: PanosConnection, parent: Any, cls: Any, name: str, check_mode: bool) -> Dict[str, Any]:
    existing = current_object(connection, parent, cls, name)
    if existing is None:
        return {"changed": False, "diff": xml_diff("", "")}
    if not check_mode:
        parent.add(existing)
        connection.call(f"delete {cls.__name__} {name}", existing.delete)
    return {"changed": True, "diff": xml_diff(element_text(existing), "")}


def run_object_module(module: Any, cls: Any, build: Callable[[], Any],
                      after: Optional[Callable[[PanosConnection, Any, Dict[str, Any]], None]] = None) -> None:
    """The whole of a module that manages one pan-os-python object under the firewall (vsys1):
    `state: absent` removes it, `present` makes the candidate hold build() exactly. `after` may
    adjust the result (for settings outside the object). Exits the module."""
    connection = PanosConnection(module, module.params["provider"])
    if module.params.get("state") == "absent":
        result = remove_object(connection, connection.device, cls, module.params["name"], module.check_mode)
    else:
        connection.ensure_version()
        desired = build()
        result = ensure_object(connection, connection.device, desired, module.check_mode)
        if after is not None:
            after(connection, desired, result)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(api_wait=connection.api_wait, **result)
