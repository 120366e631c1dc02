"""The torch.compile (Inductor) candidate (torch_compile_candidate.py) over the protocol: its hello and one evaluation.

Skips when .venv-torch is missing or cannot import torch: make it with
``bash Tools/setup.sh --torch``.
"""

import numpy as np
import pytest
from library_protocol2 import assert_partial_gradients, library_candidate_v2
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


@pytest.fixture(scope="module")
def candidate_v2():
    """The candidate after a protocol 2 hello, and that hello; a skip when its venv is missing."""
    yield from library_candidate_v2(".venv-torch", "torch", "torch_compile_candidate.py", "Tools/requirements.txt")


def test_protocol2_hello(candidate_v2):
    """Under protocol 2 the hello adds int32, int64 and bool."""
    _, answer = candidate_v2
    assert answer["dtypes"] == ["float16", "bfloat16", "float32", "float64", "int32", "int64", "bool"]


def test_protocol2_partial_gradients(candidate_v2):
    """Each requires_grad combination is compiled with its own backward: exactly the gradients asked for."""
    assert_partial_gradients(candidate_v2[0])


def test_protocol2_integer_var_is_type(candidate_v2):
    """An int32 var: the compiled clamp raises PyTorch's own error while Dynamo traces: kind type."""
    request = eval_request(tensor([1.0, 2.0]), tensor([0.0, 0.0]), tensor([1, 0], "int32"), id=3)
    assert_rejected(candidate_v2[0], request, "type")
