"""Binder readiness beyond tests/test_repository.py: what repo2docker will actually read and build.

repo2docker reads its configuration from ``binder/`` *or* ``.binder/`` (both at once is an error)
and, when such a folder exists, ignores every configuration file at the top level (so the root
``environment.yml`` and ``pyproject.toml`` serve laptops only). Inside the folder the first
matching build pack wins: a ``Dockerfile``, Julia/Nix/R files, an ``environment.yml`` (conda: then
``runtime.txt`` is ignored) or a ``Pipfile`` would each replace the pip build pack the course
relies on. These tests keep ``binder/`` a plain pip configuration whose Python version every
pinned package accepts.
"""

from __future__ import annotations

import importlib.metadata as md
import re
import tomllib
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
# Files that make repo2docker pick another build pack than pip (or feed it a second environment).
OTHER_BUILD_PACKS = (
    "Dockerfile",
    "environment.yml",
    "environment.yaml",
    "Pipfile",
    "Pipfile.lock",
    "Project.toml",
    "JuliaProject.toml",
    "REQUIRE",
    "default.nix",
    "install.R",
    "DESCRIPTION",
    "setup.py",
    "requirements3.txt",
)
# What repo2docker's pip build pack reads from binder/ (anything else there is ignored or wrong).
PIP_BUILD_PACK_FILES = {"requirements.txt", "runtime.txt", "postBuild", "apt.txt", "start"}
# runtime.txt's "python-3.11" gets the newest 3.11.x release: compare against a late patch level.
LATEST_PATCH = 99


def _runtime_python() -> Version:
    m = re.fullmatch(r"python-(\d+\.\d+)", (BINDER / "runtime.txt").read_text().strip())
    assert m, "binder/runtime.txt must read python-X.Y"
    return Version(m.group(1))


def test_binder_is_the_only_configuration_folder():
    assert BINDER.is_dir()
    assert not (ROOT / ".binder").exists(), "repo2docker refuses a repository with both binder/ and .binder/"


def test_binder_folder_is_a_plain_pip_configuration():
    present = {p.name for p in BINDER.iterdir()}
    clashing = sorted(present & set(OTHER_BUILD_PACKS))
    assert not clashing, f"binder/{clashing} would make repo2docker use another build pack than pip"
    assert {"requirements.txt", "runtime.txt", "postBuild"} <= present
    assert present <= PIP_BUILD_PACK_FILES, (
        f"binder/ holds files repo2docker does not read: {sorted(present - PIP_BUILD_PACK_FILES)}"
    )


def _requirement_lines() -> list[str]:
    """binder/requirements.txt's requirement lines, without comments and hash continuation lines."""
    lines = []
    for line in (BINDER / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip().removesuffix("\\").strip()
        if line and not line.startswith("--hash=sha256:"):
            lines.append(line)
    return lines


def test_binder_requirements_are_exact_pins_from_the_index():
    for line in _requirement_lines():
        if line:
            assert not line.startswith(("-e", "-r", "-c", ".", "/", "git+", "--")), (
                f"binder/requirements.txt: {line!r} — the course package is installed by postBuild, pins come from the index"
            )
            assert re.fullmatch(r"[A-Za-z0-9_.\-]+(\[[\w,\-]+\])?==[^\s;]+", line), f"not an exact pin: {line!r}"


def test_postbuild_is_an_executable_bash_script_that_installs_from_the_repository_root():
    post = BINDER / "postBuild"
    text = post.read_text()
    assert text.startswith("#!/usr/bin/env bash\n") or text.startswith("#!/bin/bash\n"), "postBuild needs a shebang"
    assert post.stat().st_mode & 0o111, "postBuild must be executable"
    assert 'cd "$(dirname "$0")/.."' in text, (
        "postBuild must work from any current directory (repo2docker, make install)"
    )
    assert "set -euo pipefail" in text, "a failing step must fail the Binder build, not pass silently"


def test_every_pinned_package_accepts_binders_python():
    """A pin whose Requires-Python excludes runtime.txt's version breaks the Binder build."""
    python = _runtime_python()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert SpecifierSet(project["requires-python"]).contains(f"{python}.{LATEST_PATCH}"), (
        f"binder/runtime.txt python-{python} is excluded by course_utils' requires-python {project['requires-python']}"
    )
    rejected = []
    checked = 0
    for line in _requirement_lines():
        name, version = line.split("==")
        name = name.split("[")[0]  # coverage[toml]: the distribution is coverage
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue  # not installed in this venv: nothing to read its Requires-Python from
        if dist.version != version:
            continue  # the venv holds another version than the pin: its metadata says nothing about the pin
        checked += 1
        requires = dist.metadata.get("Requires-Python")
        if requires and not SpecifierSet(requires).contains(f"{python}.{LATEST_PATCH}"):
            rejected.append(f"{name}=={version} (Requires-Python {requires})")
    assert checked >= 50, f"only {checked} pins could be checked against the installed metadata"
    assert not rejected, f"these pins do not install on Binder's Python {python}: {rejected}"


@pytest.mark.slow  # a subprocess that imports TensorFlow or starts a kernel: `make test`, not test-quick
def test_binder_start_configures_the_server_to_cull_idle_kernels(tmp_path):
    """Issue 16: a finished lesson's idle kernel (TensorFlow loaded) must not hold memory forever on Binder.

    binder/start (run by repo2docker before the server) must give jupyter_server 2 a kernel culler;
    ``--show-config`` prints the configuration the server really loaded, so wrong option names or a
    file the server does not read would show here.
    """
    import os
    import subprocess
    import sys

    from jupyter_server.services.kernels.kernelmanager import MappingKernelManager

    start = BINDER / "start"
    assert start.stat().st_mode & 0o111, "binder/start must be executable"
    (tmp_path / "home").mkdir()
    (tmp_path / "tmp").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env.update(HOME=str(tmp_path / "home"), TMPDIR=str(tmp_path / "tmp"))
    jupyter = str(Path(sys.executable).parent / "jupyter")
    proc = subprocess.run(
        ["bash", str(start), jupyter, "server", "--show-config"], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    section = re.search(r"^MappingKernelManager\n((?:[ \t]+\..*\n)+)", proc.stdout, flags=re.M)
    assert section, f"the server loaded no MappingKernelManager settings:\n{proc.stdout[-2000:]}"
    settings = dict(re.findall(r"^\s+\.(\w+) = (.+)$", section.group(1), flags=re.M))
    assert set(settings) <= set(MappingKernelManager.class_trait_names()), f"unknown options: {settings}"
    assert 0 < int(settings.get("cull_idle_timeout", "0")) <= 3600, settings
    assert 0 < int(settings.get("cull_interval", "0")) <= 300, settings
    assert settings.get("cull_connected") == "True", "an idle kernel whose notebook tab is still open must be culled"
    assert settings.get("cull_busy") == "False", "a kernel running a cell must never be culled"
