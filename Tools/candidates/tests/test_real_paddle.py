"""The PaddlePaddle candidate (paddle_candidate.py) over the protocol: its hello and one evaluation.

Skips when .venv-paddle is missing or cannot import paddle: make it with
``bash Tools/setup_candidate.sh paddle``.
"""

import pytest
from library_protocol2 import assert_other, assert_partial_gradients, integer_request, library_candidate_v2
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


@pytest.fixture(scope="module")
def candidate_v2():
    """The candidate after a protocol 2 hello, and that hello; a skip when its venv is missing."""
    yield from library_candidate_v2(".venv-paddle", "paddle", "paddle_candidate.py", "requirements-paddle.txt")


def test_protocol2_hello(candidate_v2):
    """Under protocol 2 the hello adds int32, int64 and bool, which Paddle has (and rejects, see below)."""
    _, answer = candidate_v2
    assert answer["dtypes"] == ["float32", "float64", "int32", "int64", "bool"]


def test_protocol2_partial_gradients(candidate_v2):
    """paddle.grad over the operands that require grad only; var is not connected (zeros)."""
    assert_partial_gradients(candidate_v2[0], grad_var=(0.0, 0.0))


def test_protocol2_integer_input_is_type(candidate_v2):
    """Paddle's dtype check refuses an int32 input: kind type, Paddle's message."""
    response = candidate_v2[0].ask(integer_request("int32"))
    assert not response["ok"] and response["error"]["kind"] == "type", response
    assert response["error"]["message"].startswith("The data type of input"), response


def test_protocol2_nan_eps_is_other(candidate_v2):
    """eps = NaN: paddle.clip wants min <= max, a ValueError no PyTorch kind means: kind other."""
    request = eval_request(tensor([1.0]), tensor([0.0]), tensor([1.0]), eps="NaN")
    assert_other(candidate_v2[0], request, "ValueError")
