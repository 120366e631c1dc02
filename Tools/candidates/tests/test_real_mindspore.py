"""The MindSpore candidate (mindspore_candidate.py) over the protocol: its hello and one evaluation.

Skips when .venv-mindspore is missing or cannot import mindspore: make it with
``bash Tools/setup_candidate.sh mindspore``.
"""

import pytest
from support import assert_rejected, assert_sum_example, eval_request, hello, library_candidate, tensor


@pytest.fixture(scope="module")
def candidate():
    """The running candidate; a skip when its venv is missing."""
    yield from library_candidate(".venv-mindspore", "mindspore", "mindspore_candidate.py", "requirements-mindspore.txt")


def test_hello(candidate):
    """The hello names the library, its version, the profile it follows, and what it supports."""
    answer = hello(
        candidate, profile="torch-2.10", dtypes=["float16", "float32", "float64"],
        features=["grad", "mixed_dtype"],
    )
    assert answer["name"] == "mindspore" and answer["version"] == "2.10.0"


def test_eval(candidate):
    """The (1, 2) / (1, 0.5) 'sum' example: loss and all three gradients as PyTorch gives them."""
    assert_sum_example(candidate)


def test_rejection(candidate):
    """MindSpore checks the reduction before anything else: kind reduction."""
    request = eval_request(tensor([1.0]), tensor([0.0]), tensor([1.0]), reduction="avg")
    assert_rejected(candidate, request, "reduction")
