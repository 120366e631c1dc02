"""The torchax candidate (torchax_candidate.py) over the protocol: its hello and one evaluation.

Skips when .venv-torchax is missing or cannot import torchax: make it with
``bash Tools/setup_candidate.sh torchax``.
"""

import pytest
from support import assert_rejected, assert_sum_example, eval_request, hello, library_candidate, tensor


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
