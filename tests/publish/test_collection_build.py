"""Publishing checks: what `ansible-galaxy collection build` ships, and whether Galaxy accepts it.

Galaxy runs galaxy-importer on every upload; these tests run the same importer (from PyPI, in a
virtualenv of its own) and ansible-doc on the built tarball, so a collection that would be
rejected, or whose documentation would not render, fails here first.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path

import pytest

from .conftest import REPO, ansible_env, load_json, run, tool

# What users install. Anything else at the top of the tarball is a build_ignore omission.
SHIPPED_TOP_LEVEL = {
    ".ansible-lint-ignore",  # the importer's ansible-lint honours it, as ours does
    "CHANGELOG.rst",
    "FILES.json",
    "MANIFEST.json",
    "README.md",
    "changelogs",
    "docs",
    "inventories",
    "meta",
    "playbooks",
    "plugins",
    "requirements.txt",
    "requirements.yml",
    "roles",
    "site.yml",
}
# The lab, the test harness and developer tooling: never in the tarball.
NEVER_SHIPPED = (
    "lab/",
    "tests/",
    "scripts/",
    "extensions/",
    "inventories/lab/",
    "awx/",
    ".venv/",
    ".lab/",
    ".cache/",
    "dist/",
    "context/",
    "reports/",
)
NEVER_SHIPPED_FILES = {"ansible.cfg", "Makefile", "constraints.txt", "requirements-dev.txt", "execution-environment.yml", "pytest.ini"}

IMPORTER_REQUIREMENTS = Path(__file__).with_name("galaxy-importer-requirements.txt")


def repo_modules():
    return sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if p.stem != "__init__")


def repo_roles():
    return sorted(p.name for p in (REPO / "roles").iterdir() if (p / "tasks").is_dir())


def test_tarball_ships_the_collection_and_nothing_of_the_lab_or_the_tests(tarball_members, galaxy_manifest):
    top_level = {name.split("/", 1)[0] for name in tarball_members if name != "."}
    assert top_level - SHIPPED_TOP_LEVEL == set(), "unexpected top-level entries: add them to build_ignore in galaxy.yml"
    leaked = sorted(
        name
        for name in tarball_members
        if name.startswith(NEVER_SHIPPED) or name in NEVER_SHIPPED_FILES or "__pycache__" in name or name.endswith(".pyc")
    )
    assert leaked == []
    for module in repo_modules():
        assert f"plugins/modules/{module}.py" in tarball_members
    for role in repo_roles():
        assert f"roles/{role}/meta/argument_specs.yml" in tarball_members
    assert "meta/execution-environment.yml" in tarball_members
    assert "inventories/aws/hosts.yml" in tarball_members


def test_ansible_doc_renders_every_module(installed_collections):
    modules = [f"vmseries.aws_ha.{m}" for m in repo_modules()]
    result = run([tool("ansible-doc"), "--type", "module", "--json", *modules], env=ansible_env(installed_collections), cwd=installed_collections)
    assert result.returncode == 0, result.stderr
    assert "[WARNING]" not in result.stderr, result.stderr
    docs = load_json(result.stdout)
    assert sorted(docs) == sorted(modules)
    for name, entry in docs.items():
        doc = entry["doc"]
        assert doc.get("short_description"), name
        assert doc.get("description"), name
        assert doc.get("author"), name
        assert entry.get("examples", "").strip(), f"{name} has no EXAMPLES"
        assert entry.get("return") is not None, f"{name} has no RETURN"
        secrets = {
            opt
            for opt, spec in doc.get("options", {}).items()
            if re.search(r"password|api_key|secret", opt) and not spec.get("suboptions")
        }
        assert all(doc["options"][opt].get("no_log", True) for opt in secrets)


def test_ansible_doc_renders_every_role_and_filter(installed_collections):
    env = ansible_env(installed_collections)
    for role in repo_roles():
        result = run([tool("ansible-doc"), "--type", "role", "--json", f"vmseries.aws_ha.{role}"], env=env, cwd=installed_collections)
        assert result.returncode == 0, f"{role}: {result.stderr}"
        entry_points = load_json(result.stdout)[f"vmseries.aws_ha.{role}"]["entry_points"]
        assert "main" in entry_points, role
        assert entry_points["main"].get("short_description"), role
    result = run([tool("ansible-doc"), "--type", "filter", "--json", "vmseries.aws_ha.pair_index"], env=env, cwd=installed_collections)
    assert result.returncode == 0, result.stderr
    assert load_json(result.stdout)["vmseries.aws_ha.pair_index"]["doc"].get("description")


@pytest.fixture(scope="session")
def importer_python() -> Path:
    """galaxy-importer's own virtualenv under .cache, rebuilt when its pins change."""
    digest = hashlib.sha256(IMPORTER_REQUIREMENTS.read_bytes()).hexdigest()[:12]
    venv = REPO / ".cache" / f"importer-venv-{digest}"
    python = venv / "bin" / "python"
    if not (venv / ".installed").exists():
        result = run([sys.executable, "-m", "venv", "--clear", venv])
        assert result.returncode == 0, result.stderr
        result = run([python, "-m", "pip", "install", "--quiet", "-r", IMPORTER_REQUIREMENTS])
        assert result.returncode == 0, result.stdout + result.stderr
        (venv / ".installed").touch()
    return python


def test_galaxy_importer_accepts_the_tarball_without_errors_or_warnings(collection_tarball, importer_python, tmp_path):
    config = tmp_path / "galaxy-importer.cfg"
    # As Galaxy runs it, minus ansible-test sanity, which needs a container engine here and which
    # `scripts/sanity` runs on the same tarball.
    config.write_text(
        "[galaxy-importer]\n"
        "RUN_ANSIBLE_DOC = True\n"
        "RUN_ANSIBLE_LINT = True\n"
        "RUN_ANSIBLE_TEST = False\n"
        "CHECK_CHANGELOG = True\n"
        f"TMP_ROOT_DIR = {tmp_path}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "GALAXY_IMPORTER_"))}
    env["GALAXY_IMPORTER_CONFIG"] = str(config)
    env["PATH"] = f"{importer_python.parent}{os.pathsep}{env.get('PATH', '')}"
    result = run([importer_python, "-m", "galaxy_importer.main", collection_tarball], env=env, cwd=tmp_path, timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Importer processing completed successfully" in output, output
    problems = [line for line in output.splitlines() if re.search(r"\b(ERROR|WARNING|Traceback)\b", line)]
    assert problems == [], output
