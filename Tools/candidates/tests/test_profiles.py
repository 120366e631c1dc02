"""The numpy candidate's older profiles: torch-1.8, torch-1.9 and torch-2.6.

torch 2.x differs from them, and pip has no torch 1.8 for this Python, so these are checked against hand values.
"""

import math

import numpy as np
import pytest
from support import decode, eval_request, numpy_command, tensor

LOG_2PI = math.log(2 * math.pi)


@pytest.fixture
def profile(request, running):
    """Start the numpy candidate under the profile given by indirect parametrization."""
    return running(numpy_command(request.param))


def rejection(candidate, input_shape, target_shape, var, reduction="mean", var_value=1.0) -> dict:
    """The error of a request made of zero inputs and targets and a constant var (or a scalar var)."""
    var = var if isinstance(var, dict) else tensor(np.full(var, var_value))
    request = eval_request(tensor(np.zeros(input_shape)), tensor(np.zeros(target_shape)), var, reduction=reduction)
    response = candidate.ask(request)
    assert not response["ok"], response
    return response["error"]


@pytest.mark.parametrize("profile", ["torch-1.8"], indirect=True)
def test_1_8_sums_per_sample(profile):
    """torch-1.8: 'none' is a per-sample sum over the (N, -1) view; full adds 0.5 D log(2 pi) per sample."""
    input = tensor([[1.0, 1.0, 1.0], [4.0, 4.0, 4.0]])
    request = eval_request(input, tensor(np.zeros((2, 3))), tensor([[1.0], [4.0]]), full=True, reduction="none")
    loss = decode(profile.ask(request)["loss"])
    np.testing.assert_allclose(loss, np.array([1.5, 1.5 * (math.log(4) + 4)]) + 1.5 * LOG_2PI, rtol=1e-15)


@pytest.mark.parametrize("profile", ["torch-1.8"], indirect=True)
def test_1_8_gradients_and_mean_over_samples(profile):
    """torch-1.8: 'mean' divides by N; gradients come back in the operands' original shapes."""
    input = tensor([[1.0, 1.0, 1.0], [4.0, 4.0, 4.0]])
    request = eval_request(input, tensor(np.zeros((2, 3))), tensor([1.0, 4.0]))
    response = profile.ask(dict(request, grad=True, grad_output=tensor(1.0)))
    assert decode(response["loss"]) == pytest.approx((1.5 + 1.5 * (math.log(4) + 4)) / 2, rel=1e-15)
    np.testing.assert_allclose(decode(response["grad_input"]), np.full((2, 3), 0.5), rtol=1e-15)
    np.testing.assert_allclose(decode(response["grad_var"]), [0.0, -0.5625], atol=1e-15)
    assert response["grad_var"]["shape"] == [2]


@pytest.mark.parametrize("profile", ["torch-1.8"], indirect=True)
def test_1_8_target_is_compared_after_the_view(profile):
    """torch-1.8: a (3,2,2) target matches a (3,4) input, since both view as (3,4)."""
    request = eval_request(tensor(np.ones((3, 4))), tensor(np.zeros((3, 2, 2))), tensor(np.ones((3, 1))))
    assert decode(profile.ask(request)["loss"]) == pytest.approx(2.0, rel=1e-15)


@pytest.mark.parametrize("profile", ["torch-1.8"], indirect=True)
@pytest.mark.parametrize(
    "input_shape, target_shape, var, reduction, var_value, kind, message",
    [
        ((3, 2), (3,), {"scalar": 1.0}, "avg", -1.0, "target_size", "input and target must have same size"),
        ((3, 2), (6,), (3, 2), "mean", 1.0, "target_size", "input and target must have same size"),
        ((3, 2), (3, 2), {"scalar": 1.0}, "avg", 1.0, "type", "'float' object has no attribute 'view'"),
        ((2, 4), (2, 4), (4,), "avg", -1.0, "var_size", "var is of incorrect size"),
        ((2, 4), (2, 4), (3,), "mean", 1.0, "var_size", "shape '[2, -1]' is invalid for input of size 3"),
        ((2, 4), (2, 4), (2,), "avg", -1.0, "reduction", "avg is not valid"),
        ((2, 4), (2, 4), (2,), "mean", -1.0, "negative_var", "var has negative entry/entries"),
        ((), (), (), "mean", 1.0, "target_size", "dimension specified as 0 but tensor has no dimensions"),
        (
            (0, 3),
            (0, 3),
            (0, 3),
            "mean",
            1.0,
            "target_size",
            "cannot reshape tensor of 0 elements into shape [0, -1] because the unspecified dimension size -1 can be "
            "any value and is ambiguous",
        ),
    ],
    ids=[
        "target-size-first",
        "target-viewed-by-its-own-first-dim",
        "scalar-var",
        "var-size-before-reduction",
        "var-view-fails",
        "reduction-before-negative",
        "negative",
        "0-d-input",
        "empty-input",
    ],
)
def test_1_8_rejections(profile, input_shape, target_shape, var, reduction, var_value, kind, message):
    """torch-1.8's order: input and target views, target size, var view, var size, reduction, negative var."""
    error = rejection(profile, input_shape, target_shape, var, reduction, var_value)
    assert error == {"kind": kind, "message": message}


@pytest.mark.parametrize("profile", ["torch-1.9"], indirect=True)
@pytest.mark.parametrize(
    "var, reduction, var_value, kind, message",
    [
        ({"scalar": -1.0}, "avg", 1.0, "type", "'float' object has no attribute 'size'"),
        ((3,), "avg", -1.0, "var_size", "var is of incorrect size"),
        ((2, 1), "avg", -1.0, "reduction", "avg is not valid"),
        ((2,), "mean", -1.0, "negative_var", "var has negative entry/entries"),
        ((1, 3), "mean", 1.0, "var_size", "var is of incorrect size"),
    ],
    ids=["scalar-var-first", "size-before-reduction", "reduction-before-negative", "negative-last", "no-2.10-rule"],
)
def test_1_9_rejections(profile, var, reduction, var_value, kind, message):
    """torch-1.9's order: var size, reduction, negative var; a float var fails on var.size()."""
    assert rejection(profile, (2, 3), (2, 3), var, reduction, var_value) == {"kind": kind, "message": message}


@pytest.mark.parametrize("profile", ["torch-1.9", "torch-2.6"], indirect=True)
def test_var_of_size_1_for_0_d_input_is_accepted_before_2_10(profile):
    """Before 2.10, a (1,) var passes for a 0-d input (same shape but the last dim, which is 1)."""
    request = eval_request(tensor(2.0), tensor(0.0), tensor([1.0]), reduction="none")
    response = profile.ask(request)
    assert response["loss"]["shape"] == [1] and decode(response["loss"]) == pytest.approx([2.0], rel=1e-15)


@pytest.mark.parametrize("profile", ["torch-2.6"], indirect=True)
@pytest.mark.parametrize(
    "var, reduction, var_value, kind, message",
    [
        ((3,), "avg", -1.0, "negative_var", "var has negative entry/entries"),
        ({"scalar": -1.0}, "avg", 1.0, "negative_var", "var has negative entry/entries"),
        ((3,), "avg", 1.0, "var_size", "var is of incorrect size"),
        ((1, 3), "mean", 1.0, "var_size", "var is of incorrect size"),
        ((2, 1), "avg", 1.0, "reduction", "avg is not valid"),
    ],
    ids=["negative-first", "negative-scalar", "size-before-reduction", "no-2.10-rule", "reduction"],
)
def test_2_6_rejections(profile, var, reduction, var_value, kind, message):
    """torch-2.6's order: negative var (scalar too), var size, reduction."""
    assert rejection(profile, (2, 3), (2, 3), var, reduction, var_value) == {"kind": kind, "message": message}


@pytest.mark.parametrize("profile", ["torch-2.6"], indirect=True)
def test_2_6_float16_scalar_var_goes_through_float32(profile):
    """A scalar var is var * ones_like(input); for float16 PyTorch rounds the double to float32 first.

    1 + 2^-11 + 2^-40 rounds to 1 + 2^-10 directly, but to 1 through float32 (a tie, to even).
    """
    scalar = 1 + 2**-11 + 2**-40
    request = eval_request(tensor([0.0], "float16"), tensor([0.0], "float16"), {"scalar": scalar}, reduction="none")
    assert decode(profile.ask(request)["loss"])[0] == np.float16(0.0)
