"""The lab against real PAN-OS: every sample of ../shared/panos-samples/ whose command or request the
lab implements is replayed against a firewall twin in the state the sample was taken in, and the
answers must agree on

* the HTTP status, the `status` and the `code` of the envelope;
* the element paths (tag names and nesting under the envelope): every path of the sample is in
  the lab's answer, except those the sample's device has and the lab's firewall cannot (named,
  with the reason, in the replay), and every path of the lab's answer is in some sample of the
  same command, except the lab's own documented extension;
* the value vocabulary: at the paths that carry states, sync values, job states and the like,
  the lab only answers values that real firewalls answer (or that Palo Alto documents).

Values themselves (addresses, versions, counters) may differ. Samples the lab cannot answer are in
KNOWN_GAPS with the reason. The samples are the workplace's, outside this repository:
$VMSERIES_PANOS_SAMPLES, else ../shared/panos-samples next to the checkout, else
/work/shared/panos-samples; the test is skipped where none exists.
"""

from __future__ import annotations

import ast
import os
import re
import ssl
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

import pan.xapi
import pytest
from panos.network import EthernetInterface, StaticRoute, VirtualRouter, Zone

from .pairs import PASSWORD, configure_ha, connect, launch_pair, set_password
from .test_failover import SYNC, running_sync

SAMPLE_DIRS = [Path(p) for p in (os.environ.get("VMSERIES_PANOS_SAMPLES"),) if p] + [
    Path(__file__).resolve().parents[3] / "shared" / "panos-samples", Path("/work/shared/panos-samples")]
SAMPLES = next((d for d in SAMPLE_DIRS if d.is_dir()), SAMPLE_DIRS[0])
DEVICE = "/config/devices/entry[@name='localhost.localdomain']"

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"no samples in {', '.join(map(str, SAMPLE_DIRS))}")


# ---- what the comparison reads -----------------------------------------------------------------
@dataclass
class Answer:
    status: int
    body: bytes
    reason: str = ""
    headers: Dict[str, str] = field(default_factory=dict)

    @property
    def root(self) -> ET.Element:
        return ET.fromstring(self.body)


def element_paths(element: ET.Element, prefix: str = "") -> Set[str]:
    """Every element path under `element` (tags joined by '/'), `element` itself excluded."""
    found = set()
    for child in element:
        path = f"{prefix}{child.tag}"
        found.add(path)
        found |= element_paths(child, path + "/")
    return found


def dict_paths(value: Any, prefix: str = "") -> Set[str]:
    """The element paths of a sample stored as a parsed Python dict (xmltodict's shape)."""
    found = set()
    if isinstance(value, dict):
        for key, child in value.items():
            path = f"{prefix}{key}"
            found.add(path)
            found |= dict_paths(child, path + "/")
    elif isinstance(value, list):
        for child in value:
            found |= dict_paths(child, prefix)
    return found


def leaf_values(element: ET.Element, prefix: str = "") -> Dict[str, Set[str]]:
    values: Dict[str, Set[str]] = {}
    for child in element:
        path = f"{prefix}{child.tag}"
        if len(child) == 0:
            values.setdefault(path, set()).add((child.text or "").strip())
        for key, more in leaf_values(child, path + "/").items():
            values.setdefault(key, set()).update(more)
    return values


def dict_values(value: Any, prefix: str = "") -> Dict[str, Set[str]]:
    values: Dict[str, Set[str]] = {}
    if isinstance(value, dict):
        for key, child in value.items():
            path = f"{prefix}{key}"
            if not isinstance(child, (dict, list)):
                values.setdefault(path, set()).add("" if child is None else str(child).strip())
            for k, more in dict_values(child, path + "/").items():
                values.setdefault(k, set()).update(more)
    return values


@dataclass
class Sample:
    name: str  # file name without extension
    path: Path

    @property
    def command(self) -> str:
        return self.name.split("__")[0]

    def parsed(self) -> Tuple[Optional[str], Optional[str], Set[str], Dict[str, Set[str]]]:
        """(status, code, element paths, leaf values) of the sample's envelope."""
        text = self.path.read_text()
        if self.path.name.endswith(".pydict.txt"):
            data = ast.literal_eval(text[text.index("{"):])
            return "success", None, {"result/" + p for p in dict_paths(data)} | {"result"}, \
                {"result/" + k: v for k, v in dict_values(data).items()}
        root = ET.fromstring(text.strip())
        return root.get("status"), root.get("code"), element_paths(root), leaf_values(root)


def all_samples() -> List[Sample]:
    if not SAMPLES.is_dir():
        return []
    return sorted((Sample(p.name.rsplit(".", 1)[0] if not p.name.endswith(".pydict.txt") else p.name[:-4], p)
                   for p in SAMPLES.iterdir() if p.suffix in (".xml", ".txt") and p.name != "README.md"),
                  key=lambda s: s.name)


# ---- the firewalls the samples are replayed against ------------------------------------------------
class Twin:
    """One firewall of the lab reached with pan-python and with raw HTTPS."""

    def __init__(self, lab: Any, instance_id: str) -> None:
        self.lab, self.instance_id = lab, instance_id
        fw = lab.firewall(instance_id)
        self.port = fw["api_port"]
        self.key = pan.xapi.PanXapi(hostname="127.0.0.1", port=self.port, api_username="admin",
                                    api_password=PASSWORD).keygen()

    def request(self, **query: str) -> Answer:
        context = ssl._create_unverified_context()  # noqa: S323 - the lab's self-signed certificate
        query = {"key": self.key, **query} if "key" not in query and query.get("type") != "keygen" else query
        data = urllib.parse.urlencode(query).encode()
        request = urllib.request.Request(f"https://127.0.0.1:{self.port}/api/", data=data)
        try:
            with urllib.request.urlopen(request, context=context, timeout=10) as response:  # noqa: S310 - loopback
                return Answer(response.status, response.read(), response.reason, dict(response.headers))
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read(), error.reason, dict(error.headers))

    def op(self, cmd: str) -> Answer:
        return self.request(type="op", cmd=cmd)

    def xapi(self) -> pan.xapi.PanXapi:
        return pan.xapi.PanXapi(hostname="127.0.0.1", port=self.port, api_key=self.key)


def configure_dataplane(device: Any, pair: Any) -> None:
    """What the collection gives the firewall holding the dataplane ENIs: layer3 interfaces with the
    ENIs' addresses, zones, a virtual router with a default route."""
    for name, role, zone in (("ethernet1/2", "untrust", "untrust"), ("ethernet1/3", "trust", "trust")):
        device.add(EthernetInterface(name, mode="layer3", ip=[pair.ips[role] + "/24"])).create()
        device.add(Zone(zone, mode="layer3", interface=[name])).create()
    router = device.add(VirtualRouter("default", interface=["ethernet1/2", "ethernet1/3"]))
    router.create()
    gateway = ".".join(pair.ips["untrust"].split(".")[:3]) + ".1"
    router.add(StaticRoute("default", destination="0.0.0.0/0", nexthop=gateway, interface="ethernet1/2")).create()


@pytest.fixture(scope="module")
def twins(observable_lab) -> Dict[str, Any]:
    """A synced pair (active with the dataplane, passive that was once suspended), a firewall with HA
    off, and one whose HA peer never answers; and the answers that change state, recorded once."""
    lab = observable_lab
    pair, other = launch_pair(lab), launch_pair(lab)
    instances = {"active": pair.primary, "passive": pair.secondary, "plain": other.primary, "lonely": other.secondary}
    for name, instance in instances.items():
        set_password(lab.wait_up(instance, timeout=60), pair.key_file if name in ("active", "passive") else other.key_file)
    devices = {name: connect(lab.firewall(instance)) for name, instance in instances.items()}
    configure_dataplane(devices["active"], pair)
    configure_ha(devices["active"], 5, pair.ips["secondary-mgmt"], 100, pair.ips["primary-ha2"])
    configure_ha(devices["passive"], 5, pair.ips["primary-mgmt"], 110, pair.ips["secondary-ha2"])
    # The lonely firewall's peer is the plain one, whose HA is off: it never hears a hello.
    configure_ha(devices["lonely"], 9, other.ips["primary-mgmt"], 100, other.ips["secondary-ha2"])
    for name in ("active", "passive", "lonely"):
        assert devices[name].commit(sync=True)["success"]
    lab.wait_for(lambda: devices["active"].show_highavailability_state()[0] == "active"
                 and devices["passive"].show_highavailability_state()[0] == "passive", timeout=30,
                 what="the pair to form")
    devices["active"].op(SYNC, cmd_xml=False)
    lab.wait_for(lambda: running_sync(devices["passive"]) == "synchronized", timeout=30, what="the pair synced")
    twin = {name: Twin(lab, instance) for name, instance in instances.items()}
    recorded: Dict[str, Answer] = {}
    # A suspension and its end: the answers, and the last-error fields they leave behind.
    recorded["request-ha-suspend"] = twin["passive"].op(
        "<request><high-availability><state><suspend></suspend></state></high-availability></request>")
    recorded["request-ha-functional"] = twin["passive"].op(
        "<request><high-availability><state><functional></functional></state></high-availability></request>")
    lab.wait_for(lambda: devices["passive"].show_highavailability_state()[0] == "passive", timeout=30,
                 what="the passive back")
    lab.wait_for(lambda: devices["lonely"].show_highavailability_state()[0] == "active", timeout=30,
                 what="the lonely firewall active alone")
    # Jobs: a commit caught while it runs and when it has finished, a validation that fails.
    plain = twin["plain"].xapi()
    plain.set(xpath=DEVICE + "/vsys/entry[@name='vsys1']/tag", element="<entry name='fidelity'/>")
    recorded["commit-enqueued"] = twin["plain"].request(type="commit", cmd="<commit></commit>")
    job = recorded["commit-enqueued"].root.findtext("result/job")
    recorded["show-jobs-id-commit-act"] = twin["plain"].op(f"<show><jobs><id>{job}</id></jobs></show>")
    lab.wait_for(lambda: b"<status>FIN</status>" in twin["plain"].op(f"<show><jobs><id>{job}</id></jobs></show>").body,
                 timeout=30, what="the commit to finish")
    recorded["show-jobs-id-commit-fin-ok"] = twin["plain"].op(f"<show><jobs><id>{job}</id></jobs></show>")
    recorded["commit-nochanges"] = twin["plain"].request(type="commit", cmd="<commit></commit>")
    plain.set(xpath=DEVICE + "/deviceconfig/high-availability",
              element="<enabled>no</enabled><group><group-id>99</group-id><peer-ip>10.0.0.1</peer-ip></group>")
    recorded["validate-enqueued"] = twin["plain"].op("<validate><full></full></validate>")
    job = recorded["validate-enqueued"].root.findtext("result/job")
    lab.wait_for(lambda: b"<status>FIN</status>" in twin["plain"].op(f"<show><jobs><id>{job}</id></jobs></show>").body,
                 timeout=30, what="the validation to finish")
    recorded["show-jobs-id-validate-fail"] = twin["plain"].op(f"<show><jobs><id>{job}</id></jobs></show>")
    plain.delete(xpath=DEVICE + "/deviceconfig/high-availability")
    return {"twin": twin, "recorded": recorded, "lab": lab}


TAGS = DEVICE + "/vsys/entry[@name='vsys1']/tag"
HA_ALL = "<show><high-availability><all></all></high-availability></show>"


def replay_config_edit(t: Dict[str, Any]) -> Answer:
    return t["twin"]["plain"].request(type="config", action="edit", xpath=TAGS + "/entry[@name='edited']",
                                      element="<entry name='edited'><comments>x</comments></entry>")


# How each command's samples are replayed: the request, against which firewall (its state matching
# the sample's), or an answer recorded by the fixture.
REPLAYS: Dict[str, Callable[[Dict[str, Any], Sample], Answer]] = {
    "show-ha-all": lambda t, s: t["twin"][{"demisto-content": "passive",
                                          "device-firewall-paloalto": "lonely"}.get(s.name.split("__")[1], "active")].op(HA_ALL),
    "show-ha-all-disabled": lambda t, s: t["twin"]["plain"].op(HA_ALL),
    "show-ha-state": lambda t, s: t["twin"]["passive"].op("<show><high-availability><state></state></high-availability></show>"),
    "show-interface-all": lambda t, s: t["twin"]["active"].op("<show><interface>all</interface></show>"),
    "show-interface-hardware": lambda t, s: t["twin"]["active"].op("<show><interface>hardware</interface></show>"),
    "show-interface-single": lambda t, s: t["twin"]["active"].op("<show><interface>ethernet1/2</interface></show>"),
    "show-interface-eth1-1": lambda t, s: t["twin"]["active"].op("<show><interface>ethernet1/2</interface></show>"),
    "show-interface-single-notfound": lambda t, s: t["twin"]["active"].op("<show><interface>ethernet1/123</interface></show>"),
    "show-system-info": lambda t, s: t["twin"]["active"].op("<show><system><info></info></system></show>"),
    "show-session-info": lambda t, s: t["twin"]["active"].op("<show><session><info></info></session></show>"),
    "show-config-locks": lambda t, s: t["twin"]["active"].op("<show><config-locks></config-locks></show>"),
    "show-jobs-all": lambda t, s: t["twin"]["plain"].op("<show><jobs><all></all></jobs></show>"),
    "show-jobs-id-commit-act": lambda t, s: t["recorded"]["show-jobs-id-commit-act"],
    "show-jobs-id-commit-fin-ok": lambda t, s: t["recorded"]["show-jobs-id-commit-fin-ok"],
    "show-jobs-id-validate-fail": lambda t, s: t["recorded"]["show-jobs-id-validate-fail"],
    "validate-enqueued": lambda t, s: t["recorded"]["validate-enqueued"],
    "commit-enqueued": lambda t, s: t["recorded"]["commit-enqueued"],
    "commit-nochanges": lambda t, s: t["recorded"]["commit-nochanges"],
    "request-ha-suspend": lambda t, s: t["recorded"]["request-ha-suspend"],
    "request-ha-functional": lambda t, s: t["recorded"]["request-ha-functional"],
    "config-edit-success": lambda t, s: replay_config_edit(t),
    "config-get": lambda t, s: t["twin"]["active"].request(type="config", action="get", xpath=DEVICE + "/deviceconfig/system"),
    "config-get-deviceconfig": lambda t, s: t["twin"]["active"].request(type="config", action="get",
                                                                         xpath=DEVICE + "/deviceconfig"),
    "config-get-dirty": lambda t, s: t["twin"]["active"].request(type="config", action="get", xpath=DEVICE + "/network/interface"),
    "config-get-nonexistent": lambda t, s: t["twin"]["active"].request(type="config", action="get",
                                                                        xpath=TAGS + "/entry[@name='Test-One']"),
    "config-show-nonexistent": lambda t, s: t["twin"]["active"].request(type="config", action="show",
                                                                         xpath=TAGS + "/entry[@name='Test-One']"),
    "error-invalid-credential": lambda t, s: t["twin"]["active"].request(type="op", key="LUFRPTnotakey=",
                                                                          cmd="<show><system><info></info></system></show>"),
    "error-unknown-command": lambda t, s: t["twin"]["active"].op("<show><redistribution></redistribution></show>"),
    "error-invalid-arg": lambda t, s: t["twin"]["active"].op(
        "<show><routing><route><virtual-router></virtual-router></route></routing></show>"),
    "keygen": lambda t, s: t["twin"]["active"].request(type="keygen", user="admin", password=PASSWORD),
}

# Commands whose answer is the configuration itself: only the envelope (status, code, result and
# the tag of the node) is compared, since what is under the node is whatever was configured.
CONFIGURATION_ANSWERS = {"config-get", "config-get-deviceconfig", "config-get-dirty"}

# Samples the lab cannot answer, and why.
KNOWN_GAPS = {
    "show-ha-state-panorama__cdot65-pan-os-upgrade__1": "Panorama, not a firewall; for contrast only",
    "show-ha-all-cli__ntc-templates__1": "CLI text, not the XML API",
    "job-enqueued-download__panos-api-guide-9-1__1": "software downloads: the lab has no software to download",
    "show-jobs-id-download__panos-api-guide-9-1__1": "software downloads: the lab has no software to download",
    "error-400-export__pango__1": "type=export (certificates) is not emulated",
    "error-invalid-object__pango__1": "the lab does not validate configuration against the PAN-OS schema on set/edit",
    "show-jobs-all__pan-os-ansible-issue533__1.fragment": "a truncated capture (no closing tags) of a Failed-Job "
                                                          "entry, which a configd restart leaves; the lab's configd "
                                                          "never restarts",
    "commit-fail-messages__github-issues__1": "job detail lines quoted in issue text, not a response; the lab's "
                                              "failed commit ends its details with 'Commit failed' as they do "
                                              "(test_panos_modules_lab)",
    "http-403-headers__terraform-templates-issue29__1": "HTTP headers only; compared in test_forbidden_is_byte_for_byte",
}

# Paths a sample has and the lab's answer cannot, because the sample's device or configuration
# differs from a VM-Series HA pair on AWS as the collection builds it; by sample, with the reason.
HA2_KEEPALIVE = {"result/group/local-info/ha2-keep-alive", "result/group/local-info/ha2-ka-thresh",
                 "result/group/peer-info/conn-ha2/conn-type", "result/group/peer-info/conn-ha2/conn-hold"}
PRE_10_NAMES = {"result/group/link-monitoring/fail-cond", "result/group/path-monitoring/fail-cond",
                "result/group/path-monitoring/vwire", "result/group/path-monitoring/vrouter"}
HA1_BACKUP = {"result/group/local-info/ha1-backup-ipaddr", "result/group/local-info/ha1-backup-macaddr",
              "result/group/local-info/ha1-backup-port", "result/group/local-info/ha1-backup-gateway",
              "result/group/peer-info/ha1-backup-ipaddr", "result/group/peer-info/ha1-backup-macaddr",
              "result/group/peer-info/conn-ha1-backup", "result/group/peer-info/conn-ha1-backup/conn-status",
              "result/group/peer-info/conn-ha1-backup/conn-desc"}
NOT_IN_LAB: Dict[str, Tuple[str, FrozenSet[str]]] = {}


def not_in_lab(sample: str, reason: str, paths: Iterable[str]) -> None:
    NOT_IN_LAB[sample] = (reason, frozenset(paths))


not_in_lab("show-ha-all__device-firewall-paloalto__1", "PAN-OS 8.1 names (renamed in 10.0) and HA2 keep-alive, "
           "which the collection does not enable", PRE_10_NAMES | HA2_KEEPALIVE)
LINK_GROUPS = {"result/group/link-monitoring/groups/entry", "result/group/link-monitoring/groups/entry/name",
               "result/group/link-monitoring/groups/entry/enabled", "result/group/link-monitoring/groups/entry/fail-cond",
               "result/group/link-monitoring/groups/entry/interface",
               "result/group/link-monitoring/groups/entry/interface/entry",
               "result/group/link-monitoring/groups/entry/interface/entry/name",
               "result/group/link-monitoring/groups/entry/interface/entry/status"}
LAST_ERROR = {"last-error-state", "last-error-reason"}
not_in_lab("show-ha-all__atav928-paloaltoapi__1", "PA-5250 on 9.1: an HA1 backup link, a link monitoring group "
           "and 9.1 names", PRE_10_NAMES | HA1_BACKUP | LINK_GROUPS)
not_in_lab("show-ha-all__device-paloalto-firewall__1", "PA-5060 on 7.1: a heartbeat backup over the management "
           "port (mgmt-hb, conn-mgmt), link monitoring groups, 7.1 names, and an active firewall that had failed "
           "before (the lab's active never has)",
           PRE_10_NAMES | LINK_GROUPS | {"result/group/local-info/mgmt-hb", "result/group/peer-info/conn-mgmt",
                                         "result/group/peer-info/conn-mgmt/conn-status",
                                         "result/group/peer-info/conn-mgmt/conn-desc",
                                         "result/group/peer-info/conn-mgmt/conn-primary"}
           | {f"result/group/local-info/{f}" for f in LAST_ERROR})
not_in_lab("show-ha-all__demisto-content__1", "the sample's active peer had been suspended once; in the lab's pair "
           "only the passive has", {f"result/group/peer-info/{f}" for f in LAST_ERROR})
not_in_lab("show-interface-all__napalm-panos__3", "edited by hand (trust e): a <member> straight under an ifnet "
           "entry, and interfaces with several addresses",
           {"result/ifnet/entry/member", "result/ifnet/entry/addr/member", "result/ifnet/entry/addr6/member"})
HARDWARE_SYSTEM = {"result/system/high-speed-log-forwarding-mode"}
for hardware in ("show-system-info__atav928-paloaltoapi__1", "show-system-info__pan-os-upgrade-assurance__2"):
    not_in_lab(hardware, "a hardware firewall (PA-5250, PA-7050): its log forwarding mode", HARDWARE_SYSTEM)
not_in_lab("show-config-locks__pan-os-upgrade-assurance__1", "a lock someone took; the lab's firewalls have none",
           {"result/config-locks/entry", "result/config-locks/entry/type", "result/config-locks/entry/name",
            "result/config-locks/entry/created", "result/config-locks/entry/last-activity",
            "result/config-locks/entry/loggedin", "result/config-locks/entry/comment"})
not_in_lab("show-interface-single__pan-os-upgrade-assurance__1", "a subinterface: no hardware port counters",
           set())
not_in_lab("show-interface-all__device-paloalto-firewall__2", "hardware with dedicated HA ports", set())
not_in_lab("show-jobs-all__demisto-content__1", "a licence refresh job that has no details", set())
not_in_lab("show-interface-all__napalm-panos__2", "an interface with several addresses (addr/member)",
           {"result/ifnet/entry/addr/member", "result/ifnet/entry/addr6/member"})

# What the lab answers that no sample shows: its documented extension (lab/README.md), and the
# address of a single interface, which the edited `show interface all` samples put in addr/member
# (napalm-panos __2, __3) while no single-interface capture of an interface with an address exists.
LAB_EXTENSION = {"result/group/dataplane-interface-move", "result/group/dataplane-interface-move/status",
                 "result/group/dataplane-interface-move/error", "result/group/dataplane-interface-move/time",
                 "result/group/dataplane-interface-move/method", "result/ifnet/addr/member"}
# Commands that are one command in PAN-OS, their samples named apart: `show high-availability state`
# answers with the tree of `... all`, and every single-interface sample is `show interface <name>`.
FAMILY = {"show-ha-state": "show-ha-all", "show-interface-eth1-1": "show-interface-single",
          "show-interface-single-notfound": "show-interface-single"}

# Values Palo Alto documents that no sample happens to show (PAN-OS admin guide, HA states; the
# running-sync values pan-os-python waits through), and the lab's HA-Sync job type (an assumption,
# see lab/README.md).
DOCUMENTED_VALUES = {
    "state": {"initial", "active", "passive", "suspended", "non-functional", "tentative"},
    "running-sync": {"synchronization in progress"},
    "type": {"Commit", "Validate", "AutoCom", "HA-Sync"},
    "status": {"PEND", "ACT", "FIN"},
    "result": {"PEND", "OK", "FAIL"},
    "queued": {"YES", "NO"},
}
# Leaf names whose values are a vocabulary (states, modes, yes/no flags), not data.
VOCABULARY = {"state", "running-sync", "running-sync-enabled", "state-sync", "state-sync-type", "conn-status",
              "conn-primary", "conn-desc", "conn-ka-enbled", "mode", "preemptive", "enabled", "ha1-port",
              "ha1-encrypt-enable", "ha1-encrypt-imported", "passive-link-state", "failure-condition",
              "url-compat", "app-compat", "av-compat", "threat-compat", "build-compat", "gpclient-compat",
              "vpnclient-compat", "vm-license-compat", "iot-compat", "status", "queued", "stoppable", "type",
              "family", "model", "cloud-mode", "operational-mode", "multi-vsys", "is-dhcp", "advanced-routing",
              "platform-family", "vpn-disable-mode", "duplex", "speed", "dp", "vsys", "tag", "platform-model"}


def family(command: str) -> str:
    return FAMILY.get(command, command)


def union_paths(command: str) -> Set[str]:
    return set().union(*(s.parsed()[2] for s in all_samples()
                         if family(s.command) == family(command) and s.name not in KNOWN_GAPS))


def vocabulary_key(path: str) -> str:
    """Where the same field appears at several paths (a hw entry of `show interface all` and the hw
    of a single interface; every *-compat field of HA), one vocabulary serves them all."""
    path = path.replace("/entry/", "/")
    # The plugin fields (DLP, VMS) are compatibilities on the local side, versions on the peer's.
    path = re.sub(r"/local-info/(DLP|VMS)$", "/local-info/plugin-compat", path)
    return re.sub(r"/[A-Za-z0-9-]+-compat$", "/*-compat", path)


def vocabulary() -> Dict[str, Set[str]]:
    """Leaf path -> every value the samples show there."""
    values: Dict[str, Set[str]] = {}
    for sample in all_samples():
        if sample.name in KNOWN_GAPS:
            continue
        for path, found in sample.parsed()[3].items():
            values.setdefault(vocabulary_key(path), set()).update(found)
    return values


REPLAYED = [s for s in all_samples() if s.name not in KNOWN_GAPS]


def test_every_sample_is_replayed_or_a_known_gap():
    missing = [s.name for s in REPLAYED if s.command not in REPLAYS]
    assert not missing, f"samples with no replay and no known gap: {missing}"
    assert len(KNOWN_GAPS) <= 10 and all(reason for reason in KNOWN_GAPS.values())
    stale = sorted(set(KNOWN_GAPS) - {s.name for s in all_samples()})
    assert not stale, f"known gaps of samples that no longer exist: {stale}"


@pytest.mark.parametrize("sample", REPLAYED, ids=[s.name for s in REPLAYED])
def test_the_lab_answers_as_the_sample(sample, twins):
    answer = REPLAYS[sample.command](twins, sample)
    status, code, sample_paths, _ = sample.parsed()
    root = answer.root
    expected_http = 403 if status == "error" and code == "403" else 200
    assert answer.status == expected_http, answer.body[:500]
    assert (root.get("status"), root.get("code")) == (status, code), answer.body[:500]
    lab_paths = element_paths(root)
    if sample.command in CONFIGURATION_ANSWERS:
        # The envelope only: result with its counts, and one configuration node in it.
        assert len(root.find("result")) == 1 and root.find("result").get("count") == "1", answer.body[:300]
        return
    reason, allowed = NOT_IN_LAB.get(sample.name, ("", frozenset()))
    missing = sorted(sample_paths - lab_paths - allowed)
    assert not missing, f"paths of the sample the lab does not answer: {missing}"
    invented = sorted(lab_paths - union_paths(sample.command) - LAB_EXTENSION)
    assert not invented, f"paths the lab answers that no {sample.command} sample has: {invented}"


def test_the_lab_speaks_the_vocabulary_of_real_firewalls(twins):
    known = vocabulary()
    wrong = []
    for sample in REPLAYED:
        if sample.command in CONFIGURATION_ANSWERS:
            continue
        for path, values in leaf_values(REPLAYS[sample.command](twins, sample).root).items():
            leaf, key = path.rsplit("/", 1)[-1], vocabulary_key(path)
            if not key.endswith("-compat") and (leaf not in VOCABULARY or path in LAB_EXTENSION):
                continue
            real = known.get(key, set())
            for value in values - real - DOCUMENTED_VALUES.get(leaf, set()):
                wrong.append(f"{sample.command}: {path} = {value!r} (real: {sorted(real)})")
    assert not wrong, "\n".join(sorted(set(wrong)))


def test_forbidden_is_byte_for_byte(twins):
    """The 403 of a VM-Series on AWS: status line, headers and the 97-byte body."""
    answer = twins["twin"]["active"].request(type="op", key="LUFRPTnotakey=", cmd="<show><chassis-ready/></show>")
    headers = (SAMPLES / "http-403-headers__terraform-templates-issue29__1.txt").read_text()
    body = (SAMPLES / "error-invalid-credential__blog-panos-api-auth__1.xml").read_bytes().strip()
    assert "HTTP/1.1 403 Invalid Credential" in headers and (answer.status, answer.reason) == (403, "Invalid Credential")
    assert answer.body == body and answer.headers["Content-Length"] == "97"
    assert answer.headers["Content-Type"] == "application/xml; charset=UTF-8"


def test_an_unknown_command_is_refused_as_pan_os_refuses_it(twins):
    answer = twins["twin"]["active"].op("<show><redistribution></redistribution></show>")
    sample = (SAMPLES / "error-unknown-command__pan-os-upgrade-assurance__1.xml").read_text()
    assert re.sub(r">\s+<", "><", sample.strip()) == answer.body.decode()
