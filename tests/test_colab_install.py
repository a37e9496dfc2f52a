"""Colab readiness: the notebooks' setup cell installs course_utils without touching Colab's stack.

On Colab, TensorFlow, Keras, IPython, ipykernel and tornado are preinstalled; reinstalling or
upgrading any of them breaks the running kernel. Two things are proved here, offline:

1. **The setup cell runs pip only inside Colab.** Each lesson's first code cell is turned into
   Python by IPython's own input transformer (``%pip`` becomes ``get_ipython().run_line_magic``)
   and executed in a subprocess with a recording ``get_ipython``, once without and once with a
   ``google.colab`` module present.
2. **What that pip command would do, from pip's own ``--report``.** The recorded ``%pip`` arguments
   are replayed with ``--dry-run --report`` in a fresh venv that already holds the course stack
   (TensorFlow, IPython, ipykernel, tornado, NumPy, scikit-learn …, made visible through a ``.pth``
   file) *except* what Colab lacks — pydicom and nilearn — and with Colab's ipywidgets 7.7.1 (and
   the widgetsnbextension 3 / jupyterlab-widgets 1 it needs) in place of the lock's ipywidgets 8.
   An offline "index" (``--no-index --find-links``) offers the missing packages and ipywidgets 8
   (wheels carrying their real metadata) *and* newer versions 99.0 of tensorflow, tensorflow-cpu,
   keras, ipython, ipykernel and tornado, so that pip *could* upgrade them. The report must install
   course_utils and the missing packages and nothing of the protected stack, and keep Colab's
   ipywidgets 7 (course_utils accepts ``ipywidgets>=7.6,<9``). A control proves the check fails
   when a requirement does force an upgrade.

course_utils' wheel is made from ``pyproject.toml``'s ``[project]`` table (name, version from
``course_utils/__init__.py``, Requires-Python, dependencies, extras): pip decides what to install
from exactly that metadata, and building with setuptools would need a download of the build
backend, which tests never do.
"""

from __future__ import annotations

import ast
import csv
import importlib.metadata as md
import io
import json
import os
import re
import shlex
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
REPO_URL = "git+https://github.com/autoencoder-course/autoencoder-course"
PROTECTED = ("tensorflow", "tensorflow-cpu", "keras", "ipython", "ipykernel", "tornado")
# Distributions the simulated Colab lacks.
MISSING_ON_COLAB = ("pydicom", "nilearn")
# Colab preinstalls ipywidgets 7 (with its front-end packages): the install must keep them.
# (name, version, Requires-Dist, importable module) -- metadata trimmed to the widget packages.
COLAB_WIDGETS = (
    ("ipywidgets", "7.7.1", ["widgetsnbextension~=3.6.0", "jupyterlab-widgets>=1.0.0,<3"], "ipywidgets"),
    ("widgetsnbextension", "3.6.6", [], "widgetsnbextension"),
    ("jupyterlab_widgets", "1.1.11", [], "jupyterlab_widgets"),
)
# The lock's versions, which the offline index offers so that pip *could* upgrade Colab's.
OFFERED_UPGRADES = ("ipywidgets", "widgetsnbextension", "jupyterlab-widgets")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# --------------------------------------------------------------------------- the setup cell
RUNNER = textwrap.dedent(
    """
    import json, sys, types
    from IPython.core.inputtransformer2 import TransformerManager

    calls = []

    class FakeShell:
        def __getattr__(self, name):
            def record(*args, **kwargs):
                calls.append([name, [str(a) for a in args]])
            return record

    results = {}
    for path, source in json.load(sys.stdin).items():
        code = TransformerManager().transform_cell(source)
        results[path] = {}
        for colab in (False, True):
            sys.modules.pop("google.colab", None)
            if colab:
                sys.modules["google.colab"] = types.ModuleType("google.colab")
            calls.clear()
            exec(compile(code, path, "exec"), {"get_ipython": lambda: FakeShell(), "__name__": "__main__"})
            results[path]["colab" if colab else "local"] = list(calls)
    sys.modules.pop("google.colab", None)
    print("RESULTS=" + json.dumps(results))
    """
)


def _setup_cell(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return next(c.source for c in nb.cells if c.cell_type == "code")


@pytest.fixture(scope="module")
def setup_cell_calls() -> dict[str, dict[str, list]]:
    """Run every lesson's setup cell without and with Colab; what it asked IPython to do."""
    if not LESSONS:
        pytest.skip("no lesson notebooks yet")
    sources = {p.name: _setup_cell(p) for p in LESSONS}
    env = {k: v for k, v in os.environ.items() if k != "COLAB_RELEASE_TAG"}
    env.update(COURSE_FAST="1", COURSE_OFFLINE="1", MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER],
        input=json.dumps(sources),
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(t for t in proc.stdout.splitlines() if t.startswith("RESULTS="))
    return json.loads(line.removeprefix("RESULTS="))


@pytest.mark.slow
def test_setup_cell_installs_nothing_outside_colab(setup_cell_calls):
    for name, calls in setup_cell_calls.items():
        assert calls["local"] == [], f"{name}: outside Colab the setup cell called {calls['local']}"


@pytest.mark.slow
def test_setup_cell_installs_only_course_utils_inside_colab(setup_cell_calls):
    for name, calls in setup_cell_calls.items():
        assert len(calls["colab"]) == 1, f"{name}: expected one %pip call on Colab, got {calls['colab']}"
        method, (magic, line) = calls["colab"][0][0], calls["colab"][0][1][:2]
        assert (method, magic) == ("run_line_magic", "pip"), calls["colab"]
        args = shlex.split(line)
        assert args[0] == "install", args
        requirements = [a for a in args[1:] if not a.startswith("-")]
        assert requirements == [f"course_utils @ {REPO_URL}"], f"{name}: installs {requirements}"
        assert not {"-U", "--upgrade", "--force-reinstall", "--ignore-installed", "-I"} & set(args), args


# --------------------------------------------------------------------------- pip's report
def _wheel(directory: Path, name: str, version: str, metadata: str) -> Path:
    """A metadata-only wheel: all pip needs to resolve (``--dry-run`` never unpacks it)."""
    dist = re.sub(r"[-.]+", "_", name)
    info = f"{dist}-{version}.dist-info"
    files = {
        f"{info}/METADATA": metadata,
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: course-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = io.StringIO()
    writer = csv.writer(record)
    for path in files:
        writer.writerow([path, "", ""])
    writer.writerow([f"{info}/RECORD", "", ""])
    files[f"{info}/RECORD"] = record.getvalue()
    path = directory / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for arcname, text in files.items():
            zf.writestr(arcname, text)
    return path


def _metadata(
    name: str,
    version: str,
    requires: list[str] = (),
    requires_python: str | None = None,
    extras: dict[str, list[str]] | None = None,
) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Requires-Dist: {r}" for r in requires]
    for extra, reqs in (extras or {}).items():
        lines.append(f"Provides-Extra: {extra}")
        lines += [f'Requires-Dist: {r}; extra == "{extra}"' for r in reqs]
    return "\n".join(lines) + "\n"


def _course_utils_wheel(directory: Path) -> Path:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    version = None
    for node in ast.parse((ROOT / "course_utils" / "__init__.py").read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__version__" for t in node.targets):
            version = ast.literal_eval(node.value)
    assert version, "course_utils/__init__.py must assign __version__"
    meta = _metadata(
        project["name"],
        version,
        project["dependencies"],
        project.get("requires-python"),
        project.get("optional-dependencies"),
    )
    return _wheel(directory, project["name"], version, meta)


@pytest.fixture(scope="module")
def colab_like(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A fresh venv seeing the course stack minus MISSING_ON_COLAB, and an offline wheelhouse."""
    tmp = tmp_path_factory.mktemp("colab")
    site = Path(md.distribution("pip").locate_file(""))  # the course venv's site-packages
    hidden = {_norm(n).replace("-", "_") for n in (*MISSING_ON_COLAB, *OFFERED_UPGRADES, "course_utils")}
    base = tmp / "preinstalled"
    base.mkdir()
    for entry in site.iterdir():
        key = entry.name.lower().replace("-", "_")
        stem = re.sub(r"^__editable__[._]+", "", key)
        if any(stem == h or stem.startswith((h + "-", h + "_", h + ".")) for h in hidden):
            continue
        if entry.suffix == ".pth":
            continue
        (base / entry.name).symlink_to(entry)
    for name, version, requires, module in COLAB_WIDGETS:
        info = base / f"{name}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(_metadata(name, version, requires))
        (info / "INSTALLER").write_text("pip\n")
        (base / module).mkdir()
        (base / module / "__init__.py").write_text(f"__version__ = {version!r}\n")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    venv_site = Path(
        subprocess.run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (venv_site / "colab_preinstalled.pth").write_text(f"{base}\n")

    wheels = tmp / "wheelhouse"
    wheels.mkdir()
    for name in (*MISSING_ON_COLAB, *OFFERED_UPGRADES):
        dist = md.distribution(name)
        _wheel(wheels, dist.metadata["Name"], dist.version, dist.read_text("METADATA"))
    for name in PROTECTED:
        _wheel(wheels, name, "99.0", _metadata(name, "99.0"))
    return {"python": py, "wheels": wheels, "course_utils": _course_utils_wheel(wheels), "tmp": tmp}


def _clean_env() -> dict[str, str]:
    """This environment without what would leak the course venv or this checkout into the simulated Colab."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PIP_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def _dry_run(env: dict[str, Path], args: list[str], name: str) -> dict:
    report = env["tmp"] / f"report-{name}.json"
    cmd = [
        str(env["python"]),
        "-m",
        "pip",
        *args,
        "--dry-run",
        "--report",
        str(report),
        "--no-index",
        "--find-links",
        str(env["wheels"]),
        "--disable-pip-version-check",
        "--no-cache-dir",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=_clean_env(), cwd=env["tmp"])
    assert proc.returncode == 0, f"pip failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return json.loads(report.read_text())


def _installed(report: dict) -> dict[str, str]:
    return {_norm(item["metadata"]["name"]): item["metadata"]["version"] for item in report["install"]}


def test_simulated_colab_already_has_the_protected_stack_and_ipywidgets_7(colab_like):
    probe = (
        "import importlib.metadata as md, importlib.util as u, json, ipywidgets; "
        f"print(json.dumps([{{n: md.version(n) for n in {list(PROTECTED[1:])!r}}}, "
        "[m for m in ('pydicom', 'nilearn', 'course_utils') if u.find_spec(m)], "
        "[m for m in ('tensorflow', 'IPython', 'ipykernel', 'tornado', 'numpy', 'sklearn') if not u.find_spec(m)], "
        "[md.version('ipywidgets'), ipywidgets.__version__, md.version('widgetsnbextension')]]))"
    )
    proc = subprocess.run(
        [str(colab_like["python"]), "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=colab_like["tmp"],
        env=_clean_env(),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    versions, present, absent, widgets = json.loads(proc.stdout)
    assert versions == {n: md.version(n) for n in PROTECTED[1:]}, versions
    assert present == [], f"the simulated Colab must lack {present}"
    assert absent == [], f"the simulated Colab must already import {absent}"
    assert widgets == ["7.7.1", "7.7.1", "3.6.6"], f"the simulated Colab must have ipywidgets 7: {widgets}"


@pytest.mark.slow
def test_colab_setup_cell_install_keeps_tensorflow_ipython_ipykernel_tornado(setup_cell_calls, colab_like):
    wheel_url = colab_like["course_utils"].as_uri()
    for name, calls in setup_cell_calls.items():
        args = [
            a.replace(f"course_utils @ {REPO_URL}", f"course_utils @ {wheel_url}")
            for a in shlex.split(calls["colab"][0][1][1])
        ]
        installed = _installed(_dry_run(colab_like, args, Path(name).stem))
        touched = sorted(set(installed) & {_norm(p) for p in PROTECTED})
        assert not touched, f"{name}: the Colab install would (re)install {touched}: {installed}"
        assert set(installed) == {"course-utils", *(_norm(n) for n in MISSING_ON_COLAB)}, (
            f"{name}: expected course_utils, pydicom and nilearn only, keeping Colab's ipywidgets 7: {installed}"
        )


@pytest.mark.slow
def test_the_report_check_catches_a_forced_upgrade(colab_like):
    """Control: a requirement that needs a newer tornado or ipywidgets 8 shows up in the report as an install."""
    greedy = _wheel(
        colab_like["wheels"], "greedy-demo", "1.0", _metadata("greedy-demo", "1.0", ["tornado>=99", "ipywidgets>=8"])
    )
    installed = _installed(_dry_run(colab_like, ["install", f"greedy-demo @ {greedy.as_uri()}"], "control"))
    assert installed.get("tornado") == "99.0", installed
    assert installed.get("ipywidgets", "").startswith("8."), installed
