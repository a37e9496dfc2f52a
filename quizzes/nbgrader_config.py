"""nbgrader configuration of the quiz course directory (quizzes/).

Read by ``quizzes/manage.py`` and by the plain ``nbgrader`` commands and the
formgrader when they are started from this folder.  What it changes compared with
nbgrader's defaults, and why (details in README.md and quiz_grading.py):

* autograding never executes student code: the first sanitize step rebuilds every
  submission from the source notebook plus the literal answers only;
* an unreadable submission is graded as an empty notebook (0 points) instead of
  aborting;
* the feedback shows right/wrong, an explanation and a lesson pointer, never the
  hidden check or the correct letter (``QuizFeedback.reveal_answers`` after closing);
* the student version of an answer cell is just ``qN = None`` (no code stub).
"""

import importlib.util
import sys
from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    ClearOutput,
    DeduplicateIds,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)

_HERE = Path(__file__).resolve().parent


def _load_grading_module():
    """Import quiz_grading.py from this folder by its path (once per process)."""
    name = "quiz_grading"
    module = sys.modules.get(name)
    if module is not None and Path(module.__file__).resolve() == _HERE / "quiz_grading.py":
        return module
    spec = importlib.util.spec_from_file_location(name, _HERE / "quiz_grading.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


quiz_grading = _load_grading_module()

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

c.CourseDirectory.root = str(_HERE)

# --- student version -------------------------------------------------------
# An answer cell holds "qN = None" followed by the solution region; in the
# student version the region is simply removed.
c.ClearSolutions.code_stub = {"python": ""}

# --- autograding -------------------------------------------------------------
c.Autograde.exporter_class = quiz_grading.TolerantNotebookExporter
c.Autograde.sanitize_preprocessors = [
    quiz_grading.RebuildFromSource,  # first: nothing the student wrote survives but the answers
    ClearOutput,
    DeduplicateIds,
    OverwriteKernelspec,
    OverwriteCells,
]
c.OverwriteCells.add_missing_cells = True
# The rebuilt notebook (instructor cells + literal answers) runs in a plain Python
# process instead of a Jupyter kernel: same outputs, ~1 s less per submission.
c.Autograde.autograde_preprocessors = [
    quiz_grading.SubprocessExecute,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    # nbgrader's final CheckCellMetadata is left out (0.25 s per submission): every
    # cell's metadata is the source's, which generate_assignment validates.
]
c.SubprocessExecute.timeout = 30  # seconds per cell
c.SubprocessExecute.overall_timeout = 300  # seconds per submission (aborts it loudly)
# nbgrader's own kernel-based Execute is still used by `nbgrader validate`
# (students' Validate button, `manage.py check`).
c.Execute.timeout = 30

# --- feedback ---------------------------------------------------------------
c.GenerateFeedback.preprocessors = [
    GetGrades,
    quiz_grading.QuizFeedback,
    CSSHTMLHeaderPreprocessor,
]
c.QuizFeedback.reveal_answers = False
