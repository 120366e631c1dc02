"""The torch.compile (Inductor) candidate (torch_compile_candidate.py) over the protocol: its hello and one evaluation.

Skips when .venv-torch is missing or cannot import torch: make it with
``bash Tools/setup.sh --torch``.
"""

import numpy as np
import pytest
from support import assert_rejected, assert_sum_example, eval_request, hello, library_candidate, tensor


@pytest.fixture(scope="module")
def candidate():
    """The running candidate; a skip when its venv is missing."""
    yield from library_candidate(".venv-torch", "torch", "torch_compile_candidate.py", "Tools/requirements.txt")


def test_hello(candidate):
    """The hello names the library, its version, the profile it follows, and what it supports."""
    answer = hello(
        candidate, profile="torch-2.10", dtypes=["float16", "bfloat16", "float32", "float64"],
        features=["grad", "scalar_var", "mixed_dtype"],
    )
    assert answer["name"] == "torch.compile" and answer["version"].startswith("2.15")


def test_eval(candidate):
    """The (1, 2) / (1, 0.5) 'sum' example: loss and all three gradients as PyTorch gives them."""
    assert_sum_example(candidate)


def test_rejection(candidate):
    """A target that does not broadcast fails while Dynamo traces: kind broadcast."""
    request = eval_request(tensor(np.zeros((3, 4))), tensor(np.zeros((3, 5))), tensor(np.ones((3, 4))))
    assert_rejected(candidate, request, "broadcast")
