"""The package's shape: the configuration leaf, no import cycles, file sizes, argument checks in one
place, and every "Taught in:" docstring pointer checked against the notebooks that really use it."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "course_utils"
LESSONS = {p.stem: p for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))}
MAX_LINES = 600
# Packages of helpers split by concern (each submodule small); lessons/ and exercises/ have their own rules.
HELPER_PACKAGES = ("plotting", "widgets")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every course_utils module ``path`` imports, at module level or inside functions."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "course_utils")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "course_utils":
                continue
            folder = PACKAGE.parent / target.replace(".", "/")
            submodules = [
                a.name for a in node.names if (folder / f"{a.name}.py").is_file() or (folder / a.name).is_dir()
            ]
            found.update(f"{target}.{name}" for name in submodules)  # `from . import data` names a module
            if len(submodules) < len(node.names):
                found.add(target)
    found.discard(name)
    return found


def _package_modules(stem: str) -> list[Path]:
    return sorted(p for p in (PACKAGE / stem).glob("*.py") if p.name != "__init__.py")


def _helper_files() -> list[Path]:
    """The helper modules: course_utils/*.py and the helper packages' files (not lessons/ nor exercises/)."""
    return [*PACKAGE.glob("*.py"), *(p for stem in HELPER_PACKAGES for p in (PACKAGE / stem).glob("*.py"))]


def test_helper_packages_keep_every_public_name_at_the_top():
    """Splitting plotting and widgets into packages changed no notebook: every public function and class
    of a submodule is reachable as ``plotting.NAME`` / ``widgets.NAME`` and listed in ``__all__``."""
    for stem in HELPER_PACKAGES:
        package = importlib.import_module(f"course_utils.{stem}")
        for path in _package_modules(stem):
            part = importlib.import_module(f"{package.__name__}.{path.stem}")
            for name, obj in vars(part).items():
                public = not name.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
                if public and obj.__module__ == part.__name__:
                    assert getattr(package, name, None) is obj, f"course_utils.{stem}.{name} is not re-exported"
                    assert name in package.__all__, f"course_utils.{stem}.__all__ lacks {name}"


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in _imports(path) if m in modules} for name, path in modules.items()}


def test_the_configuration_module_is_a_leaf():
    tree = ast.parse((PACKAGE / "config.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert not node.level and (node.module or "").split(".")[0] in sys.stdlib_module_names | {"__future__"}, (
                f"config.py imports {node.module}: it must import only the standard library"
            )
        elif isinstance(node, ast.Import):
            assert all(a.name.split(".")[0] in sys.stdlib_module_names for a in node.names)


def test_no_import_cycle_in_course_utils():
    graph = _graph()
    assert graph["course_utils.runtime"] and "course_utils.config" in graph["course_utils.data"]  # the graph is real
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt) :] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_the_cycle_detector_finds_a_cycle(tmp_path, monkeypatch):
    """Guard the guard: two modules importing each other (one inside a function) are found."""
    pkg = tmp_path / "course_utils"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    from .a import x\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", pkg)
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    graph = _graph()
    assert graph["course_utils.a"] == {"course_utils.b"} and graph["course_utils.b"] == {"course_utils.a"}


def test_files_stay_small():
    too_long = {}
    for folder in ("course_utils", "course_quiz", "benchmarks", "tools", "tests", "quizzes"):
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            n = len(path.read_text(encoding="utf-8").splitlines())
            if n > MAX_LINES:
                too_long[rel] = n
    assert not too_long, f"split these files (limit {MAX_LINES} lines): {too_long}"


def test_argument_checks_live_in_checks():
    """One place for the shared argument checks: no copies of the seed check, no aliases of _checks."""
    for path in _helper_files():
        if path.name == "_checks.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert "seed must be a non-negative integer" not in text, f"{path.name}: use _checks.seed"
        assert not re.search(r"^_\w+ = (is_int|positive_int)\b", text, flags=re.M), f"{path.name}: alias of _checks"


def test_the_public_api_the_lessons_use_is_importable():
    from course_utils import data, runtime, training

    for name in (
        "pick",
        "setup",
        "fast_mode",
        "set_seed",
        "peak_rss_mb",
        "current_rss_mb",
        "release_memory",
        "data_dir",
        "cache_dir",
    ):
        assert callable(getattr(runtime, name)), name
    for name in (
        "load_mnist",
        "load_breast_cancer_split",
        "load_medical_images",
        "load_dicom_sample",
        "add_noise",
        "download_file",
        "read_idx",
        "load_medmnist_npz",
        "mri_template_slices",
        "available_sources",
    ):
        assert callable(getattr(data, name)), name
    for name in ("EpochLogger", "as_dataset", "make_dataset", "time_to_loss"):
        assert callable(getattr(training, name)), name


def test_lesson_models_are_not_duplicated_in_the_package():
    """Issue 14: the models a lesson teaches live in its notebook (and course_utils.lessons), once."""
    for gone in ("models", "schedules"):
        assert not (PACKAGE / f"{gone}.py").exists(), f"course_utils/{gone}.py duplicated lesson code"
    for path in [*_helper_files(), *(ROOT / "benchmarks").rglob("*.py"), *(ROOT / "tools").glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        for builder in ("build_dense_autoencoder", "build_conv_autoencoder", "build_conv_denoiser", "build_vae("):
            assert builder not in text, f"{path.relative_to(ROOT)} still uses {builder}"


# --------------------------------------------------------------------------- "Taught in:" pointers
def _lesson_code(stem: str) -> str:
    nb = nbformat.read(LESSONS[stem], as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def _pointers(doc: str | None) -> list[str] | None:
    """The lessons a "Taught in:" paragraph names (None when there is no pointer)."""
    if not doc or "Taught in:" not in doc:
        return None
    text = doc.split("Taught in:", 1)[1].lstrip(" ")
    paragraph = text.lstrip("\n").split("\n\n", 1)[0]  # the sentence, or the list that follows
    if re.search(r"\bevery (lesson|notebook)\b", paragraph):
        return list(LESSONS)
    return sorted(set(re.findall(r"\b(\d\d_[a-z0-9_]*[a-z0-9])\b", paragraph)))


def _documented_objects():
    """(module, its short name, public name or None for the module, docstring) for every helper module;
    a helper package's public functions are checked under the package's name (``widgets.digit_explorer``)."""
    stems = sorted(p.stem for p in PACKAGE.glob("*.py") if not p.name.startswith("_")) + list(HELPER_PACKAGES)
    for stem in sorted(stems):
        module = importlib.import_module(f"course_utils.{stem}")
        yield module, stem, None, module.__doc__
        parts = [module]
        if stem in HELPER_PACKAGES:
            parts += [importlib.import_module(f"{module.__name__}.{p.stem}") for p in _package_modules(stem)]
        for part in parts:
            for name, obj in vars(part).items():
                if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                    continue
                if getattr(obj, "__module__", None) == part.__name__:
                    yield module, stem, name, inspect.getdoc(obj)


POINTERS = [
    (mod_name, name, stem) for _, mod_name, name, doc in _documented_objects() for stem in (_pointers(doc) or [])
]


def test_pointers_were_found():
    assert len({stem for _, _, stem in POINTERS}) == len(LESSONS)  # every lesson teaches some helper
    assert ("data", "load_mnist", "02_mnist_autoencoder") in POINTERS


def test_taught_in_pointers_name_notebooks_that_use_them():
    """A "Taught in: NN_lesson" pointer must name a lesson whose code really uses the module or the function.

    One test over every pointer (all go through the same check), each lesson's code read once."""
    code = {stem: _lesson_code(stem) for stem in LESSONS}
    wrong = []
    for module, name, stem in POINTERS:
        if stem not in LESSONS:
            wrong.append(f"course_utils.{module}.{name or ''}: 'Taught in' names {stem}, which is not a lesson")
        elif name is None:
            if not re.search(rf"\bcourse_utils\.{module}\b|\bfrom course_utils import [^\n]*\b{module}\b", code[stem]):
                wrong.append(f"course_utils.{module}'s docstring says it is taught in {stem}, which never imports it")
        elif not re.search(rf"(?<![\w]){re.escape(name)}\b", code[stem]):
            wrong.append(f"course_utils.{module}.{name}: 'Taught in' names {stem}, whose code never uses {name}")
    assert not wrong, "\n".join(wrong)


# Modules that are Keras code by design; every other module must import without TensorFlow.
NEEDS_TENSORFLOW = {"training"}


def test_importing_the_package_does_not_import_tensorflow():
    """Students on Colab pay seconds for every TensorFlow import: `import course_utils` and each light
    submodule (plotting, widgets, data, metrics, quiz, lessons, exercises, ...) must not start it."""
    import subprocess

    import course_utils

    light = [m for m in course_utils._SUBMODULES if m not in NEEDS_TENSORFLOW]
    code = (
        "import sys, importlib\n"
        "import course_utils\n"
        "assert not {'tensorflow', 'keras'} & set(sys.modules), 'import course_utils imported TensorFlow'\n"
        f"for name in {light!r}:\n"
        "    importlib.import_module('course_utils.' + name)\n"
        "    heavy = sorted({'tensorflow', 'keras'} & set(sys.modules))\n"
        "    assert not heavy, f'course_utils.{name} imported {heavy}'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
