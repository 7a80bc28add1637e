"""Palo Alto's licensing server as the lab plays it, and the licence a firewall twin holds.

A BYOL VM-Series boots unlicensed (`show system info`: serial ``unknown``, vm-license ``none``, as
the KVM capture in ``../shared/panos-samples/`` shows) and takes a VM-Series capacity licence from
an auth code: each code has a capacity model (VM-300, ...) and a number of firewalls it may licence
at once; an activation uses one, a deactivation gives it back (Palo Alto's support portal counts
the same way). Deactivating needs the support portal's licensing API key installed on the firewall;
the lab knows which keys the "portal" issued.

A PAYG (usage-based, AWS Marketplace) VM-Series boots licensed, its licence bought with the instance.

What the lab cannot know (each listed in lab/README.md): PAN-OS's exact texts for an unknown auth
code, an exhausted one, a wrong licensing API key and a successful deactivation; the serials Palo
Alto hands out; which capacity a PAYG AMI carries.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

# VM-Series capacity models an auth code may carry (Palo Alto's VM-Series models; VM-50 and VM-1000-HV
# exist too, but not on AWS).
MODELS = ("VM-100", "VM-200", "VM-300", "VM-500", "VM-700")
# What `vmseries-lab up` provides, so that `make deploy` and the tests license firewalls out of the
# box: an auth code for 64 VM-300 firewalls and the portal's licensing API key. Lab values, not Palo
# Alto formats.
LAB_AUTH_CODE = "LAB-VM300"
LAB_AUTH_CODE_MODEL = "VM-300"
LAB_AUTH_CODE_COUNT = 64
LAB_LICENSE_API_KEY = "lab-licensing-api-key-0123456789abcdef"
# AWS Marketplace product code of the BYOL AMI (amis.json); every other VM-Series product code is PAYG.
BYOL_PRODUCT_CODE = "6njl1pau431dv1qxipg63mvah"
PAYG_PRODUCT_CODE = "hd44w1chf26uv4p52cdynb2o"  # bundle 2, the lab's PAYG AMI
# The capacity a PAYG AMI comes with in the lab (assumption: the capacity of a real PAYG firewall
# follows its bundle and instance type; none published for the lab to follow).
PAYG_MODEL = "VM-300"
# The support an auth code carries (its term in days from when the code was added to the lab, which
# stands for its purchase) and the support a PAYG firewall gets with its instance (a year from its
# first boot). Assumptions: a VM-Series licence comes with a support term (Palo Alto's licence
# listings show a "Premium" support entry with its own expiry beside the capacity licence), but
# terms are per purchase and none is published for the lab to follow.
DEFAULT_SUPPORT_DAYS = 365
SUPPORT_LEVEL = "Premium"
SUPPORT_DESCRIPTION = "24 x 7 phone support; advanced replacement hardware service"
DAY = 86400.0

# Answers. Palo Alto's where published (lab/README.md gives the sources): the fetch's success (sent
# as plain text with an XML content type), an invalid auth code (pango's test fixture), the API key
# texts pango and skilletlib match on, and the deactivation's success (pan-python's licensing doc,
# manual mode; clients match "Successfully deactivated"). The rest are the lab's own words: no
# published text for an exhausted auth code, a wrong licensing API key, or a PAYG firewall.
FETCH_INSTALLED = "VM Device License installed. Restarting pan services."
INVALID_AUTH_CODE = "Failed to install licenses. Invalid Auth Code: {code}"
NO_CAPACITY = ("Failed to install licenses. Auth Code {code} has no capacity left: {count} of {count} {model} "
               "licenses are in use")
ALREADY_LICENSED = "Failed to install licenses. This device already holds a {model} license from Auth Code {code}"
PAYG_FETCH = "Failed to install licenses. A usage-based (PAYG) VM-Series is licensed through AWS Marketplace"
API_KEY_SET = "API Key is successfully set"
API_KEY_NOT_SET = "API Key is not set"
API_KEY_INVALID = "Failed to deactivate the license: the licensing API key was not accepted by the license server"
DEACTIVATED = "Successfully deactivated VM. Please issue reboot"
NOTHING_TO_DEACTIVATE = "Failed to deactivate the license: no VM-Capacity license is installed"
PAYG_DEACTIVATE = "Failed to deactivate the license: a usage-based (PAYG) VM-Series license cannot be deactivated"

class LicenseError(Exception):
    """A refusal of the licensing server, in the words the firewall answers with."""


@dataclass
class AuthCode:
    code: str
    model: str
    count: int
    support_until: float = 0.0  # epoch seconds
    holders: Dict[str, str] = field(default_factory=dict)  # serial -> instance id

    def describe(self) -> Dict[str, Any]:
        return {"code": self.code, "model": self.model, "count": self.count, "used": len(self.holders),
                "left": self.count - len(self.holders), "serials": dict(self.holders),
                "support_until": time.strftime("%Y-%m-%d", time.localtime(self.support_until))}


@dataclass
class Licence:
    """The VM-Series capacity licence a firewall holds."""

    model: str
    serial: str
    authcode: str  # empty for PAYG
    issued: float
    support_until: float

    @property
    def support_expired(self) -> bool:
        return self.support_until < time.time()



class LicenseService:
    """Auth codes, their seats, the serials handed out, and the portal's licensing API keys."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.codes: Dict[str, AuthCode] = {}
        self.api_keys = {LAB_LICENSE_API_KEY}
        self._serials: Dict[str, str] = {}  # instance id -> serial: a VM keeps its serial across re-licensing
        self.add(LAB_AUTH_CODE, LAB_AUTH_CODE_MODEL, LAB_AUTH_CODE_COUNT)

    def add(self, code: str, model: str, count: int, support_days: int = DEFAULT_SUPPORT_DAYS) -> AuthCode:
        """An auth code; `support_days` is its support term from now (0 or less: a code whose
        support has lapsed, which the lab cannot otherwise show without waiting a year)."""
        if model not in MODELS:
            raise ValueError(f"unknown VM-Series model {model!r}; one of {', '.join(MODELS)}")
        if count < 1:
            raise ValueError(f"an auth code licenses at least one firewall (got {count})")
        if not code or any(c.isspace() for c in code):
            raise ValueError(f"an auth code is one word (got {code!r})")
        with self._lock:
            existing = self.codes.get(code)
            if existing is not None and (existing.model != model or len(existing.holders) > count):
                raise ValueError(f"auth code {code} exists ({existing.model}, {len(existing.holders)} in use)")
            if existing is not None:
                existing.count = count
                return existing
            self.codes[code] = AuthCode(code, model, count, time.time() + support_days * DAY)
            return self.codes[code]

    def add_api_key(self, key: str) -> None:
        if not key.strip():
            raise ValueError("a licensing API key is not empty")
        with self._lock:
            self.api_keys.add(key.strip())

    def describe(self) -> List[Dict[str, Any]]:
        with self._lock:
            return [code.describe() for code in self.codes.values()]

    def serial_for(self, instance_id: str, payg: bool = False) -> str:
        """A serial as Palo Alto documents them: 15 digits for BYOL (the lab's start with 0079551,
        like a BYOL capture's 007955000758123), 15 alphanumeric characters for PAYG."""
        with self._lock:
            if instance_id not in self._serials:
                number = len(self._serials) + 1
                self._serials[instance_id] = f"4A{number:013X}" if payg else f"0079551{number:08d}"
            return self._serials[instance_id]

    def activate(self, code: str, instance_id: str) -> Licence:
        serial = self.serial_for(instance_id)
        with self._lock:
            auth = self.codes.get(code)
            if auth is None:
                raise LicenseError(INVALID_AUTH_CODE.format(code=code))
            if serial not in auth.holders and len(auth.holders) >= auth.count:
                raise LicenseError(NO_CAPACITY.format(code=code, count=auth.count, model=auth.model))
            auth.holders[serial] = instance_id
            return Licence(auth.model, serial, code, time.time(), auth.support_until)

    def release(self, licence: Licence, api_key: Optional[str]) -> None:
        """Deactivation: the firewall's seat goes back to its auth code."""
        with self._lock:
            if not api_key:
                raise LicenseError(API_KEY_NOT_SET)
            if api_key not in self.api_keys:
                raise LicenseError(API_KEY_INVALID)
            auth = self.codes.get(licence.authcode)
            if auth is not None:
                auth.holders.pop(licence.serial, None)


class FirewallLicence:
    """The licence side of one firewall twin: what it holds, its serial, the licensing API key
    installed on it, and the requests that change them."""

    def __init__(self, service: LicenseService, instance_id: str, payg: bool) -> None:
        self.service = service
        self.instance_id = instance_id
        self.payg = payg
        self.licence: Optional[Licence] = None
        # A deactivated firewall keeps showing its serial until it reboots.
        self._serial_until_reboot: Optional[str] = None
        self.api_key: Optional[str] = None
        self._lock = threading.Lock()

    @property
    def model(self) -> str:
        """`vm-license`: the model, or `none` unlicensed (as the KVM capture shows)."""
        licence = self.licence
        return licence.model if licence is not None else "none"

    @property
    def serial(self) -> str:
        """`show system info`'s serial: `unknown` until a licence gives the VM one."""
        if self.licence is not None:
            return self.licence.serial
        return self._serial_until_reboot or "unknown"

    def booted(self) -> None:
        """A boot: a PAYG VM-Series is licensed from its first boot (bought with the instance)."""
        with self._lock:
            self._serial_until_reboot = None
            if self.payg and self.licence is None:
                now = time.time()
                self.licence = Licence(PAYG_MODEL, self.service.serial_for(self.instance_id, payg=True), "", now,
                                       now + DEFAULT_SUPPORT_DAYS * DAY)

    def fetch(self, auth_code: str) -> Licence:
        """`request license fetch auth-code`: the licensing server assigns a capacity licence
        (raises LicenseError with the firewall's answer). The caller restarts the management
        services once the answer is out."""
        if self.payg:
            raise LicenseError(PAYG_FETCH)
        current = self.licence
        if current is not None and current.authcode != auth_code:
            raise LicenseError(ALREADY_LICENSED.format(model=current.model, code=current.authcode))
        licence = self.service.activate(auth_code, self.instance_id)
        with self._lock:
            self.licence = licence
        return licence

    def deactivate(self) -> Licence:
        """`request license deactivate VM-Capacity mode auto`: the seat goes back to the auth code
        through the licensing API key installed on the firewall; the licence given back."""
        licence = self.licence
        if licence is None:
            raise LicenseError(NOTHING_TO_DEACTIVATE)
        if self.payg:
            raise LicenseError(PAYG_DEACTIVATE)
        self.service.release(licence, self.api_key)
        with self._lock:
            self.licence = None
            self._serial_until_reboot = licence.serial
        return licence
