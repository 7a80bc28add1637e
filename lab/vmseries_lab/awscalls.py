"""The AWS API calls moto serves, counted by caller and by service:action: what `make bench` reports
per run, and what proves a no-op re-run writes nothing to AWS.

Callers: `client` is everything outside the lab (Ansible, boto3 in tests); `firewalls` are the
firewall twins' HA engines and the lab's own bookkeeping, whose boto3 clients carry LAB_AGENT in
their user agent.
"""

from __future__ import annotations

import io
import re
import threading
from collections import Counter
from typing import Any, Callable, Dict, Iterable
from urllib.parse import parse_qs

LAB_AGENT = "vmseries-lab"
# Calls that only read. Everything else (Create*, Modify*, Associate*, ...) counts as a write.
READ_PREFIXES = ("Describe", "Get", "List")
_SCOPE = re.compile(r"Credential=[^/]+/\d+/[^/]+/([^/]+)/aws4_request")


def is_read(action: str) -> bool:
    return action.split(":", 1)[-1].startswith(READ_PREFIXES)


def call_name(environ: Dict[str, Any], body: bytes) -> str:
    """`service:Action` of one request: the query protocol's Action (EC2, IAM, STS), the JSON
    protocol's X-Amz-Target, else the REST method and path."""
    service = (_SCOPE.search(environ.get("HTTP_AUTHORIZATION", "")) or [None, "unknown"])[1]
    fields = parse_qs(environ.get("QUERY_STRING", ""))
    if "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
        fields.update(parse_qs(body.decode("utf-8", "replace")))
    if fields.get("Action"):
        return f"{service}:{fields['Action'][0]}"
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return f"{service}:{target.split('.')[-1]}"
    return f"{service}:{environ.get('REQUEST_METHOD', '?')} {environ.get('PATH_INFO', '')}"


class AwsCallCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Dict[str, Counter] = {"client": Counter(), "firewalls": Counter()}

    def wrap(self, app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
        """A WSGI middleware in front of moto's application."""
        def counted(environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            caller = "firewalls" if LAB_AGENT in environ.get("HTTP_USER_AGENT", "") else "client"
            with self._lock:
                self._counts[caller][call_name(environ, body)] += 1
            return app(environ, start_response)

        return counted

    def snapshot(self) -> Dict[str, Dict[str, int]]:
        with self._lock:
            return {caller: dict(sorted(counts.items())) for caller, counts in self._counts.items()}
