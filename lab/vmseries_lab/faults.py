"""Faults switched on at run time (`vmseries-lab fault`), for reliability tests."""

from __future__ import annotations

import threading
from typing import Any, Dict, List, Optional


class Faults:
    """Faults switched on at run time: each is used up `count` times (None = until cleared)."""

    # download-fail and install-fail fail a software or content job; no-boot keeps a restarted
    # firewall from coming back (its instance stays running, nothing answers); job-stall holds
    # download and install jobs halfway for as long as it is set, and update-server-unreachable
    # makes the firewall answer as one whose management interface cannot reach Palo Alto's update
    # server (neither is used up).
    KINDS = ("api-error", "api-hang", "commit-fail", "aws-throttle", "download-fail", "install-fail", "no-boot",
             "job-stall", "update-server-unreachable")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: List[Dict[str, Any]] = []

    def set(self, kind: str, instance_id: Optional[str] = None, message: str = "", count: Optional[int] = None,
            **extra: Any) -> Dict[str, Any]:
        if kind not in self.KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(self.KINDS)}")
        fault = {"kind": kind, "instance_id": instance_id, "message": message or f"injected {kind}", "count": count, **extra}
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, instance_id: Optional[str], kind: str) -> Optional[Dict[str, Any]]:
        with self._lock:
            for fault in self._faults:
                if fault["kind"] == kind and fault["instance_id"] in (None, instance_id):
                    if fault["count"] is not None:
                        fault["count"] -= 1
                        if fault["count"] <= 0:
                            self._faults.remove(fault)
                    return dict(fault)
        return None

    def holds(self, instance_id: Optional[str], kind: str) -> bool:
        """Whether a fault of this kind is set for the instance, without using it up."""
        with self._lock:
            return any(f["kind"] == kind and f["instance_id"] in (None, instance_id) for f in self._faults)

    def list(self) -> List[Dict[str, Any]]:
        with self._lock:
            return [dict(f) for f in self._faults]
