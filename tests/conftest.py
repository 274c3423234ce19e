"""Shared fixtures."""

import pytest

from helpers import run_tiny


@pytest.fixture(scope="session")
def tiny_result():
    return run_tiny()
