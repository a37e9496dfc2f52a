"""Repository rules: clean notebooks, lesson structure, one pinned stack, badges, CI entry point."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ALL_NOTEBOOKS = LESSONS + sorted((ROOT / "quizzes" / "source").rglob("*.ipynb"))
REPO_SLUG = "autoencoder-course/autoencoder-course"


def _pins(path: Path) -> dict[str, str]:
    """``{name: version}`` of a requirements file; a hashed lock's ``--hash`` continuation lines are skipped."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip().removesuffix("\\").strip()
        if not line or line.startswith("--hash="):
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)(?:\[[\w,\-]+\])?==([^\s;]+)", line)  # name[extras]==version
        assert m, f"{path.name}: not an exact pin: {line!r}"
        pins[m.group(1).lower().replace("_", "-").replace(".", "-")] = m.group(2)
    return pins


# --------------------------------------------------------------------------- notebooks
def test_lessons_exist_and_are_numbered_in_order():
    names = [p.name for p in LESSONS]
    assert names, "no lesson notebooks found"
    numbers = [int(n[:2]) for n in names]
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", n) for n in names), names
    assert numbers == list(range(1, len(numbers) + 1)), f"lesson numbers must be 01, 02, ... without gaps: {names}"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {i} has outputs: clear them before committing"
            assert cell.execution_count is None, f"{path.name} cell {i} has an execution count"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", f"{path.name}: kernelspec must be python3"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_structure(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    setup = code[0].source
    # one setup cell: Colab-only light install, then versions + seed
    assert 'if "google.colab" in sys.modules:' in setup, f"{path.name}: setup cell must guard the install"
    assert "%pip install" in setup and REPO_SLUG in setup
    assert not re.search(
        r"tensorflow|ipykernel|ipython|tornado|--upgrade|-U\b", setup.split("sys.modules:", 1)[1].split("\n")[1]
    ), f"{path.name}: the Colab install must not (re)install TensorFlow/IPython/ipykernel/tornado"
    assert "runtime.setup(" in setup
    assert sum("runtime.setup(" in c.source for c in code) == 1
    first_md = next(c for c in nb.cells if c.cell_type == "markdown")
    assert first_md.source.lstrip().startswith("# "), f"{path.name}: first cell must be the title"
    index_setup = nb.cells.index(code[0])
    after = "\n".join(
        c.source for c in nb.cells[index_setup + 1 : index_setup + 3] if c.cell_type == "markdown"
    ).lower()
    assert "objectives" in after, f"{path.name}: learning objectives must follow the setup cell"
    tail = "\n".join(c.source for c in nb.cells[-4:] if c.cell_type == "markdown").lower()
    assert "key points" in tail, f"{path.name}: must end with key points"
    assert "self-check" in tail, f"{path.name}: must end with self-check questions"


def test_no_notebook_defines_a_helper_another_notebook_defines():
    seen: dict[str, str] = {}
    for path in LESSONS:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            for name in re.findall(r"^(?:def|class)\s+([A-Za-z_]\w*)", cell.source, flags=re.M):
                assert name not in seen or seen[name] == path.name, (
                    f"{name} is defined in both {seen[name]} and {path.name}: move it to course_utils"
                )
                seen[name] = path.name


# --------------------------------------------------------------------------- badges and links
def _links() -> list[tuple[str, str]]:
    sources = [("README.md", (ROOT / "README.md").read_text())]
    for path in LESSONS:
        nb = nbformat.read(path, as_version=4)
        sources += [(path.name, c.source) for c in nb.cells if c.cell_type == "markdown"]
    return sources


def test_every_colab_and_binder_badge_points_to_an_existing_file():
    found = 0
    for where, text in _links():
        for m in re.finditer(r"colab\.research\.google\.com/github/([^/]+/[^/]+)/blob/main/([^)\s\"]+)", text):
            assert m.group(1) == REPO_SLUG, f"{where}: Colab link to another repository {m.group(1)}"
            assert (ROOT / m.group(2)).is_file(), f"{where}: Colab badge points to missing {m.group(2)}"
            found += 1
        for m in re.finditer(r"mybinder\.org/v2/gh/([^/]+/[^/]+)/HEAD\?labpath=([^)\s\"]+)", text):
            assert m.group(1) == REPO_SLUG, f"{where}: Binder link to another repository {m.group(1)}"
            target = m.group(2).replace("%2F", "/")
            assert (ROOT / target).is_file(), f"{where}: Binder badge points to missing {target}"
            found += 1
    assert found >= 2 * len(LESSONS), "every lesson needs a Colab and a Binder badge in the README"


def test_readme_relative_links_exist():
    text = (ROOT / "README.md").read_text()
    for target in re.findall(r"\]\(((?!https?://)[^)#]+)\)", text):
        assert (ROOT / target).exists(), f"README links to missing {target}"


# --------------------------------------------------------------------------- environment
def test_one_pinned_stack_everywhere():
    lock = _pins(ROOT / "requirements" / "lock.txt")
    assert _pins(ROOT / "binder" / "requirements.txt") == lock, (
        "binder/requirements.txt must equal requirements/lock.txt (make lock)"
    )
    env = (ROOT / "environment.yml").read_text()
    assert "-r requirements/lock.txt" in env and "- -e ." in env
    assert re.search(r"^\s*- python=3\.(1[1-9])\b", env, flags=re.M), "environment.yml must pin Python >= 3.11"
    assert "conda-forge" in env
    for line in env.splitlines():
        if line.strip():
            assert "#" in line, f"environment.yml: every line is commented: {line!r}"
    # required versions of the course stack
    assert lock["tensorflow-cpu"].startswith("2.21.")
    assert lock["keras"].startswith("3.")
    major, minor = map(int, lock["jupyterlab"].split(".")[:2])
    assert (major, minor) >= (4, 4)
    assert lock["ipywidgets"].startswith("8.")
    assert lock["nbgrader"] == "0.9.6"
    for name in (
        "nbval",
        "pytest",
        "scikit-learn",
        "scikit-image",
        "matplotlib",
        "pydicom",
        "nilearn",
        "psutil",
        "nbclient",
        "pandas",
        "scipy",
    ):
        assert name in lock, f"{name} missing from the lock"
    assert "torch" not in lock and "medmnist" not in lock


def test_the_lock_carries_a_hash_for_every_pin():
    """pip installs the lock in hash-checking mode (--require-hashes): every pin needs its files' hashes."""
    text = (ROOT / "requirements" / "lock.txt").read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])  # one entry a pin, after the header
    for entry in entries:
        assert re.search(r"==\S+ \\\n\s+--hash=sha256:[0-9a-f]{64}", entry), f"no hash for {entry.splitlines()[0]!r}"
    assert len(entries) == len(_pins(ROOT / "requirements" / "lock.txt"))


def test_base_requirements_are_all_locked():
    lock = _pins(ROOT / "requirements" / "lock.txt")
    for line in (ROOT / "requirements" / "base.in").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name = re.split(r"[<>=!~\[ ]", line, maxsplit=1)[0].lower().replace("_", "-")
            assert name in lock, f"{name} from base.in is not pinned in lock.txt"


def _declared() -> set[str]:
    """Distributions named in requirements/base.in and in course_utils' own dependencies."""
    names = set()
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for line in [*(ROOT / "requirements" / "base.in").read_text().splitlines(), *deps]:
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(re.split(r"[<>=!~\[ ;]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


def test_every_package_a_notebook_imports_is_declared():
    """pandas and scipy were imported by lessons but only installed by accident (as dependencies)."""
    import importlib.metadata as md
    import sys

    owners = md.packages_distributions()
    declared = _declared()
    missing = {}
    for path in ALL_NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            for m in re.finditer(r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))", cell.source, flags=re.M):
                top = (m.group(1) or m.group(2)).split(".")[0]
                # IPython is the kernel running the notebook (Colab's must not be reinstalled: not declared)
                if top in sys.stdlib_module_names or top in ("course_utils", "IPython"):
                    continue
                dists = {d.lower().replace("_", "-") for d in owners.get(top, [top])}
                if not dists & declared:
                    missing.setdefault(top, path.name)
    assert not missing, f"declare these in requirements/base.in (imported by notebooks): {missing}"


def test_every_library_the_package_imports_is_declared():
    """course_utils and course_quiz declare what they import (pyproject's dependencies or an extra):
    scipy and pandas were imported but installed only by accident, as other packages' dependencies."""
    import ast
    import importlib.metadata as md
    import sys

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = [*project["dependencies"], *(d for extra in project["optional-dependencies"].values() for d in extra)]
    declared = {re.split(r"[<>=!~\[ ;]", d, maxsplit=1)[0].lower().replace("_", "-") for d in lines}
    owners = md.packages_distributions()
    ours = {"course_utils", "course_quiz", "IPython", "__future__"}
    missing = {}
    for package in ("course_utils", "course_quiz"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    tops = [a.name.split(".")[0] for a in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    tops = [node.module.split(".")[0]]
                else:
                    continue
                for top in tops:
                    # IPython: the kernel itself, brought by ipywidgets (Colab's must not be reinstalled)
                    if top in sys.stdlib_module_names or top in ours:
                        continue
                    dists = {d.lower().replace("_", "-") for d in owners.get(top, [top])}
                    if not dists & declared:
                        missing.setdefault(top, path.relative_to(ROOT).as_posix())
    assert not missing, f"declare these in pyproject.toml (imported by the package): {missing}"


def test_the_tensorflow_floor_is_the_tested_version():
    """The code relies on TensorFlow 2.21 internals: the `tf` extra may not promise older versions."""
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["tf"]
    lock = _pins(ROOT / "requirements" / "lock.txt")
    assert f"tensorflow-cpu>={'.'.join(lock['tensorflow-cpu'].split('.')[:2])}" in extra, extra
    assert f"keras>={'.'.join(lock['keras'].split('.')[:2])}" in " ".join(extra), extra


def test_binder_pins_python_and_installs_the_package():
    runtime_txt = (ROOT / "binder" / "runtime.txt").read_text().strip()
    m = re.fullmatch(r"python-3\.(\d+)", runtime_txt)
    assert m and int(m.group(1)) >= 11, "repo2docker defaults to 3.10: pin python-3.11+"
    post = (ROOT / "binder" / "postBuild").read_text()
    assert "pip install" in post and "--no-deps -e ." in post
    # repo2docker reads only binder/ when it exists: no competing top-level files
    for name in ("requirements.txt", "runtime.txt", "postBuild", "Dockerfile", "apt.txt"):
        assert not (ROOT / name).exists(), f"top-level {name} would confuse repo2docker's reading"


def test_postbuild_writes_the_student_view_and_keeps_other_settings(tmp_path):
    """postBuild's config writer (what `jupyter labextension disable/lock` and `jupyter server extension
    disable` write), run against a scratch prefix that already holds a page config of its own."""
    import json
    import types

    post = (ROOT / "binder" / "postBuild").read_text()
    snippet = post.split("python - <<'PY'\n", 1)[1].split("\nPY\n", 1)[0]
    etc = tmp_path / "etc" / "jupyter"
    (etc / "labconfig").mkdir(parents=True)
    (etc / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": {"other:plugin": True}}))
    fake_sys = types.SimpleNamespace(prefix=str(tmp_path))
    exec(compile(snippet.replace("import sys\n", ""), "postBuild", "exec"), {"sys": fake_sys})
    page = json.loads((etc / "labconfig" / "page_config.json").read_text())
    instructor = {f"@jupyter/nbgrader:{p}": True for p in ("formgrader", "create-assignment", "course-list")}
    assert page["disabledExtensions"] == {"other:plugin": True, **instructor}
    assert page["lockedExtensions"] == instructor
    for ext in ("formgrader", "course_list"):
        name = f"nbgrader.server_extensions.{ext}"
        conf = json.loads((etc / "jupyter_server_config.d" / f"{name}.json").read_text())
        assert conf == {"ServerApp": {"jpserver_extensions": {name: False}}}


def test_package_dependencies_are_light_for_colab():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = " ".join(meta["dependencies"]).lower()
    for heavy in ("tensorflow", "keras", "ipython", "ipykernel", "tornado", "torch", "jupyterlab", "nbgrader"):
        assert heavy not in deps, f"course_utils must not depend on {heavy} (Colab preinstalls it)"
    assert meta["requires-python"] == ">=3.11"
    assert meta["dynamic"] == ["version"]


def test_version_has_one_source():
    import course_utils

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["tool"]["setuptools"]["dynamic"]["version"]["attr"] == "course_utils.__version__"
    assert re.fullmatch(r"\d+\.\d+\.\d+", course_utils.__version__)


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make lab" in readme
    skip = ("#", "export", "if", "fi", "set ", "cd ")
    commands = [
        line.split("#")[0].strip() for line in ci.splitlines() if line.strip() and not line.strip().startswith(skip)
    ]
    expected = [
        "make lint",
        "make test",
        "make coverage",
        "make test-browser",
        "make test-hub",
        "make site-fast test-site",
    ]
    assert commands == expected, commands
    for command in expected:  # the README names every step CI runs
        assert f"`{command}`" in readme, command
    makefile = (ROOT / "Makefile").read_text()
    for target in (
        "lab",
        "test",
        "test-quick",
        "coverage",
        "test-browser",
        "lint",
        "run-all",
        "two-kernels",
        "clean",
        "quiz-release",
        "grade",
    ):
        assert re.search(rf"^{re.escape(target)}:", makefile, flags=re.M), f"Makefile lacks {target}"


def test_test_quick_is_the_suite_without_slow_tests_and_notebooks():
    makefile = (ROOT / "Makefile").read_text()
    quick = re.search(r"^test-quick:.*\n((?:\t.*\n)+)", makefile, flags=re.M)
    assert quick, "Makefile lacks a test-quick recipe"
    recipe = quick.group(1)
    assert (
        '-m "not slow"' in recipe and "pytest tests" in recipe and "notebooks" not in recipe and "--nbval" not in recipe
    )
    full = re.search(r"^test:.*\n((?:\t.*\n)+)", makefile, flags=re.M).group(1)
    assert "not slow" not in full and "tests notebooks --nbval-lax" in full, "make test must run everything"
    # coverage is measured by its own target, which CI runs after make test and which fails under 90 %
    cov = re.search(r"^coverage:.*\n((?:\t.*\n)+)", makefile, flags=re.M).group(1)
    assert "pytest tests" in cov and "--cov=course_utils" in cov and "--cov-fail-under=90" in cov
    ci = [line.split("#")[0].strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert ci.index("make test") < ci.index("make coverage")


def test_dev_tools_are_pinned_and_the_same_everywhere():
    dev = _pins(ROOT / "requirements" / "dev.txt")
    assert {"ruff", "mypy", "pre-commit", "nbstripout"} <= set(dev)
    hooks = (ROOT / ".pre-commit-config.yaml").read_text()
    for tool in ("ruff", "nbstripout"):
        assert f"{tool}=={dev[tool]}" in hooks, (
            f".pre-commit-config.yaml must pin {tool}=={dev[tool]} like requirements/dev.txt"
        )
    assert "nbstripout" in hooks and "ruff format" in hooks and "ruff check" in hooks
    # make install bootstraps the same uv in hash-checking mode (requirements/uv.txt, written by make lock)
    uv_text = (ROOT / "requirements" / "uv.txt").read_text()
    assert _pins(ROOT / "requirements" / "uv.txt") == {"uv": dev["uv"]}
    assert len(re.findall(r"--hash=sha256:[0-9a-f]{64}", uv_text)) >= 2, "uv.txt needs the wheels' hashes"
    assert (ROOT / "course_utils" / "py.typed").is_file()
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["tool"]["mypy"]["files"] == ["course_utils"] and meta["tool"]["ruff"]["line-length"]


def test_gitignore_keeps_grading_state_and_venv_out():
    ignored = (ROOT / ".gitignore").read_text()
    for item in (".venv", "gradebook.db", "build/"):
        assert item in ignored


def test_every_course_utils_module_is_registered_and_documented():
    import importlib

    import course_utils

    files = {p.stem for p in (ROOT / "course_utils").glob("*.py") if not p.stem.startswith("_")}
    packages = {p.parent.name for p in (ROOT / "course_utils").glob("*/__init__.py")}
    assert files | packages == set(course_utils._SUBMODULES), "course_utils/__init__.py must list every module"
    files |= packages
    for name in sorted(files):
        mod = importlib.import_module(f"course_utils.{name}")
        assert mod.__doc__ and len(mod.__doc__.strip()) > 40, f"course_utils.{name} needs a module docstring"
