"""The torchax candidate (torchax_candidate.py) over the protocol: its hello and one evaluation.

Skips when .venv-torchax is missing or cannot import torchax: make it with
``bash Tools/setup_candidate.sh torchax``.
"""

import numpy as np
import pytest
from library_protocol2 import SUM_EXAMPLE_LOSS, assert_partial_gradients, integer_request, library_candidate_v2
from support import assert_rejected, assert_sum_example, decode, eval_request, hello, library_candidate, tensor


@pytest.fixture(scope="module")
def candidate():
    """The running candidate; a skip when its venv is missing."""
    yield from library_candidate(".venv-torchax", "torchax", "torchax_candidate.py", "requirements-torchax.txt")


def test_hello(candidate):
    """The hello names the library, its version, the profile it follows, and what it supports."""
    answer = hello(
        candidate, profile="torch-2.10", dtypes=["float16", "bfloat16", "float32", "float64"],
        features=["grad", "scalar_var", "mixed_dtype"],
    )
    assert answer["name"] == "torchax" and answer["version"].startswith("torchax 0.0.13, jax ")


def test_eval(candidate):
    """The (1, 2) / (1, 0.5) 'sum' example: loss and all three gradients as PyTorch gives them."""
    assert_sum_example(candidate)


def test_rejection(candidate):
    """PyTorch's own check runs on JAX arrays: a negative var is negative_var."""
    request = eval_request(tensor([1.0]), tensor([0.0]), tensor([-1.0]))
    assert_rejected(candidate, request, "negative_var")


@pytest.fixture(scope="module")
def candidate_v2():
    """The candidate after a protocol 2 hello, and that hello; a skip when its venv is missing."""
    yield from library_candidate_v2(".venv-torchax", "torchax", "torchax_candidate.py", "requirements-torchax.txt")


def test_protocol2_hello(candidate_v2):
    """Under protocol 2 the hello adds int32, int64 and bool (JAX has them; x64 is on)."""
    _, answer = candidate_v2
    assert answer["dtypes"] == ["float16", "bfloat16", "float32", "float64", "int32", "int64", "bool"]


def test_protocol2_partial_gradients(candidate_v2):
    """jax.vjp over the operands that require grad only: exactly their gradients, PyTorch's values."""
    assert_partial_gradients(candidate_v2[0])


def test_protocol2_integer_operands(candidate_v2):
    """int64 input and target with a float64 var: the loss is float64, as in PyTorch."""
    response = candidate_v2[0].ask(integer_request("int64"))
    assert response["ok"] and response["loss"]["dtype"] == "float64", response
    np.testing.assert_allclose(decode(response["loss"]), SUM_EXAMPLE_LOSS, rtol=1e-12)
