"""nbgrader configuration of the quiz course directory (quizzes/).

Read by ``quizzes/manage.py`` and by the plain ``nbgrader`` commands and the
formgrader when they are started from this folder.  What it changes compared with
nbgrader's defaults, and why (details in README.md and the course_quiz package):

* autograding never executes student code: the first sanitize step rebuilds every
  submission from the source notebook plus the literal answers only;
* an unreadable submission is graded as an empty notebook (0 points) instead of
  aborting;
* the feedback shows right/wrong, an explanation and a lesson pointer, never the
  hidden check or the correct letter (``QuizFeedback.reveal_answers`` after closing);
* the student version of an answer cell reads ``qN = None`` where the solution was.
"""

from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.converters import GenerateAssignment
from nbgrader.preprocessors import (
    AssignLatePenalties,
    ClearOutput,
    ClearSolutions,
    DeduplicateIds,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)

try:
    from course_quiz import nbgrader_plugins as quiz
except ImportError as error:  # pragma: no cover - a hub image without the course package
    raise ImportError(
        "the quiz needs the course package: pip install -e '.[instructor]' from the "
        "course repository (or pip install 'course_utils[instructor]')"
    ) from error

_HERE = Path(__file__).resolve().parent

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

c.CourseDirectory.root = str(_HERE)

# --- student version -------------------------------------------------------
# An answer cell's solution region holds "qN = '<letter>'"; in the student version it
# becomes "qN = None" (ClearAnswerSolutions), so the source assigns each answer once and
# passes the same format rule as a student's notebook.  nbgrader's default list, with
# ClearSolutions replaced:
c.GenerateAssignment.preprocessors = [
    quiz.ClearAnswerSolutions if step is ClearSolutions else step
    for step in GenerateAssignment.class_traits()["preprocessors"].default()
]

# --- autograding -------------------------------------------------------------
c.Autograde.exporter_class = quiz.TolerantNotebookExporter
c.Autograde.sanitize_preprocessors = [
    quiz.RebuildFromSource,  # first: nothing the student wrote survives but the answers
    ClearOutput,
    DeduplicateIds,
    OverwriteKernelspec,
    OverwriteCells,
]
c.OverwriteCells.add_missing_cells = True
# The rebuilt notebook (instructor cells + literal answers) runs in a plain Python
# process instead of a Jupyter kernel: same outputs, ~1 s less per submission.
c.Autograde.autograde_preprocessors = [
    quiz.SubprocessExecute,
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
    quiz.QuizFeedback,
    CSSHTMLHeaderPreprocessor,
]
c.QuizFeedback.reveal_answers = False
