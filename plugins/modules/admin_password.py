#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: admin_password
short_description: Give a fresh VM-Series its admin password over SSH and return an API key
version_added: 0.1.0
description:
  - On AWS a fresh VM-Series has no administrator password; the only way in is SSH as C(admin)
    with the instance's EC2 key pair. This module does what an operator does there - C(configure),
    C(set mgt-config users <username> password) with both prompts, C(commit) - using netmiko's
    C(paloalto_panos) driver, then waits until the XML API accepts the password.
  - It first tries the XML API with the provider's username and password; when they work nothing
    is changed and no SSH session is opened, so every run after the first is a no-op.
  - When the API refuses them, the firewall may simply still be booting (PAN-OS refuses every
    credential until its auth service is up). The module then logs in over SSH with the key pair
    (retried while the firewall refuses the connection or the key), waits for
    C(show chassis-ready) to say C(yes), and asks the API again; only a refusal from a ready
    firewall makes it set the password.
  - With O(return_api_key), returns an API key for the later stages in clear text, so register it
    only in a task with C(no_log).
author:
  - vmseries.aws_ha maintainers (@vmseries)
options:
  ssh_host:
    description: SSH address of the firewall; defaults to O(provider.ip_address).
    type: str
  ssh_port:
    description: SSH port.
    type: int
    default: 22
  ssh_key_file:
    description: Private key of the instance's EC2 key pair.
    type: path
    required: true
  ssh_timeout:
    description:
      - Seconds one SSH connection attempt (TCP, banner, key authentication) and each CLI prompt
        may take.
    type: int
    default: 30
  commit_timeout:
    description: Seconds the CLI C(commit) of the new password may take.
    type: int
    default: 600
  wait_for_ssh_timeout:
    description:
      - Seconds to keep trying to log in over SSH (a VM-Series takes 10-15 minutes to boot on
        AWS and refuses connections or the key until then), and then for its API to accept the
        new password.
    type: int
    default: 1200
  api_wait_timeout:
    description: Seconds the first API check waits for a booting firewall before falling back to SSH.
    type: int
    default: 30
  return_api_key:
    description: Return the API key in RV(api_key). Use C(no_log) on such a task.
    type: bool
    default: false
  bootstrapped:
    description:
      - The firewall was launched with a complete bootstrap whose bootstrap.xml sets this password
        (C(vmseries_bootstrap=s3)). The module then never sets the password over SSH. When the firewall has
        finished booting and still refuses the password, its bootstrap failed - it came up with its factory
        configuration - and the module fails with what C(show system bootstrap status) says, read over SSH with
        the key pair.
    type: bool
    default: false
extends_documentation_fragment:
  - vmseries.aws_ha.provider.provider_only
notes:
  - O(provider.password) is required - it is the password this module sets; O(provider.api_key) is ignored.
  - Check mode reports whether the password would be set; it logs in over SSH only to ask whether
    the firewall has finished booting (C(show chassis-ready)), and changes nothing.
  - A commit refused because another commit (the boot-time auto-commit) is in progress is
    retried until O(commit_timeout).
  - Part of the C(vmseries.aws_ha.panos) action group; the provider from C(module_defaults) must
    then carry the password to set.
requirements:
  - netmiko
"""

EXAMPLES = r"""
- name: Set the admin password of a fresh firewall
  vmseries.aws_ha.admin_password:
    provider:
      ip_address: 203.0.113.10
      username: admin
      password: "{{ vault_admin_password }}"
    ssh_key_file: ~/.ssh/prod-edge-key.pem

- name: Get an API key for the following tasks
  vmseries.aws_ha.admin_password:
    provider:
      ip_address: 203.0.113.10
      username: admin
      password: "{{ vault_admin_password }}"
    ssh_key_file: ~/.ssh/prod-edge-key.pem
    return_api_key: true
  register: admin
  no_log: true
"""

RETURN = r"""
api_key:
  description: An XML API key for O(provider.username), in clear.
  returned: with O(return_api_key), not in check mode when the password is not set yet
  type: str
method:
  description: C(api) when the password already worked, C(ssh) when it was set over SSH.
  returned: always
  type: str
  sample: ssh
waited:
  description: Seconds spent waiting for SSH and for the API.
  returned: always
  type: float
chassis_ready_wait:
  description: Seconds spent waiting for C(show chassis-ready) to say C(yes) over SSH (0 when SSH was not needed).
  returned: always
  type: float
ssh_attempts:
  description: SSH connection attempts made (0 when the API already accepted the password).
  returned: always
  type: int
api_wait:
  description: How long the module waited for the firewall's API (seconds, failed attempts, and how many of
    those were credentials refused while it booted).
  returned: always
  type: dict
  sample: {seconds: 0.0, attempts: 0, refused_credentials: 0}
"""

from typing import Any, List, Tuple

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.vmseries.aws_ha.plugins.module_utils import wait
from ansible_collections.vmseries.aws_ha.plugins.module_utils.panos import (
    PanosConnection,
    is_invalid_credentials,
    provider_spec,
)

try:
    from netmiko import ConnectHandler

    HAS_NETMIKO = True
except ImportError:
    HAS_NETMIKO = False

# Each step waits for the CLI's own prompt; netmiko's config_mode()/commit() instead wait for the
# channel to go quiet, which costs seconds per step.
COMMIT_DONE = r"100%|no changes|[Ff]ail|[Ee]rror|try again"
COMMITTED = "Configuration committed successfully"
# PAN-OS's answer to a commit while another one (the boot-time AutoCom) runs.
COMMIT_BUSY = "in progress. Please try again later"
CHASSIS_READY_POLL = 5.0


def try_keygen(module: AnsibleModule, connection: PanosConnection, timeout: float, boot_wait: bool = False) -> str:
    """The API key, or '' when the firewall does not (yet) accept the password. With boot_wait,
    refused credentials are waited out like a firewall that does not answer yet."""
    connection.api_wait_timeout = timeout
    connection.boot_wait = boot_wait
    connection.up = False  # wait again: the management server may restart after the commit
    try:
        return connection.call("log in to the XML API", lambda: connection.device.api_key, fail=False)
    except Exception as error:  # noqa: BLE001 - any failure here means: go the SSH way
        if not is_invalid_credentials(error):
            module.warn(f"XML API of {connection.address} not answering ({connection.redact(str(error))}).")
        return ""


def open_ssh(module: AnsibleModule, host: str, deadline: float) -> Tuple[Any, int]:
    """A netmiko session as admin with the key pair, retried until deadline: a booting firewall
    refuses connections, and refuses the key until its first-boot setup has installed it."""
    params = module.params

    def connect() -> Any:
        return ConnectHandler(
            device_type="paloalto_panos", host=host, port=params["ssh_port"], username="admin", use_keys=True,
            key_file=params["ssh_key_file"], allow_agent=False, fast_cli=True,
            conn_timeout=params["ssh_timeout"], auth_timeout=params["ssh_timeout"],
            banner_timeout=params["ssh_timeout"])

    try:
        # netmiko, paramiko and socket errors all mean "not yet" until the deadline.
        opened = wait.retry_while(connect, lambda _error: True, deadline - wait.now(), f"SSH on {host}",
                                  wait.Backoff(2.0, 15.0))
    except Exception as error:  # noqa: BLE001 - the last of the errors retry_while waited out
        attempts = error.waited.attempts  # type: ignore[attr-defined]
        auth = "uthentication" in str(error) or type(error).__name__.endswith("AuthenticationException")
        hint = (f"the firewall refuses the key: check that ssh_key_file ({params['ssh_key_file']}) is the "
                "private key of the instance's EC2 key pair" if auth else
                "the firewall may still be booting (raise wait_for_ssh_timeout), or the security group "
                "does not allow SSH from this controller")
        module.fail_json(msg=(f"Could not log in over SSH to admin@{host}:{params['ssh_port']} within "
                              f"{params['wait_for_ssh_timeout']} s ({attempts} attempts; last error: "
                              f"{type(error).__name__}: {error}): {hint}."), ssh_attempts=attempts)
        raise  # pragma: no cover - fail_json does not return
    return opened.value, opened.attempts


def wait_chassis_ready(module: AnsibleModule, session: Any, deadline: float) -> float:
    """`show chassis-ready` over SSH until it says yes: before that, PAN-OS's auth service may
    refuse a password that is right. Seconds waited."""
    def ask() -> str:
        return session.send_command("show chassis-ready", expect_string=r">", strip_prompt=True, cmd_verify=False,
                                    read_timeout=module.params["ssh_timeout"])

    try:
        return round(wait.wait_for(ask, lambda output: "yes" in output.split(), deadline - wait.now(),
                                   "show chassis-ready to say yes", wait.interval(CHASSIS_READY_POLL)).seconds, 1)
    except wait.WaitTimeout as timeout:
        session.disconnect()
        module.fail_json(msg=(f"The firewall at {module.params['ssh_host'] or module.params['provider']['ip_address']} "
                              f"answers over SSH but 'show chassis-ready' still said {timeout.last.value.strip()!r} after "
                              f"{round(timeout.last.seconds)} s: it has not finished booting. Raise "
                              "wait_for_ssh_timeout, or look at the instance's system log in EC2."))
        raise  # pragma: no cover - fail_json does not return


# How `show system bootstrap status` marks the phase that stopped a bootstrap.
BOOTSTRAP_FAILED = "Failed"


class PasswordRefused(Exception):
    """The CLI answered the confirmed password with a message instead of the next prompt."""


def cli_refusal(answer: str) -> str:
    """What the CLI said after the confirmed password besides its prompt: empty when it took it."""
    lines = [line.strip() for line in answer.splitlines()]
    return " ".join(line for line in lines if line and line != "[edit]" and not line.endswith("#"))


def set_password_over_ssh(module: AnsibleModule, session: Any) -> str:
    """configure / set mgt-config users <u> password (both prompts) / commit / exit; the CLI
    output with the password masked. A commit refused while another commit runs is retried."""
    params, provider = module.params, module.params["provider"]
    step_timeout = params["ssh_timeout"]
    steps = (("configure", r"#", step_timeout),
             (f"set mgt-config users {provider['username']} password", r"Enter password", step_timeout),
             (provider["password"], r"Confirm password", step_timeout), (provider["password"], r"#", step_timeout))
    output = ""
    deadline = wait.now() + params["commit_timeout"]
    try:
        for command, prompt, timeout in steps:
            answer = session.send_command(command, expect_string=prompt, strip_prompt=False, cmd_verify=False,
                                          read_timeout=timeout)
            output += answer
        refusal = cli_refusal(answer)
        if refusal:
            raise PasswordRefused(refusal.replace(provider["password"], "********"))
        answers: List[str] = []

        def commit() -> str:
            answers.append(session.send_command("commit", expect_string=COMMIT_DONE, strip_prompt=False,
                                                cmd_verify=False, read_timeout=params["commit_timeout"]))
            return answers[-1]

        try:
            wait.wait_for(commit, lambda answer: COMMIT_BUSY not in answer, deadline - wait.now(),
                          "the firewall to take the commit", wait.Backoff(2.0, 15.0))
        except wait.WaitTimeout:
            pass  # the CLI's last answer, in the output, says why nothing was committed
        output += "".join(answers)
        output += session.send_command("exit", expect_string=r">", strip_prompt=False, cmd_verify=False,
                                       read_timeout=step_timeout)
    finally:
        session.disconnect()
    return output.replace(provider["password"], "********")


def bootstrap_status(module: AnsibleModule, session: Any) -> str:
    """`show system bootstrap status` over SSH: the phases and, for a failed one, why."""
    try:
        return session.send_command("show system bootstrap status", expect_string=r">", strip_prompt=True,
                                    cmd_verify=False, read_timeout=module.params["ssh_timeout"]).strip()
    except Exception as error:  # noqa: BLE001 - the status is for the message only
        return f"(could not be read: {type(error).__name__}: {error})"


def fail_bootstrap(module: AnsibleModule, host: str, status: str) -> None:
    """A bootstrapped firewall without its password booted without its package: say why, in
    PAN-OS's words, and touch nothing."""
    module.fail_json(msg=(f"The firewall at {host} did not take the admin password from its bootstrap package: its "
                          f"bootstrap failed and it came up with its factory configuration. 'show system bootstrap status' "
                          f"says:\n{status}\nA firewall reads its package at its first boot only: fix what it names (the "
                          "bucket, the instance role's S3 reads, the package), then terminate this instance and re-run "
                          "site.yml to launch it again. Nothing was configured over SSH or the XML API."),
                     bootstrap_status=status)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "provider": {"type": "dict", "required": True, "options": provider_spec()},
            "ssh_host": {"type": "str"},
            "ssh_port": {"type": "int", "default": 22},
            "ssh_key_file": {"type": "path", "required": True, "no_log": False},
            "ssh_timeout": {"type": "int", "default": 30},
            "commit_timeout": {"type": "int", "default": 600},
            "wait_for_ssh_timeout": {"type": "int", "default": 1200},
            "api_wait_timeout": {"type": "int", "default": 30},
            "return_api_key": {"type": "bool", "default": False},
            "bootstrapped": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    params = module.params
    provider = params["provider"]
    if not provider.get("password"):
        module.fail_json(msg="provider.password is required: it is the password this module sets (keep it in Ansible Vault).")
    if not HAS_NETMIKO:
        module.fail_json(msg=missing_required_lib("netmiko"))
    started = wait.now()
    connection = PanosConnection(module, {**provider, "api_key": None}, api_wait_timeout=params["api_wait_timeout"])

    def finish(changed: bool, method: str, key: str = "", attempts: int = 0, ready_wait: float = 0.0) -> None:
        returned = {"api_key": key} if params["return_api_key"] and key else {}
        module.exit_json(changed=changed, method=method, waited=round(wait.now() - started, 1),
                         ssh_attempts=attempts, chassis_ready_wait=ready_wait, api_wait=connection.api_wait, **returned)

    key = try_keygen(module, connection, params["api_wait_timeout"])
    if key:
        finish(False, "api", key)

    # Refused or not answering: a fresh firewall (no password yet) or one still booting. SSH with
    # the key pair tells them apart: once the chassis is ready, a refusal is the firewall's answer.
    host = params["ssh_host"] or provider["ip_address"]
    deadline = started + params["wait_for_ssh_timeout"]
    session, attempts = open_ssh(module, host, deadline)
    ready_wait = wait_chassis_ready(module, session, deadline)
    key = try_keygen(module, connection, params["api_wait_timeout"])
    if key:
        session.disconnect()
        finish(False, "api", key, attempts, ready_wait)
    if params["bootstrapped"]:
        # A failed bootstrap says so in its status; otherwise the password comes with the boot-time
        # commit of bootstrap.xml, which may end a moment after the chassis is ready, so refusals
        # are waited out for a while before they count.
        status = bootstrap_status(module, session)
        if BOOTSTRAP_FAILED not in status:
            key = try_keygen(module, connection, params["api_wait_timeout"], boot_wait=True)
            if key:
                session.disconnect()
                finish(False, "api", key, attempts, ready_wait)
            status = bootstrap_status(module, session)
        session.disconnect()
        fail_bootstrap(module, host, status)
    if module.check_mode:
        session.disconnect()
        finish(True, "ssh", attempts=attempts, ready_wait=ready_wait)

    try:
        output = set_password_over_ssh(module, session)
    except PasswordRefused as refusal:
        module.fail_json(msg=(f"The firewall at {host} refused the new admin password: {refusal}. PAN-OS's password "
                              "rules apply (by default at least 8 characters with a lowercase letter, an uppercase "
                              "letter and a number or special character, and not a commonly used word; a password "
                              "complexity profile may add more): choose another vmseries_admin_password and re-run. "
                              "Nothing was committed."), ssh_attempts=attempts)
    except Exception as error:  # noqa: BLE001 - netmiko raises many kinds; all mean the same to the user
        module.fail_json(msg=(f"Setting the password over SSH on {host}:{params['ssh_port']} failed: "
                              f"{connection.redact(str(error))}. The CLI did not answer as PAN-OS does; re-run, or set "
                              "the password by hand (configure; set mgt-config users <user> password; commit)."),
                         ssh_attempts=attempts)
    if COMMITTED not in output:
        module.fail_json(msg=(f"The firewall did not commit the new password; its CLI said: {output[-1500:]} - fix "
                              "what it names (a password complexity profile, for example) and re-run."),
                         output=output, ssh_attempts=attempts)
    remaining = max(params["wait_for_ssh_timeout"] - (wait.now() - started), 60)
    key = try_keygen(module, connection, remaining, boot_wait=True)
    if not key:
        module.fail_json(msg=(f"The password was committed over SSH but the XML API on {connection.address} does not "
                              "accept it; check that provider.ip_address/port reach this firewall's management "
                              "interface, then re-run."), ssh_attempts=attempts, api_wait=connection.api_wait)
    finish(True, "ssh", key, attempts, ready_wait)


if __name__ == "__main__":
    main()
