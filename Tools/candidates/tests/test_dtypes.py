"""Evaluation in the operands' dtypes, op by op, checked on both the numpy candidate and real PyTorch.

Each case gives a different answer when computed in float64 and rounded once at the end; the
expected values were measured on torch 2.15.0 (CPU).
"""

import numpy as np
from support import decode, eval_request, tensor


def answer(candidate, request) -> dict:
    """The decoded outputs of a successful response, by name."""
    response = candidate.ask(request)
    assert response["ok"], response
    names = ("loss", "grad_input", "grad_target", "grad_var")
    return {name: decode(response[name]) for name in names if response.get(name)}


def test_float16_square_overflows(candidate):
    """(300 - 0)^2 = 90000 is beyond float16's 65504, so the loss is inf, not 0.5 (log 1000 + 90)."""
    request = eval_request(tensor([300.0], "float16"), tensor([0.0], "float16"), tensor([1000.0], "float16"))
    loss = answer(candidate, dict(request, reduction="none"))["loss"]
    assert loss.dtype == np.float16 and loss == np.inf


def test_zero_dim_target_is_rounded_before_the_subtraction(candidate):
    """A 0-d float64 target 1.0003 does not widen a float16 input; it becomes float16 1.0, so d = 0 exactly."""
    request = eval_request(
        tensor([1.0], "float16"), tensor(1.0003), tensor([1.0], "float16"), reduction="sum",
        grad_output=tensor(1.0, "float16"),
    )
    outputs = answer(candidate, request)
    assert outputs["loss"].dtype == np.float16 and outputs["loss"] == 0.0
    assert outputs["grad_input"] == 0.0 and outputs["grad_target"] == 0.0


def test_zero_dim_var_divides_unrounded(candidate):
    """A 0-d float64 var 1.0003 divides float16 as 1.0003 (float16 would round it to 1): 0.5 / v is 0.49976."""
    request = eval_request(
        tensor(1.0, "float16"), tensor([0.0, 0.0], "float16"), tensor(1.0003), reduction="sum",
        grad_output=tensor(1.0, "float16"),
    )
    outputs = answer(candidate, request)
    assert outputs["loss"].dtype == np.float16 and outputs["loss"] == 1.0
    assert outputs["grad_input"] == 1.9990234375  # two elements of float16(0.49976 * 2)


def test_full_constant_is_rounded_to_float16(candidate):
    """float16 add reads the Python scalar 0.5 log(2 pi) as float16 0.91895: 2.7715 + it ties to 3.6914."""
    request = eval_request(
        tensor([0.0], "float16"), tensor([0.0], "float16"), tensor([255.0], "float16"), full=True, reduction="none"
    )
    assert answer(candidate, request)["loss"] == np.float16(3.69140625)


def test_float16_mean_accumulates_in_float32(candidate):
    """Four losses of 30016 sum to inf in float16, but their mean is accumulated in float32 and is finite."""
    input, target = tensor(np.full(4, 245.0), "float16"), tensor(np.zeros(4), "float16")
    var = tensor(np.ones(4), "float16")
    assert answer(candidate, eval_request(input, target, var, reduction="mean"))["loss"] == 30016.0
    assert answer(candidate, eval_request(input, target, var, reduction="sum"))["loss"] == np.inf
