"""Shared fixtures: candidates started once per test session, and the candidates under test."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support import Candidate, numpy_command, torch_command, torch_missing_reason  # noqa: E402

HELLO = {"op": "hello", "protocol": 1}


@pytest.fixture(scope="session")
def running():
    """Start a candidate per command line on first use; the whole session shares it."""
    started = {}

    def start(command: str) -> Candidate:
        if command not in started:
            started[command] = Candidate(command)
            assert started[command].ask(HELLO)["ok"]
        return started[command]

    yield start
    for candidate in started.values():
        candidate.close()


@pytest.fixture(scope="session")
def torch_candidate(running):
    """The real-PyTorch candidate (torch 2.15, profile torch-2.10), or a skip when torch is missing."""
    reason = torch_missing_reason()
    if reason:
        pytest.skip(reason)
    return running(torch_command())


@pytest.fixture(params=["numpy", "torch"])
def candidate(request, running):
    """Each candidate that implements torch-2.10: the numpy one and real PyTorch."""
    if request.param == "torch":
        return request.getfixturevalue("torch_candidate")
    return running(numpy_command("torch-2.10"))
