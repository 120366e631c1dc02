"""The ONNX Runtime candidate (onnxruntime_candidate.py) over the protocol: its hello and one evaluation.

Skips when .venv-onnx is missing or cannot import onnxruntime, torch: make it with
``bash Tools/setup_candidate.sh onnx``.
"""

import numpy as np
import pytest
from support import assert_rejected, assert_sum_example, eval_request, hello, library_candidate, tensor


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
