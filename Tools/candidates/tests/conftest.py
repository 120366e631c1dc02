"""Shared fixtures: candidates started once per test session, and the candidates under test."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support import HELLO_2, Candidate, numpy_command, torch_command, torch_missing_reason  # noqa: E402

HELLO = {"op": "hello", "protocol": 1}


def session_candidates(hello: dict, version: int):
    """Start a candidate per command line on first use, greeted with ``hello``; the whole session shares it."""
    started = {}

    def start(command: str) -> Candidate:
        if command not in started:
            started[command] = Candidate(command)
            answer = started[command].ask(hello)
            assert answer["ok"] and answer["protocol"] == version, answer
        return started[command]

    return started, start


@pytest.fixture(scope="session")
def running():
    """Candidates that speak protocol 1 (the suite offered only 1)."""
    started, start = session_candidates(HELLO, 1)
    yield start
    for candidate in started.values():
        candidate.close()


@pytest.fixture(scope="session")
def running2():
    """Candidates that negotiated protocol 2 (the suite offered 1 and 2)."""
    started, start = session_candidates(HELLO_2, 2)
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


@pytest.fixture(scope="session")
def torch_candidate2(running2):
    """The real-PyTorch candidate (torch 2.15, profile torch-2.10) speaking protocol 2, or a skip."""
    reason = torch_missing_reason()
    if reason:
        pytest.skip(reason)
    return running2(torch_command())


@pytest.fixture(params=["numpy", "torch"])
def candidate2(request, running2):
    """Each candidate that implements torch-2.10, speaking protocol 2: the numpy one and real PyTorch."""
    if request.param == "torch":
        return request.getfixturevalue("torch_candidate2")
    return running2(numpy_command("torch-2.10"))
