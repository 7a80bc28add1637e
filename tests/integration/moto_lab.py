"""A stand-in for `vmseries-lab up` while only AWS is needed: moto in server mode, in-process.

Writes the same ``state.json`` (``aws_endpoint_url``, ``region``) that inventories/lab reads.
Run as a script for manual work: ``python tests/integration/moto_lab.py STATE_DIR``.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
AMIS = REPO / "lab" / "vmseries_lab" / "amis.json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(state_dir: Path):
    """Start moto on a free loopback port; return (server, state dict)."""
    os.environ.setdefault("MOTO_AMIS_PATH", str(AMIS))
    from moto.server import ThreadedMotoServer

    from vmseries_lab import moto_patches

    moto_patches.apply_all()
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    state = {"aws_endpoint_url": f"http://127.0.0.1:{port}", "region": REGION}
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "state.json").write_text(json.dumps(state, indent=2))
    return server, state


if __name__ == "__main__":
    import threading

    srv, st = start(Path(sys.argv[1]))
    print(json.dumps(st), flush=True)
    threading.Event().wait()
