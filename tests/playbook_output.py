"""What the tests read of ansible-playbook's output, for the lab and the integration suites alike."""

from __future__ import annotations

from typing import Dict


def play_recap(output: str) -> Dict[str, Dict[str, int]]:
    """host -> its PLAY RECAP counters (ok, changed, unreachable, failed, skipped, rescued, ignored)."""
    if "PLAY RECAP" not in output:
        return {}
    found: Dict[str, Dict[str, int]] = {}
    for line in output.rsplit("PLAY RECAP", 1)[1].splitlines()[1:]:
        host, colon, counters = line.partition(":")
        if not colon or "=" not in counters:
            continue
        found[host.strip()] = {key: int(value) for key, value in (item.split("=", 1) for item in counters.split())}
    return found


def host_recap(output: str, host: str) -> Dict[str, int]:
    """One host's PLAY RECAP counters; a clear failure, with the output's end, when it has none."""
    found = play_recap(output).get(host)
    if found is None:
        raise AssertionError(f"no PLAY RECAP line for {host}:\n{output[-3000:]}")
    return found
