# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one text form of a stage's fingerprint, as recorded in the tag `vmseries:fingerprint`:
`name=digest` per part, in a fixed order, so the parts that changed can be named."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Dict, List, Sequence

DIGEST_LENGTH = 12


def digest(value: Any) -> str:
    """A short digest of a JSON-able value (dict keys in any order)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:DIGEST_LENGTH]


def compose(inputs_digest: str, part_digests: Dict[str, str], names: Sequence[str]) -> str:
    """The fingerprint text: `inputs` (the stage inputs' digest, shortened) first, then each part of `names`."""
    values = {"inputs": inputs_digest[:DIGEST_LENGTH], **part_digests}
    return " ".join(f"{name}={values[name]}" for name in names)


def differences(recorded: str, current: str, names: Sequence[str]) -> List[str]:
    """The parts whose digest differs (all of them when nothing is recorded)."""
    def split(text: str) -> Dict[str, str]:
        return dict(item.split("=", 1) for item in text.split() if "=" in item)

    old, new = split(recorded), split(current)
    return [name for name in names if old.get(name) != new.get(name)]
