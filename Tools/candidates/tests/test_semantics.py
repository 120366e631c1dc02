"""torch-2.10 semantics, checked on both the numpy candidate and real PyTorch against hand-computed values."""

import math

import numpy as np
import pytest
from support import decode, eval_request, tensor

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def loss_of(response) -> np.ndarray:
    """The decoded loss of a successful response."""
    assert response["ok"], response
    return decode(response["loss"])


def test_gradient_below_eps_is_taken_at_eps(candidate):
    """var 1e-4 < eps 1e-2, input - target = -0.05: d loss/d var = 0.5 (1/0.01 - 0.0025/1e-4) = 37.5, not 0."""
    request = eval_request(tensor(-0.05), tensor(0.0), tensor(1e-4), eps=1e-2, reduction="sum", grad_output=tensor(1.0))
    response = candidate.ask(request)
    assert loss_of(response) == pytest.approx(0.5 * (math.log(0.01) + 0.25), rel=1e-14)
    assert decode(response["grad_var"]) == pytest.approx(37.5, rel=1e-12)
    assert decode(response["grad_input"]) == pytest.approx(-5.0, rel=1e-12)
    assert decode(response["grad_target"]) == pytest.approx(5.0, rel=1e-12)
    assert [response[name]["shape"] for name in ("loss", "grad_input", "grad_target", "grad_var")] == [[]] * 4


def test_float32_gradient_far_below_eps(candidate):
    """var 1e-8, eps 1e-6, d = 1 in float32: 0.5 (1/v - 1/v^2) at v = float32(1e-6), about -4.999995e11."""
    request = eval_request(tensor(1.0, "float32"), tensor(0.0, "float32"), tensor(1e-8, "float32"), reduction="sum")
    request = dict(request, grad=True, grad_output=tensor(1.0, "float32"))
    v = float(np.float32(1e-6))
    grad_var = decode(candidate.ask(request)["grad_var"])
    assert grad_var.dtype == np.float32
    assert grad_var == pytest.approx(0.5 * (1 / v - 1 / v**2), rel=1e-6)
    assert grad_var == pytest.approx(-499999506432.0, rel=1e-6)


def test_float16_zero_var_overflows_to_inf(candidate):
    """float16, var 0, default eps: v is the subnormal float16(1e-6) and 1/v overflows, so the loss is inf."""
    request = eval_request(tensor(1.0, "float16"), tensor(0.0, "float16"), tensor(0.0, "float16"), reduction="none")
    loss = loss_of(candidate.ask(request))
    assert loss.dtype == np.float16 and loss == np.inf


@pytest.mark.parametrize(
    "var, eps, expected",
    [(-0.0, 0.0, -math.inf), (0.0, 0.0, math.nan), (math.nan, 1e-6, math.nan), (0.5, -1.0, 0.5 * (math.log(0.5) + 2))],
    ids=["negative-zero", "zero-eps-zero", "nan-var", "negative-eps"],
)
def test_clamp_edge_values(candidate, var, eps, expected):
    """-0.0 survives eps 0 (log -inf, d^2/-0.0 -inf); 0 with eps 0 is NaN; NaN passes; a negative eps does nothing."""
    loss = loss_of(candidate.ask(eval_request(tensor(1.0), tensor(0.0), tensor(var), eps=eps, reduction="none")))
    assert np.array_equal(loss, np.float64(expected), equal_nan=True)


def test_full_adds_half_log_two_pi(candidate):
    """input == target, var 1: the loss is 0, and 0.5 log(2 pi) with full."""
    loss = loss_of(candidate.ask(eval_request(tensor([0.5, 2.0]), tensor([0.5, 2.0]), tensor([1.0, 1.0]), full=True)))
    assert loss == pytest.approx(HALF_LOG_2PI, rel=1e-15)


def test_homoscedastic_var_applies_per_row(candidate):
    """A (3,) var for a (3,3) input is unsqueezed to (3,1): row i uses var[i]; its gradient sums each row."""
    var = np.exp([0.0, 2.0, 4.0])
    request = eval_request(tensor(np.zeros((3, 3))), tensor(np.zeros((3, 3))), tensor(var), reduction="none")
    request = dict(request, grad=True, grad_output=tensor(np.ones((3, 3))))
    response = candidate.ask(request)
    np.testing.assert_allclose(loss_of(response), [[0.0] * 3, [1.0] * 3, [2.0] * 3], atol=1e-15)
    np.testing.assert_allclose(decode(response["grad_var"]), 1.5 / var, rtol=1e-14)


def test_mean_runs_over_the_broadcast_output(candidate):
    """input (2,1) against target (2,5): 10 loss elements; gradients are summed back to each operand's shape."""
    input, var = tensor([[1.0], [2.0]]), tensor([[1.0], [1.0]])
    request = eval_request(input, tensor(np.zeros((2, 5))), var, grad_output=tensor(1.0))
    response = candidate.ask(request)
    assert loss_of(response) == pytest.approx((5 * 0.5 + 5 * 2.0) / 10, rel=1e-15)
    np.testing.assert_allclose(decode(response["grad_input"]), [[0.5], [1.0]], rtol=1e-14)
    np.testing.assert_allclose(decode(response["grad_target"]), [[-0.1] * 5, [-0.2] * 5], rtol=1e-14)
    np.testing.assert_allclose(decode(response["grad_var"]), [[0.0], [-0.75]], atol=1e-15)


@pytest.mark.parametrize("reduction, expected", [("mean", math.nan), ("sum", 0.0)])
def test_empty_input(candidate, reduction, expected):
    """A (0,3) input: mean is NaN, sum is 0; the gradients are empty with their operands' shapes."""
    empty = tensor(np.zeros((0, 3)))
    response = candidate.ask(eval_request(empty, empty, empty, reduction=reduction, grad_output=tensor(1.0)))
    assert np.array_equal(loss_of(response), np.float64(expected), equal_nan=True)
    assert [response[name]["shape"] for name in ("grad_input", "grad_target", "grad_var")] == [[0, 3]] * 3


def test_empty_output_var_gradient_is_zero_over_v(candidate):
    """(0,3) input, (1,3) var: log(var) is taken on var's shape, so d/dvar is 0/v: NaN for NaN and for 0 at eps 0."""
    empty = tensor(np.zeros((0, 3)))
    request = eval_request(empty, empty, tensor([[math.nan, 0.0, 1.0]]), eps=0.0, reduction="sum")
    response = candidate.ask(dict(request, grad=True, grad_output=tensor(1.0)))
    assert loss_of(response) == 0.0
    np.testing.assert_array_equal(decode(response["grad_var"]), [[math.nan, math.nan, 0.0]])


def test_empty_none_keeps_the_shape(candidate):
    """'none' on a (0,3) input gives a (0,3) loss."""
    empty = tensor(np.zeros((0, 3)), "float32")
    assert candidate.ask(eval_request(empty, empty, empty, reduction="none"))["loss"]["shape"] == [0, 3]


def test_zero_dim_var_with_one_dim_input(candidate):
    """A 0-d var is accepted for a 1-D input (unsqueezed to (1,)) and gets a 0-d gradient."""
    request = eval_request(tensor([1.0, 3.0]), tensor([0.0, 0.0]), tensor(1.0), reduction="sum")
    response = candidate.ask(dict(request, grad=True, grad_output=tensor(1.0)))
    assert loss_of(response) == pytest.approx(5.0, rel=1e-15)
    assert response["grad_var"]["shape"] == [] and decode(response["grad_var"]) == pytest.approx(-4.0, rel=1e-14)


@pytest.mark.parametrize(
    "input, target, var, dtype",
    [
        (tensor([1.0, 2.0], "float32"), tensor([0.0, 0.0], "float32"), tensor([1.0, 1.0]), "float64"),
        (tensor([1.0, 2.0], "float32"), tensor(0.0), tensor([1.0, 1.0], "float32"), "float32"),
        (tensor([1.0, 2.0], "float16"), tensor([0.0, 0.0], "float32"), tensor([1.0, 1.0], "float16"), "float32"),
        (tensor(1.0, "float32"), tensor(0.0, "float16"), tensor(1.0), "float64"),
    ],
    ids=["float64-var", "0-d-float64-target", "float16-float32", "all-0-d"],
)
def test_result_dtype_promotion(candidate, input, target, var, dtype):
    """Promotion as in PyTorch: a 0-d float64 operand does not widen a result that has dimensioned operands."""
    request = eval_request(input, target, var, grad_output=tensor(1.0, dtype))
    response = candidate.ask(request)
    assert response["loss"]["dtype"] == dtype
    assert [response[name]["dtype"] for name in ("grad_input", "grad_target", "grad_var")] == [
        input["dtype"],
        target["dtype"],
        var["dtype"],
    ]


def test_scalar_var(candidate):
    """A scalar var (a JSON integer means a float) acts as var * ones_like(input): input's dtype, no gradient."""
    input, target = tensor([1.0, 2.0], "float32"), tensor([0.0, 0.0], "float32")
    request = eval_request(input, target, {"scalar": 1}, reduction="none", grad_output=tensor([1.0, 1.0], "float32"))
    response = candidate.ask(request)
    np.testing.assert_array_equal(loss_of(response), np.float32([0.5, 2.0]))
    assert response["grad_var"] is None and response["loss"]["dtype"] == "float32"
    np.testing.assert_array_equal(decode(response["grad_input"]), np.float32([1.0, 2.0]))


@pytest.mark.parametrize(
    "input_shape, target_shape, var_shape, var_value, reduction, kind, message",
    [
        ((3, 4), (3, 4), (5,), -1.0, "avg", "negative_var", "var has negative entry/entries"),
        ((3, 4), (3, 4), (5,), 1.0, "avg", "var_size", "var is of incorrect size"),
        ((3, 4), (3, 4), (3, 4), 1.0, "avg", "reduction", "avg is not valid"),
        ((2, 3), (2, 3), (), 1.0, "mean", "var_size", "var is of incorrect size"),
        ((2, 3), (2, 3), (3,), 1.0, "mean", "var_size", "var is of incorrect size"),
        ((), (), (1,), 1.0, "mean", "var_size", "var is of incorrect size"),
        ((4, 3, 2, 2), (4, 3, 2, 2), (4, 3, 1, 1), 1.0, "mean", "var_size", "var is of incorrect size"),
        (
            (2, 3),
            (4,),
            (2, 3),
            -1.0,
            "mean",
            "negative_var",
            "var has negative entry/entries",
        ),
        (
            (2, 3),
            (4,),
            (2, 3),
            1.0,
            "mean",
            "broadcast",
            "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1",
        ),
        (
            (2, 3),
            (5, 1, 4),
            (2, 3),
            1.0,
            "mean",
            "broadcast",
            "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 2",
        ),
        (
            (2, 3, 4),
            (2, 3, 4),
            (2, 0, 1),
            1.0,
            "mean",
            "broadcast",
            "The size of tensor a (3) must match the size of tensor b (0) at non-singleton dimension 1",
        ),
    ],
    ids=[
        "negative-before-size-and-reduction",
        "size-before-reduction",
        "reduction",
        "0-d-var-for-2-d-input",
        "last-dim-var-for-2-d-input",
        "var-of-higher-rank-than-0-d-input",
        "two-size-1-dims",
        "negative-before-broadcast",
        "input-minus-target",
        "dimension-counted-in-output",
        "squared-difference-over-var",
    ],
)
def test_rejections(candidate, input_shape, target_shape, var_shape, var_value, reduction, kind, message):
    """Rejections in torch-2.10's order (negative var, var size, reduction, then broadcasting), with torch's text."""
    request = eval_request(
        tensor(np.zeros(input_shape)),
        tensor(np.zeros(target_shape)),
        tensor(np.full(var_shape, var_value)),
        reduction=reduction,
    )
    assert candidate.ask(request) == {"id": 1, "ok": False, "error": {"kind": kind, "message": message}}


@pytest.mark.parametrize("var_shape", [(1, 4), (3, 1)])
def test_same_rank_var_with_one_size_1_dimension_passes(candidate, var_shape):
    """torch-2.10 accepts a same-rank var whose differing dimensions' sizes sum to 1."""
    input, target = tensor(np.ones((3, 4))), tensor(np.zeros((3, 4)))
    request = eval_request(input, target, tensor(np.ones(var_shape)), reduction="sum")
    assert loss_of(candidate.ask(request)) == pytest.approx(6.0, rel=1e-15)


def test_negative_scalar_var(candidate):
    """A negative scalar var is rejected first, even with a bad reduction."""
    request = eval_request(tensor([1.0]), tensor([0.0]), {"scalar": -0.5}, reduction="avg")
    assert candidate.ask(request)["error"] == {"kind": "negative_var", "message": "var has negative entry/entries"}
