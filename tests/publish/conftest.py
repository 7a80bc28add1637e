"""Fixtures for the publishing checks: the collection built exactly as it goes to Galaxy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Dict, Iterator

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def run(args, **kwargs) -> subprocess.CompletedProcess:
    """Runs a command, output captured as text; the caller asserts on the result."""
    kwargs.setdefault("cwd", REPO)
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=False, **kwargs)


def tool(name: str) -> str:
    return str(VENV_BIN / name)


@pytest.fixture(scope="session")
def galaxy_manifest() -> Dict:
    return yaml.safe_load((REPO / "galaxy.yml").read_text())


@pytest.fixture(scope="session")
def collection_tarball(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build")
    result = run([tool("ansible-galaxy"), "collection", "build", "--force", "--output-path", out, REPO])
    assert result.returncode == 0, result.stdout + result.stderr
    (tarball,) = out.glob("vmseries-aws_ha-*.tar.gz")
    return tarball


@pytest.fixture(scope="session")
def tarball_members(collection_tarball) -> list:
    with tarfile.open(collection_tarball) as tar:
        return [m.name for m in tar.getmembers()]


@pytest.fixture(scope="session")
def installed_collections(collection_tarball, tmp_path_factory) -> Iterator[Path]:
    """A collections path holding only the built tarball, installed as a user would."""
    path = tmp_path_factory.mktemp("collections")
    # Outside the checkout: its ansible.cfg lists .venv/collections, where the checkout itself is
    # linked in as vmseries.aws_ha, and ansible-galaxy would skip the install as already done.
    result = run(
        [tool("ansible-galaxy"), "collection", "install", "--force", "--no-deps", "-p", path, collection_tarball],
        env=ansible_env(path),
        cwd=path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    yield path


def ansible_env(collections_path: Path) -> Dict[str, str]:
    """Only the installed tarball and the amazon.aws of the `ansible` package: never the checkout.

    Run with cwd=collections_path, so that the checkout's ansible.cfg is not read either.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env["ANSIBLE_COLLECTIONS_PATH"] = str(collections_path)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def load_json(text: str):
    return json.loads(text)
