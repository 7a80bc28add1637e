#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: upgrade_readiness
short_description: Check that a VM-Series HA pair on AWS may be upgraded, and snapshot it (or compare it with a snapshot)
version_added: 0.2.0
description:
  - Before a rolling upgrade (M(vmseries.aws_ha.pair_upgrade)), refuses with the name of every
    check that fails and what to do, before anything is downloaded. Checks
    C(pair_healthy) - the collection's one health judgement (one active, one passive, connected,
    running configuration synchronized, the dataplane on the active);
    C(same_version) - both firewalls run the same PAN-OS version;
    C(target_offered) and C(upgrade_path) - the target is offered by C(request system software check),
    is not older than the running version unless O(allow_downgrade), and crosses no feature release
    (HA peers go through each feature release together);
    and, on each firewall, Palo Alto's readiness checks from panos-upgrade-assurance -
    C(candidate_config) (no pending changes), C(jobs) (no unfinished job), C(expired_licenses),
    C(active_support) (the update server says the support contract is current),
    C(free_disk_space) (room on /opt/panrepo for the target and its base image), and
    C(content_version) when O(content_version) is given.
  - Takes a snapshot of each firewall, keyed by its HA role (the dataplane moves with the role) -
    PAN-OS and plugin versions, interfaces and their states (panos-upgrade-assurance C(nics)), routes
    (C(routes)), licences (C(license)), session count, the HA configuration and the running
    configuration's fingerprint.
  - With O(compare_to) (the snapshots of an earlier run), compares - any difference but the versions
    (an interface, a route, a licence, the HA settings, the configuration) fails naming it.
  - Changes nothing; supports check mode.
author:
  - vmseries.aws_ha maintainers (@vmseries)
requirements:
  - panos-upgrade-assurance >= 2.1.1 (Palo Alto Networks)
options:
  target_version:
    description: The PAN-OS version the pair is to run. Without it, only the pair and the firewalls are checked and snapshot.
    type: str
  plugin_version:
    description:
      - The VM-Series plugin version the pair is to run (M(vmseries.aws_ha.pair_upgrade)'s O(vmseries.aws_ha.pair_upgrade#module:plugin_version));
        checked as C(plugin_offered) - the update server offers it to each firewall (C(request plugins check), C(show plugins packages)).
    type: str
  allow_downgrade:
    description: Accept a target older than the running version.
    type: bool
    default: false
  content_version:
    description: The oldest application and threat content the target needs (for example C(8836-8695)); checked when given.
    type: str
  skip_checks:
    description: Names of checks not to run (their results are reported as skipped).
    type: list
    elements: str
    default: []
  compare_to:
    description: The C(snapshots) of an earlier run, to compare the pair with.
    type: dict
extends_documentation_fragment:
  - vmseries.aws_ha.deployed_pair
  - vmseries.aws_ha.provider.pair
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Part of the C(vmseries.aws_ha.aws) action group for the AWS connection.
"""

EXAMPLES = r"""
- name: May the pair go to 11.1.6?
  vmseries.aws_ha.upgrade_readiness:
    pair_name: prod-east
    target_version: 11.1.6
    primary: "{{ primary_provider }}"
    secondary: "{{ secondary_provider }}"
  register: before

- name: After the upgrade, nothing but the versions changed
  vmseries.aws_ha.upgrade_readiness:
    pair_name: prod-east
    primary: "{{ primary_provider }}"
    secondary: "{{ secondary_provider }}"
    compare_to: "{{ before.snapshots }}"
"""

RETURN = r"""
checks:
  description: Each check by name, with C(status) (SUCCESS, FAIL, ERROR, SKIPPED), C(reason) and, for per-firewall checks, C(node).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "free_disk_space", "node": "primary", "status": "SUCCESS", "reason": ""}]
failed_checks:
  description: The names of the checks that did not pass.
  returned: always
  type: list
  elements: str
snapshots:
  description: Each firewall's snapshot, keyed by its HA role (active, passive).
  returned: always
  type: dict
differences:
  description: With O(compare_to), every difference found, one line each.
  returned: when O(compare_to) is given
  type: list
  elements: str
"""

import xml.etree.ElementTree as ET
from typing import Any, Dict, List, Optional

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

try:
    from panos_upgrade_assurance.check_firewall import CheckFirewall
    from panos_upgrade_assurance.firewall_proxy import FirewallProxy
    HAS_PUA = True
    PUA_IMPORT_ERROR = None
except ImportError as error:  # pragma: no cover - reported in main()
    HAS_PUA = False
    PUA_IMPORT_ERROR = error

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.vmseries.aws_ha.plugins.module_utils import fingerprints, readiness, upgrade
from ansible_collections.vmseries.aws_ha.plugins.module_utils.panos import canonical
from ansible_collections.vmseries.aws_ha.plugins.module_utils.pair import NODES, DeployedPair, deployed_pair_argument_spec
from ansible_collections.vmseries.aws_ha.plugins.module_utils.software import Software, SoftwareError

# What to do when a check fails, by its name.
ADVICE = {
    "pair_healthy": "fix the pair first; playbooks/pair_check.yml judges it the same way",
    "same_version": "both peers must start from one version: finish the earlier upgrade (run it again) first",
    "candidate_config": "commit or revert the pending changes",
    "jobs": "wait for the running jobs to finish ('show jobs all')",
    "expired_licenses": "renew the expired licences",
    "active_support": "renew the support contract on Palo Alto's support portal",
    "free_disk_space": "delete unused images ('delete software version <v>') to make room",
    "content_version": "install a newer content release first (vmseries_upgrade_content_update: true does it)",
    "target_offered": "choose a version the update server offers ('request system software check')",
    "plugin_offered": "choose a plugin version the update server offers ('request plugins check', 'show plugins packages')",
    "upgrade_path": "choose a target on a supported path",
}
PUA_SNAPSHOTS = ("nics", "routes", "license")


class Readiness:
    def __init__(self, module: AnsibleAWSModule, pair: DeployedPair) -> None:
        self.module = module
        self.pair = pair
        self.checks: List[Dict[str, Any]] = []
        self.states: Dict[str, Any] = {}

    def record(self, name: str, status: str, reason: str = "", node: Optional[str] = None) -> None:
        if name in self.module.params["skip_checks"]:
            status, reason = "SKIPPED", "skipped by skip_checks"
        self.checks.append({"name": name, "node": node, "status": status, "reason": reason})

    def run_checks(self) -> None:
        params = self.module.params
        health = self.pair.health()
        self.states = health.states  # the roles the snapshots are keyed by
        self.record("pair_healthy", "FAIL" if health.problems else "SUCCESS", "; ".join(health.problems))
        versions = {node: (health.states[node] or {}).get("local", {}).get("version") for node in NODES}
        self.record("same_version", "SUCCESS" if len(set(versions.values())) == 1 else "FAIL",
                    ", ".join(f"{n} runs {v}" for n, v in versions.items()))
        target = params["target_version"]
        if target:
            self.check_path(versions[NODES[0]] or "", target)
        for node in NODES:
            self.pua_checks(node, target)
            if params["plugin_version"]:
                self.check_plugin(node, params["plugin_version"])

    def check_plugin(self, node: str, version: str) -> None:
        try:
            listed = Software(self.pair.firewalls[node], 60, 1.0).offered_plugins()
        except SoftwareError as error:
            self.record("plugin_offered", "ERROR", str(error), node)
            return
        self.record("plugin_offered", "SUCCESS" if version in listed else "FAIL",
                    f"vm_series-{version} is offered" if version in listed else
                    f"vm_series-{version} is not offered; the update server offers {', '.join(sorted(listed)) or 'none'}",
                    node)

    def check_path(self, current: str, target: str) -> None:
        software = Software(self.pair.firewalls[NODES[0]], 60, 1.0)
        try:
            offered = software.versions(check=True)
        except SoftwareError as error:
            self.record("target_offered", "ERROR", str(error))
            return
        problems = upgrade.path_problems(current, target, offered, self.module.params["allow_downgrade"])
        for name in ("target_offered", "upgrade_path"):
            mine = [p.split(": ", 1)[1] for p in problems if p.startswith(name + ":")]
            self.record(name, "FAIL" if mine else "SUCCESS", "; ".join(mine) or f"{current} -> {target}")

    def pua_checks(self, node: str, target: Optional[str]) -> None:
        """Palo Alto's checks, one at a time: one that raises must not hide the others' results."""
        wanted: List[Any] = ["candidate_config", "jobs", "expired_licenses", "active_support",
                             {"free_disk_space": {"image_version": target}} if target else "free_disk_space"]
        if self.module.params["content_version"]:
            wanted.append({"content_version": {"version": self.module.params["content_version"]}})
        checker = CheckFirewall(FirewallProxy(self.pair.firewalls[node].device), skip_force_locale=True)
        for config in wanted:
            name = config if isinstance(config, str) else next(iter(config))
            if name in self.module.params["skip_checks"]:
                self.record(name, "SKIPPED", node=node)
                continue
            try:
                outcome = checker.run_readiness_checks([config])[name]
            except Exception as error:  # noqa: BLE001 - the library raises on device errors; reported by name
                self.record(name, "ERROR", f"{type(error).__name__}: {self.pair.firewalls[node].redact(str(error))}", node)
                continue
            reason = outcome.get("reason") or ""
            status = outcome["status"]
            # It reports SUCCESS for an image it does not know ("Image X does not exist").
            if name == "free_disk_space" and "does not exist" in reason:
                status = "FAIL"
            self.record(name, status, reason, node)

    def snapshots(self) -> Dict[str, Dict[str, Any]]:
        """Each firewall's snapshot, keyed by the HA role run_checks saw it in."""
        states = self.states
        taken: Dict[str, Dict[str, Any]] = {}
        for node in NODES:
            firewall = self.pair.firewalls[node]
            local = (states[node] or {}).get("local") or {}
            role = local.get("state") or node
            checker = CheckFirewall(FirewallProxy(firewall.device), skip_force_locale=True)
            try:
                pua = checker.run_snapshots(list(PUA_SNAPSHOTS))
            except Exception as error:  # noqa: BLE001 - reported, and compared as missing
                pua = {name: {"status": "ERROR", "reason": str(error), "snapshot": None} for name in PUA_SNAPSHOTS}
            system = firewall.op("<show><system><info></info></system></show>").find("result/system")
            sessions = firewall.op("<show><session><info></info></session></show>")
            running = firewall.op("<show><config><running></running></config></show>").find("result/config")
            taken[role] = {
                "node": node,
                "versions": {**readiness.software_versions(system),
                             "app_version": system.findtext("app-version") if system is not None else None},
                **{name: pua[name].get("snapshot") for name in PUA_SNAPSHOTS},
                "license": without_auth_codes(pua["license"].get("snapshot")),
                "routes": without_host_routes(pua["routes"].get("snapshot")),
                "sessions": (sessions.findtext("result/num-active") or "0").strip(),
                "ha": {key: local.get(key) for key in ("priority", "preemptive", "ha2_ip")},
                "config_fingerprint": config_fingerprint(running),
            }
        return taken

    def failed(self) -> List[Dict[str, Any]]:
        return [c for c in self.checks if c["status"] not in ("SUCCESS", "SKIPPED")]


def without_auth_codes(licences: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The licence snapshot without the auth codes PAN-OS lists with each licence: they are secrets
    (an auth code licenses more firewalls) and no result or report may carry them."""
    if licences is None:
        return None
    return {feature: {k: v for k, v in entry.items() if k != "authcode"} if isinstance(entry, dict) else entry
            for feature, entry in licences.items()}


def without_host_routes(routes: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The routing table without the host routes (flag H) of the firewall's own interface
    addresses: with secondary-IP move those addresses differ between the firewalls and the
    floating ones move with the active, so they would differ by role after any failover; the
    addresses themselves are the interfaces' part of the snapshot."""
    if routes is None:
        return None
    return {key: route for key, route in routes.items()
            if not (isinstance(route, dict) and "H" in str(route.get("flags") or "").split())}


def config_fingerprint(running: Optional[ET.Element]) -> Optional[str]:
    """The running configuration's digest, blind to the order and the bookkeeping attributes PAN-OS
    adds (panos.canonical, as the PAN-OS stage's own fingerprint)."""
    return fingerprints.digest(canonical(running)) if running is not None else None


# Compared by HA role: the dataplane's interfaces and routes move with it. Compared by firewall:
# what belongs to the firewall whatever its role (its licence, its HA settings, its configuration).
BY_ROLE = ("nics", "routes")
BY_NODE = ("license", "ha", "config_fingerprint")


def _changed(where: str, part: str, old: Any, new: Any) -> Optional[str]:
    if old == new:
        return None
    if isinstance(old, dict) and isinstance(new, dict):
        keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        return (f"{where} {part}: " + ", ".join(f"{k} was {old.get(k, 'absent')!r}, now {new.get(k, 'absent')!r}"
                                                for k in keys[:5]) + (f" (and {len(keys) - 5} more)" if len(keys) > 5 else ""))
    return f"{where} {part}: was {old!r}, now {new!r}"


def differences(before: Dict[str, Any], after: Dict[str, Any]) -> List[str]:
    """Every difference between two snapshots but the versions, one line each."""
    found = []
    for role in sorted(set(before) | set(after)):
        if role not in before or role not in after:
            found.append(f"{role}: only in the {'earlier' if role in before else 'new'} snapshot "
                         "(the pair's HA roles are not active and passive as before)")
            continue
        changed = (_changed(f"the {role}", part, before[role].get(part), after[role].get(part)) for part in BY_ROLE)
        found += [line for line in changed if line]
    by_node_before = {snap["node"]: snap for snap in before.values()}
    by_node_after = {snap["node"]: snap for snap in after.values()}
    for node in sorted(set(by_node_before) & set(by_node_after)):
        changed = (_changed(node, part, by_node_before[node].get(part), by_node_after[node].get(part)) for part in BY_NODE)
        found += [line for line in changed if line]
    return found


def main() -> None:
    argument_spec = {
        **deployed_pair_argument_spec(),
        "target_version": {"type": "str"},
        "allow_downgrade": {"type": "bool", "default": False},
        "content_version": {"type": "str"},
        "plugin_version": {"type": "str"},
        "skip_checks": {"type": "list", "elements": "str", "default": []},
        "compare_to": {"type": "dict"},
    }
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if not HAS_PUA:
        module.fail_json(msg=missing_required_lib("panos-upgrade-assurance"), exception=str(PUA_IMPORT_ERROR))
    unknown = sorted(set(module.params["skip_checks"]) - set(ADVICE))
    if unknown:
        module.fail_json(msg=f"skip_checks: unknown check(s) {', '.join(unknown)}; known: {', '.join(sorted(ADVICE))}.")
    if module.params["target_version"]:
        try:
            upgrade.version_key(module.params["target_version"])
        except ValueError as error:
            module.fail_json(msg=f"target_version: {error}.")
    ec2 = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    try:
        pair = DeployedPair.from_params(module, ec2)
        run = Readiness(module, pair)
        run.run_checks()
        snapshots = run.snapshots()
    except botocore.exceptions.ClientError as error:  # pylint: disable=used-before-assignment
        module.fail_json_aws(error, msg="Could not describe the pair in EC2")
    failed = run.failed()
    result: Dict[str, Any] = {"checks": run.checks, "snapshots": snapshots,
                              "failed_checks": sorted({c["name"] for c in failed})}
    if failed:
        module.fail_json(
            msg=(f"Pair {pair.name} is not ready for the upgrade: " + "; ".join(
                f"{c['name']}{' on ' + c['node'] if c['node'] else ''} {c['status']}: {c['reason'] or 'no reason given'}"
                f" ({ADVICE.get(c['name'], 'see the check')})" for c in failed) + ". Nothing was downloaded or changed."),
            **result)
    if module.params["compare_to"] is not None:
        result["differences"] = differences(module.params["compare_to"], snapshots)
        if result["differences"]:
            module.fail_json(msg=(f"Pair {pair.name} differs from its snapshot in more than its versions: "
                                  + "; ".join(result["differences"]) + "."), **result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
