from __future__ import annotations

import socket

import pytest
from panos.errors import PanDeviceError, PanDeviceXapiError, PanObjectMissing

from ansible_collections.vmseries.aws_ha.plugins.module_utils import panos as panos_utils
from ansible_collections.vmseries.aws_ha.plugins.module_utils.panos import (
    PanosConnection,
    is_transient,
    provider_argument_spec,
    same_xml,
    xml_diff,
)


class Failed(Exception):
    def __init__(self, msg, **kwargs):
        super().__init__(msg)
        self.result = kwargs


class FakeModule:
    def __init__(self):
        self.params = {"api_wait_timeout": 30}

    def fail_json(self, msg, **kwargs):
        raise Failed(msg, **kwargs)


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


PROVIDER = {"ip_address": "192.0.2.1", "port": 443, "username": "admin", "password": "s3cret-Pass", "api_key": None}
REFUSED = "URLError: reason: [Errno 111] Connection refused"


def connection(clock, **kwargs):
    return PanosConnection(FakeModule(), PROVIDER, api_wait_timeout=30, sleep=clock.sleep, clock=clock, **kwargs)


def answers(*items):
    queue = list(items)

    def call():
        item = queue.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    return call


def test_booting_firewall_is_waited_for_and_the_wait_reported():
    clock = Clock()
    conn = connection(clock)
    assert conn.call("read", answers(*[PanDeviceError(REFUSED)] * 3, "up")) == "up"
    assert conn.attempts == 4 and conn.waited == 7.0  # 1 + 2 + 4 s of backoff
    assert conn.api_wait == {"seconds": 7.0, "attempts": 3, "refused_credentials": 0}


@pytest.mark.parametrize("error", [
    PanDeviceError("URLError: code: 503 reason: Service Unavailable"),
    PanDeviceError("URLError: code: 502 reason: Bad Gateway"),
    PanDeviceError("URLError: code: 429 reason: Too Many Requests"),
    PanDeviceError("URLError: reason: timed out"),
    PanDeviceError("Management server not ready, try again later"),
    socket.timeout("The read operation timed out"),
    ConnectionResetError(104, "Connection reset by peer"),
])
def test_transient_errors(error):
    assert is_transient(error)
    clock = Clock()
    assert connection(clock).call("read", answers(error, "ok")) == "ok"


@pytest.mark.parametrize("text", ["URLError: code: 403 reason: Forbidden", "Invalid Credential",
                                  "Validation error", "No such node", "URLError: code: 404 reason: Not Found"])
def test_not_transient(text):
    assert not is_transient(PanDeviceError(text))


FORBIDDEN = "URLError: code: 403 reason: Invalid Credential"


def test_with_boot_wait_refused_credentials_are_waited_out_until_first_accepted():
    clock = Clock()
    conn = connection(clock, boot_wait=True)
    assert conn.call("read", answers(PanDeviceError(REFUSED), PanDeviceError(FORBIDDEN), PanDeviceError(FORBIDDEN), "up")) == "up"
    assert conn.api_wait == {"seconds": 7.0, "attempts": 3, "refused_credentials": 2}
    # Accepted once: a refusal now is the firewall's answer, not its boot.
    with pytest.raises(Failed, match="refused the credentials while trying to read"):
        conn.call("read", answers(PanDeviceError(FORBIDDEN)))


def test_without_boot_wait_a_refusal_fails_at_once():
    clock = Clock()
    with pytest.raises(Failed, match="refused the credentials"):
        connection(clock).call("read", answers(PanDeviceError(FORBIDDEN), "never reached"))
    assert clock.now == 0.0


def test_credentials_refused_for_the_whole_boot_wait_name_both_causes():
    clock = Clock()
    with pytest.raises(Failed) as failure:
        connection(clock, boot_wait=True).call("read", answers(*[PanDeviceError(FORBIDDEN)] * 100))
    message = str(failure.value)
    assert "refused the credentials for 30 s" in message and "auth service" in message
    assert "username and password or api_key" in message and failure.value.result["api_wait"]["refused_credentials"] > 3


def test_timeout_names_the_address_the_last_error_and_the_likely_causes():
    clock = Clock()
    with pytest.raises(Failed) as failure:
        connection(clock).call("read", answers(*[PanDeviceError(REFUSED)] * 100))
    message = str(failure.value)
    assert "192.0.2.1:443 did not answer within 30 s" in message and "Connection refused" in message
    assert "still booting" in message and failure.value.result["api_wait"]["seconds"] == 30.0
    assert clock.now == 30.0  # the last pause is cut to the timeout


def test_invalid_credentials_fail_at_once_without_the_password():
    clock = Clock()
    with pytest.raises(Failed) as failure:
        connection(clock).call("log in", answers(PanDeviceXapiError("URLError: code: 403 reason: Forbidden s3cret-Pass")))
    assert "refused the credentials" in str(failure.value) and "admin_password" in str(failure.value)
    assert "s3cret-Pass" not in str(failure.value)
    assert clock.now == 0


def test_once_up_transient_errors_are_retried_a_bounded_number_of_times():
    clock = Clock()
    conn = connection(clock, retries=2)
    assert conn.call("read", answers("first answer")) == "first answer"
    assert conn.call("read", answers(PanDeviceError(REFUSED), "ok")) == "ok"
    with pytest.raises(Failed, match=r"after 3 attempts: URLError"):
        conn.call("read", answers(*[PanDeviceError(REFUSED)] * 5))
    assert conn.api_wait == {"seconds": 0.0, "attempts": 0, "refused_credentials": 0}  # retries after the first answer are not boot waits


def test_missing_object_is_an_answer():
    with pytest.raises(PanObjectMissing):
        connection(Clock()).call("read", answers(PanObjectMissing("Object doesn't exist")))


def test_other_errors_fail_without_retry_and_redacted():
    clock = Clock()
    with pytest.raises(Failed, match=r"Validation error near \*\*\*\*\*\*\*\*\.$"):
        connection(clock).call("configure", answers(PanDeviceError("Validation error near s3cret-Pass")))
    assert clock.now == 0


def test_fail_false_raises_instead():
    with pytest.raises(PanDeviceError):
        connection(Clock()).call("read", answers(PanDeviceError("Validation error")), fail=False)


def test_provider_needs_a_secret():
    with pytest.raises(Failed, match="set password or api_key"):
        PanosConnection(FakeModule(), dict(PROVIDER, password=None))


def test_secrets_are_no_log_in_the_argument_spec():
    options = provider_argument_spec()["provider"]["options"]
    assert options["password"]["no_log"] and options["api_key"]["no_log"]
    assert options["username"]["default"] == "admin" and options["port"]["default"] == 443


def test_same_xml_ignores_order_whitespace_and_bookkeeping():
    a = "<a><b>1</b><c><member>x</member></c></a>"
    b = '<a admin="admin">\n  <c><member>x</member></c>\n  <b>1</b>\n</a>'
    assert same_xml(a, b) and not same_xml(a, "<a><b>2</b></a>")
    assert same_xml(None, "") and not same_xml(None, a)


def test_xml_diff_is_indented_and_empty_for_nothing():
    diff = xml_diff(None, '<entry name="x" admin="me" time="now"><a>1</a></entry>')
    assert diff == {"before": "", "after": '<entry name="x">\n  <a>1</a>\n</entry>\n'}


def test_xapi_get_returns_the_node_or_none(monkeypatch):
    import xml.etree.ElementTree as ET

    conn = connection(Clock())
    responses = {"/x": '<response status="success"><result count="1"><x><y/></x></result></response>',
                 "/none": '<response status="success" code="7"><result count="0" total-count="0"/></response>'}

    class Xapi:
        def get(self, xpath):
            return ET.fromstring(responses[xpath])

    conn.device._xapi_private = Xapi()
    assert conn.xapi_get("/x").tag == "x" and conn.xapi_get("/none") is None


def test_pan_os_python_is_required(monkeypatch):
    monkeypatch.setattr(panos_utils, "HAS_PANOS", False)
    with pytest.raises(Failed, match="pan-os-python"):
        PanosConnection(FakeModule(), PROVIDER)


def test_a_leaf_at_the_value_its_absence_means_is_no_difference():
    """panos_zone writes enable-user-identification no unless asked for User-ID; PAN-OS reads a zone
    without it the same. The HA settings panos_ha spells out are settings of their own."""
    bare = "<entry name='untrust'><network><layer3><member>ethernet1/2</member></layer3></network></entry>"
    spelled = ("<entry name='untrust'><network><layer3><member>ethernet1/2</member></layer3></network>"
               "<enable-user-identification>no</enable-user-identification></entry>")
    enabled = spelled.replace(">no<", ">yes<")
    assert same_xml(bare, spelled)
    assert not same_xml(bare, enabled)
    ha = "<active-passive>{}</active-passive>"
    assert not same_xml(ha.format(""), ha.format("<passive-link-state>auto</passive-link-state>"))
