"""Active/passive HA of a firewall twin, split along its concerns.

- config.py: the HA settings read from the committed configuration, and what config sync carries.
- link.py: the HA1 link - messages over loopback TCP between the two twins.
- engine.py: the state machine - election by priority, heartbeats and peer loss, preemption,
  licence checks, suspend/functional, config sync only when PAN-OS does it.
- cloud.py: on promotion, the dataplane move in AWS (interface move or secondary-IP move) made
  with the firewall's own instance role, each call checked against its IAM policy.
- report.py: `show high-availability all`.

Timers are PAN-OS's for the VM-Series on AWS (recommended: promotion hold 2000 ms, hello 8000 ms,
heartbeat 2000 ms, preemption hold 1 min; aggressive: promotion hold 500 ms, hello 8000 ms,
heartbeat 1000 ms), multiplied by the profile's HA timer factor. The peer counts as lost after
three missed heartbeats; a firewall that hears no peer for three hello intervals after boot goes
active alone.

Config sync happens only when PAN-OS promises it: a commit on a member of a formed pair is pushed
to the peer, and `request high-availability sync-to-remote running-config` pushes the running
configuration. A pair that forms with two different configurations stays `not synchronized`
(what a real VM-50 pair shows for hours) until one of those happens. The receiving peer installs
the configuration in an HA-Sync job.

Lab extension, documented in the lab's README: ``show high-availability all`` carries
``group/dataplane-interface-move`` with the outcome of the last ENI move (status, error, time),
which is where a missing IAM permission shows up.
"""

from .engine import HAEngine

__all__ = ["HAEngine"]
