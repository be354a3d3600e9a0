from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent.parent


def pytest_configure(config):
    # The app's own cell unless the command line names another scenario
    # (the CI matrix runs outages.yaml too).
    if config.getoption("qpysim_scenario") is None:
        config.option.qpysim_scenario = str(HERE / "weak-cell.yaml")


@pytest.fixture
def app():
    """The device app under test."""
    return str(HERE / "main.py")
