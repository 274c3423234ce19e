"""Shared fixtures."""

import pytest

from helpers import run_tiny


@pytest.fixture(scope="session")
def tiny_result():
    return run_tiny()


def pytest_addoption(parser):
    parser.addoption("--refresh-golden", action="store_true",
                     help="rewrite tests/golden/*.json from the current code (say why in the commit)")


@pytest.fixture(scope="session")
def refresh_golden(request):
    return request.config.getoption("--refresh-golden")
