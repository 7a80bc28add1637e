"""Make this checkout importable as ansible_collections.vmseries.aws_ha (as `make` links it for
ansible), next to the collections shipped in site-packages."""

from __future__ import annotations

import sys
from pathlib import Path

COLLECTIONS = Path(__file__).resolve().parents[3] / ".venv" / "collections"
if COLLECTIONS.is_dir() and str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
    import ansible_collections

    ansible_collections.__path__.append(str(COLLECTIONS / "ansible_collections"))  # type: ignore[attr-defined]
