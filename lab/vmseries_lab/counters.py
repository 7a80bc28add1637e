"""Per-firewall counters and timestamped events, for benchmarks, idempotence checks and the
failover timeline."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any, Dict, List


class Counters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter = Counter()
        self._events: List[Dict[str, Any]] = []

    def incr(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._counts[name] += n

    def event(self, kind: str, **data: Any) -> None:
        with self._lock:
            self._counts[f"events.{kind}"] += 1
            self._events.append({"kind": kind, "time": time.time(), **data})
            del self._events[:-500]  # a long-running lab keeps the recent history only

    def get(self, name: str) -> int:
        with self._lock:
            return self._counts[name]

    def snapshot(self) -> Dict[str, Any]:
        with self._lock:
            return {"counts": dict(sorted(self._counts.items())), "events": list(self._events)}
