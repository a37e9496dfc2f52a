"""Answer cells for question q1 and what the grader must make of them (shared by the quiz tests).

Each case is ``(source, letter or None, reason constant name)``.  The grader's parser
(``course_quiz.answer_rule.parse_answer``), the students' format check run in a real IPython
kernel, and the whole nbgrader pipeline are all checked against this one table.
"""

from __future__ import annotations

#: (source of the answer cell for q1, letter the grader reads or None, REASON_* name)
CASES: list[tuple[str, str | None, str]] = [
    # --- one literal letter: counts (case and surrounding spaces tolerated)
    ("q1 = 'c'", "c", "REASON_OK"),
    ('q1 = "C "', "c", "REASON_OK"),
    ("# my answer\nq1 = ' b '  # because...\n\n", "b", "REASON_OK"),
    ("q1 = ('d')", "d", "REASON_OK"),
    ("q1 = 'a';", "a", "REASON_OK"),
    ("q1 = 'A'", "a", "REASON_OK"),
    # --- other statements are ignored: they neither run nor cost the point (issue 18.2)
    ("print('done')\nq1 = 'c'", "c", "REASON_OK"),
    ("q1 = 'c'\nprint(q1)", "c", "REASON_OK"),
    ("q1 = 'a'; print(q1)", "a", "REASON_OK"),
    ("import this\nq1 = 'b'", "b", "REASON_OK"),
    ("import os\nq1 = 'c'", "c", "REASON_OK"),
    ("import sys\nsys.stderr.write('checked')\nq1 = 'd'", "d", "REASON_OK"),
    ("import warnings\nwarnings.warn('careful')\nq1 = 'c'", "c", "REASON_OK"),
    ("print('x' * 1_000_000)\nq1 = 'a'", "a", "REASON_OK"),
    ("q1 = 'c'\nx = [i * i for i in range(3)]\ndef helper():\n    return 1", "c", "REASON_OK"),
    ("raise RuntimeError('boom')\nq1 = 'c'", "c", "REASON_OK"),
    ("# q1 = 'a'\nq1 = 'b'  # not 'a'", "b", "REASON_OK"),
    ("q1 = 'a'\nglobals()['q1'] = 'c'", "a", "REASON_OK"),  # the grader reads the literal, never runs code
    # --- not answered
    ("q1 = None", None, "REASON_NONE"),
    ("# Your answer to question 1: replace None by 'a', 'b', 'c' or 'd' (in quotes).\nq1 = None", None, "REASON_NONE"),
    ("print('thinking')\nq1 = None", None, "REASON_NONE"),
    # --- not one of the four letters
    ("q1 = 'e'", None, "REASON_LETTER"),
    ("q1 = ''", None, "REASON_LETTER"),
    ("q1 = 'cc'", None, "REASON_LETTER"),
    ("q1 = 'c' 'd'", None, "REASON_LETTER"),
    # --- computed, or not a string
    ("q1 = 3", None, "REASON_NOT_LITERAL"),
    ("q1 = b'c'", None, "REASON_NOT_LITERAL"),
    ("q1 = f'c'", None, "REASON_NOT_LITERAL"),
    ("q1 = 'c' + ''", None, "REASON_NOT_LITERAL"),
    ("q1 = str('c')", None, "REASON_NOT_LITERAL"),
    ("q1 = ['c']", None, "REASON_NOT_LITERAL"),
    ("x = 'c'\nq1 = x", None, "REASON_NOT_LITERAL"),
    ("q1 = 'c' if True else 'a'", None, "REASON_NOT_LITERAL"),
    ("q1 = 'C'.lower()", None, "REASON_NOT_LITERAL"),
    # --- assigned more than once
    ("q1 = 'a'\nq1 = 'c'", None, "REASON_TWICE"),
    ("q1 = 'c'\nq1 = 'c'", None, "REASON_TWICE"),
    ("q1 = 'c'\nq1 += ''", None, "REASON_TWICE"),
    ("q1 = 'c'\ndel q1", None, "REASON_TWICE"),
    ("q1 = 'c'\nfor q1 in 'ab':\n    pass", None, "REASON_TWICE"),
    ("q1 = 'c'\ndef f():\n    q1 = 'a'", None, "REASON_TWICE"),
    ("q1 = 'c'\nimport q1", None, "REASON_TWICE"),
    # --- conditionally, nested or in another form of assignment
    ("if True:\n    q1 = 'c'", None, "REASON_FORM"),
    ("for _ in range(1):\n    q1 = 'c'", None, "REASON_FORM"),
    ("try:\n    q1 = 'c'\nexcept Exception:\n    pass", None, "REASON_FORM"),
    ("def answer():\n    global q1\n    q1 = 'c'\nanswer()", None, "REASON_TWICE"),
    ("with open('x') as q1:\n    pass", None, "REASON_FORM"),
    ("(q1 := 'c')", None, "REASON_FORM"),
    ("q1 = q2 = 'c'", None, "REASON_FORM"),
    ("q1: str = 'c'", None, "REASON_FORM"),
    ("q1, x = 'c', 1", None, "REASON_FORM"),
    ("q1 += 'c'", None, "REASON_FORM"),
    ("def q1():\n    return 'c'", None, "REASON_FORM"),
    # --- no assignment at all
    ("q2 = 'c'", None, "REASON_NO_ASSIGNMENT"),
    ("globals()['q1'] = 'c'", None, "REASON_NO_ASSIGNMENT"),
    ("exec(\"q1 = 'c'\")", None, "REASON_NO_ASSIGNMENT"),
    ("", None, "REASON_NO_ASSIGNMENT"),
    ("# just a comment", None, "REASON_NO_ASSIGNMENT"),
    # --- not Python, or too long
    ("q1 = 'c", None, "REASON_SYNTAX"),
    ("%time q1 = 'c'", None, "REASON_SYNTAX"),
    ("%matplotlib inline\nq1 = 'c'", None, "REASON_SYNTAX"),
    ("!ls\nq1 = 'c'", None, "REASON_SYNTAX"),
    ("q1 = 'c'  # " + "x" * 10_000, None, "REASON_TOO_LONG"),
    ("(" * 9_000, None, "REASON_SYNTAX"),
    ("q1 = '\x00'", None, "REASON_SYNTAX"),
]

#: Cases that must not be run in a student's kernel by the agreement test (they would hang,
#: kill the kernel or touch files); the grader never runs any of them anyway.
NOT_RUN_IN_KERNEL = {"with open('x') as q1:\n    pass"}
