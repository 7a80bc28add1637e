"""SSH to a firewall twin: the admin CLI subset a first boot on AWS needs.

A VM-Series on AWS has no admin password until someone logs in with the instance's EC2 key pair
and sets one. This server accepts that key (and, once set, the password), and speaks enough of
the PAN-OS CLI for netmiko's ``paloalto_panos`` driver: scripting mode, pager, terminal width,
``show system info``, ``show chassis-ready``, ``configure``, ``set mgt-config users <user>
password`` with its two prompts, ``commit`` with the job progress line, and ``exit``.

During boot it answers as the firewall's boot phase allows: the key is refused until the admin
account has it (phase ssh-key-refused), and a password only works once the auth service is up.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import paramiko

from .errors import ApiError
from .opcmds import bootstrap_status, system_info

if TYPE_CHECKING:  # pragma: no cover - types only
    from .firewall import Firewall

# PAN-OS's default password rules (9.0.4 release notes; 10.1 web interface help, which gives only
# examples of the commonly used words it refuses). The wording of PAN-OS's refusal was not found in
# any public source: these messages are the lab's own (lab/README.md).
PASSWORD_MIN_LENGTH = 8
COMMON_PASSWORDS = ("admin", "password", "letmein", "pa55word", "qwerty", "q1w2e3r4")


def password_refusal(password: str) -> str:
    """The lab's answer to a password PAN-OS's default rules refuse; empty when they accept it."""
    if password.lower() in COMMON_PASSWORDS:
        return "Password is a commonly used word or phrase"
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"Password must be at least {PASSWORD_MIN_LENGTH} characters long"
    if not (any(c.islower() for c in password) and any(c.isupper() for c in password)
            and any(not c.isalpha() for c in password)):
        return "Password must contain a lowercase letter, an uppercase letter and a number or special character"
    return ""


PASSWORD_PROMPT = "Enter password   : "
CONFIRM_PROMPT = "Confirm password : "


class _Auth(paramiko.ServerInterface):
    def __init__(self, firewall: "Firewall") -> None:
        self.firewall = firewall

    def get_allowed_auths(self, username: str) -> str:
        return "publickey,keyboard-interactive,password"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        if not self.firewall.accepts_ssh_key():
            self.firewall.counters.incr("ssh.key_refused_while_booting")
            return paramiko.AUTH_FAILED
        authorized = self.firewall.authorized_public_key()
        if username == "admin" and authorized and authorized.split()[1] == key.get_base64():
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_auth_password(self, username: str, password: str) -> int:
        if self.firewall.accepts_credentials() and self.firewall.accounts.check_password(username, password):
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_auth_interactive(self, username: str, submethods: str) -> Any:
        self._user = username
        query = paramiko.InteractiveQuery("", "")
        query.add_prompt("Password: ", False)
        return query

    def check_auth_interactive_response(self, responses: Any) -> int:
        if responses and self.firewall.accepts_credentials() and self.firewall.accounts.check_password(self._user, responses[0]):
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_pty_request(self, *args: Any) -> bool:
        return True

    def check_channel_shell_request(self, channel: Any) -> bool:
        return True


class CliSession:
    """One interactive CLI session on an accepted channel."""

    def __init__(self, firewall: "Firewall", channel: paramiko.Channel, user: str = "admin") -> None:
        self.fw = firewall
        self.channel = channel
        self.user = user
        self.config_mode = False
        self.buffer = b""

    @property
    def prompt(self) -> str:
        host = "PA-VM"
        return f"\r\n[edit]\r\n{self.user}@{host}# " if self.config_mode else f"\r\n{self.user}@{host}> "

    def write(self, text: str) -> None:
        self.channel.sendall(text.replace("\r\n", "\n").replace("\n", "\r\n").encode())

    def read_line(self, echo: bool = True) -> Optional[str]:
        while True:
            for separator in (b"\r\n", b"\n", b"\r"):
                if separator in self.buffer:
                    line, self.buffer = self.buffer.split(separator, 1)
                    if echo:
                        self.write("\n")
                    return line.decode(errors="replace")
            data = self.channel.recv(1024)
            if not data:
                return None
            clean = data.replace(b"\x7f", b"")
            if echo:
                self.channel.sendall(clean.replace(b"\r\n", b"").replace(b"\n", b"").replace(b"\r", b""))
            self.buffer += clean

    def run(self) -> None:
        try:
            self.write(f"Last login: never\n\nNumber of failed attempts since last successful login: 0\n\n{self.prompt}")
            while True:
                line = self.read_line()
                if line is None:
                    return
                if not self.handle(line.strip()):
                    return
                self.write(self.prompt)
        except (OSError, EOFError, paramiko.SSHException):
            return
        finally:
            self.channel.close()

    def handle(self, command: str) -> bool:
        if not command:
            return True
        words = command.split()
        if command in ("exit", "quit"):
            if self.config_mode:
                self.config_mode = False
                self.write("Exiting configuration mode\n")
                return True
            return False
        if not self.config_mode:
            return self.op(command, words)
        return self.configure(command, words)

    def op(self, command: str, words: list) -> bool:
        if words[:2] == ["set", "cli"]:
            return True
        if command == "show system info":
            info = system_info(self.fw)
            self.write("\n" + "\n".join(f"{child.tag}: {(child.text or '').strip()}" for child in info if len(child) == 0) + "\n")
        elif command == "show system bootstrap status":
            self.write("\n" + bootstrap_status(self.fw) + "\n")
        elif command == "show chassis-ready":
            self.write("\n" + ("yes" if self.fw.chassis_ready() else "no") + "\n")
        elif command == "configure":
            self.config_mode = True
            self.write("Entering configuration mode\n")
        else:
            self.write(f"Unknown command: {words[0]}\n")
        return True

    def configure(self, command: str, words: list) -> bool:
        if len(words) == 5 and words[:3] == ["set", "mgt-config", "users"] and words[4] == "password":
            self.set_password(words[3])
        elif words[0] == "commit":
            try:
                ok, messages, job = self.fw.jobs.commit_and_wait(source="cli")
            except ApiError as error:
                self.write(error.message + "\n")
                return True
            if job is None:
                self.write("There are no changes to commit.\n")
            elif ok:
                self.write(f"Commit job {job} is in progress. Use Ctrl+C to return to command prompt\n"
                           "...55%...75%...98%.............100%\nConfiguration committed successfully\n")
            else:
                self.write("Commit failed\n" + "\n".join(messages) + "\n")
        elif words[0] == "run":
            self.op(" ".join(words[1:]), words[1:])
        else:
            self.write("Invalid syntax.\n")
        return True

    def set_password(self, username: str) -> None:
        self.write(PASSWORD_PROMPT)
        first = self.read_line(echo=False)
        self.write("\n" + CONFIRM_PROMPT)
        second = self.read_line(echo=False)
        self.write("\n")
        if first is None or second is None:
            return
        if first != second:
            self.write("Passwords do not match\n")
            return
        if not first:
            self.write("Invalid password\n")
            return
        refusal = password_refusal(first)
        if refusal:
            self.write(refusal + "\n")
            return
        self.fw.accounts.set_password(first, username=username)


class SSHServer:
    """The firewall's SSH listener on loopback; stop() refuses connections again."""

    def __init__(self, firewall: "Firewall", host: str = "127.0.0.1", port: int = 0, host_key_file: Optional[str] = None) -> None:
        self.firewall = firewall
        self.host, self.port = host, port
        self.host_key = self._host_key(host_key_file)
        self._socket: Optional[socket.socket] = None
        self._stop = threading.Event()
        self._transports: list = []

    @staticmethod
    def _host_key(path: Optional[str]) -> paramiko.PKey:
        if path and Path(path).exists():
            return paramiko.RSAKey(filename=path)
        key = paramiko.RSAKey.generate(2048)
        if path:
            key.write_private_key_file(path)
        return key

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(16)
        sock.settimeout(0.2)
        self.port = sock.getsockname()[1]
        self._socket = sock
        self._stop.clear()
        threading.Thread(target=self._accept, daemon=True, name=f"ssh-{self.firewall.instance_id}").start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._socket.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        transport = paramiko.Transport(client)
        self._transports.append(transport)
        transport.add_server_key(self.host_key)
        try:
            transport.start_server(server=_Auth(self.firewall))
            channel = transport.accept(30)
            if channel is None:
                return
            self.firewall.counters.incr("ssh.sessions")
            CliSession(self.firewall, channel, transport.get_username() or "admin").run()
        except (paramiko.SSHException, EOFError, OSError):
            return
        finally:
            transport.close()

    def stop(self) -> None:
        self._stop.set()
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        for transport in self._transports:
            transport.close()
        self._transports.clear()
