"""The MLX candidate (mlx_candidate.py) over the protocol: its hello and one evaluation.

Skips when .venv-mlx is missing or cannot import mlx.core: make it with
``bash Tools/setup_candidate.sh mlx``.
"""

import numpy as np
import pytest
from support import assert_rejected, assert_sum_example, eval_request, hello, library_candidate, tensor


@pytest.fixture(scope="module")
def candidate():
    """The running candidate; a skip when its venv is missing."""
    yield from library_candidate(".venv-mlx", "mlx.core", "mlx_candidate.py", "requirements-mlx.txt")


def test_hello(candidate):
    """The hello names the library, its version, the profile it follows, and what it supports."""
    answer = hello(
        candidate, profile="torch-2.10", dtypes=["float16", "bfloat16", "float32", "float64"],
        features=["grad", "mixed_dtype"],
    )
    assert answer["name"] == "mlx" and answer["version"] == "0.32.4"


def test_eval(candidate):
    """The (1, 2) / (1, 0.5) 'sum' example: loss and all three gradients as PyTorch gives them."""
    assert_sum_example(candidate)


def test_rejection(candidate):
    """MLX wants var of input's shape exactly: a (3,) var for a (3, 4) input is var_size."""
    request = eval_request(tensor(np.zeros((3, 4))), tensor(np.zeros((3, 4))), tensor([1.0, 1.0, 1.0]))
    assert_rejected(candidate, request, "var_size")
