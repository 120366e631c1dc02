"""The PaddlePaddle candidate (paddle_candidate.py) over the protocol: its hello and one evaluation.

Skips when .venv-paddle is missing or cannot import paddle: make it with
``bash Tools/setup_candidate.sh paddle``.
"""

import pytest
from support import assert_rejected, assert_sum_example, eval_request, hello, library_candidate, tensor


@pytest.fixture(scope="module")
def candidate():
    """The running candidate; a skip when its venv is missing."""
    yield from library_candidate(".venv-paddle", "paddle", "paddle_candidate.py", "requirements-paddle.txt")


def test_hello(candidate):
    """The hello names the library, its version, the profile it follows, and what it supports."""
    answer = hello(
        candidate, profile="torch-1.9", dtypes=["float32", "float64"],
        features=["grad", "scalar_var", "mixed_dtype"],
    )
    assert answer["name"] == "paddlepaddle" and answer["version"] == "3.3.1"


def test_eval(candidate):
    """The (1, 2) / (1, 0.5) 'sum' example: PyTorch's loss and input/target gradients; var gets none (zeros)."""
    assert_sum_example(candidate, grad_var=(0.0, 0.0))


def test_rejection(candidate):
    """Like torch 1.9, Paddle takes no Python float var: AttributeError, kind type."""
    request = eval_request(tensor([1.0]), tensor([0.0]), {"scalar": 0.5})
    assert_rejected(candidate, request, "type")
