"""Differential test of protocol 2's calls: the numpy candidate against real PyTorch on random cases.

The cases are the ones protocol 1 could not carry: int32, int64 and bool operands beside floating ones (0-d and
dimensioned), a non-finite eps or scalar var, and gradients for a random non-empty subset of the floating
operands. Every interpreter ``.venv-torch*/bin/python`` in the repository that can import torch is compared under
the profile its version maps to. The outcomes must agree: the same error kind and message for a rejected case;
otherwise the same set of gradients, dtypes, shapes, NaN and infinity positions, the sign of every zero, and
finite values within the dtype's tolerance (numpy's log is not PyTorch's, so values are not bitwise equal).
"""

import math
import random

import numpy as np
import pytest
from support import (
    TORCH_INTERPRETERS,
    HELLO_2,
    REPOSITORY,
    Candidate,
    decode,
    eval_request,
    numpy_command,
    scalar,
    tensor,
    torch_command,
    torch_missing_reason,
)

CASES = 400
TOLERANCE = {"float16": 2e-2, "float32": 1e-4, "float64": 1e-9}
INTERPRETERS = TORCH_INTERPRETERS
FLOATING = ("float16", "float32", "float64")
INTEGER = ("int32", "int64", "bool")


def operand(rng: random.Random, dtype: str, shape: tuple, role: str, wrap: bool) -> dict:
    """Random values of a dtype: small integers (with ``wrap`` some large ones whose squares wrap around), 0/1
    for bool, floats that keep float16 in range; var-like ones are mostly non-negative."""
    count = math.prod(shape)
    if dtype == "bool":
        values = [rng.random() < 0.5 for _ in range(count)]
    elif dtype in ("int32", "int64"):
        big = 46341 if dtype == "int32" else 3037000500  # squares that wrap around
        pool = [0, 1, 2, 3, -1, -2, 5] + ([big, -big, big + 7] if wrap else [])
        values = [rng.choice(pool) * (1 if role != "var" else 1 if rng.random() < 0.9 else -1) for _ in range(count)]
        if role == "var":
            values = [abs(v) if rng.random() < 0.8 else v for v in values]
    elif role == "var":
        pool = [0.0, -0.0, 1e-8, 0.5, 1.0, 2.0, math.nan, math.inf]
        values = [rng.choice(pool) if rng.random() < 0.3 else rng.uniform(0.25, 2.0) for _ in range(count)]
    else:
        values = [rng.choice([0.0, -0.0, 1.0]) if rng.random() < 0.2 else rng.uniform(-2, 2) for _ in range(count)]
    return tensor(np.array(values).reshape(shape), dtype)


def random_case(rng: random.Random, case_id: int) -> dict:
    """One random request that needs protocol 2 (and sometimes a plain floating one with partial gradients)."""
    dtypes = [rng.choice(FLOATING + INTEGER) for _ in range(3)]
    if rng.random() < 0.3:  # an integer input and target with a floating var: the accepted integer case
        dtypes = [rng.choice(INTEGER[:2]), rng.choice(INTEGER[:2]), rng.choice(FLOATING)]
    shape = rng.choice([(3,), (2, 3), (), (1,), (2, 1)])
    target_shape = rng.choice([shape, shape, (), shape[1:], (4,)])
    var_shape = rng.choice([shape, shape, shape[:-1], ()]) if shape else ()
    # Wrapped squares are of the order of 2^63 with either sign: their sums cancel catastrophically, in an order
    # that is PyTorch's kernel's, so such cases are compared unreduced (or rejected for the reduction).
    wrap = rng.random() < 0.2
    input = operand(rng, dtypes[0], shape, "input", wrap)
    target = operand(rng, dtypes[1], target_shape, "target", wrap)
    if rng.random() < 0.25:
        var = scalar(rng.choice([math.nan, math.inf, -math.inf, 0.0, -0.0, 1e-300, 0.5, 2.0]))
    else:
        var = operand(rng, dtypes[2], var_shape, "var", wrap)
    eps = rng.choice([math.nan, math.inf, -math.inf, 1e-6, 0.0, 1e-2])
    reduction = rng.choice(["none", "avg"] if wrap else ["none", "mean", "sum", "none", "avg"])
    return eval_request(input, target, var, id=case_id, full=rng.random() < 0.3, eps=eps, reduction=reduction)


def with_gradient(request: dict, response: dict, rng: random.Random):
    """The request asking for gradients of a random non-empty subset of its floating tensor operands, or None
    when no operand is floating."""
    floating = [
        name
        for name in ("input", "target", "var")
        if isinstance(request[name], dict) and request[name].get("dtype") in FLOATING
    ]
    if not floating:
        return None
    chosen = set(rng.sample(floating, rng.randint(1, len(floating))))
    loss = response["loss"]
    values = np.array([rng.choice([1.0, -0.5, 2.0, -0.0]) for _ in range(math.prod(loss["shape"]))])
    grad_output = tensor(values.reshape(loss["shape"]), loss["dtype"])
    flags = tuple(name in chosen for name in ("input", "target", "var"))
    return dict(
        request,
        grad=True,
        grad_output=grad_output,
        requires_grad=dict(zip(("input", "target", "var"), flags, strict=True)),
    )


def assert_same_outcome(name: str, expected: dict, actual: dict, tolerance: float) -> None:
    """Same dtype, shape, NaN and infinity positions and signs of zeros; finite values within tolerance."""
    assert (actual["dtype"], actual["shape"]) == (expected["dtype"], expected["shape"]), name
    want, got = decode(expected).astype(np.float64), decode(actual).astype(np.float64)
    assert np.array_equal(np.isnan(want), np.isnan(got)), f"{name}: NaN positions {want} vs {got}"
    special = np.isinf(want) | (want == 0)
    assert np.array_equal(want[special], got[special]), f"{name}: infinities or zeros {want} vs {got}"
    assert np.array_equal(np.signbit(want[want == 0]), np.signbit(got[want == 0])), f"{name}: zero signs"
    finite = np.isfinite(want) & np.isfinite(got)
    scale = 1 + np.max(np.abs(want[finite]), initial=0)
    assert np.allclose(got[finite], want[finite], rtol=tolerance, atol=tolerance * scale), f"{name}: {want} vs {got}"


def compare(request: dict, expected: dict, actual: dict) -> None:
    """Compare a torch response with a numpy response to the same request."""
    context = f"request {request}\ntorch {expected}\nnumpy {actual}"
    assert expected["ok"] == actual["ok"], context
    if not expected["ok"]:
        assert expected["error"] == actual["error"], context
        return
    assert sorted(expected) == sorted(actual), context  # the same gradients present
    floating = [request[n]["dtype"] for n in ("input", "target", "var") if request[n].get("dtype") in FLOATING]
    tolerance = max((TOLERANCE[dtype] for dtype in floating), default=TOLERANCE["float32"])
    for name in ("loss", "grad_input", "grad_target", "grad_var"):
        if name in expected:
            assert_same_outcome(f"{name} of {context}", expected[name], actual[name], tolerance)


@pytest.mark.parametrize("python", INTERPRETERS, ids=lambda path: path.parts[-3])
def test_numpy_candidate_agrees_with_torch_on_protocol_2_calls(python):
    """numpy_candidate under the torch version's profile answers protocol 2's calls like torch."""
    reason = torch_missing_reason(python)
    if reason:
        pytest.skip(reason)
    rng = random.Random(20261207)
    accepted = with_gradients = 0
    with Candidate(torch_command(python=python)) as torch_candidate:
        hello = torch_candidate.ask(HELLO_2)
        assert hello["protocol"] == 2
        with Candidate(numpy_command(hello["profile"])) as numpy_candidate:
            assert numpy_candidate.ask(HELLO_2)["protocol"] == 2
            for case_id in range(CASES):
                request = random_case(rng, case_id)
                expected = torch_candidate.ask(request)
                compare(request, expected, numpy_candidate.ask(request))
                if expected["ok"]:
                    accepted += 1
                    gradient_request = with_gradient(request, expected, rng)
                    if gradient_request is not None:
                        with_gradients += 1
                        compare(
                            gradient_request,
                            torch_candidate.ask(gradient_request),
                            numpy_candidate.ask(gradient_request),
                        )
    # the random cases reach both sides: rejections and evaluations, with gradients
    assert 0.2 * CASES < accepted < 0.9 * CASES and with_gradients > 0.1 * CASES
