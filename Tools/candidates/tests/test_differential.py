"""Differential test: the numpy candidate against real PyTorch on random cases.

Every interpreter ``.venv-torch*/bin/python`` in the repository that can import
torch is compared under the profile its version maps to: same error kind and
message for rejected cases, values within a dtype tolerance otherwise.
"""

import math
import random

import numpy as np
import pytest
from support import (
    TORCH_INTERPRETERS,
    REPOSITORY,
    Candidate,
    decode,
    eval_request,
    numpy_command,
    tensor,
    torch_command,
    torch_missing_reason,
)

CASES = 400
TOLERANCE = {"float16": 2e-2, "float32": 1e-4, "float64": 1e-9}
INTERPRETERS = TORCH_INTERPRETERS


def random_shape(rng: random.Random) -> tuple:
    """A small shape, rank 0 to 3, sizes 0 to 3 (rarely 0)."""
    return tuple(rng.choice([1, 2, 3, 3, 2, 0]) for _ in range(rng.choice([0, 1, 2, 2, 3, 3])))


def related_shape(rng: random.Random, shape: tuple) -> tuple:
    """A shape near ``shape``: equal, one dim less, a dim set to 1 or 0, or unrelated."""
    choice = rng.randrange(7)
    if choice == 0 and shape:
        return shape[:-1]
    if choice == 1 and shape:
        return shape[:-1] + (1,)
    if choice in (2, 3) and shape:
        dim = rng.randrange(len(shape))
        return shape[:dim] + (rng.choice([1, 1, 0]),) + shape[dim + 1 :]
    if choice == 4:
        return random_shape(rng)
    if choice == 5 and shape:
        return shape[1:]
    return shape


def values(rng: random.Random, shape: tuple, positive: bool):
    """Random values for a shape; var-like values are mostly non-negative with 0, tiny and NaN entries."""
    count = math.prod(shape)
    if not positive:
        return np.array([rng.uniform(-2, 2) for _ in range(count)]).reshape(shape)
    pool = [0.0, 1e-8, 1e-3, 0.5, 1.0, 2.0, float("nan"), -0.5] if rng.random() < 0.3 else [0.25, 1.0, 2.0]
    return np.array([rng.choice(pool) * rng.uniform(0.5, 1.5) for _ in range(count)]).reshape(shape)


def random_case(rng: random.Random, case_id: int) -> dict:
    """One random eval request."""
    dtype = rng.choice(["float32", "float64", "float16"])
    other = rng.choice([dtype, dtype, dtype, "float32", "float64", "float16"])
    input_shape = random_shape(rng)
    target_shape = related_shape(rng, input_shape)
    input = tensor(values(rng, input_shape, False), dtype)
    target = tensor(values(rng, target_shape, False), rng.choice([dtype, other]))
    if rng.random() < 0.2:
        var = {"scalar": rng.choice([0.0, 1e-8, 0.5, 2.0, -1.0, 1])}
    else:
        var_shape = related_shape(rng, input_shape)
        var = tensor(values(rng, var_shape, True), rng.choice([dtype, other]))
    request = eval_request(input, target, var, id=case_id, full=rng.random() < 0.5)
    request["eps"] = rng.choice([1e-6, 1e-6, 1e-2, 0.0, 1, -1.0])
    if "float16" in (input["dtype"], target["dtype"], var.get("dtype")):
        request["eps"] = rng.choice([0.1, 1])  # keep torch's float16 intermediates from overflowing
    request["reduction"] = rng.choice(["none", "mean", "sum", "none", "avg"])
    return request


def with_gradient(request: dict, response: dict, rng: random.Random) -> dict:
    """The same request asking for gradients, with a grad_output shaped like the loss."""
    loss = response["loss"]
    grad_output = np.array([rng.choice([1.0, -0.5, 2.0]) for _ in range(math.prod(loss["shape"]))])
    return dict(request, grad=True, grad_output=tensor(grad_output.reshape(loss["shape"]), loss["dtype"]))


def assert_close(name: str, expected: dict, actual: dict, tolerance: float) -> None:
    """Same dtype and shape; same NaN and infinity positions; finite values within tolerance."""
    assert (actual["dtype"], actual["shape"]) == (expected["dtype"], expected["shape"]), name
    want, got = decode(expected).astype(np.float64), decode(actual).astype(np.float64)
    assert np.array_equal(np.isnan(want), np.isnan(got)), f"{name}: NaN positions {want} vs {got}"
    finite = np.isfinite(want) & np.isfinite(got)
    assert np.array_equal(want[~finite & ~np.isnan(want)], got[~finite & ~np.isnan(want)]), f"{name}: {want} vs {got}"
    scale = 1 + np.max(np.abs(want[finite]), initial=0)
    assert np.allclose(got[finite], want[finite], rtol=tolerance, atol=tolerance * scale), f"{name}: {want} vs {got}"


def compare(request: dict, expected: dict, actual: dict) -> None:
    """Compare a torch response with a numpy response to the same request.

    torch rounds intermediates (log(var), for one) to the operands' own dtypes,
    so the tolerance is the one of the least precise operand.
    """
    context = f"request {request}\ntorch {expected}\nnumpy {actual}"
    operands = [request[name] for name in ("input", "target", "var") if "dtype" in request[name]]
    tolerance = max(TOLERANCE[operand["dtype"]] for operand in operands)
    assert expected["ok"] == actual["ok"], context
    if not expected["ok"]:
        assert expected["error"] == actual["error"], context
        return
    for name in ("loss", "grad_input", "grad_target", "grad_var"):
        if expected.get(name) is None:
            assert actual.get(name) is None, context
        else:
            assert_close(f"{name} of {context}", expected[name], actual[name], tolerance)


@pytest.mark.parametrize("python", INTERPRETERS, ids=lambda path: path.parts[-3])
def test_numpy_candidate_agrees_with_torch(python):
    """numpy_candidate under the torch version's profile answers like torch, loss and gradients."""
    reason = torch_missing_reason(python)
    if reason:
        pytest.skip(reason)
    rng = random.Random(20240601)
    with Candidate(torch_command(python=python)) as torch_candidate:
        profile = torch_candidate.ask({"op": "hello", "protocol": 1})["profile"]
        with Candidate(numpy_command(profile)) as numpy_candidate:
            numpy_candidate.ask({"op": "hello", "protocol": 1})
            for case_id in range(CASES):
                request = random_case(rng, case_id)
                expected = torch_candidate.ask(request)
                compare(request, expected, numpy_candidate.ask(request))
                if expected["ok"]:
                    request = with_gradient(request, expected, rng)
                    compare(request, torch_candidate.ask(request), numpy_candidate.ask(request))
