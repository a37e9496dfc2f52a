"""Shared pytest settings: tests never touch the network."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forbid downloads in every test; download code is tested against a local server."""
    monkeypatch.setenv("COURSE_OFFLINE", "1")


# pytest-xdist (`make test`, `--dist loadgroup`): a file's tests stay on one worker — a notebook's cells share
# one kernel and a module's fixtures run once — except in the files listed here, whose tests are independent
# and each train a model: spread over the workers, they no longer make one worker finish a minute after the
# other (tests/test_exercises.py alone is about a fifth of the suite's work).
SPREAD_OVER_WORKERS = {"tests/test_exercises.py"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        if path not in SPREAD_OVER_WORKERS:
            item.add_marker(pytest.mark.xdist_group(path))
