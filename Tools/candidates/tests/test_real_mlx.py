"""The MLX candidate (mlx_candidate.py) over the protocol: its hello and one evaluation.

Skips when .venv-mlx is missing or cannot import mlx.core: make it with
``bash Tools/setup_candidate.sh mlx``.
"""

import numpy as np
import pytest
from library_protocol2 import (
    SUM_EXAMPLE_LOSS, assert_other, assert_partial_gradients, integer_request, library_candidate_v2,
)
from support import assert_rejected, assert_sum_example, decode, eval_request, hello, library_candidate, tensor


@pytest.fixture(scope="module")
def candidate():
    """The running candidate; a skip when its venv is missing."""
    yield from library_candidate(".venv-mlx", "mlx.core", "mlx_candidate.py", "requirements-mlx.txt")


def test_hello(candidate):
    """The hello names the library, its version, the profile it follows, and what it supports."""
    answer = hello(
        candidate, profile="torch-2.10", dtypes=["float16", "bfloat16", "float32", "float64"],
        features=["grad", "scalar_var", "mixed_dtype"],
    )
    assert answer["name"] == "mlx" and answer["version"] == "0.32.4"


def test_eval(candidate):
    """The (1, 2) / (1, 0.5) 'sum' example: loss and all three gradients as PyTorch gives them."""
    assert_sum_example(candidate)


def test_rejection(candidate):
    """MLX wants var of input's shape exactly: a (3,) var for a (3, 4) input is var_size."""
    request = eval_request(tensor(np.zeros((3, 4))), tensor(np.zeros((3, 4))), tensor([1.0, 1.0, 1.0]))
    assert_rejected(candidate, request, "var_size")


@pytest.fixture(scope="module")
def candidate_v2():
    """The candidate after a protocol 2 hello, and that hello; a skip when its venv is missing."""
    yield from library_candidate_v2(".venv-mlx", "mlx.core", "mlx_candidate.py", "requirements-mlx.txt")


def test_protocol2_hello(candidate_v2):
    """Under protocol 2 the hello adds int32, int64 and bool, which MLX has."""
    _, answer = candidate_v2
    assert answer["dtypes"] == ["float16", "bfloat16", "float32", "float64", "int32", "int64", "bool"]
    assert answer["features"] == ["grad", "scalar_var", "mixed_dtype"]


def test_protocol2_partial_gradients(candidate_v2):
    """mx.vjp over the operands that require grad only: exactly their gradients, PyTorch's values."""
    assert_partial_gradients(candidate_v2[0])


def test_protocol2_integer_operands(candidate_v2):
    """int32 input and target with a float64 var: MLX promotes to float64, as PyTorch does."""
    response = candidate_v2[0].ask(integer_request("int32"))
    assert response["ok"] and response["loss"]["dtype"] == "float64", response
    np.testing.assert_allclose(decode(response["loss"]), SUM_EXAMPLE_LOSS, rtol=1e-12)


def test_protocol2_scalar_var_is_other(candidate_v2):
    """A Python float var reaches MLX, which reads var.shape: its AttributeError is kind other, not a fault."""
    request = eval_request(tensor([1.0]), tensor([0.0]), {"scalar": "Infinity"})
    assert_other(candidate_v2[0], request, "AttributeError")
