"""The PyTorch/XLA candidate (torch_xla_candidate.py) over the protocol: its hello and a few evaluations.

Skips when .venv-torch-xla is missing or cannot import torch_xla: make it with
``bash Tools/setup_candidate.sh torch-xla``.
"""

import pytest
from library_protocol2 import assert_partial_gradients, library_candidate_v2
from support import assert_rejected, assert_sum_example, eval_request, hello, library_candidate, tensor


@pytest.fixture(scope="module")
def candidate():
    """The running candidate; a skip when its venv is missing."""
    yield from library_candidate(".venv-torch-xla", "torch_xla", "torch_xla_candidate.py",
                                 "requirements-torch-xla.txt")


def test_hello(candidate):
    """The hello names the library and the PyTorch it runs, the profile of that PyTorch, and what it supports."""
    answer = hello(
        candidate, profile="torch-2.6", dtypes=["float16", "bfloat16", "float32", "float64"],
        features=["grad", "scalar_var", "mixed_dtype"],
    )
    assert answer["name"] == "torch-xla" and answer["version"].startswith("torch-xla 2.9.0, torch 2.9.0")


def test_eval(candidate):
    """The (1, 2) / (1, 0.5) 'sum' example on the XLA device: loss and all three gradients as PyTorch gives them."""
    assert_sum_example(candidate)


def test_rejections(candidate):
    """PyTorch's own checks run on XLA tensors: a negative var is negative_var, a var of the wrong size var_size."""
    assert_rejected(candidate, eval_request(tensor([1.0]), tensor([0.0]), tensor([-1.0])), "negative_var")
    request = eval_request(tensor([[1.0, 2.0], [3.0, 4.0]]), tensor([0.0]), tensor([1.0, 1.0, 1.0]), id=2)
    assert_rejected(candidate, request, "var_size")


@pytest.fixture(scope="module")
def candidate_v2():
    """The candidate after a protocol 2 hello, and that hello; a skip when its venv is missing."""
    yield from library_candidate_v2(
        ".venv-torch-xla", "torch_xla", "torch_xla_candidate.py", "requirements-torch-xla.txt",
    )


def test_protocol2_hello(candidate_v2):
    """Under protocol 2 the hello adds int32, int64 and bool."""
    _, answer = candidate_v2
    assert answer["dtypes"] == ["float16", "bfloat16", "float32", "float64", "int32", "int64", "bool"]


def test_protocol2_partial_gradients(candidate_v2):
    """Only the operands that require grad are made with requires_grad: exactly their gradients."""
    assert_partial_gradients(candidate_v2[0])


def test_protocol2_integer_var_is_type(candidate_v2):
    """An int32 var: PyTorch/XLA refuses to cast the clamp's float result into it, PyTorch's rejection (type)."""
    request = eval_request(tensor([1.0, 2.0]), tensor([0.0, 0.0]), tensor([1, 0], "int32"), id=3)
    assert_rejected(candidate_v2[0], request, "type")
