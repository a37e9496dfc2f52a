"""Shared pytest settings: tests never touch the network."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forbid downloads in every test; download code is tested against a local server."""
    monkeypatch.setenv("COURSE_OFFLINE", "1")
