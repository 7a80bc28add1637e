"""The HA1 link between two firewall twins: newline-delimited JSON messages over loopback TCP.

The link only carries messages; what they mean is the engine's. A firewall finds its peer's HA1
port through the lab (by the peer's management IP, as PAN-OS finds its peer by `peer-ip`)."""

from __future__ import annotations

import json
import socket
import threading
from typing import Any, Callable, Dict, Optional

from ..ports import service_port


class HaLink:
    """Listens for the peer's messages and sends ours; `port` is kept across restarts, as a
    firewall keeps its ports across a stop and start of its instance."""

    def __init__(self, name: str, on_message: Callable[[Dict[str, Any]], None],
                 peer_port: Callable[[str], Optional[int]], on_sent: Callable[[str], None]) -> None:
        self.name = name
        self._on_message = on_message
        self._peer_port = peer_port
        self._on_sent = on_sent
        self.port: Optional[int] = None
        self._running = threading.Event()
        self._listener: Optional[socket.socket] = None
        self._out: Optional[socket.socket] = None

    @property
    def listening(self) -> bool:
        return self._running.is_set()

    def open(self) -> None:
        self._running.set()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.port is None:
            self.port = service_port()
        sock.bind(("127.0.0.1", self.port))
        sock.listen(4)
        sock.settimeout(0.2)
        self.port = sock.getsockname()[1]
        self._listener = sock
        threading.Thread(target=self._accept, daemon=True, name=f"ha1-accept-{self.name}").start()

    def close(self) -> None:
        self._running.clear()
        for sock in (self._listener, self._out):
            if sock is not None:
                try:
                    sock.close()
                except OSError:
                    pass
        self._listener, self._out = None, None

    def send(self, peer_ip: str, message: Dict[str, Any]) -> bool:
        """Deliver one message to the peer at `peer_ip`; False when it cannot be reached."""
        if not peer_ip:
            return False
        if self._out is None:
            port = self._peer_port(peer_ip)
            if port is None:
                return False
            try:
                self._out = socket.create_connection(("127.0.0.1", port), timeout=0.5)
            except OSError:
                self._out = None
                return False
        try:
            self._out.sendall((json.dumps(message) + "\n").encode())
            self._on_sent(message["type"])
            return True
        except OSError:
            try:
                self._out.close()
            except OSError:
                pass
            self._out = None
            return False

    def _accept(self) -> None:
        while self._running.is_set():
            listener = self._listener
            if listener is None:
                return
            try:
                conn, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._receive, args=(conn,), daemon=True).start()

    def _receive(self, conn: socket.socket) -> None:
        conn.settimeout(1.0)
        buffer = b""
        with conn:
            while self._running.is_set():
                try:
                    data = conn.recv(65536)
                except socket.timeout:
                    continue
                except OSError:
                    return
                if not data:
                    return
                buffer += data
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    try:
                        self._on_message(json.loads(line))
                    except (ValueError, KeyError):
                        continue
