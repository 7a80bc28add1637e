"""An EC2 instance's metadata service (IMDS), as the guest reaches it at 169.254.169.254: what the
VM-Series plugin asks for the instance role's credentials before its EC2 calls, answered under the
instance's metadata options as EC2 keeps them (moto's MetadataOptions: `http_endpoint`,
`http_tokens`).

The rules are AWS's, from "Use the Instance Metadata Service to access instance metadata" and
"Configure the instance metadata options" (EC2 User Guide; cited in lab/README.md):

- IMDSv2: `PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds` (1 to 21600) gives a
  session token; requests carry it in `X-aws-ec2-metadata-token`. A missing or out-of-range TTL is
  400; an invalid or expired token is 401, with tokens optional or not.
- IMDSv1: a request without a token. With `http_tokens: required` it is refused with 401.
- `http_endpoint: disabled`: "403 - Forbidden - The request is not allowed or the IMDS is turned
  off", for the token request too (AWS does not say which request meets it first).
- A `PUT` to any path but the token's is 403.
- `iam/security-credentials/` lists the role of the instance profile (404 without one), and
  `iam/security-credentials/<role>` gives its temporary credentials as JSON.
- `/latest/user-data` is the user data "as it is"; none is 404, AWS's rule for any resource that
  is not there.

The lab answers in-process (the emulated plugin calls `request`), not on a link-local address: the
firewalls share one host. The hop limit and IPv6 endpoint options have no meaning here.
"""

from __future__ import annotations

import datetime
import json
import secrets
import threading
import time
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

TOKEN_PATH = "/latest/api/token"
TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aws-ec2-metadata-token"
MAX_TOKEN_TTL = 21600
CREDENTIALS_PATH = "/latest/meta-data/iam/security-credentials/"
USER_DATA_PATH = "/latest/user-data"
REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed"}


class MetadataError(Exception):
    """An IMDS answer other than 200, as a client reports it."""

    def __init__(self, status: int, path: str) -> None:
        super().__init__(f"{status} {REASONS.get(status, '')} from the instance metadata service for {path}")
        self.status = status


class InstanceMetadataService:
    """One instance's metadata service. `instance` returns moto's instance (read at each request, so
    ModifyInstanceMetadataOptions applies at once, as on AWS); `role` returns the name of the role
    of its instance profile, or None."""

    def __init__(self, instance: Callable[[], Any], role: Callable[[], Optional[str]],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._instance, self._role, self._clock = instance, role, clock
        self._tokens: Dict[str, float] = {}
        self._lock = threading.Lock()

    def request(self, method: str, path: str, headers: Optional[Mapping[str, str]] = None) -> Tuple[int, str]:
        """(HTTP status, body) of one request."""
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        options = self._instance().metadata_options
        if options.http_endpoint != "enabled":
            return 403, ""
        if method == "PUT":
            return self._new_token(path, headers.get(TTL_HEADER.lower()))
        if method != "GET":
            return 405, ""
        token = headers.get(TOKEN_HEADER.lower())
        if token is not None and not self._valid(token):
            return 401, ""
        if token is None and options.http_tokens == "required":
            return 401, ""
        return self._get(path)

    def _new_token(self, path: str, ttl: Optional[str]) -> Tuple[int, str]:
        if path != TOKEN_PATH:
            # "Issuing PUT requests to any version-specific path ... will result in ... 403 Forbidden"
            return 403, ""
        try:
            seconds = int(ttl or "")
        except ValueError:
            return 400, ""
        if not 1 <= seconds <= MAX_TOKEN_TTL:
            return 400, ""
        token = secrets.token_urlsafe(42)
        with self._lock:
            self._tokens[token] = self._clock() + seconds
        return 200, token

    def _valid(self, token: str) -> bool:
        with self._lock:
            expiry = self._tokens.get(token)
            return expiry is not None and self._clock() < expiry

    def _get(self, path: str) -> Tuple[int, str]:
        if path == "/latest/meta-data/instance-id":
            return 200, self._instance().id
        if path == USER_DATA_PATH:
            # moto keeps what RunInstances got, base64-encoded; the guest reads it as it was given.
            user_data = getattr(self._instance(), "user_data", None)
            return (200, user_data.decode()) if user_data else (404, "")
        if path.startswith(CREDENTIALS_PATH):
            role = self._role()
            asked = path[len(CREDENTIALS_PATH):]
            if role is None or asked not in ("", role):
                return 404, ""
            return 200, role if not asked else json.dumps(self._credentials())
        return 404, ""

    def _credentials(self) -> Dict[str, str]:
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        stamp = "%Y-%m-%dT%H:%M:%SZ"
        return {"Code": "Success", "LastUpdated": now.strftime(stamp), "Type": "AWS-HMAC",
                "AccessKeyId": "ASIA" + secrets.token_hex(8).upper(), "SecretAccessKey": secrets.token_urlsafe(30),
                "Token": secrets.token_urlsafe(120), "Expiration": (now + datetime.timedelta(hours=6)).strftime(stamp)}


def _session(service: InstanceMetadataService, imdsv2: bool) -> Dict[str, str]:
    """The headers of a client's requests: IMDSv2 (a token first) when the client speaks it, IMDSv1
    (no token) when it does not."""
    if not imdsv2:
        return {}
    status, token = service.request("PUT", TOKEN_PATH, {TTL_HEADER: str(MAX_TOKEN_TTL)})
    if status != 200:
        raise MetadataError(status, TOKEN_PATH)
    return {TOKEN_HEADER: token}


def _get(service: InstanceMetadataService, path: str, headers: Dict[str, str]) -> str:
    status, body = service.request("GET", path, headers)
    if status != 200:
        raise MetadataError(status, path)
    return body


def role_credentials(service: InstanceMetadataService, imdsv2: bool) -> Dict[str, Any]:
    """What an SDK does for the instance role's credentials. Raises MetadataError on any refusal."""
    headers = _session(service, imdsv2)
    role = _get(service, CREDENTIALS_PATH, headers)
    return json.loads(_get(service, CREDENTIALS_PATH + role, headers))


def user_data(service: InstanceMetadataService, imdsv2: bool) -> Optional[str]:
    """The instance's user data, None when it has none. Raises MetadataError on any other refusal."""
    headers = _session(service, imdsv2)
    status, body = service.request("GET", USER_DATA_PATH, headers)
    if status == 404:
        return None
    if status != 200:
        raise MetadataError(status, USER_DATA_PATH)
    return body
