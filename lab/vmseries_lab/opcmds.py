"""The op commands a firewall twin answers (``type=op``), and the shapes of their answers.

One table, COMMANDS, maps the path of a command (the nesting of its ``cmd`` XML, e.g.
``<show><jobs><id>5</id></jobs></show>`` -> ``("show", "jobs", "id")``) to its handler. A command
that is not in the table is refused as PAN-OS refuses it: code 17 and the CDATA line
`` show -> frobnicate  is unexpected``.

Each shape follows the real responses in ``../shared/panos-samples/`` (the sample named after the
command); tests/lab/test_fidelity.py replays them. Values that only a real VM-Series on AWS could
tell (its MAC base, its CPU id) are the lab's own and listed in lab/README.md.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Tuple, Union

from . import config as cfg
from . import bootstrap, licensing, software
from .errors import ApiError

if TYPE_CHECKING:  # pragma: no cover
    from .firewall import Firewall
    from .software import FirewallSoftware

DLP_PLUGIN = "5.0.1"


def release_fields(software: "FirewallSoftware") -> Dict[str, str]:
    """What `show system info` and both sides of `show high-availability all` report of a firewall's
    software (the licence is the firewall's own: Firewall.licence)."""
    return {"build-rel": software.running, "app-version": software.content, "threat-version": software.content,
            "av-version": "0", "url-version": "0000.00.00.000", "gpclient-version": "Not Installed",
            "vpnclient-version": "Not Installed", "iot-version": "0-0", "platform-model": "PA-VM",
            "VMS": software.plugin, "DLP": DLP_PLUGIN}
# PAN-OS derives the MACs of its logical interfaces from vm-mac-base: vlan +1, loopback +3, tunnel +4.
VM_MAC_BASE = "7C:89:C1:00:00:00"
LOGICAL_INTERFACES = (("vlan", 1, 3), ("loopback", 3, 5), ("tunnel", 4, 6))  # name, id (= MAC offset), hw type
ROUTE_FLAGS = ("flags: A:active, ?:loose, C:connect, H:host, S:static, ~:internal, R:rip, O:ospf, B:bgp, "
               "Oi:ospf intra-area, Oo:ospf inter-area, O1:ospf ext-type-1, O2:ospf ext-type-2, E:ecmp, M:multicast")
_CDATA = re.compile("\x00CDATA\x01(.*?)\x00", re.S)


def cdata(text: str) -> str:
    """Text that the response writer emits as a CDATA section, as PAN-OS does for some answers."""
    return f"\x00CDATA\x01{text}\x00"


def write_cdata(body: str) -> str:
    """Turn the marked texts of a serialised response into CDATA sections (their content unescaped)."""
    def section(match: "re.Match[str]") -> str:
        text = match.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
        return f"<![CDATA[{text}]]>"

    return _CDATA.sub(section, body)


@dataclass(frozen=True)
class Message:
    """An answer that is a message (``<msg><line>...``) rather than a ``<result>``."""

    lines: Tuple[str, ...]


@dataclass(frozen=True)
class PlainText:
    """An answer that is not XML although sent as XML (PAN-OS's licence fetch), and what the
    firewall does once it is out (`then`)."""

    text: str
    then: Optional[Callable[[], None]] = None


@dataclass(frozen=True)
class Coded:
    """A <result> in an envelope that carries a status code (a job enqueued: 19)."""

    result: ET.Element
    code: int


Reply = Union[ET.Element, Message, Coded, PlainText]
Handler = Callable[["Firewall", ET.Element], Reply]


@dataclass(frozen=True)
class OpCommand:
    path: Tuple[str, ...]
    handler: Handler
    # Whether the command's last node may carry an argument (text, attributes or child elements).
    takes_argument: bool = False
    # What the answer's shape rests on: (capture | fixture | docs | client | assumption, where);
    # lab/README.md's command table is generated from it (scripts/lab-commands-table).
    source: Tuple[str, str] = ("assumption", "")


def _result(text: Optional[str] = None) -> ET.Element:
    result = ET.Element("result")
    result.text = text
    return result


def _fields(parent: ET.Element, values: List[Tuple[str, str]]) -> ET.Element:
    for tag, value in values:
        ET.SubElement(parent, tag).text = value
    return parent


def _argument(node: ET.Element) -> str:
    """The argument of a command: its text, or the name of its one child (`<all/>`)."""
    text = (node.text or "").strip()
    if text:
        return text
    children = list(node)
    return children[0].tag if len(children) == 1 else ""


def unexpected(path: Tuple[str, ...]) -> ApiError:
    return ApiError(17, " " + " -> ".join(path) + "  is unexpected", cdata=True)


# ---- system ---------------------------------------------------------------------------------
def mac_at(offset: int) -> str:
    base = int(VM_MAC_BASE.replace(":", ""), 16) + offset
    return ":".join(f"{(base >> shift) & 0xFF:02x}" for shift in range(40, -8, -8))


def _ctime(epoch: float) -> str:
    return time.strftime("%a %b ", time.localtime(epoch)) + f"{time.localtime(epoch).tm_mday:>2}" + \
        time.strftime(" %H:%M:%S %Y", time.localtime(epoch))


def _uptime(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{days} days, {hours}:{minutes:02d}:{secs:02d}"


def cpu_id(fw: "Firewall") -> str:
    """BYOL: AWS:<hex>; PAYG: AWSMP:<instance id>:<product code>:<region> (Palo Alto's "Serial
    Number and CPU ID Format for the VM-Series Firewall")."""
    if fw.licensing.payg:
        return f"AWSMP:{fw.instance_id[2:]}:{licensing.PAYG_PRODUCT_CODE}:{fw.cloud.region}"
    return "AWS:" + fw.instance_id[-16:].upper().rjust(16, "0")


def system_info(fw: "Firewall") -> ET.Element:
    """`show system info`'s <system>, in the field order of the PA-VM captures."""
    mgmt = next((i for i in fw.interfaces() if i.name == "management"), None)
    network = ipaddress.ip_network(f"{mgmt.private_ip}/{mgmt.prefix_length}", strict=False) if mgmt else None
    now = time.time()
    system = ET.Element("system")
    _fields(system, [
        ("hostname", fw.hostname), ("ip-address", mgmt.private_ip if mgmt else "unknown"),
        ("public-ip-address", "unknown"), ("netmask", str(network.netmask) if network else "unknown"),
        # AWS's VPC router is the subnet's first address; the management interface learns it by DHCP.
        ("default-gateway", str(network.network_address + 1) if network else "unknown"), ("is-dhcp", "yes"),
        ("ipv6-address", "unknown"), ("ipv6-link-local-address", ""), ("ipv6-default-gateway", ""),
        ("mac-address", mgmt.mac if mgmt else ""), ("time", _ctime(now) + "\n"), ("uptime", _uptime(fw.uptime_seconds())),
        ("devicename", fw.hostname), ("family", "vm"), ("model", "PA-VM"), ("serial", fw.licensing.serial),
        ("vm-mac-base", VM_MAC_BASE), ("vm-mac-count", "256"), ("vm-uuid", fw.instance_id.upper()),
        ("vm-cpuid", cpu_id(fw)), ("vm-license", fw.licensing.model), ("vm-mode", "Amazon AWS"), ("cloud-mode", "non-cloud"),
        ("sw-version", fw.software.running), ("global-protect-client-package-version", "0.0.0"),
        ("app-version", fw.software.content), ("app-release-date", ""), ("av-version", "0"), ("av-release-date", ""),
        ("threat-version", fw.software.content), ("threat-release-date", ""), ("wf-private-version", "0"),
        ("wf-private-release-date", "unknown"), ("url-db", "paloaltonetworks"), ("wildfire-version", "0"),
        ("wildfire-release-date", ""), ("url-filtering-version", "0000.00.00.000"),
        ("global-protect-datafile-version", "unknown"), ("global-protect-datafile-release-date", "unknown"),
        ("global-protect-clientless-vpn-version", "0"), ("global-protect-clientless-vpn-release-date", ""),
        ("logdb-version", "11.1.2"),
    ])
    plugins = ET.SubElement(system, "plugin_versions")
    for name, version in (("vm_series", fw.software.plugin), ("dlp", DLP_PLUGIN)):
        entry = ET.SubElement(plugins, "entry", {"name": name, "version": version})
        ET.SubElement(entry, "pkginfo").text = f"{name}-{version}"
    _fields(system, [("platform-family", "vm"), ("vpn-disable-mode", "off"), ("multi-vsys", "off"),
                     ("operational-mode", "normal"), ("advanced-routing", "on" if fw.advanced_routing else "off"),
                     ("device-certificate-status", "None")])
    return system


def show_system_info(fw: "Firewall", node: ET.Element) -> Reply:
    result = _result()
    result.append(system_info(fw))
    return result


def bootstrap_status(fw: "Firewall") -> str:
    """The table of `show system bootstrap status`: a row per bootstrap phase reached; the header
    alone on a firewall that was not bootstrapped (an assumption)."""
    return (fw.bootstrap.status if fw.bootstrap is not None else bootstrap.Status()).table()


def show_bootstrap_status(fw: "Firewall", node: ET.Element) -> Reply:
    return _result(cdata(bootstrap_status(fw)))


def show_chassis_ready(fw: "Firewall", node: ET.Element) -> Reply:
    # PAN-OS's own start-up scripts test the answer for "[CDATA[yes": the text is a CDATA section.
    return _result(cdata("yes" if fw.chassis_ready() else "no"))


def show_clock(fw: "Firewall", node: ET.Element) -> Reply:
    now = time.time()
    local = time.localtime(now)
    return _result(time.strftime("%a %b %d %H:%M:%S ", local) + time.strftime("%Z %Y ", local))


def show_session_info(fw: "Firewall", node: ET.Element) -> Reply:
    """The flat counter list of the 10.x/11.x capture; the lab carries no traffic, so no sessions."""
    result = _result()
    _fields(result, [
        ("age-accel-en", "True"), ("age-accel-thresh", "80"), ("age-accel-tsf", "2"), ("age-scan-ssf", "8"),
        ("age-scan-thresh", "80"), ("age-scan-tmo", "10"), ("cps", "0"), ("dis-def", "60"), ("dis-sctp", "30"),
        ("dis-tcp", "90"), ("dis-udp", "60"), ("hw-offload", "False"), ("hw-udp-offload", "False"),
        ("icmp-unreachable-rate", "200"), ("ipv6-fw", "True"), ("kbps", "0"), ("max-pending-mcast", "0"),
        ("num-active", "0"), ("num-bcast", "0"), ("num-gtpc", "0"), ("num-gtpu-active", "0"),
        ("num-gtpu-pending", "0"), ("num-http2-5gc", "0"), ("num-icmp", "0"), ("num-imsi", "0"),
        ("num-installed", "0"), ("num-max", "819200"), ("num-mcast", "0"), ("num-pfcpc", "0"),
        ("num-predict", "0"), ("num-sctp-assoc", "0"), ("num-sctp-sess", "0"), ("num-tcp", "0"), ("num-udp", "0"),
        ("oor-action", "drop"), ("pps", "0"), ("run-tc", "True"), ("strict-checksum", "True"),
        ("sw-cutthrough", "False"), ("tcp-cong-ctrl", "3"), ("tcp-diff-syn-rej", "True"),
        ("tcp-no-refresh-fin-rst", "False"), ("tcp-nonsyn-rej", "True"), ("tcp-reject-siw-enable", "False"),
        ("tcp-reject-siw-thresh", "4"), ("tcp-strict-rst", "True"), ("tmo-5gcdelete", "15"), ("tmo-cp", "30"),
        ("tmo-def", "30"), ("tmo-icmp", "6"), ("tmo-sctp", "3600"), ("tmo-sctpcookie", "60"),
        ("tmo-sctpinit", "5"), ("tmo-sctpshutdown", "60"), ("tmo-tcp", "3600"), ("tmo-tcp-delayed-ack", "25"),
        ("tmo-tcp-unverif-rst", "30"), ("tmo-tcphalfclosed", "120"), ("tmo-tcphandshake", "10"),
        ("tmo-tcpinit", "5"), ("tmo-tcptimewait", "15"), ("tmo-udp", "30"), ("tunnel-accel", "True"),
        ("vardata-rate", "10485760"), ("dp", "*.dp0"),
    ])
    return result


def request_license_info(fw: "Firewall", node: ET.Element) -> Reply:
    """The licences installed, in the entry shape pan-os-python parses (feature, description,
    serial, issued, expires, expired, authcode); an unlicensed firewall lists none."""
    result = _result()
    licenses = ET.SubElement(result, "licenses")
    licence = fw.licensing.licence
    if licence is not None:
        issued = _licence_date(licence.issued)
        _fields(ET.SubElement(licenses, "entry"), [
            ("feature", "PA-VM"), ("description", f"Standard {licence.model}"), ("serial", licence.serial),
            ("issued", issued), ("expires", "Never"), ("expired", "no"), ("authcode", licence.authcode)])
        _fields(ET.SubElement(licenses, "entry"), [
            ("feature", licensing.SUPPORT_LEVEL), ("description", licensing.SUPPORT_DESCRIPTION),
            ("serial", licence.serial), ("issued", issued), ("expires", _licence_date(licence.support_until)),
            ("expired", "yes" if licence.support_expired else "no"), ("authcode", licence.authcode)])
    return result


def _licence_date(epoch: float) -> str:
    """As PAN-OS writes licence dates: `December 31, 2023`."""
    return time.strftime("%B %d, %Y", time.localtime(epoch))


# The support portal's links in `request support check` (as Palo Alto's answer lists them).
SUPPORT_LINKS = (("Contact Us", "https://www.paloaltonetworks.com/company/contact-us.html"),
                 ("Support Home", "https://www.paloaltonetworks.com/support/tabs/overview.html"),
                 ("Manage Cases", "https://support.paloaltonetworks.com/pa-portal/index.php?option=com_pan&task=viewcases"
                                  "&Itemid=100"))


# A firewall whose management interface cannot reach Palo Alto's update server (every firewall of a
# lab started without --update-server, or one with the fault update-server-unreachable): PAN-OS's
# words for the software and support checks, which panos-upgrade-assurance matches exactly; for
# content, the 8.x wording with 10.x's "Unknown error" (an inference: no 10.x/11.x capture); for
# plugins and downloads, the lab's own words.
UNREACHABLE = {
    "software": "Failed to check upgrade info due to Unknown error. Please check network connectivity and try again.",
    "content": "Failed to check content upgrade info due to Unknown error. Please check network connectivity and try again.",
    "support": "Failed to check support info due to Unknown error. Please check network connectivity and try again.",
    "plugins": "Failed to check plugin info due to Unknown error. Please check network connectivity and try again.",
    "download": "Failed to download due to Unknown error. Please check network connectivity and try again.",
}


def _update_server(fw: "Firewall", what: str) -> None:
    if not fw.cloud.update_server or fw.cloud.faults.holds(fw.instance_id, "update-server-unreachable"):
        raise ApiError(None, UNREACHABLE[what])


def request_support_check(fw: "Firewall", node: ET.Element) -> Reply:
    """The update server's word on the device's support contract, in the SupportInfoResponse shape
    panos-upgrade-assurance parses (its docstring and test fixture): expiry and level for a device
    it knows, empty fields and "Device not found on this update server" for one it does not (an
    unlicensed VM-Series has no serial yet)."""
    _update_server(fw, "support")
    result = _result()
    answer = ET.SubElement(result, "SupportInfoResponse")
    links = ET.SubElement(answer, "Links")
    for title, url in SUPPORT_LINKS:
        _fields(ET.SubElement(links, "Link"), [("Title", title), ("Url", url)])
    support = ET.SubElement(answer, "Support")
    licence = fw.licensing.licence
    contact = ET.SubElement(support, "Contact")
    if licence is None:
        _fields(support, [("ExpiryDate", ""), ("SupportLevel", ""),
                          ("SupportDescription", "Device not found on this update server")])
        return result
    ET.SubElement(contact, "Contact").text = "Click the contact link at right."
    _fields(support, [("ExpiryDate", _licence_date(licence.support_until)), ("SupportLevel", licensing.SUPPORT_LEVEL),
                      ("SupportDescription", licensing.SUPPORT_DESCRIPTION)])
    return result


def _licensing(call: Callable[[], object]) -> object:
    try:
        return call()
    except licensing.LicenseError as error:
        raise ApiError(None, str(error)) from error


def request_license_fetch(fw: "Firewall", node: ET.Element) -> Reply:
    """`request license fetch auth-code <code>`: plain text on success, then the management
    services restart (Firewall.restart_services)."""
    code = _argument(node).strip('"')
    if not code:
        raise ApiError(17, " request -> license -> fetch -> auth-code  is incomplete", cdata=True)
    _licensing(lambda: fw.fetch_license(code))
    return PlainText(licensing.FETCH_INSTALLED, then=fw.restart_services)


def request_license_api_key_set(fw: "Firewall", node: ET.Element) -> Reply:
    key = _argument(node).strip('"')
    if not key:
        raise ApiError(17, " request -> license -> api-key -> set -> key  is incomplete", cdata=True)
    fw.licensing.api_key = key
    return _result(licensing.API_KEY_SET)


def request_license_api_key_show(fw: "Firewall", node: ET.Element) -> Reply:
    if not fw.licensing.api_key:
        raise ApiError(None, licensing.API_KEY_NOT_SET)
    return _result(f"API key: {fw.licensing.api_key}")


def request_license_api_key_delete(fw: "Firewall", node: ET.Element) -> Reply:
    fw.licensing.api_key = None
    return _result("API Key is successfully deleted")


def request_license_deactivate_capacity(fw: "Firewall", node: ET.Element) -> Reply:
    """`request license deactivate VM-Capacity mode auto`; `manual` (a token file to upload to the
    portal by hand) is not played by the lab."""
    mode = _argument(node)
    if mode != "auto":
        raise ApiError(None, f"The lab deactivates in mode auto only (got {mode or 'no mode'})")
    return _result(str(_licensing(fw.deactivate_license)))


def show_config_locks(fw: "Firewall", node: ET.Element) -> Reply:
    result = _result()
    ET.SubElement(result, "config-locks")
    return result


def show_commit_locks(fw: "Firewall", node: ET.Element) -> Reply:
    """No commit locks: the lab takes none, and nobody else logs in."""
    result = _result()
    ET.SubElement(result, "commit-locks")
    return result


def show_clock_more(fw: "Firewall", node: ET.Element) -> Reply:
    """The dataplane's clock, one member line (a single-dataplane VM-Series), as `show clock` writes it:
    the lab's dataplane keeps the management plane's time."""
    result = _result()
    ET.SubElement(result, "member").text = "dataplane time: " + show_clock(fw, node).text
    return result


def show_session_meter(fw: "Firewall", node: ET.Element) -> Reply:
    """Per-vsys session use (vsys as its number; maximum 0: no per-vsys limit); no traffic, no sessions."""
    result = _result()
    _fields(ET.SubElement(result, "entry"), [("current", "0"), ("vsys", "1"), ("maximum", "0"), ("throttled", "0")])
    return result


def show_ntp(fw: "Firewall", node: ET.Element) -> Reply:
    """Synchronized to the first NTP server the running configuration names (the lab's servers are
    always reachable, an assumption); `synched LOCAL` alone when it names none, as PAN-OS answers."""
    system = fw.config.running_nodes(cfg.DEVICE_XPATH + "/deviceconfig/system/ntp-servers")
    servers = [] if not system else [
        address for address in (system[0].findtext(f"{which}-ntp-server/ntp-server-address")
                                for which in ("primary", "secondary")) if address]
    result = _result()
    for number, address in enumerate(servers, start=1):
        _fields(ET.SubElement(result, f"ntp-server-{number}"), [
            ("status", "synched" if number == 1 else "available"), ("authentication-type", "none"),
            ("reachable", "yes"), ("name", address)])
    ET.SubElement(result, "synched").text = servers[0] if servers else "LOCAL"
    return result


def show_panorama_status(fw: "Firewall", node: ET.Element) -> Reply:
    """Empty without a Panorama in the configuration; with one, each server not connected (the lab
    plays no Panorama), in the 11.x layout (no blank line between servers)."""
    panorama = fw.config.running_nodes(cfg.DEVICE_XPATH + "/deviceconfig/system/panorama/local-panorama")
    servers = [] if not panorama else [
        server for server in (panorama[0].findtext(tag) for tag in ("panorama-server", "panorama-server-2")) if server]
    lines = []
    for number, server in enumerate(servers, start=1):
        lines += [f"Panorama Server {number} : {server}", "    Connected     : no", "    HA state      : disconnected"]
    return _result("\n".join(lines) + "\n" if lines else None)


def show_jumbo_frame(fw: "Firewall", node: ET.Element) -> Reply:
    """Bare `on` or `off` (the lab's firewalls keep the default, off)."""
    return _result("off")


def _state_entries(fw: "Firewall") -> Dict[str, str]:
    """The `show system state` keys the lab knows, each in PAN-OS's pseudo-dict notation."""
    interfaces = " ".join(f"'{i.name}': {{ 'hwaddr': {i.mac}, 'mtu': 1500, }}," for i in _ethernets(fw))
    return {
        "sys.monitor.s0.mp.exports": "{ 'cpu': { '1minavg': 2, }, 'slot': 0, }",
        "sw.dev.interface.config": f"{{ {interfaces} 'loopback': {{ }}, 'tunnel': {{ }}, 'vlan': {{ }}, }}",
    }


def show_system_state(fw: "Firewall", node: ET.Element) -> Reply:
    """`show system state filter <key>` (`*` matches within the key): `key: value` lines in CDATA,
    or PAN-OS's `'<filter>': NO_MATCHES`."""
    wanted = (node.findtext("filter") or "").strip()
    if not wanted:
        raise ApiError(17, " show -> system -> state -> filter needs to have non NULL value", cdata=True)
    pattern = re.compile("^" + re.escape(wanted).replace("\\*", "[^.]*") + "$")
    found = [f"{key}: {value}" for key, value in _state_entries(fw).items() if pattern.match(key)]
    return _result(cdata(" " + ("\n".join(found) if found else f"'{wanted}': NO_MATCHES") + " "))


# The dataplane cores of the lab's VM-Series (an assumption: the count depends on the instance's vCPUs).
DATAPLANE_CORES = 2
_WINDOWS = {"second": 60, "minute": 60, "hour": 24, "day": 7, "week": 13}


def show_resource_monitor(fw: "Firewall", node: ET.Element) -> Reply:
    """`show running resource-monitor [second|minute|hour|day|week] [last N]`: dp0's per-core load
    (newest first, comma-separated), its maxima and its resource use; the lab's dataplane idles."""
    window = next((child for child in node if child.tag in _WINDOWS), None)
    span = window.tag if window is not None else "second"
    last = (window.findtext("last") or "").strip() if window is not None else ""
    count = int(last) if last.isdigit() and 0 < int(last) <= _WINDOWS[span] else _WINDOWS[span]
    series = ",".join(["1"] * count)
    result = _result()
    processor = ET.SubElement(ET.SubElement(ET.SubElement(ET.SubElement(result, "resource-monitor"),
                                                          "data-processors"), "dp0"), span)
    for section in ("cpu-load-average", "cpu-load-maximum"):
        holder = ET.SubElement(processor, section)
        for core in range(DATAPLANE_CORES):
            _fields(ET.SubElement(holder, "entry"), [("coreid", str(core)), ("value", series)])
    usage = ET.SubElement(processor, "resource-utilization")
    suffix = "" if span == "second" else " (average)"
    for name in ("session", "packet buffer", "packet descriptor", "packet descriptor (on-chip)"):
        _fields(ET.SubElement(usage, "entry"), [("name", name + suffix), ("value", ",".join(["0"] * count))])
    return result


def show_system_resources(fw: "Firewall", node: ET.Element) -> Reply:
    """`top` once, in the procps layout of PAN-OS 10.x/11.x (`MiB Mem :`); the figures are the
    lab's (16 GiB, a VM-300's memory), the processes a few of PAN-OS's own."""
    uptime = int(time.time() - (fw.booted_at or time.time()))
    clock = time.strftime("%H:%M:%S")
    text = "\n".join([
        f"top - {clock} up {uptime // 3600:2d}:{uptime % 3600 // 60:02d},  0 users,  load average: 0.30, 0.25, 0.20",
        "Tasks: 312 total,   1 running, 311 sleeping,   0 stopped,   0 zombie",
        "%Cpu(s):  2.1 us,  1.0 sy,  0.0 ni, 96.7 id,  0.1 wa,  0.0 hi,  0.1 si,  0.0 st",
        "MiB Mem :  16012.3 total,   6120.4 free,   7480.2 used,   2411.7 buff/cache",
        "MiB Swap:      0.0 total,      0.0 free,      0.0 used.   8215.6 avail Mem",
        "",
        "  PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND",
        " 4021 root      20   0 1021448 312876  61220 S   1.3   1.9   2:11.40 mgmtsrvr",
        " 3876 root      20   0  530112 120044  38112 S   0.7   0.7   0:48.02 devsrvr",
        ""])
    return _result(cdata(text))


def show_routing_fib(fw: "Firewall", node: ET.Element) -> Reply:
    """`show routing fib`: per virtual router one fibs entry per address family, IPv4 (type 0) with
    the RIB's active routes (nh_type 0 via a gateway, 3 connected; flags ug/u/uh) and IPv6 (type 1,
    empty: the collection configures no IPv6), as panos-upgrade-assurance's test fixture of a
    one-router firewall has them (dp, total, and the entries' fields in its order). The table ids
    count from 2 as the fixture's do; what PAN-OS numbers them by is not published (assumption)."""
    return _fib(fw, _legacy_routing_config(fw))


def show_advanced_routing_fib(fw: "Firewall", node: ET.Element) -> Reply:
    """`show advanced-routing fib [logical-router <name>]`: the shape of `show routing fib` with
    the logical routers in `vr` (panos-upgrade-assurance: "API returns the complete same structure
    with the `show routing fib` command")."""
    return _fib(fw, _advanced_routing_config(fw, node, ("show", "advanced-routing", "fib")))


def _fib(fw: "Firewall", config: Dict) -> Reply:
    by_router: Dict[str, List[Tuple[str, str, str, str, str, str]]] = {router: [] for router in config["routers"]}
    for route in _rib(fw, config):
        if "A" in route[4]:
            by_router.setdefault(route[0], []).append(route)
    result = _result()
    _fields(result, [("dp", "dp0"), ("total", str(sum(len(routes) for routes in by_router.values())))])
    fibs = ET.SubElement(result, "fibs")
    table_id = 2
    for router, routes in by_router.items():
        for family, family_routes in (("0", routes), ("1", [])):
            fib = ET.SubElement(fibs, "entry")
            _fields(fib, [("id", str(table_id)), ("vr", router), ("max", "32768"), ("type", family), ("ecmp", "0")])
            table_id += 1
            holder = ET.SubElement(fib, "entries")
            for index, (_, destination, nexthop, _, flags, interface) in enumerate(family_routes, start=1):
                connected = "C" in flags or "H" in flags
                _fields(ET.SubElement(holder, "entry"), [
                    ("id", str(index)), ("dst", destination), ("interface", interface),
                    ("nh_type", "3" if connected else "0"),
                    ("flags", "uh" if "H" in flags else ("u" if connected else "ug")),
                    ("nexthop", "0.0.0.0" if connected else nexthop), ("mtu", "1500")])
            _fields(fib, [("nentries", str(len(family_routes)))])
    return result


def show_advanced_routing_route(fw: "Firewall", node: ET.Element) -> Reply:
    """`show advanced-routing route [logical-router <name>]`: JSON in `<json>`, by logical router,
    then prefix, a list of routes each (panos-upgrade-assurance's parser and fixture: the keys of
    a static route and its nexthop; its example snapshot: a `local` /32 with a directly connected
    nexthop). Connected subnets as `connected` and an inactive static route's keys follow FRR's
    `show ip route json`, whose keys these are (assumption: no PAN-OS capture has either)."""
    config = _advanced_routing_config(fw, node, ("show", "advanced-routing", "route"))
    present = {iface.name: 15 + iface.device_index for iface in _ethernets(fw)}
    uptime = fw.uptime_seconds()
    clock = f"{uptime // 3600:02d}:{uptime % 3600 // 60:02d}:{uptime % 60:02d}"
    table: Dict[str, Dict[str, List[Dict[str, object]]]] = {router: {} for router in config["routers"]}
    group = 0

    def add(router: str, prefix: str, protocol: str, distance: int, metric: int, nexthop: Dict[str, object],
            active: bool) -> None:
        nonlocal group
        group += 1
        route: Dict[str, object] = {"prefix": prefix, "protocol": protocol, "vrfId": 0, "vrfName": "default"}
        if active:
            route.update({"selected": True, "destSelected": True})
        route.update({"distance": distance, "metric": metric})
        if active:
            route["installed"] = True
        route.update({"table": 254, "internalStatus": 16 if active else 0,
                      "internalFlags": 73 if protocol == "static" else 8,
                      "internalNextHopNum": 1, "internalNextHopActiveNum": 1 if active else 0})
        if active:
            route["installedNexthopGroupId"] = group
        route.update({"uptime": clock, "nexthops": [nexthop]})
        table[router].setdefault(prefix, []).append(route)

    for router, routing in config["routers"].items():
        for static in routing.findall("routing-table/ip/static-route/entry"):
            interface = static.findtext("interface") or ""
            active = not interface or interface in present
            hop: Dict[str, object] = {"flags": "A ", "fib": True} if active else {"flags": ""}
            if static.findtext("nexthop/ip-address"):
                hop.update({"ip": static.findtext("nexthop/ip-address"), "afi": "ipv4"})
            elif static.findtext("nexthop/next-lr"):
                hop.update({"directlyConnected": True, "interfaceName": static.findtext("nexthop/next-lr")})
            else:
                hop["blackhole"] = True
            if interface:
                hop.update({"interfaceIndex": present.get(interface, 0), "interfaceName": interface})
            if active:
                hop.update({"active": True, "weight": 1})
            add(router, static.findtext("destination") or "", "static",
                int(static.findtext("admin-dist") or 10), int(static.findtext("metric") or 10), hop, active)
    for router, destination, _, flags, interface in _connected_routes(fw, config):
        if "H" in flags:
            continue  # the host route is the interface's own address, below
        address = _interface_address(fw, next(i for i in _ethernets(fw) if i.name == interface),
                                     config["interfaces"].get(interface))
        hop = {"flags": "A ", "fib": True, "directlyConnected": True, "interfaceIndex": present[interface],
               "interfaceName": interface, "active": True}
        add(router, destination, "connected", 0, 0, dict(hop), True)
        add(router, address.split("/")[0] + "/32", "local", 0, 0, dict(hop), True)
    result = _result()
    ET.SubElement(result, "json").text = json.dumps(table)
    return result


def show_bgp_peers(fw: "Firewall", node: ET.Element) -> Reply:
    """No BGP peers: the collection configures none (an empty result, as PAN-OS gives for none)."""
    return _result()


def show_tunnel_flows(fw: "Firewall", node: ET.Element) -> Reply:
    """`show running tunnel flow all` with no tunnel, in the order of panos-upgrade-assurance's
    fixture of a firewall without one: the dataplane, the tunnel counts, each tunnel kind empty,
    the total."""
    result = _result()
    _fields(result, [("dp", "dp0"), ("num_ipsec", "0"), ("num_sslvpn", "0")])
    for kind in ("hop", "IPSec", "SSL-VPN", "GlobalProtect-Gateway", "GlobalProtect-site-to-site"):
        ET.SubElement(result, kind)
    _fields(result, [("total", "0")])
    return result


# ---- interfaces -------------------------------------------------------------------------------
def _interface_address(fw: "Firewall", iface: object, entry: Optional[ET.Element]) -> str:
    if entry is None:
        return "N/A"
    static = entry.find("layer3/ip/entry")
    if static is not None:
        return static.get("name") or "N/A"
    if entry.find("layer3/dhcp-client") is not None:
        return f"{iface.private_ip}/{iface.prefix_length}"  # type: ignore[attr-defined]
    return "N/A"


def _forwarding(entry: Optional[ET.Element], address: str, config: Dict, name: str) -> str:
    if entry is not None and entry.find("ha") is not None:
        return "ha"
    router = next((vr for vr, router_config in config["routers"].items()
                   if any(m.text == name for m in router_config.iter("member"))), None)
    return f"{config['kind']}:{router}" if router and address != "N/A" else "N/A"


def _ethernets(fw: "Firewall"):
    return [i for i in fw.interfaces() if i.name.startswith("ethernet")]


def _hw_entry(parent: ET.Element, name: str, ident: int, kind: str, mac: str, virtual: bool) -> None:
    """A hw entry in the 7.0-8.1 child order; ENIs report no speed or duplex (`ukn`), as a cloud NIC does."""
    entry = ET.SubElement(parent, "entry")
    speed = "[n/a]" if virtual else "ukn"
    _fields(entry, [("name", name), ("duplex", speed), ("type", kind), ("state", "up"),
                    ("st", f"{speed}/{speed}/up"), ("mac", mac), ("mode", "(unknown)" if virtual else "(autoneg)"),
                    ("speed", speed), ("id", str(ident))])


def show_interface_all(fw: "Firewall", node: ET.Element) -> Reply:
    """ifnet then hw, ethernet1/N at id 15+N, then the logical vlan/loopback/tunnel interfaces."""
    config = _routing_config(fw)
    result = _result()
    ifnet, hw = ET.SubElement(result, "ifnet"), ET.SubElement(result, "hw")
    for iface in _ethernets(fw):
        entry = config["interfaces"].get(iface.name)
        address = _interface_address(fw, iface, entry)
        ident = 15 + iface.device_index
        _fields(ET.SubElement(ifnet, "entry"), [
            ("name", iface.name), ("zone", config["zones"].get(iface.name, "")),
            ("fwd", _forwarding(entry, address, config, iface.name)), ("vsys", "1"), ("dyn-addr", ""),
            ("addr6", ""), ("tag", "0"), ("ip", address), ("id", str(ident)), ("addr", "")])
        _hw_entry(hw, iface.name, ident, "0", iface.mac, virtual=False)
    for name, ident, kind in LOGICAL_INTERFACES:
        _fields(ET.SubElement(ifnet, "entry"), [
            ("name", name), ("zone", ""), ("fwd", "N/A"), ("vsys", "1"), ("dyn-addr", ""), ("addr6", ""),
            ("tag", "0"), ("ip", "N/A"), ("id", str(ident)), ("addr", "")])
    for name, ident, kind in LOGICAL_INTERFACES:
        _hw_entry(hw, name, ident, str(kind), mac_at(ident), virtual=True)
    return result


def show_interface_hardware(fw: "Firewall", node: ET.Element) -> Reply:
    """The hw entries alone, in the newer child order of the 10.x capture."""
    result = _result()
    hw = ET.SubElement(result, "hw")
    for iface in _ethernets(fw):
        _fields(ET.SubElement(hw, "entry"), [
            ("name", iface.name), ("id", str(15 + iface.device_index)), ("type", "0"), ("mac", iface.mac),
            ("speed", "ukn"), ("duplex", "ukn"), ("state", "up"), ("mode", "(autoneg)"), ("st", "ukn/ukn/up")])
    return result


_IFNET_COUNTERS = ("ibytes", "obytes", "ipackets", "opackets", "ierrors", "idrops", "flowstate", "ifwderrors",
                   "noroute", "noarp", "noneigh", "neighpend", "nomac", "zonechange", "land", "pod", "teardrop",
                   "ipspoof", "macspoof", "icmp_frag", "l2_encap", "l2_decap", "tcp_conn", "udp_conn", "sctp_conn",
                   "other_conn")
_PORT_COUNTERS = ("tx-unicast", "tx-multicast", "rx-broadcast", "rx-unicast", "rx-multicast", "rx-bytes",
                  "tx-broadcast", "tx-bytes")


def _show_logical_interface(name: str, ident: int, kind: int) -> ET.Element:
    """`show interface vlan|loopback|tunnel`: the parent logical interface, up, with no address,
    zone N/A, its counters, and a hw block of its own (type 3/5/6, speed and duplex [n/a]) - the
    shape of napalm-panos's fixtures of these three."""
    result = _result()
    ifnet = ET.SubElement(result, "ifnet")
    _fields(ifnet, [("dad", "False"), ("mssadjv4", "0"), ("addr", ""), ("service", ""), ("tunnel", ""),
                    ("vsys", "vsys1"), ("dyn-addr", "")])
    counters = ET.SubElement(ET.SubElement(ET.SubElement(ifnet, "counters"), "ifnet"), "entry")
    _fields(counters, [(c, "0") for c in _IFNET_COUNTERS] + [("name", name)])
    _fields(ifnet, [("addr6", ""), ("ra", "False"), ("tcpmss", "False"), ("tag", "0"), ("mode", "layer3"),
                    ("mssadjv6", "0"), ("ndpmon", "False"), ("zone", "N/A"), ("id", str(ident)),
                    ("mgt_subnet", "False"), ("name", name)])
    hw = ET.SubElement(result, "hw")
    _fields(hw, [("name", name), ("duplex", "[n/a]"), ("type", str(kind)), ("state_c", "auto"),
                 ("mac", mac_at(ident)), ("state", "up"), ("duplex_c", "auto"), ("mode", "layer3"),
                 ("speed_c", "auto"), ("speed", "[n/a]"), ("id", str(ident)), ("untag", "False"), ("counters", "")])
    ET.SubElement(result, "dp").text = "dp0"
    return result


def show_interface(fw: "Firewall", node: ET.Element) -> Reply:
    """`show interface <name>`: dp, ifnet (with its counters), hw. An unknown name is not an API
    error: PAN-OS answers success with an <error> line."""
    if len(node):
        # `show interface all` sent unquoted through a CLI-to-XML converter: PAN-OS wants the name as text.
        raise ApiError(17, f" show -> interface -> {node[0].tag} needs to have non NULL value", cdata=True)
    which = _argument(node)
    if which == "all":
        return show_interface_all(fw, node)
    logical = next((entry for entry in LOGICAL_INTERFACES if entry[0] == which), None)
    if logical is not None:
        return _show_logical_interface(*logical)
    if which == "hardware":
        return show_interface_hardware(fw, node)
    result = _result()
    ET.SubElement(result, "dp").text = "dp0"
    iface = next((i for i in _ethernets(fw) if i.name == which), None)
    if iface is None:
        ET.SubElement(result, "error").text = f"Interface '{which}' not found"
        return result
    config = _routing_config(fw)
    entry = config["interfaces"].get(iface.name)
    address = _interface_address(fw, iface, entry)
    mode = "ha" if entry is not None and entry.find("ha") is not None else (
        "layer3" if entry is not None and entry.find("layer3") is not None else "none")
    forwarding = _forwarding(entry, address, config, iface.name)
    ident = str(15 + iface.device_index)
    ifnet = ET.SubElement(result, "ifnet")
    _fields(ifnet, [("name", iface.name), ("id", ident), ("tag", "0"), ("mode", mode),
                    ("fwd_type", forwarding.split(":")[0] if forwarding != "N/A" else "none"),
                    ("vr", forwarding.split(":", 1)[1] if forwarding.startswith("vr:") else ""),
                    ("mtu", "1500"), ("df_ignore", "False")])
    addr = ET.SubElement(ifnet, "addr")
    if address != "N/A":
        ET.SubElement(addr, "member").text = address
    _fields(ifnet, [("dyn-addr", ""), ("addr6", ""), ("ndpmon", "False"), ("dad", "False"),
                    ("ipv6_client", "False"), ("ra", "False"), ("dhcpv6_client", "False"), ("inherited", "False"),
                    ("service", ""), ("mgt_subnet", "False"), ("vsys", "vsys1"),
                    ("zone", config["zones"].get(iface.name, "N/A")), ("tcpmss", "False"), ("mssadjv4", "0"),
                    ("mssadjv6", "0"), ("policing", "False"), ("circuitonly", "False"), ("tunnel", ""),
                    ("sdwan", "False"), ("proxy-protocol", "no"), ("gre", "False")])
    counters = ET.SubElement(ifnet, "counters")
    hw_counters = ET.SubElement(ET.SubElement(counters, "hw"), "entry")
    _fields(hw_counters, [("name", iface.name)] + [(c, "0") for c in ("ibytes", "obytes", "ipackets", "opackets",
                                                                      "ierrors", "idrops")])
    _fields(ET.SubElement(hw_counters, "port"), [(c, "0") for c in _PORT_COUNTERS])
    _fields(ET.SubElement(ET.SubElement(counters, "ifnet"), "entry"), [("name", iface.name)] + [(c, "0") for c in _IFNET_COUNTERS])
    _fields(ET.SubElement(result, "hw"), [
        ("name", iface.name), ("id", ident), ("type", "0"), ("mac", iface.mac), ("speed", "ukn"),
        ("duplex", "ukn"), ("state", "up"), ("mode", mode), ("state_c", "auto"), ("duplex_c", "auto"),
        ("speed_c", "auto"), ("untag", "False")])
    return result


# ---- routing and ARP --------------------------------------------------------------------------
def _routing_config(fw: "Firewall") -> Dict:
    """The running dataplane configuration as the routing engine the firewall booted with reads it.
    `routers` holds the legacy engine's virtual routers or, on the advanced engine, each logical
    router with its VRFs' interfaces and static routes; the other engine's routers route nothing.
    `kind` is PAN-OS's prefix of a forwarding domain in `show interface` (vr or lr)."""
    config = fw.config.dataplane_config()
    if fw.advanced_routing:
        routers = {}
        for name, logical_router in config["logical_routers"].items():
            merged = ET.Element("entry", {"name": name})
            for vrf in logical_router.findall("vrf/entry"):
                merged.extend(copy.deepcopy(child) for child in vrf)
            routers[name] = merged
        config["routers"] = routers
    config["kind"] = "lr" if fw.advanced_routing else "vr"
    return config


def _legacy_routing_config(fw: "Firewall") -> Dict:
    """What the legacy `show routing` commands read: on the advanced engine, no router (their
    answers are empty; assumption, lab/README.md "Routing engines")."""
    config = _routing_config(fw)
    if fw.advanced_routing:
        config["routers"] = {}
    return config


def _advanced_routing_config(fw: "Firewall", node: ET.Element, path: Tuple[str, ...]) -> Dict:
    """What `show advanced-routing` reads, with its optional `logical-router` filter; on the legacy
    engine the command is refused as one PAN-OS does not know (assumption, lab/README.md)."""
    if not fw.advanced_routing:
        raise unexpected(path)
    config = _routing_config(fw)
    wanted = node.findtext("logical-router")
    if wanted is not None:
        config["routers"] = {name: router for name, router in config["routers"].items() if name == wanted.strip()}
    return config


def _connected_routes(fw: "Firewall", config: Dict) -> List[Tuple[str, str, str, str, str]]:
    """(virtual router, destination, nexthop, flags, interface) of the interfaces' own subnets."""
    routes = []
    for iface in _ethernets(fw):
        entry = config["interfaces"].get(iface.name)
        address = _interface_address(fw, iface, entry)
        forwarding = _forwarding(entry, address, config, iface.name)
        if address == "N/A" or not forwarding.startswith(config["kind"] + ":"):
            continue
        router = forwarding[3:]
        network = ipaddress.ip_interface(address).network
        routes.append((router, str(network), "0.0.0.0", "A C   ", iface.name))
        routes.append((router, address.split("/")[0] + "/32", "0.0.0.0", "A H   ", ""))
    return routes


def _rib(fw: "Firewall", config: Dict, router_wanted: Optional[str] = None) -> List[Tuple[str, str, str, str, str, str]]:
    """(virtual router, destination, nexthop, metric, flags, interface) of every route: static
    routes from the running config, connected and host routes of the interfaces that have an address."""
    rows = []
    present = {iface.name for iface in _ethernets(fw)}
    for router, vr in config["routers"].items():
        if router_wanted is not None and router != router_wanted:
            continue
        for route in vr.findall("routing-table/ip/static-route/entry"):
            nexthop = (route.findtext("nexthop/ip-address") or route.findtext("nexthop/next-vr")
                       or route.findtext("nexthop/next-lr") or "discard")
            metric = route.findtext("metric") or "10"
            interface = route.findtext("interface") or ""
            # A route out of an interface the firewall does not have (the passive of an interface-move
            # pair: its dataplane ENIs are on the active) is listed but not active (an assumption:
            # PAN-OS installs a static route only while its egress interface is up).
            flags = "A S   " if not interface or interface in present else "  S   "
            rows.append((router, route.findtext("destination") or "", nexthop, metric, flags, interface))
    return rows + [(router, destination, nexthop, "0", flags, interface)
                   for router, destination, nexthop, flags, interface in _connected_routes(fw, config)
                   if router_wanted is None or router == router_wanted]


def show_routing_route(fw: "Firewall", node: ET.Element) -> Reply:
    """The RIB of every virtual router (or the one asked for)."""
    config = _legacy_routing_config(fw)
    wanted = node.find("virtual-router")
    if wanted is not None and (wanted.text or "").strip() not in config["routers"]:
        # PAN-OS's answer to a virtual router it does not have (an empty name included).
        raise ApiError(17, f" {(wanted.text or '').strip()} is invalid virtual-router.Current target-vsys is none",
                       cdata=True, more=(" show -> routing -> route -> virtual-router is invalid",))
    result = _result()
    ET.SubElement(result, "flags").text = ROUTE_FLAGS
    for router, destination, nexthop, metric, flags, interface in _rib(
            fw, config, wanted.text.strip() if wanted is not None else None):
        _fields(ET.SubElement(result, "entry"), [
            ("virtual-router", router), ("destination", destination), ("nexthop", nexthop), ("metric", metric),
            ("flags", flags), ("age", ""), ("interface", interface), ("route-table", "unicast")])
    return result


def show_arp(fw: "Firewall", node: ET.Element) -> Reply:
    """`show arp entry name='all'`: the VPC router of each dataplane subnet, the one neighbour a
    firewall on AWS talks to (AWS answers ARP for every address with its own MAC)."""
    result = _result()
    config = _routing_config(fw)
    entries = []
    for iface in _ethernets(fw):
        address = _interface_address(fw, iface, config["interfaces"].get(iface.name))
        if address == "N/A":
            continue
        gateway = ipaddress.ip_interface(address).network.network_address + 1
        entries.append((str(gateway), iface.name))
    _fields(result, [("max", "2500"), ("total", str(len(entries))), ("timeout", "1800"), ("dp", "dp0")])
    holder = ET.SubElement(result, "entries")
    for ip, name in entries:
        _fields(ET.SubElement(holder, "entry"), [
            ("status", "  c  "), ("ip", ip), ("mac", "02:00:5e:00:00:01"), ("ttl", "1770"), ("interface", name),
            ("port", name)])
    return result


# ---- jobs ---------------------------------------------------------------------------------------
def show_jobs_all(fw: "Firewall", node: ET.Element) -> Reply:
    result = _result()
    for job in fw.jobs.all():
        result.append(fw.jobs.xml(job))
    return result


def show_jobs_pending(fw: "Firewall", node: ET.Element) -> Reply:
    result = _result()
    for job in fw.jobs.all():
        if job.status != "FIN":
            result.append(fw.jobs.xml(job))
    return result


def show_jobs_id(fw: "Firewall", node: ET.Element) -> Reply:
    argument = _argument(node)
    job = fw.jobs.get(int(argument)) if argument.isdigit() else None
    if job is None:
        raise ApiError(17, f"job {argument} not found", cdata=True)
    result = _result()
    result.append(fw.jobs.xml(job))
    return result


# ---- configuration ------------------------------------------------------------------------------
def check_pending_changes(fw: "Firewall", node: ET.Element) -> Reply:
    return _result("yes" if fw.config.pending_changes() else "no")


def check_full_commit_required(fw: "Firewall", node: ET.Element) -> Reply:
    # The lab commits partially like PAN-OS would only after a full commit since boot; AutoCom is one.
    return _result("no" if fw.jobs.get(1) is not None and fw.jobs.get(1).result == "OK" else "yes")


def show_config_running(fw: "Firewall", node: ET.Element) -> Reply:
    result = _result()
    result.append(fw.running_config())
    return result


def show_config_candidate(fw: "Firewall", node: ET.Element) -> Reply:
    result = _result()
    result.append(fw.config.candidate_config())
    return result


def job_enqueued(kind: str, job_id: int, advice: str = "") -> Coded:
    """`<kind> job enqueued with jobid N`, code 19: how PAN-OS answers a commit, validate, download or install."""
    result = _result()
    msg = ET.SubElement(result, "msg")
    ET.SubElement(msg, "line").text = f"{kind} job enqueued with jobid {job_id}{advice}"
    ET.SubElement(result, "job").text = str(job_id)
    return Coded(result, 19)


def validate_full(fw: "Firewall", node: ET.Element) -> Reply:
    return job_enqueued("Validate", fw.jobs.validate())


def set_mgmt_interface_swap(fw: "Firewall", node: ET.Element) -> Reply:
    fw.set_mgmt_interface_swap(_argument(node) == "yes")
    return _result("Reboot the firewall for the change to take effect.")


def show_mgmt_interface_swap(fw: "Firewall", node: ET.Element) -> Reply:
    return _result("Mgmt interface swap: " + ("enabled" if fw.mgmt_interface_swap else "disabled"))


# ---- high availability --------------------------------------------------------------------------
def _ha_enabled(fw: "Firewall") -> None:
    if fw.ha is None or not fw.ha.enabled:
        raise ApiError(17, "HA is not enabled", cdata=True)


def show_ha(fw: "Firewall", node: ET.Element) -> Reply:
    if fw.ha is None:
        return disabled_ha()
    return fw.ha.state_xml()


def disabled_ha() -> ET.Element:
    """HA off, as both independent PA-VM captures show it."""
    result = _result()
    ET.SubElement(result, "enabled").text = "no"
    local = ET.SubElement(ET.SubElement(result, "group"), "local-info")
    ET.SubElement(local, "ha1-encrypt-imported").text = "no"
    return result


def show_aws_ha_state(fw: "Firewall", node: ET.Element) -> Reply:
    """`show plugins vm_series aws ha state`, which Palo Alto names to verify failover readiness
    of a secondary-IP pair. Its output is not published: these lines are the lab's own."""
    method = fw.ha.method() if fw.ha is not None else "interface_move"
    state = fw.ha.local_state if fw.ha is not None and fw.ha.enabled else "disabled"
    move = fw.ha.move if fw.ha is not None else {"status": "none", "error": ""}
    lines = [f"HA mode: {method.replace('_', '-')}", f"HA state: {state}",
             f"Last dataplane move: {move.get('status', 'none')}"]
    if move.get("error"):
        lines.append(f"Last error: {move['error']}")
    return _result("\n".join(lines))


def show_aws_ha_ips(fw: "Firewall", node: ET.Element) -> Reply:
    """`show plugins vm_series aws ha ips` ("To show secondary IP mapping", Palo Alto): the
    secondary IPs on this firewall's dataplane ENIs, one line each. Output not published; the
    lab's own lines."""
    lines = []
    backend = fw.cloud.ec2_backend()
    for interface in fw.interfaces():
        if not interface.name.startswith("ethernet") or interface.device_index < 2:
            continue
        eni = backend.get_network_interface(interface.eni_id)
        for entry in eni.private_ip_addresses:
            if not entry.get("Primary"):
                public = (entry.get("Association") or {}).get("PublicIp", "-")
                lines.append(f"{interface.name} {interface.eni_id} {entry['PrivateIpAddress']} {public}")
    return _result("\n".join(lines) if lines else "No secondary IPs on the dataplane interfaces")


def request_ha_suspend(fw: "Firewall", node: ET.Element) -> Reply:
    _ha_enabled(fw)
    fw.ha.suspend()
    return _result("Successfully changed HA state to suspended")


def request_ha_functional(fw: "Firewall", node: ET.Element) -> Reply:
    _ha_enabled(fw)
    fw.ha.functional()
    return _result("Successfully changed HA state to functional")


def request_ha_sync_running(fw: "Firewall", node: ET.Element) -> Reply:
    _ha_enabled(fw)
    return Message((fw.ha.sync_to_remote(),))


# ---- software and content ------------------------------------------------------------------
def _software_list(fw: "Firewall", releases: List["software.Release"]) -> ET.Element:
    """`request system software check|info`: result/sw-updates/versions/entry, the fields
    pan-os-python's SoftwareUpdater reads (version, downloaded, current, latest, uploaded)."""
    result = _result()
    updates = ET.SubElement(result, "sw-updates", {"last-updated-at": time.strftime("%Y/%m/%d %H:%M:%S")})
    ET.SubElement(updates, "msg")
    versions = ET.SubElement(updates, "versions")
    latest = max((r.version for r in releases), key=software.version_key, default="")
    for release in releases:
        entry = ET.SubElement(versions, "entry")
        _fields(entry, [
            ("version", release.version), ("filename", f"PanOS_vm-{release.version}"), ("size", str(release.size_mb)),
            ("size-kb", str(release.size_mb * 1024)), ("released-on", release.released_on),
            ("release-notes", cdata(f"https://www.paloaltonetworks.com/documentation/{release.version}")),
            ("downloaded", "yes" if release.version in fw.software.downloaded else "no"),
            ("current", "yes" if release.version == fw.software.running else "no"),
            ("latest", "yes" if release.version == latest else "no"), ("uploaded", "no"),
        ])
    return result


def request_software_check(fw: "Firewall", node: ET.Element) -> Reply:
    _update_server(fw, "software")
    return _software_list(fw, fw.software.check())


def request_software_info(fw: "Firewall", node: ET.Element) -> Reply:
    return _software_list(fw, fw.software.listed())


def _version_argument(node: ET.Element) -> str:
    version = (node.findtext("version") or "").strip()
    if not version:
        raise ApiError(17, " " + node.tag + " -> version  is missing", cdata=True)
    return version


def request_software_download(fw: "Firewall", node: ET.Element) -> Reply:
    _update_server(fw, "download")
    version = _version_argument(node)
    fw.software.refuse_download(version)
    job_id = fw.download_software(version)
    if (node.findtext("sync-to-peer") or "").strip() == "yes" and fw.ha is not None:
        fw.ha.ask_peer_to_download(version)
    return job_enqueued("Download", job_id)


def request_software_install(fw: "Firewall", node: ET.Element) -> Reply:
    version = _version_argument(node)
    fw.software.refuse_install(version)
    job_id = fw.install_software(version)
    return job_enqueued("Software install", job_id, f". Run 'show jobs id {job_id}' to monitor its status. Please "
                                                    "reboot the device after the installation is done.")


def show_plugins_packages(fw: "Firewall", node: ET.Element) -> Reply:
    """result/plugins/entry with name, version, release-date (`Built-in` for the plugin the running
    PAN-OS ships), release-note-url (CDATA), pkg-file, size, platform, installed, downloaded: the
    shape of pan-os-python's and pango's test fixtures."""
    result = _result()
    plugins = ET.SubElement(result, "plugins")
    sw = fw.software
    for version in sw.plugins_listed():
        entry = ET.SubElement(plugins, "entry")
        _fields(entry, [("name", software.PLUGIN), ("version", version),
                        ("release-date", "Built-in" if version == sw.builtin_plugin else "")])
        ET.SubElement(entry, "release-note-url").text = cdata("")
        _fields(entry, [("pkg-file", software.plugin_package(version)), ("size", software.PLUGIN_SIZE),
                        ("platform", "any"), ("installed", "yes" if version == sw.plugin else "no"),
                        ("downloaded", "yes" if sw.plugin_downloaded(version) else "no")])
    return result


def request_plugins_check(fw: "Firewall", node: ET.Element) -> Reply:
    """A plain-text answer (its words are the lab's: no capture found; a client checks for "updated")."""
    _update_server(fw, "plugins")
    fw.software.plugins_checked = True
    return _result("Plugin list updated successfully")


def request_plugins_download(fw: "Firewall", node: ET.Element) -> Reply:
    _update_server(fw, "download")
    return job_enqueued("Download", fw.download_plugin(_argument(node)))


def request_plugins_install(fw: "Firewall", node: ET.Element) -> Reply:
    return job_enqueued("Plugin install", fw.install_plugin(_argument(node)))


def request_restart_system(fw: "Firewall", node: ET.Element) -> Reply:
    fw.cloud.restart(fw.instance_id)
    return _result("Command succeeded with no output")


def _content_list(fw: "Firewall", versions: List[str]) -> ET.Element:
    result = _result()
    updates = ET.SubElement(result, "content-updates", {"last-updated-at": time.strftime("%Y/%m/%d %H:%M:%S")})
    for version in versions:
        entry = ET.SubElement(updates, "entry")
        _fields(entry, [
            ("version", version), ("app-version", version), ("filename", f"panupv2-all-contents-{version}"),
            ("size", "60"), ("size-kb", "61440"), ("released-on", ""), ("release-notes", ""),
            ("downloaded", "yes" if version in fw.software.content_downloaded else "no"),
            ("current", "yes" if version == fw.software.content else "no"),
            ("previous", "no"), ("installing", "no"), ("features", "contents"), ("update-type", "Full"),
            ("feature-desc", "Unknown"),
        ])
    return result


def request_content_check(fw: "Firewall", node: ET.Element) -> Reply:
    _update_server(fw, "content")
    fw.software.content_checked = True
    return _content_list(fw, list(software.CONTENT))


def request_content_info(fw: "Firewall", node: ET.Element) -> Reply:
    shown = software.CONTENT if fw.software.content_checked else sorted(fw.software.content_downloaded)
    return _content_list(fw, list(shown))


def request_content_download(fw: "Firewall", node: ET.Element) -> Reply:
    _update_server(fw, "download")
    return job_enqueued("Download", fw.download_content(software.CONTENT[-1]))


def request_content_install(fw: "Firewall", node: ET.Element) -> Reply:
    wanted = _version_argument(node)
    version = software.CONTENT[-1] if wanted == "latest" else wanted
    fw.software.refuse_content_install(version)
    return job_enqueued("Content install", fw.install_content(version))



def show_system_disk_space(fw: "Firewall", node: ET.Element) -> Reply:
    """`df -h` of the VM-Series' partitions as CDATA (the PA-VM layout of panos-upgrade-assurance's
    test data); /opt/panrepo, where images go, shrinks with every image downloaded."""
    free_mb = fw.software.disk_free_mb()
    repo_size_mb = software.DISK_FREE_MB + 1600
    rows = [("Filesystem", "Size", "Used", "Avail", "Use%", "Mounted on"),
            ("/dev/root", "6.9G", "5.1G", "1.5G", "78%", "/"), ("none", "7.9G", "76K", "7.9G", "1%", "/dev"),
            ("/dev/sda5", "16G", "1.2G", "14G", "8%", "/opt/pancfg"),
            ("/dev/sda6", _size(repo_size_mb), _size(repo_size_mb - free_mb), _size(free_mb),
             f"{100 * (repo_size_mb - free_mb) // repo_size_mb}%", "/opt/panrepo"),
            ("tmpfs", "12G", "8.4G", "3.0G", "74%", "/dev/shm"), ("cgroup_root", "7.9G", "0", "7.9G", "0%", "/cgroup"),
            ("/dev/sda8", "21G", "63M", "20G", "1%", "/opt/panlogs")]
    return _result(cdata("\n".join("{:<15} {:>5} {:>5} {:>5} {:>4} {}".format(*row) for row in rows) + "\n"))


def _size(megabytes: int) -> str:
    return f"{megabytes / 1024:.1f}G" if megabytes >= 1024 else f"{megabytes}M"


COMMANDS: Dict[Tuple[str, ...], OpCommand] = {c.path: c for c in (
    OpCommand(("show", "system", "info"), show_system_info,
              source=('capture', '`show-system-info` (../shared/panos-samples)')),
    OpCommand(("show", "system", "bootstrap", "status"), show_bootstrap_status,
              source=('docs', "Palo Alto's Terraform examples (the CLI table on success); as CDATA text, failure rows: assumption")),
    OpCommand(("show", "chassis-ready"), show_chassis_ready,
              source=('client', "pan-os-python's `is_ready()` (text yes/no)")),
    OpCommand(("show", "clock"), show_clock,
              source=('fixture', "panos-upgrade-assurance's tests")),
    OpCommand(("show", "session", "info"), show_session_info,
              source=('capture', '`show-session-info`')),
    OpCommand(("show", "config-locks"), show_config_locks, takes_argument=True,
              source=('capture', '`show-config-locks`; `<vsys>all</vsys>` from panos-upgrade-assurance')),
    OpCommand(("show", "commit-locks"), show_commit_locks, takes_argument=True,
              source=('fixture', "panos-upgrade-assurance's tests; a Panorama 11.1.6 capture in a public test")),
    OpCommand(("show", "clock", "more"), show_clock_more,
              source=('fixture', "panos-upgrade-assurance's tests (single dataplane)")),
    OpCommand(("show", "session", "meter"), show_session_meter,
              source=('capture', "a capture pasted in Palo Alto's pan-os-php; parsed as panos_facts does")),
    OpCommand(("show", "ntp"), show_ntp,
              source=('capture', "Device::PaloAlto::Firewall's tests (CPAN); synchronisation: assumption")),
    OpCommand(("show", "panorama-status"), show_panorama_status,
              source=('capture', "Device::PaloAlto::Firewall's tests; 11.x layout from panos-upgrade-assurance PR #159")),
    OpCommand(("show", "system", "setting", "jumbo-frame"), show_jumbo_frame,
              source=('fixture', "panos-upgrade-assurance's tests (bare on/off)")),
    OpCommand(("show", "system", "state"), show_system_state, takes_argument=True,
              source=('fixture', "panos-upgrade-assurance's tests (two filters; NO_MATCHES)")),
    OpCommand(("show", "system", "resources"), show_system_resources,
              source=('fixture', "panos-upgrade-assurance's tests (`MiB Mem`); figures: assumption")),
    OpCommand(("show", "running", "resource-monitor"), show_resource_monitor, takes_argument=True,
              source=('capture', 'a 3-dataplane `second` capture in a public test; `minute` from panos-upgrade-assurance')),
    OpCommand(("show", "running", "tunnel", "flow", "all"), show_tunnel_flows,
              source=('fixture', "panos-upgrade-assurance's tests (a firewall without tunnels)")),
    OpCommand(("show", "advanced-routing", "route"), show_advanced_routing_route, takes_argument=True,
              source=('fixture', "panos-upgrade-assurance's tests and example snapshot; connected routes: assumption")),
    OpCommand(("show", "advanced-routing", "fib"), show_advanced_routing_fib, takes_argument=True,
              source=('fixture', "panos-upgrade-assurance's docstring (the shape of `show routing fib`)")),
    OpCommand(("show", "routing", "fib"), show_routing_fib, takes_argument=True,
              source=('fixture', "panos-upgrade-assurance's tests (one fibs entry per router and address family); "
                                 "table ids: assumption")),
    OpCommand(("show", "routing", "protocol", "bgp", "peer"), show_bgp_peers, takes_argument=True,
              source=('assumption', 'no BGP configured: an empty result')),
    OpCommand(("request", "license", "info"), request_license_info,
              source=('fixture', "panos-upgrade-assurance's tests; pan-os-python's parser")),
    OpCommand(("request", "support", "check"), request_support_check,
              source=('fixture', "panos-upgrade-assurance's docstring and tests")),
    OpCommand(("request", "license", "fetch", "auth-code"), request_license_fetch, takes_argument=True,
              source=('fixture', "pango's fixtures, pan-python's licensing doc (roles/license/README.md)")),
    OpCommand(("request", "license", "api-key", "set", "key"), request_license_api_key_set, takes_argument=True,
              source=('fixture', 'pango and skilletlib (roles/license/README.md)')),
    OpCommand(("request", "license", "api-key", "show"), request_license_api_key_show,
              source=('fixture', 'pango and skilletlib (roles/license/README.md)')),
    OpCommand(("request", "license", "api-key", "delete"), request_license_api_key_delete,
              source=('fixture', 'pango and skilletlib (roles/license/README.md)')),
    OpCommand(("request", "license", "deactivate", "VM-Capacity", "mode"), request_license_deactivate_capacity, takes_argument=True,
              source=('docs', "pan-python's licensing doc (manual mode text)")),
    OpCommand(("show", "interface"), show_interface, takes_argument=True,
              source=('capture', "`show-interface-all`, `-hardware`, `-single`, `-single-notfound`; vlan/loopback/tunnel: napalm-panos's fixtures")),
    OpCommand(("show", "routing", "route"), show_routing_route, takes_argument=True,
              source=('fixture', "panos-upgrade-assurance's parser; the refusal of an unknown router: Device::PaloAlto::Firewall's tests")),
    OpCommand(("show", "arp", "entry"), show_arp, takes_argument=True,
              source=('capture', 'a device answer quoted in Uninett/nav#2924 (dp, timeout, total, entries, max)')),
    OpCommand(("show", "jobs", "all"), show_jobs_all,
              source=('capture', '`show-jobs-all`')),
    OpCommand(("show", "jobs", "pending"), show_jobs_pending,
              source=('capture', '`show-jobs-all` (the unfinished ones)')),
    OpCommand(("show", "jobs", "id"), show_jobs_id, takes_argument=True,
              source=('capture', '`show-jobs-id-*`')),
    OpCommand(("check", "pending-changes"), check_pending_changes,
              source=('client', 'pan-os-python and panos-upgrade-assurance (text yes/no)')),
    OpCommand(("check", "full-commit-required"), check_full_commit_required,
              source=('client', 'panos-upgrade-assurance (text yes/no)')),
    OpCommand(("show", "config", "running"), show_config_running,
              source=('capture', '`config-get*` (the tree); its `<shared>`: VM-Series 10.x factory exports')),
    OpCommand(("show", "config", "candidate"), show_config_candidate,
              source=('capture', '`config-get*`')),
    OpCommand(("validate", "full"), validate_full,
              source=('capture', '`validate-enqueued`, `show-jobs-id-validate-fail`')),
    OpCommand(("set", "system", "setting", "mgmt-interface-swap"), set_mgmt_interface_swap, takes_argument=True,
              source=('docs', 'Palo Alto, management interface mapping on AWS')),
    OpCommand(("show", "system", "setting", "mgmt-interface-swap"), show_mgmt_interface_swap,
              source=('docs', 'Palo Alto, management interface mapping on AWS')),
    OpCommand(("show", "high-availability", "all"), show_ha,
              source=('capture', '`show-ha-all*`')),
    OpCommand(("show", "high-availability", "state"), show_ha,
              source=('capture', '`show-ha-state`')),
    OpCommand(("show", "plugins", "vm_series", "aws", "ha", "state"), show_aws_ha_state,
              source=('docs', 'Palo Alto, HA on AWS (readiness of failover); fields: assumption')),
    OpCommand(("show", "plugins", "vm_series", "aws", "ha", "ips"), show_aws_ha_ips,
              source=('docs', 'Palo Alto, secondary IP mapping; fields: assumption')),
    OpCommand(("request", "high-availability", "state", "suspend"), request_ha_suspend,
              source=('capture', '`request-ha-suspend`')),
    OpCommand(("request", "high-availability", "state", "functional"), request_ha_functional,
              source=('capture', '`request-ha-functional`')),
    OpCommand(("request", "high-availability", "sync-to-remote", "running-config"), request_ha_sync_running,
              source=('docs', "PAN-OS CLI reference; the answer's words: assumption")),
    OpCommand(("request", "system", "software", "check"), request_software_check,
              source=('fixture', "panos-upgrade-assurance's captures; unreachable server: its exact text")),
    OpCommand(("request", "system", "software", "info"), request_software_info,
              source=('fixture', "panos-upgrade-assurance's captures")),
    OpCommand(("request", "system", "software", "download"), request_software_download, takes_argument=True,
              source=('capture', '`job-enqueued-download`')),
    OpCommand(("request", "system", "software", "install"), request_software_install, takes_argument=True,
              source=('docs', "the 9.1 XML API guide's enqueue line")),
    OpCommand(("request", "restart", "system"), request_restart_system,
              source=('client', "pan-os-python's `restart()`, cdot65/pan-os-upgrade's logs")),
    OpCommand(("show", "system", "disk-space"), show_system_disk_space,
              source=('fixture', "panos-upgrade-assurance's test data (PA-VM df)")),
    OpCommand(("show", "plugins", "packages"), show_plugins_packages,
              source=('fixture', "pan-os-python's and pango's tests")),
    OpCommand(("request", "plugins", "check"), request_plugins_check,
              source=('assumption', "no capture: the lab's words")),
    OpCommand(("request", "plugins", "download", "file"), request_plugins_download, takes_argument=True,
              source=('client', "Palo Alto's community playbooks (a job)")),
    OpCommand(("request", "plugins", "install"), request_plugins_install, takes_argument=True,
              source=('client', "Palo Alto's community playbooks (a job)")),
    OpCommand(("request", "content", "upgrade", "check"), request_content_check,
              source=('fixture', "panos-upgrade-assurance's captures; unreachable server: 8.x text, 10.x wording inferred")),
    OpCommand(("request", "content", "upgrade", "info"), request_content_info,
              source=('fixture', "panos-upgrade-assurance's captures")),
    OpCommand(("request", "content", "upgrade", "download"), request_content_download, takes_argument=True,
              source=('capture', '`job-enqueued-download`')),
    OpCommand(("request", "content", "upgrade", "install"), request_content_install, takes_argument=True,
              source=('docs', "the 9.1 XML API guide's enqueue line")),
)}
_PREFIXES = {path[:n] for path in COMMANDS for n in range(1, len(path) + 1)}


def resolve(cmd: ET.Element) -> Tuple[OpCommand, ET.Element]:
    """The command an op request names, and the node holding its argument. Walks the nesting one
    element at a time, as PAN-OS's command tree does, and refuses the first element that leads
    nowhere."""
    path: Tuple[str, ...] = (cmd.tag,)
    node = cmd
    while True:
        if path not in _PREFIXES:
            raise unexpected(path)
        command = COMMANDS.get(path)
        children = list(node)
        if command is not None and (command.takes_argument or not children):
            return command, node
        if not children:
            raise ApiError(17, " " + " -> ".join(path) + "  is incomplete", cdata=True)
        node = children[0]
        path = path + (node.tag,)


def run(fw: "Firewall", cmd: ET.Element) -> Tuple[Tuple[str, ...], Reply]:
    command, node = resolve(cmd)
    return command.path, command.handler(fw, node)
