"""The ONNX Runtime candidate (onnxruntime_candidate.py) over the protocol: its hello and one evaluation.

Skips when .venv-onnx is missing or cannot import onnxruntime, torch: make it with
``bash Tools/setup_candidate.sh onnx``.
"""

import numpy as np
import pytest
from library_protocol2 import SUM_EXAMPLE_LOSS, integer_request, library_candidate_v2
from support import assert_rejected, assert_sum_example, decode, eval_request, hello, library_candidate, tensor


@pytest.fixture(scope="module")
def candidate():
    """The running candidate; a skip when its venv is missing."""
    yield from library_candidate(
        ".venv-onnx", "onnxruntime, torch", "onnxruntime_candidate.py", "requirements-onnx.txt"
    )


def test_hello(candidate):
    """The hello names the library, its version, the profile it follows, and what it supports."""
    answer = hello(
        candidate, profile="torch-2.10", dtypes=["float16", "float32", "float64"],
        features=["scalar_var", "mixed_dtype"],
    )
    assert answer["name"] == "onnxruntime" and answer["version"].startswith("onnxruntime ")


def test_eval(candidate):
    """The (1, 2) / (1, 0.5) 'sum' example: the loss only (forward only, no grad feature)."""
    assert_sum_example(candidate, grad_var=None)


def test_rejection(candidate):
    """Shape checks run while PyTorch exports: a (3,) var for a (2, 3) input is var_size."""
    request = eval_request(tensor(np.zeros((2, 3))), tensor(np.zeros((2, 3))), tensor([1.0, 1.0, 1.0]))
    assert_rejected(candidate, request, "var_size")


@pytest.fixture(scope="module")
def candidate_v2():
    """The candidate after a protocol 2 hello, and that hello; a skip when its venv is missing."""
    yield from library_candidate_v2(
        ".venv-onnx", "onnxruntime, torch", "onnxruntime_candidate.py", "requirements-onnx.txt",
    )


def test_protocol2_hello(candidate_v2):
    """Under protocol 2 the hello adds int32, int64 and bool: the exported graph takes them as inputs."""
    _, answer = candidate_v2
    assert answer["dtypes"] == ["float16", "float32", "float64", "int32", "int64", "bool"]


def test_protocol2_integer_operands(candidate_v2):
    """int32 input and target with a float64 var: the graph casts as PyTorch promotes, a float64 loss."""
    response = candidate_v2[0].ask(integer_request("int32"))
    assert response["ok"] and response["loss"]["dtype"] == "float64", response
    np.testing.assert_allclose(decode(response["loss"]), SUM_EXAMPLE_LOSS, rtol=1e-12)


def test_protocol2_integer_var_is_type(candidate_v2):
    """An int32 var: PyTorch raises its clamp error while exporting: kind type."""
    request = eval_request(tensor([1.0, 2.0]), tensor([0.0, 0.0]), tensor([1, 0], "int32"), id=3)
    assert_rejected(candidate_v2[0], request, "type")
