"""The quiz machinery of the autoencoder course (installed with ``course_utils``).

Modules, from the students' side to the instructor's:

* :mod:`course_quiz.answer_rule` -- what an answer cell is worth; the one rule shared by the
  grader and the students' format check (standard library only; the quiz notebook's first
  cell is a verbatim copy).
* :mod:`course_quiz.bank` -- the question bank read from the source notebook (answer key,
  explanations, lesson pointers, structure checks); reading answers from submitted and graded
  notebooks.  Standard library only.
* :mod:`course_quiz.runner` -- runs a rebuilt notebook in a plain ``python -I`` process.
* :mod:`course_quiz.nbgrader_plugins` -- the nbgrader preprocessors and exporter that
  ``quizzes/nbgrader_config.py`` installs.  **Imports nbgrader** (``pip install
  "course_utils[instructor]"``).
* :mod:`course_quiz.manage` -- the instructor commands behind ``quizzes/manage.py``
  (release, grade, report, check, sync); nbgrader is imported only by the commands that need it.
* :mod:`course_quiz.report` -- item analysis of a graded class (``make quiz-report``).
* :mod:`course_quiz.bench` -- grading throughput on generated submissions (for the benchmark).
* :mod:`course_quiz.parallel` -- grading in worker processes, each with a scratch gradebook that
  is merged into the real one; the progress bar (imports nbgrader in the workers only).
* :mod:`course_quiz.intake` -- checks submissions before grading (standard library only).

Importing ``course_quiz`` imports none of these: students and Colab never need nbgrader.
"""

__all__ = ["answer_rule", "bank", "runner", "nbgrader_plugins", "manage", "report", "bench", "parallel", "intake"]
