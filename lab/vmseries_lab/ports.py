"""Ports for the services a firewall twin opens and closes over its life (API, SSH, HA1).

A firewall keeps its ports across a stop and a start of its instance, and a boot opens them one
phase after another, so a port is chosen long before it is listened on. A port taken from the
kernel's ephemeral range could meanwhile become the local port of one of the many client
connections on loopback (boto3, the XML API clients), and the listener would then fail with
"Address already in use". These ports therefore come from below that range, where the kernel
never hands out client ports.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

LOWEST = 10000
_taken: set = set()


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default; other systems' ranges start higher


def service_port() -> int:
    """A loopback port outside the ephemeral range that nothing listens on now and that this
    process has not handed out before."""
    high = _ephemeral_start() - 1
    for _ in range(1000):
        port = random.randint(LOWEST, high)  # noqa: S311 - a port number, not a secret
        if port in _taken:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _taken.add(port)
        return port
    raise RuntimeError(f"no free loopback port between {LOWEST} and {high}")
