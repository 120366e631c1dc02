"""The PaddlePaddle candidate (paddle_candidate.py) over the protocol: its hello and one evaluation.

Skips when .venv-paddle is missing or cannot import paddle: make it with
``python3 -m venv .venv-paddle && .venv-paddle/bin/pip install -r Tools/candidates/requirements-paddle.txt``.
"""

import math

import numpy as np
import pytest
from support import decode, eval_request, library_candidate, tensor

@pytest.fixture(scope="module")
def candidate():
    """The running candidate; a skip when its venv is missing."""
    yield from library_candidate(".venv-paddle", "paddle", "paddle_candidate.py", "requirements-paddle.txt")


def test_hello(candidate):
    """The hello names the library, its version, the profile it follows, and what it supports."""
    hello = candidate.ask({"op": "hello", "protocol": 1})
    assert hello["ok"] and hello["protocol"] == 1
    assert hello["name"] == "paddlepaddle" and hello["version"] == "3.3.1"
    assert hello["profile"] == "torch-1.9"
    assert hello["dtypes"] == ["float32", "float64"]
    assert hello["features"] == ["grad", "scalar_var", "mixed_dtype"]


def test_eval(candidate):
    """input (1, 2), target 0, var (1, 0.5), 'sum': the loss is 0.5 + 0.5·(log 0.5 + 8); var gets none."""
    request = eval_request(
        tensor([1.0, 2.0]), tensor([0.0, 0.0]), tensor([1.0, 0.5]), reduction="sum", grad_output=tensor(1.0)
    )
    response = candidate.ask(request)
    assert response["ok"], response
    assert response["loss"]["dtype"] == "float64" and response["loss"]["shape"] == []
    np.testing.assert_allclose(decode(response["loss"]), 0.5 + 0.5 * (math.log(0.5) + 8.0), rtol=1e-12)
    np.testing.assert_allclose(decode(response["grad_input"]), [1.0, 4.0], rtol=1e-12)
    np.testing.assert_allclose(decode(response["grad_target"]), [-1.0, -4.0], rtol=1e-12)
    np.testing.assert_allclose(decode(response["grad_var"]), [0.0, 0.0], rtol=1e-12, atol=1e-15)


def test_rejection(candidate):
    """Like torch 1.9, Paddle takes no Python float var: AttributeError, kind type."""
    request = eval_request(tensor([1.0]), tensor([0.0]), {"scalar": 0.5})
    response = candidate.ask(request)
    assert not response["ok"], response
    assert response["error"]["kind"] == "type", response
