"""Fixtures for the TUI's Pilot tests (helpers in tui_pilot.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_pilot import DemoTenant


@pytest.fixture
def demo(tmp_path: Path) -> DemoTenant:
    """A fresh sandbox tenant for one test (its state and audit log under tmp_path)."""
    return DemoTenant(state_dir=tmp_path)
