"""Instructor commands for the autoencoder quiz (nbgrader course directory ``quizzes/``).

Usage, from the repository root (the Makefile's ``quiz-release``, ``grade`` and ``quiz-report``)::

    .venv/bin/python quizzes/manage.py release      # student version -> quizzes/release/
    .venv/bin/python quizzes/manage.py grade        # autograde + feedback + quizzes/grades.csv
    .venv/bin/python quizzes/manage.py grade --reveal-answers   # after the quiz has closed
    .venv/bin/python quizzes/manage.py report       # item analysis -> quizzes/item_analysis.csv/.png
    .venv/bin/python quizzes/manage.py check        # lint + validate the source notebook
    .venv/bin/python quizzes/manage.py sync         # copy the format rule into the setup cell

Every command accepts ``--course-dir DIR`` (default: the folder of this file).  The code lives
in the ``course_quiz`` package, installed with the course (``pip install -e ".[instructor]"``
adds nbgrader); see README.md for the whole workflow.
"""

import sys
from pathlib import Path

from course_quiz.manage import (  # noqa: F401  (re-exported for scripts that import this file)
    GradeReport,
    check,
    grade,
    grading_module,
    load_config,
    main,
    make_api,
    release,
    scan_for_key,
    submitted_students,
    sync,
)

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    sys.exit(main(default_course_dir=HERE))
