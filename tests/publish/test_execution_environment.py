"""The execution environment definition: `ansible-builder create` and what the build would install.

The image build needs podman or docker, which CI does not have; everything up to it is checked:
the build context, the pins (the EE must run what CI tests), the collection tarball inside it, and
ansible-builder's own introspection of the installed collections, whose merged Python requirements
must resolve on PyPI to exactly the pinned versions.
"""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path

import pytest
import yaml

from .conftest import REPO, VENV_BIN, ansible_env, run, tool


def pins(path: Path) -> dict:
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==(\S+)", line.strip())
        if match:
            found[normalize(match.group(1))] = match.group(2)
    return found


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(path: Path) -> list:
    names = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.append(normalize(re.split(r"[<>=!~;\[ ]", line, maxsplit=1)[0]))
    return names


@pytest.fixture(scope="module")
def ee_definition() -> dict:
    return yaml.safe_load((REPO / "execution-environment.yml").read_text())


@pytest.fixture(scope="module")
def build_context(tmp_path_factory) -> Path:
    context = tmp_path_factory.mktemp("ee") / "context"
    result = run([REPO / "scripts" / "ee", "create", "--context", context, "--output-filename", "Containerfile"])
    assert result.returncode == 0, result.stdout + result.stderr
    return context


def test_build_context_installs_the_pinned_stack(build_context, ee_definition):
    containerfile = (build_context / "Containerfile").read_text()
    dev_pins = pins(REPO / "requirements-dev.txt")
    assert f'ANSIBLE_INSTALL_REFS="ansible-core=={dev_pins["ansible-core"]} ansible-runner=={dev_pins["ansible-runner"]}"' in containerfile
    assert f'EE_BASE_IMAGE="{ee_definition["images"]["base_image"]["name"]}"' in containerfile
    assert "ansible-galaxy collection install" in containerfile and "introspect.py introspect" in containerfile

    galaxy = yaml.safe_load((build_context / "_build" / "requirements.yml").read_text())
    by_name = {c["name"]: c for c in galaxy["collections"]}
    installed_amazon_aws = json.loads(
        run([tool("ansible-galaxy"), "collection", "list", "amazon.aws", "--format", "json"], env=ansible_env(build_context), cwd=build_context).stdout
    )
    tested_versions = {v["version"] for path in installed_amazon_aws.values() for v in path.values()}
    assert by_name["amazon.aws"]["version"] == "==" + tested_versions.pop(), "pin amazon.aws to the version ansible ships"

    local = by_name["collections/vmseries-aws_ha.tar.gz"]
    assert local["type"] == "file"
    # The build runs `ansible-galaxy collection install` in /build, where _build/ is copied.
    tarball = build_context / "_build" / local["name"]
    with tarfile.open(tarball) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))
        names = tar.getnames()
    galaxy_yml = yaml.safe_load((REPO / "galaxy.yml").read_text())
    assert manifest["collection_info"]["version"] == galaxy_yml["version"]
    assert not [n for n in names if n.startswith(("lab/", "tests/"))]


def test_ee_python_pins_match_what_ci_tests(build_context):
    constraints = pins(REPO / "constraints.txt")
    ee_pins = pins(build_context / "_build" / "requirements.txt")
    needed = requirement_names(REPO / "requirements.txt")
    assert sorted(ee_pins) == sorted(needed), "execution-environment.yml must pin exactly the packages of requirements.txt"
    assert {name: constraints[name] for name in needed} == ee_pins


def test_introspection_merges_to_the_pinned_versions(build_context, tmp_path):
    """What the builder stage of the image does, on this machine: introspect, then resolve."""
    collections = tmp_path / "collections"
    result = run(
        [tool("ansible-galaxy"), "collection", "install", "--no-deps", "--force", "-p", collections,
         build_context / "_build" / "collections" / "vmseries-aws_ha.tar.gz"],
        env=ansible_env(collections.parent), cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    amazon_aws = run([VENV_BIN / "python", "-c", "import ansible_collections.amazon.aws as m; print(list(m.__path__)[0])"]).stdout.strip()
    (collections / "ansible_collections" / "amazon").mkdir()
    (collections / "ansible_collections" / "amazon" / "aws").symlink_to(amazon_aws)

    merged = tmp_path / "requirements.txt"
    result = run(
        [VENV_BIN / "python", build_context / "_build" / "scripts" / "introspect.py", "introspect",
         "--user-pip", build_context / "_build" / "requirements.txt", "--write-pip", merged, collections]
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sources = merged.read_text()
    assert "from collection vmseries.aws_ha" in sources, "the collection's meta/execution-environment.yml was not found"

    report = tmp_path / "report.json"
    result = run([VENV_BIN / "python", "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet", "--report", report, "-r", merged])
    assert result.returncode == 0, result.stdout + result.stderr
    resolved = {normalize(i["metadata"]["name"]): i["metadata"]["version"] for i in json.loads(report.read_text())["install"]}
    assert {name: resolved[name] for name in pins(build_context / "_build" / "requirements.txt")} == pins(build_context / "_build" / "requirements.txt")
