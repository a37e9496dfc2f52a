"""benchmarks/: the quick mode's code on tiny settings -- the report's structure, not its timings.

One module-scoped run (slow) of the TensorFlow sections (speed, quality, denoising) in this process on
tiny data and epochs; the subprocess sections (notebook memory, run-all time, grading) are checked on
the committed full report (benchmarks/results.json), their machinery where it lives (tests/test_tools.py,
tests/test_quiz_bench.py).  The other tests check the report machinery, the presets and the lesson-code
helpers on their own (quick).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest

from benchmarks import cli, report, settings
from benchmarks import sections as bench_sections
from benchmarks.machine import machine_info
from benchmarks.sections import grading, speed

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results.json"  # the committed full run (`make bench`)


TINY_RECIPE = {"epochs": 1, "warmup_epochs": 0.25, "decay_epochs": 0.5}


def tiny_settings(notebook: Path):
    """The quick preset shrunk further: every code path, a few seconds of training."""
    return replace(
        settings.quick_settings(),
        speed_n_train=256,
        seed_epochs=2,
        speed_recipe=TINY_RECIPE,
        matmul_size=128,
        matmul_repeats=2,
        notebooks=[str(notebook)],
        mnist_n_train=256,
        mnist_n_test=128,
        mnist_variants=("conv", "sparse"),
        variant_recipe=TINY_RECIPE,
        bc_original_epochs=2,
        bc_repaired_epochs=2,
        anomaly_splits=2,
        gen_n_train=256,
        gen_n_test=128,
        gen_ae_epochs=1,
        vae_latents=(2,),
        vae_epochs=1,
        classifier_epochs=1,
        n_generated=32,
        n_submissions=2,
        denoise_n_train=32,
        denoise_batches=1,
        denoise_batch_size=16,
        denoise_tune_images=4,
        denoise_slow_filter_images=4,
        denoise_n_test=12,
        denoise_n_boot=50,
        denoise_bm3d_images=1,
        denoise_bm3d_tune_images=1,
        denoise_bm3d_factors=(1.0,),
        denoise_repro_epochs=0,
    )


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """One tiny real run of the TensorFlow sections (in this process), beside the committed full report.

    The subprocess sections (notebook memory, run-all time, grading) are not run again here: their
    machinery is tested where it lives (tests/test_tools.py: run_notebooks and the memory limit;
    tests/test_quiz_bench.py: grading generated submissions), and their report structure is checked on
    the committed benchmarks/results.json, a real full run."""
    tmp = tmp_path_factory.mktemp("bench")
    notebook = tmp / "01_tiny.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(sum(range(10)))")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, notebook)
    keys = ("COURSE_OFFLINE", "TF_CPP_MIN_LOG_LEVEL", "MPLBACKEND")
    before = {k: os.environ.get(k) for k in keys}
    rc_tf = cli.main(
        ["--sections", "speed,quality,denoising", "--out-dir", str(tmp / "tf"), "--work-dir", str(tmp / "work-tf")],
        settings=tiny_settings(notebook),
    )
    env_after = {k: os.environ.get(k) for k in keys}
    return {
        "rc_tf": rc_tf,
        "tmp": tmp,
        "env_changed": before != env_after,
        "tf": {
            "json": json.loads((tmp / "tf" / "results.json").read_text()),
            "md": (tmp / "tf" / "results.md").read_text(),
        },
        "full": {"json": json.loads(RESULTS.read_text()), "md": RESULTS.with_suffix(".md").read_text()},
    }


def sections(reports, name="tf"):
    return {sec["id"]: sec for sec in reports[name]["json"]["sections"]}


@pytest.mark.slow
def test_the_run_succeeds_and_the_committed_report_covers_every_section(reports):
    assert reports["rc_tf"] == 0
    assert sorted(sections(reports)) == ["denoising", "quality", "speed"]
    assert sorted(sections(reports, "full")) == sorted(settings.SECTION_ORDER)
    assert not reports["env_changed"], "main() must restore the environment variables it sets"


@pytest.mark.slow
def test_every_section_states_its_goal_and_whether_it_is_met(reports):
    for name in ("tf", "full"):
        md = reports[name]["md"]
        for sec in reports[name]["json"]["sections"]:
            assert sec["error"] is None, sec["error"]
            # the committed report states the goal it was measured against (settings.GOALS may have moved on)
            assert sec["goal"] == settings.GOALS[sec["id"]] if name == "tf" else len(sec["goal"]) > 20
            assert sec["met"] in (True, False, None)
            assert sec["status"] == report.met_text(sec["met"])
            assert sec["met"] == report.combine([c["met"] for c in sec["checks"]])
            assert sec["checks"], f"section {sec['id']} has no goal checks"
            for c in sec["checks"]:
                assert set(c) == {"goal", "measured", "met"} and c["goal"] and c["measured"]
            block = md.split(f"## {sec['title']}", 1)[1].split("\n## ", 1)[0]
            assert f"**Goal:** {sec['goal']}" in block
            assert "**Met:** " in block and (sec["status"] in block)
        headline = reports[name]["json"]["headline"]
        assert len(headline) == sum(len(sec["checks"]) for sec in reports[name]["json"]["sections"])
        assert "## Every check" in md and "| Section | Goal | Measured | Met |" in md
        summary = reports[name]["json"]["summary"]
        assert [r["section"] for r in summary] == [
            sec["title"].split(": ")[0] for sec in reports[name]["json"]["sections"]
        ]
        assert "## Summary" in md and "| Section | Goal | Result | Met |" in md
        for sec in reports[name]["json"]["sections"]:
            assert sec["summary"] and report.cell_text(sec["summary"], "") in md.split("## Every check")[0]


@pytest.mark.slow
def test_header_names_machine_versions_date_and_data(reports):
    h = reports["tf"]["json"]["header"]
    assert h["mode"] == "quick"
    assert h["machine"]["cpu"] and h["machine"]["logical_cores"] >= 1 and h["machine"]["ram_gib"] > 0
    assert len(h["machine"]["load_average_1_5_15"]) == 3
    assert h["versions"]["python"] and h["versions"]["tensorflow"] and h["versions"]["keras"]
    assert h["date"].endswith("UTC") and h["first_measured"] <= h["last_measured"]
    assert {"mnist", "breast_cancer", "medical_images"} <= set(h["data_sources"])
    md = reports["tf"]["md"]
    assert h["data_sources"]["medical_images"] in md  # the denoising section names its data
    for label in ("**Date:**", "**Machine:**", "**Versions:**", "**Data:**", "QUICK mode"):
        assert label in md
    assert h["data_sources"]["mnist"] in md


@pytest.mark.slow
def test_speed_numbers_are_consistent(reports):
    sec = sections(reports)["speed"]
    d = sec["data"]
    assert d["target_val_loss"] == pytest.approx(d["seed_val_loss"][-1])
    assert len(d["seed_val_loss"]) == 2 and len(d["fast_val_loss"]) == 1
    assert d["flops_per_epoch"] == speed.dense_ae_flops_per_epoch(d["n_train"], d["n_val"])
    assert d["matmul_gflops"] > 0 and d["compute_bound_epoch_seconds"] > 0
    rows = sec["tables"][0]["rows"]
    if d["ratio"] is not None:
        assert d["ratio"] == pytest.approx(rows[1]["seconds_to_target"] / rows[0]["seconds_to_target"], rel=1e-3)
        assert sec["checks"][0]["met"] == (d["ratio"] <= settings.SPEED_RATIO_GOAL)
    else:
        assert sec["checks"][0]["met"] is False


@pytest.mark.slow
def test_quality_tables_cover_every_comparison(reports):
    sec = sections(reports)["quality"]
    titles = [t["title"] for t in sec["tables"]]
    assert len(titles) == 4, titles
    mnist, bc, anomaly, gen = sec["tables"]
    assert "MNIST" in mnist["title"] and {r["variant"] for r in mnist["rows"]} == {
        "syllabus_recipe",
        "pca",
        "syllabus",
        "conv",
        "sparse",
    }
    assert all(r["mse"] > 0 and r["bce"] > 0 and r["val_mse"] > 0 for r in mnist["rows"])
    by_variant = {r["variant"]: r for r in mnist["rows"]}
    assert by_variant["conv"]["code_size"] == 32 and by_variant["syllabus"]["params"] == 784 * 32 + 32 + 32 * 784 + 784
    assert [r["model"] for r in bc["rows"]].count("PCA-7") == 2 and len(bc["rows"]) == 6
    assert {r["scaling"] for r in bc["rows"]} == {"all rows (as the original)", "training rows"}
    methods = [r["method"] for r in anomaly["rows"]]
    assert methods == ["AE (original)", "AE (repaired)", "PCA-7 error", "IsolationForest", "One-Class SVM"]
    assert all(0 <= r["auc_mean"] <= 1 and r["splits"] == 2 for r in anomaly["rows"])
    names = [r["samples"] for r in gen["rows"]]
    assert names[0].startswith("real") and "2-d VAE samples" in names and "plain AE: codes like real ones" in names
    # the checks name the lessons' claims; the tables name the lesson code they ran
    goals = " ".join(c["goal"] for c in sec["checks"])
    for claim in ("PCA-32", "PCA-7", "VAE"):
        assert claim in goals
    assert "build_syllabus_autoencoder" in reports["tf"]["md"] and "anomaly_scores" in reports["tf"]["md"]


@pytest.mark.slow
def test_denoising_section_reports_the_pretrained_denoiser_against_the_best_classical_method(reports):
    from course_utils.lessons.medical_image_denoising import CONDITIONS

    sec = sections(reports)["denoising"]
    d = sec["data"]
    # the data the loader found is named: the MRI fallback in a clone without data, the X-rays in CI
    mri = "MRI" in d["data_source"]
    assert mri or "X-ray" in d["data_source"], d["data_source"]
    assert d["n_train"] == 32 and d["n_test"] == 12 and set(d["best_filter"]) == set(CONDITIONS)
    assert d["denoisers"] == [*d["train_seconds"], "pretrained residual"] and len(d["train_seconds"]) == 2
    bm3d = bool(d["bm3d"])  # the bm3d package is installed with the course
    for numbers in d["pretrained_vs_best_classical"].values():
        assert numbers["best_classical"] in ("gaussian", "median", "tv", "nlm", "bm3d")
        assert numbers["best_classical"] in ("bm3d", numbers["best_filter"])
        assert numbers["gain_low"] <= numbers["gain_db"] <= numbers["gain_high"]
        assert numbers["n"] == (1 if numbers["best_classical"] == "bm3d" else 12)
        assert "all" in numbers["by_class"] and set(numbers["by_class"]) <= {"all", "normal", "pneumonia"}
    headline, every, curve = sec["tables"]
    assert [r["condition"] for r in headline["rows"]] == list(CONDITIONS)
    labels = " ".join(c["label"] for c in headline["columns"])
    assert "Best classical" in labels and "Pretrained gain" in labels and "95 %" in labels
    methods = {r["method"] for r in every["rows"]}
    assert methods == {"noisy input", "gaussian", "median", "tv", "nlm", *d["denoisers"], *(["bm3d"] if bm3d else [])}
    assert curve["rows"] and all(int(r["steps"]) > 0 for r in curve["rows"])
    assert len(sec["checks"]) == len(CONDITIONS) and all("dB" in c["measured"] for c in sec["checks"])
    md = reports["tf"]["md"].split("## 6. Denoising", 1)[1]
    assert d["data_source"] in md and ("one brain" in md.lower()) == mri


@pytest.mark.slow
def test_notebook_sections_come_from_run_notebooks(reports):
    """The committed full run: every lesson's memory in both modes, with and without a real limit."""
    secs = sections(reports, "full")
    mem = secs["memory"]
    lessons = {p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    rows = mem["tables"][0]["rows"]
    assert {r["notebook"] for r in rows} <= lessons and rows
    for row in rows:
        for mode in ("fast", "student"):
            assert row[f"{mode}_mb"] > 0 and row[f"{mode}_ok"], row
    goals = " ".join(c["goal"] for c in mem["checks"])
    assert "under a real 1,000 MB limit" in goals and "peak kernel RSS" in goals
    course = secs["course"]
    assert [r["mode"] for r in course["tables"][0]["rows"]] == ["fast", "student"]
    assert all(r["wall_seconds"] > 0 and r["notebooks"] == len(rows) for r in course["tables"][0]["rows"])


@pytest.mark.slow
def test_grading_scores_every_generated_submission(reports):
    sec = sections(reports, "full")["grading"]
    assert sec["data"]["n"] >= 100 and sec["data"]["scores_correct"] == sec["data"]["n"]
    assert sec["data"]["returncode"] == 0 and sec["data"]["per_submission"] > 0
    throughput, correctness = sec["checks"]
    assert throughput["met"] is (sec["data"]["grade_seconds"] <= 180) and correctness["met"] is True


def test_no_benchmark_file_builds_models_with_the_old_helpers():
    """The benchmark measures the code students run: lesson code comes from course_utils.lessons, never
    from course_utils.models / course_utils.training builders or trainers, and never from a copy."""
    import re

    banned = re.compile(r"models\.build_|training\.train|models\.VAE|fast_recipe|train_fast")
    banned_imports = re.compile(
        r"from course_utils(\.training)? import [^\n]*\b(train|train_fast|models)\b"
        r"|from course_utils\.models import|import course_utils\.models"
    )
    offenders = []
    for path in sorted((ROOT / "benchmarks").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT).as_posix()
        offenders += [f"{rel}: {m.group(0)}" for m in banned.finditer(text)]
        offenders += [f"{rel}: {m.group(0)}" for m in banned_imports.finditer(text)]
    assert not offenders, offenders
    used = " ".join(p.read_text(encoding="utf-8") for p in (ROOT / "benchmarks" / "sections").rglob("*.py"))
    for module in (
        "mnist_autoencoder",
        "breast_cancer_autoencoder",
        "medical_image_denoising",
        "variational_autoencoders",
    ):
        assert f"course_utils.lessons.{module} import" in used, module


def test_no_benchmark_file_copies_a_lesson_function():
    """No def/class in benchmarks/ shares its name with a function or class the lessons export."""
    import ast

    from course_utils import lessons

    exported = set()
    for path in Path(lessons.__file__).parent.glob("*.py"):
        exported |= {n.name for n in ast.parse(path.read_text()).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    assert {"fit_rows", "denoising_table", "build_syllabus_autoencoder"} <= exported
    for path in (ROOT / "benchmarks").rglob("*.py"):
        defined = {
            n.name for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, (ast.FunctionDef, ast.ClassDef))
        }
        assert not defined & exported, f"{path.relative_to(ROOT)} defines lesson code: {defined & exported}"


def test_a_failing_section_is_reported_and_the_report_still_written(tmp_path, monkeypatch):
    def boom(settings):
        raise RuntimeError("grading exploded")

    monkeypatch.setattr(grading, "run", boom)
    results, _ = cli.run_sections(settings.quick_settings(), ["grading"])
    (sec,) = results
    assert sec["met"] is False and "grading exploded" in sec["error"]
    rep = report.build_report(settings.quick_settings(), results, {}, machine_info(), 1.0)
    md, js = report.write_report(rep, tmp_path)
    assert "grading exploded" in md.read_text() and "**NOT met**" in md.read_text()
    assert json.loads(js.read_text())["sections"][0]["error"]


def test_table_columns_are_key_label_and_format():
    t = report.table("t", [("a", "A", ".1f"), ("b", "B")], [{"a": 1.0, "b": "x"}])
    assert t["columns"] == [{"key": "a", "label": "A", "fmt": ".1f"}, {"key": "b", "label": "B", "fmt": ""}]
    for bad in (("a",), ("a", "A", ".1f", "x"), ["a", "A"], ("a", 1)):
        with pytest.raises(ValueError, match="a column is"):
            report.table("t", [bad], [])


def _fake_report(tmp_path: Path, name: str, ids: list[str], source: str) -> Path:
    """A results.json with sections ``ids`` (one check each), as a run of those sections writes it."""
    secs = [
        report.make_section(
            sid,
            [report.check(f"{sid} goal", "measured", True)],
            [report.table("t", [("a", "A", ".1f")], [{"a": 1.0}])],
            summary=f"{sid} fine",
        )
        for sid in ids
    ]
    rep = report.build_report(settings.quick_settings(), secs, {"mnist": source}, machine_info(), 1.0)
    report.write_report(rep, tmp_path / name)
    return tmp_path / name / "results.json"


def test_update_keeps_the_other_sections(tmp_path):
    old = json.loads(_fake_report(tmp_path, "old", ["memory", "grading", "course", "denoising"], "old").read_text())
    fresh = json.loads(_fake_report(tmp_path, "new", ["speed", "quality"], "x").read_text())["sections"]
    merged = report.build_report(settings.full_settings(), fresh, {"mnist": "x"}, machine_info(), 1.0, previous=old)
    assert [sec["id"] for sec in merged["sections"]] == list(settings.SECTION_ORDER)
    assert merged["header"]["data_sources"]["mnist"] == "x"


def test_merge_combines_reports_of_separate_runs(tmp_path):
    a = _fake_report(tmp_path, "sub", ["memory", "grading", "course"], "a")
    b = _fake_report(tmp_path, "tf", ["speed", "quality", "denoising"], "b")
    assert cli.main(["--merge", str(a), str(b), "--out-dir", str(tmp_path / "merged")]) == 0
    merged = json.loads((tmp_path / "merged" / "results.json").read_text())
    assert [sec["id"] for sec in merged["sections"]] == list(settings.SECTION_ORDER)
    assert len(merged["summary"]) == 6 and merged["header"]["mode"] == "quick"
    assert merged["header"]["data_sources"]["mnist"] == "b"  # later files win
    md = (tmp_path / "merged" / "results.md").read_text()
    assert "## 4. Grading throughput" in md and "| Section | Goal | Result | Met |" in md
    with pytest.raises(FileNotFoundError, match="no such results file"):
        cli.main(["--merge", str(tmp_path / "missing.json"), "--out-dir", str(tmp_path)])


def test_presets_and_arguments():
    quick, full = settings.quick_settings(), settings.full_settings()
    assert full.seed_epochs == 50 and full.n_submissions == 100 and full.notebook_modes == ("fast", "student")
    assert full.anomaly_splits >= 5
    # the denoising section runs lesson 04's comparison at the lesson's student-mode sizes, quick at fast-mode ones
    import inspect

    from course_utils.lessons.medical_image_denoising import denoising_table

    lesson = {k: p.default for k, p in inspect.signature(denoising_table).parameters.items()}
    for name in ("n_train", "epochs", "batches", "batch_size", "tune_images", "slow_filter_images", "n_test", "n_boot"):
        assert getattr(full, f"denoise_{name}") == lesson[name], name
    assert quick.denoise_epochs < full.denoise_epochs and quick.denoise_n_test is not None
    assert (full.vae_epochs, full.gen_ae_epochs, full.bc_repaired_epochs) == (20, 10, 150)
    assert quick.notebook_modes == ("fast",) and quick.n_submissions == 5 and quick.seed_epochs < full.seed_epochs
    assert "work_dir" not in quick.to_json() and quick.to_json()["vae_latents"] == [2, 8]
    assert settings.parse_sections(None) == list(settings.SECTION_ORDER)
    assert settings.parse_sections("grading, speed") == ["grading", "speed"]
    with pytest.raises(ValueError, match="subset of"):
        settings.parse_sections("speed,nonsense")
    with pytest.raises(ValueError, match="positive"):
        cli.main(["--sections", "grading", "--submissions", "0"])
    assert report.combine([True, True]) is True and report.combine([True, None]) is None
    assert report.combine([None, False]) is False and report.combine([]) is None
    assert speed.dense_ae_flops_per_epoch(1, 0) == 3 * 2 * (784 * 32 * 2)
    assert speed.dense_ae_flops_per_epoch(0, 1) == 2 * (784 * 32 * 2)


def test_every_section_has_one_run_function_and_imports_at_the_top():
    """One module per section behind run(settings); no import hidden inside a function."""
    import ast

    for sid in settings.SECTION_ORDER:
        assert callable(bench_sections.module(sid).run), sid
    for path in (ROOT / "benchmarks").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = [n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
                assert not inner, f"{path.relative_to(ROOT)}: {node.name} imports inside the function"


def test_the_command_line_entry_point_runs_as_a_module(tmp_path):
    """`python -m benchmarks.run` from the repository root (what make bench calls) works: -m finds the
    package there, nothing edits sys.path."""
    a = _fake_report(tmp_path, "one", ["grading"], "a")
    run = [sys.executable, "-m", "benchmarks.run"]
    proc = subprocess.run(
        [*run, "--merge", str(a), "--out-dir", str(tmp_path / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "\nGenerated by `python -m benchmarks.run --quick` " in (tmp_path / "out" / "results.md").read_text()
    help_text = subprocess.run([*run, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120).stdout
    assert help_text.startswith("usage: python -m benchmarks.run")
    assert "--sections" in help_text and "--quick" in help_text
