"""The MindSpore candidate (mindspore_candidate.py) over the protocol: its hello and one evaluation.

Skips when .venv-mindspore is missing or cannot import mindspore: make it with
``bash Tools/setup_candidate.sh mindspore``.
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
    yield from library_candidate(".venv-mindspore", "mindspore", "mindspore_candidate.py", "requirements-mindspore.txt")


def test_hello(candidate):
    """The hello names the library, its version, the profile it follows, and what it supports."""
    answer = hello(
        candidate, profile="torch-2.10", dtypes=["float16", "float32", "float64"],
        features=["grad", "scalar_var", "mixed_dtype"],
    )
    assert answer["name"] == "mindspore" and answer["version"] == "2.10.0"


def test_eval(candidate):
    """The (1, 2) / (1, 0.5) 'sum' example: loss and all three gradients as PyTorch gives them."""
    assert_sum_example(candidate)


def test_rejection(candidate):
    """MindSpore checks the reduction before anything else: kind reduction."""
    request = eval_request(tensor([1.0]), tensor([0.0]), tensor([1.0]), reduction="avg")
    assert_rejected(candidate, request, "reduction")


@pytest.fixture(scope="module")
def candidate_v2():
    """The candidate after a protocol 2 hello, and that hello; a skip when its venv is missing."""
    yield from library_candidate_v2(
        ".venv-mindspore", "mindspore", "mindspore_candidate.py", "requirements-mindspore.txt",
    )


def test_protocol2_hello(candidate_v2):
    """Under protocol 2 the hello adds int32, int64 and bool, which MindSpore has."""
    _, answer = candidate_v2
    assert answer["dtypes"] == ["float16", "float32", "float64", "int32", "int64", "bool"]
    assert answer["features"] == ["grad", "scalar_var", "mixed_dtype"]


def test_protocol2_partial_gradients(candidate_v2):
    """mindspore.vjp over the operands that require grad only: exactly their gradients, PyTorch's values."""
    assert_partial_gradients(candidate_v2[0])


def test_protocol2_integer_operands(candidate_v2):
    """int32 input and target with a float64 var: MindSpore promotes to float64, as PyTorch does."""
    response = candidate_v2[0].ask(integer_request("int32"))
    assert response["ok"] and response["loss"]["dtype"] == "float64", response
    np.testing.assert_allclose(decode(response["loss"]), SUM_EXAMPLE_LOSS, rtol=1e-12)


def test_protocol2_negative_eps_is_other(candidate_v2):
    """eps = −inf: MindSpore wants a positive eps, a ValueError no PyTorch kind means: kind other."""
    request = eval_request(tensor([1.0]), tensor([0.0]), tensor([1.0]), eps="-Infinity")
    assert_other(candidate_v2[0], request, "ValueError")
