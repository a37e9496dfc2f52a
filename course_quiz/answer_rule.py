# Run this cell first. It defines the format check used under every answer: the grader's own
# rule, applied to the answer cell you ran last. It never says whether an answer is right.
"""What an answer cell is worth: the one rule shared by the grader and the students' format check.

This file is ``course_quiz/answer_rule.py`` of the course package *and*, verbatim, the first code
cell of the quiz notebook (``python quizzes/manage.py sync`` copies it there; ``manage.py check``
and the tests fail when the two differ), so that the format check works without any package
(Colab, a plain Jupyter) and can never disagree with the grader.  Standard library only.

The rule (:func:`parse_answer`): an answer cell is scored by the value it gives ``qN`` through
a single top-level assignment ``qN = '<letter>'`` of a string literal that, stripped and
lower-cased, is one of ``'a'``-``'d'``.  Nothing in the cell is executed by the grader, so other
statements (prints, imports, comments, writes to stderr, huge output) neither run nor cost the
point.  A cell that assigns ``qN`` more than once, conditionally (inside ``if``/``for``/``def``
...), in a chained, annotated, augmented or tuple assignment, or from anything but a string
literal scores 0.

The format check (:func:`check_answer_format`) applies this rule to the *source* of the answer
cell: in IPython/Jupyter (JupyterLab, Colab, VS Code, ``nbgrader validate``) it takes the raw
input history and looks at the last cell run before it that assigns or mentions ``qN`` and is not
a check cell (the quiz's answer cells say "Your answer to question N (qN)").  Outside IPython (a
plain Python process, such as the grader's runner) there is no history, and it checks the value
of ``qN`` instead -- the grader has then already reduced every answer cell to one literal.
"""

import ast
import re
import sys
import warnings

VALID_ANSWERS = ("a", "b", "c", "d")
#: Longer answer cells are not parsed at all (they score 0).
MAX_ANSWER_CHARS = 10_000

# Fixed reasons.  The grader writes them as a comment into its copy of an answer cell, so they
# are one line each and never echo what the student wrote.
REASON_OK = "ok"
REASON_NONE = "not answered"
REASON_NO_CELL = "no answer cell assigning the answer variable was found"
REASON_NO_ASSIGNMENT = "the cell does not assign the answer variable"
REASON_SYNTAX = (
    "the cell is not valid Python (IPython magics such as %time or !command are not allowed in an answer cell)"
)
REASON_TOO_LONG = f"the cell is longer than {MAX_ANSWER_CHARS} characters"
REASON_TWICE = "the cell assigns the answer variable more than once"
REASON_FORM = (
    "the answer must be assigned as qN = '<letter>' on a line of its own: not inside "
    "if/for/while/with/try/def, not in a chained, annotated, augmented or tuple assignment"
)
REASON_NOT_LITERAL = (
    "the answer must be a letter in quotes, not computed (no variables, calls, f-strings, numbers or operators)"
)
REASON_LETTER = "the answer is not one of 'a', 'b', 'c', 'd'"
REASON_UNREADABLE = "the answer cell could not be read"


def normalise_answer(value):
    """``'a'``-``'d'`` for an exact ``str`` that strips/lower-cases to one of them, else ``None``."""
    if type(value) is not str:
        return None
    letter = value.strip().lower()
    return letter if letter in VALID_ANSWERS else None


def _binds(node, name):
    """Whether the AST node gives ``name`` a value (or deletes it)."""
    if isinstance(node, ast.Name):
        return node.id == name and not isinstance(node.ctx, ast.Load)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name == name
    if isinstance(node, ast.alias):
        return (node.asname or node.name.split(".")[0]) == name
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return name in node.names
    if isinstance(node, ast.ExceptHandler):
        return node.name == name
    if isinstance(node, (ast.MatchAs, ast.MatchStar)):
        return node.name == name
    if isinstance(node, ast.MatchMapping):
        return node.rest == name
    return False


def _parse(source):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. SyntaxWarning for odd escapes: never to stderr
        return ast.parse(source, mode="exec")


def parse_answer(source, name):
    """Read the answer to ``name`` from an answer cell's source, without running it.

    Returns ``(letter, REASON_OK)`` for a cell whose only binding of ``name`` is one top-level
    ``name = '<string literal>'`` with a valid letter, else ``(None, reason)`` with one of the
    fixed ``REASON_*`` strings.
    """
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        source = "".join(source)
    if not isinstance(source, str):
        return None, REASON_UNREADABLE
    if len(source) > MAX_ANSWER_CHARS:
        return None, REASON_TOO_LONG
    try:
        tree = _parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None, REASON_SYNTAX
    try:
        binders = [node for node in ast.walk(tree) if _binds(node, name)]
    except RecursionError:
        return None, REASON_SYNTAX
    if not binders:
        return None, REASON_NO_ASSIGNMENT
    if len(binders) > 1:
        return None, REASON_TWICE
    statement = next((s for s in tree.body if isinstance(s, ast.Assign) and binders[0] in s.targets), None)
    if statement is None or len(statement.targets) != 1:
        return None, REASON_FORM
    value = statement.value
    if isinstance(value, ast.Constant) and value.value is None:
        return None, REASON_NONE
    if not isinstance(value, ast.Constant) or type(value.value) is not str:
        return None, REASON_NOT_LITERAL
    letter = normalise_answer(value.value)
    return (letter, REASON_OK) if letter is not None else (None, REASON_LETTER)


def assigns(source, name):
    """Whether a cell's source gives ``name`` a value anywhere (a candidate answer cell)."""
    if not isinstance(source, str):
        return False
    if len(source) <= MAX_ANSWER_CHARS:
        try:
            return any(_binds(node, name) for node in ast.walk(_parse(source)))
        except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
            pass
    # not Python (a typo, a magic): look for "name =", "name: ... =", "name += ..." in the text
    pattern = r"(?<![\w.])" + re.escape(name) + r"\s*(?::[^=\n]*)?(?:[-+*/%@&|^]|//|\*\*|<<|>>)?=(?!=)"
    return re.search(pattern, source) is not None


def _input_history():
    """The raw sources of the cells run so far in this IPython kernel, or None outside IPython."""
    ipython = sys.modules.get("IPython")  # never imported here: outside IPython this stays None
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is None:
        return None
    try:
        history = [cell for cell in shell.history_manager.input_hist_raw if isinstance(cell, str)]
    except Exception:  # an unusual front end: fall back to the value
        return None
    return history[:-1]  # the last entry is the cell running now


_CHECKERS = ("check_answer_format", "answer_format_ok", "self_check")
_OTHER_ANSWER = re.compile(r"^\s*q\d+\s*=(?!=)", re.MULTILINE)


def _is_answer_candidate(source, name):
    """A cell that assigns ``name``, or mentions it and is not one of the quiz's check cells."""
    if assigns(source, name):
        return True
    mentioned = re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", source) is not None
    return mentioned and not any(checker in source for checker in _CHECKERS)


def find_answer_cell(name):
    """``(source, cells_back)`` of the last cell run before this one that is an answer cell for ``name``.

    An answer cell is a cell that assigns ``name`` or mentions it (the answer cells of the quiz
    say "Your answer to ... (qN)") and is not a check cell.  ``("", 0)`` when this is IPython but
    no such cell was run; ``(None, 0)`` outside IPython.  ``cells_back`` is 1 when no other cell
    was run in between, except check cells and other questions' answer cells.
    """
    history = _input_history()
    if history is None:
        return None, 0
    back = 0
    for cell in reversed(history):
        if _is_answer_candidate(cell, name):
            return cell, back + 1
        if not (any(checker in cell for checker in _CHECKERS) or _OTHER_ANSWER.search(cell)):
            back += 1  # check cells and other questions' answer cells in between do not count
    return "", 0


def judge(name, value):
    """``(letter or None, reason, looked_at)``: what the grader will make of the answer to ``name``.

    ``looked_at`` is ``"cell"`` (the answer cell's source, in IPython) or ``"value"``.
    """
    source, _ = find_answer_cell(name)
    if source == "":
        return None, REASON_NO_CELL, "cell"
    if source is not None:
        letter, reason = parse_answer(source, name)
        return letter, reason, "cell"
    if value is None:
        return None, REASON_NONE, "value"
    letter = normalise_answer(value)
    if letter is not None:
        return letter, REASON_OK, "value"
    return None, REASON_LETTER if isinstance(value, str) else REASON_NOT_LITERAL, "value"


_UNSET = object()


def _caller_value(name, value, depth=2):
    """``value``, or when it was not given the caller's global ``name`` (None if undefined)."""
    return sys._getframe(depth).f_globals.get(name) if value is _UNSET else value


def answer_format_ok(name, value=_UNSET):
    """True when the grader will read one of the four letters for ``name`` (right or wrong)."""
    return judge(name, _caller_value(name, value))[0] is not None


def check_answer_format(name, value=_UNSET):
    """Print what the grader will do with the answer cell of ``name`` (never whether it is right).

    ``value`` defaults to the variable ``name`` of the notebook (None if it is not defined).
    """
    value = _caller_value(name, value)
    letter, reason, looked_at = judge(name, value)
    if letter is not None:
        where = "from your answer cell " if looked_at == "cell" else ""
        message = f"{name}: format OK - the grader will read {letter!r} {where}(this does not say whether it is right)."
        if looked_at == "cell" and normalise_answer(value) != letter:
            try:
                shown = repr(value)[:40]
            except Exception:  # an object whose __repr__ fails
                shown = f"a {type(value).__name__} object"
            message += (
                f" Note: {name} holds {shown} right now because of other code; the grader "
                f"ignores that and reads {letter!r}."
            )
    elif reason in (REASON_NONE, REASON_NO_CELL) and value is None:
        message = f"{name}: not answered yet - replace None by 'a', 'b', 'c' or 'd' (in quotes)."
    else:
        message = (
            f"{name}: as it stands this answer scores 0 - {reason.replace('qN', name)}. "
            f"Write one line {name} = 'a' (or 'b', 'c', 'd') in the answer cell and run it."
        )
    if looked_at == "cell" and find_answer_cell(name)[1] > 1:
        message += (
            f" (Read from the last cell you ran that uses {name}; if you have changed the "
            "answer cell since, run it again, then this check.)"
        )
    print(message)
