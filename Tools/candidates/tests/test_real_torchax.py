"""The torchax candidate (torchax_candidate.py) over the protocol: its hello and one evaluation.

Skips when .venv-torchax is missing or cannot import torchax: make it with
``python3 -m venv .venv-torchax && .venv-torchax/bin/pip install -r Tools/candidates/requirements-torchax.txt``.
"""

import math

import numpy as np
import pytest
from support import decode, eval_request, library_candidate, tensor

@pytest.fixture(scope="module")
def candidate():
    """The running candidate; a skip when its venv is missing."""
    yield from library_candidate(".venv-torchax", "torchax", "torchax_candidate.py", "requirements-torchax.txt")


def test_hello(candidate):
    """The hello names the library, its version, the profile it follows, and what it supports."""
    hello = candidate.ask({"op": "hello", "protocol": 1})
    assert hello["ok"] and hello["protocol"] == 1
    assert hello["name"] == "torchax" and hello["version"].startswith("torchax 0.0.13, jax ")
    assert hello["profile"] == "torch-2.10"
    assert hello["dtypes"] == ["float16", "bfloat16", "float32", "float64"]
    assert hello["features"] == ["grad", "scalar_var", "mixed_dtype"]


def test_eval(candidate):
    """input (1, 2), target 0, var (1, 0.5), 'sum': the loss is 0.5 + 0.5·(log 0.5 + 8); and the gradients."""
    request = eval_request(
        tensor([1.0, 2.0]), tensor([0.0, 0.0]), tensor([1.0, 0.5]), reduction="sum", grad_output=tensor(1.0)
    )
    response = candidate.ask(request)
    assert response["ok"], response
    assert response["loss"]["dtype"] == "float64" and response["loss"]["shape"] == []
    np.testing.assert_allclose(decode(response["loss"]), 0.5 + 0.5 * (math.log(0.5) + 8.0), rtol=1e-12)
    np.testing.assert_allclose(decode(response["grad_input"]), [1.0, 4.0], rtol=1e-12)
    np.testing.assert_allclose(decode(response["grad_target"]), [-1.0, -4.0], rtol=1e-12)
    np.testing.assert_allclose(decode(response["grad_var"]), [0.0, -7.0], rtol=1e-12, atol=1e-15)


def test_rejection(candidate):
    """PyTorch's own check runs on JAX arrays: a negative var is negative_var."""
    request = eval_request(tensor([1.0]), tensor([0.0]), tensor([-1.0]))
    response = candidate.ask(request)
    assert not response["ok"], response
    assert response["error"]["kind"] == "negative_var", response
