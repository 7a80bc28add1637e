"""Make this checkout importable as ansible_collections.vmseries.aws_ha (as `make` links it for
ansible), next to the collections shipped in site-packages, for every test that imports our
plugins in-process (unit tests, and integration tests that drive module_utils against the lab)."""

from __future__ import annotations

import sys
from pathlib import Path

COLLECTIONS = Path(__file__).resolve().parents[1] / ".venv" / "collections"
if COLLECTIONS.is_dir() and str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
    import ansible_collections

    ansible_collections.__path__.append(str(COLLECTIONS / "ansible_collections"))  # type: ignore[attr-defined]
