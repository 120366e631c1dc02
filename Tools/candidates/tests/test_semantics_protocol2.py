"""Protocol 2's calls, checked on the numpy candidate and real PyTorch 2.15 (torch-2.10) against values computed by
hand, and on the numpy candidate's older profiles against the facts measured on torch 2.9.1 and 2.1.2
(Tools/facts/protocol2_facts-*.txt, whose lines the tests name)."""

import math

import numpy as np
import pytest
from support import decode, eval_request, numpy_command, scalar, tensor

NAN, INF = math.nan, math.inf


def f(values, dtype="float64") -> dict:
    return tensor(values, dtype)


def ok(response) -> dict:
    assert response["ok"], response
    return response


def exactly(got: np.ndarray, expected) -> None:
    """Equal as float64, values, NaN positions and the sign of every zero."""
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape, (got, expected)
    assert np.array_equal(got, expected, equal_nan=True), (got, expected)
    numbers = ~np.isnan(expected)  # a NaN's sign is not part of the comparison
    assert np.array_equal(np.signbit(got[numbers]), np.signbit(expected[numbers])), (got, expected)


# ---------------------------------------------------------------------------------------------------------------
# Non-finite eps


def test_nan_eps_makes_everything_nan(candidate2):
    """torch-2.10: eps = NaN clamps every element to NaN, whatever var is (0, inf, 1), so the loss and every
    gradient are NaN (facts: eps float64 eps=nan)."""
    request = eval_request(
        f([1.5, 1.5, 1.5]), f([0.5, 0.5, 0.5]), f([0.0, INF, 1.0]), eps=NAN, reduction="none",
        grad_output=f([1.0, 1.0, 1.0]), requires_grad=(True, True, True),
    )
    response = ok(candidate2.ask(request))
    for name in ("loss", "grad_input", "grad_target", "grad_var"):
        assert np.isnan(decode(response[name])).all(), (name, response)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_infinite_eps_makes_var_infinite(candidate2, dtype):
    """eps = +inf: every var but NaN becomes inf (no overflow error in float16): loss inf, grad_input +0.0,
    grad_target -0.0 (the negation of +0.0), grad_var +0.0; a NaN var stays NaN."""
    request = eval_request(
        f([1.5, 1.5], dtype), f([0.5, 0.5], dtype), f([2.0, NAN], dtype), eps=INF, reduction="none",
        grad_output=f([1.0, 1.0], dtype), requires_grad=(True, True, True),
    )
    response = ok(candidate2.ask(request))
    assert response["loss"]["dtype"] == dtype
    exactly(decode(response["loss"]), [INF, NAN])
    exactly(decode(response["grad_input"]), [0.0, NAN])
    exactly(decode(response["grad_target"]), [-0.0, NAN])
    exactly(decode(response["grad_var"]), [0.0, NAN])


def test_minus_infinite_eps_leaves_var_unclamped(candidate2):
    """eps = -inf clamps nothing: var 0 with d = 1 gives log 0 + 1/0 = -inf + inf = NaN, var -0.0 gives -inf,
    var 4 gives 0.5 (log 4 + 1/4)."""
    request = eval_request(f([1.0, 1.0, 1.0]), f([0.0, 0.0, 0.0]), f([0.0, -0.0, 4.0]), eps=-INF, reduction="none")
    loss = decode(ok(candidate2.ask(request))["loss"])
    exactly(loss[:2], [NAN, -INF])
    assert loss[2] == pytest.approx(0.5 * (math.log(4) + 0.25), rel=1e-15)


@pytest.mark.parametrize("profile", ["torch-2.6", "torch-1.9"])
def test_nan_eps_before_2_10_leaves_var_unclamped(running2, profile):
    """Before 2.10 eps = NaN clamps nothing (facts 2.9.1 and 2.1.2: 'eps float64 eps=nan var=[1,4] sum' is the
    eps=-inf line): input (1.5, 2.5), target 0.5, var (1, 4), 'sum' = 0.5 (1 + log 4 + 1) and var 0 stays 0."""
    candidate = running2(numpy_command(profile))
    request = eval_request(f([1.5, 2.5]), f([0.5, 0.5]), f([1.0, 4.0]), eps=NAN, reduction="sum")
    assert decode(ok(candidate.ask(request))["loss"]) == pytest.approx(0.5 * (2 + math.log(4)), rel=1e-15)
    zero = eval_request(f([1.0]), f([1.0]), f([0.0]), eps=NAN, reduction="sum")
    exactly(decode(ok(candidate.ask(zero))["loss"]), NAN)  # log 0 + 0/0, not clamped to anything


# ---------------------------------------------------------------------------------------------------------------
# Scalar var


@pytest.mark.parametrize(
    "var, expected",
    [(NAN, [NAN, NAN]), (INF, [INF, INF]), (-0.0, [-INF, NAN]), (0.0, [NAN, NAN]), (1e-300, [NAN, NAN])],
    ids=["nan", "inf", "minus-zero", "zero", "tiny"],
)
def test_scalar_var_with_eps_zero(candidate2, var, expected):
    """A scalar var in float32 with eps 0 and d = (2, 0): NaN and inf propagate; -0.0 stays -0.0 (log -inf, 4/-0.0
    -inf; 0/-0.0 NaN); 1e-300 becomes float32 0 (facts: scalar_var float32 var=1e-300 eps=0.0)."""
    request = eval_request(f([3.0, 1.0], "float32"), f([1.0, 1.0], "float32"), scalar(var), eps=0.0, reduction="none")
    loss = ok(candidate2.ask(request))["loss"]
    assert loss["dtype"] == "float32"
    exactly(decode(loss), expected)


def test_minus_infinite_scalar_var_is_negative(candidate2):
    """A scalar var of -inf is negative (torch-2.6 on checks it first)."""
    response = candidate2.ask(eval_request(f([1.0]), f([0.0]), scalar(-INF)))
    assert response["error"] == {"kind": "negative_var", "message": "var has negative entry/entries"}


@pytest.mark.parametrize("dtype", ["int32", "int64", "bool"])
def test_scalar_var_with_integer_input_is_float32(candidate2, dtype):
    """var * ones_like(input) is float32 (the default dtype) for an integer input, so is the loss: input (3, 1),
    target (1, 1), var 2: 0.5 (log 2 + 4/2) and 0.5 log 2 in float32. A bool input has no subtraction."""
    values = [True, False] if dtype == "bool" else [3, 1]
    request = eval_request(tensor(values, dtype), tensor([1, 1], "int32"), scalar(2.0), reduction="none")
    response = candidate2.ask(request)
    if dtype == "bool":
        assert response["error"]["kind"] == "type"
        return
    loss = ok(response)["loss"]
    assert loss["dtype"] == "float32"
    exactly(decode(loss), np.float32([0.5 * (math.log(2) + 2), 0.5 * math.log(2)]))


# ---------------------------------------------------------------------------------------------------------------
# Integer and bool operands

INT_VAR = "result type Float can't be cast to the desired output type "
BOOL_ONE = (
    "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the "
    "`~` or `logical_not()` operator instead."
)
BOOL_TWO = (
    "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator "
    "instead."
)


@pytest.mark.parametrize(
    "input, target, var, reduction, kind, message",
    [
        (f([1.0]), f([0.0]), tensor([1], "int32"), "sum", "type", INT_VAR + "int"),
        (f([1.0]), f([0.0]), tensor([1], "int64"), "sum", "type", INT_VAR + "long int"),
        (f([1.0]), f([0.0]), tensor([True], "bool"), "sum", "type", INT_VAR + "bool"),
        (f([1.0]), f([0.0]), tensor([-1], "int32"), "sum", "negative_var", "var has negative entry/entries"),
        (f([1.0]), f([0.0]), tensor([1, 1], "int32"), "sum", "var_size", "var is of incorrect size"),
        (f([1.0]), f([0.0]), tensor([1], "int32"), "avg", "reduction", "avg is not valid"),
        (f([1.0]), f([0.0, 0.0, 0.0, 0.0]), tensor([1], "int64"), "sum", "type", INT_VAR + "long int"),
        (tensor([True], "bool"), f([0.0]), tensor([1], "int32"), "sum", "type", INT_VAR + "int"),
        (tensor([True, False], "bool"), f([0.0]), f([1.0, 1.0]), "sum", "type", BOOL_ONE),
        (f([1.0, 2.0]), tensor([True, False], "bool"), f([1.0, 1.0]), "sum", "type", BOOL_ONE),
        (tensor([True, False], "bool"), tensor([True, True], "bool"), f([1.0, 1.0]), "sum", "type", BOOL_TWO),
        (tensor([True, False, True], "bool"), f([0.0] * 4), f([1.0] * 3), "sum", "type", BOOL_ONE),
        (tensor([True, False], "bool"), f([0.0]), f([-1.0, 1.0]), "sum", "negative_var",
         "var has negative entry/entries"),
    ],
    ids=["int32-var", "int64-var", "bool-var", "negative-int-var", "int-var-size", "int-var-reduction",
         "int-var-before-broadcast", "int-var-before-bool-input", "bool-input", "bool-target", "two-bools",
         "bool-before-broadcast", "negative-before-bool"],
)
def test_integer_and_bool_rejections(candidate2, input, target, var, reduction, kind, message):
    """The clamp refuses an integer or bool var after the argument checks and before anything else; the subtraction
    refuses a bool operand before it broadcasts (facts: the order section)."""
    response = candidate2.ask(eval_request(input, target, var, reduction=reduction))
    assert response["error"] == {"kind": kind, "message": message}


@pytest.mark.parametrize("profile", ["torch-1.9"])
def test_integer_var_check_order_before_2_6(running2, profile):
    """torch-1.9 checks var's size and the reduction before negativity (facts 2.1.2: 'order int32 var negative,
    wrong size' is var_size; 'bad reduction' is reduction)."""
    candidate = running2(numpy_command(profile))
    wrong_size = eval_request(f([1.0, 2.0, 3.0]), f([0.0] * 3), tensor([-1, 1], "int32"))
    assert candidate.ask(wrong_size)["error"]["kind"] == "var_size"
    bad_reduction = eval_request(f([1.0, 2.0, 3.0]), f([0.0] * 3), tensor([-1, 1, 1], "int32"), reduction="bogus")
    assert candidate.ask(bad_reduction)["error"]["kind"] == "reduction"


@pytest.mark.parametrize(
    "dtype, a, b, d2",
    [
        ("int32", 46341, 0, 46341**2 - 2**32),  # the square wraps: -2147479015
        ("int32", 2**31 - 1, -1, 0),  # the difference wraps to -2^31, whose square wraps to 0
        ("int64", 3037000500, 0, 3037000500**2 - 2**64),
        ("int64", 2**53, -(2**53), 0),  # 2^54 squared is 2^108, 0 modulo 2^64
    ],
)
def test_integer_wraparound(candidate2, dtype, a, b, d2):
    """input - target and its square wrap around in two's complement; var 1 (float64): loss = d2 / 2 exactly."""
    request = eval_request(tensor([a], dtype), tensor([b], dtype), f([1.0]), reduction="sum")
    loss = ok(candidate2.ask(request))["loss"]
    assert loss["dtype"] == "float64"
    exactly(decode(loss), 0.5 * float(d2))


def float32_of_integer(value: int) -> float:
    """An integer rounded once to float32 (24 significant bits, ties to even), by integer arithmetic."""
    magnitude, sign = abs(value), -1 if value < 0 else 1
    shift = max(magnitude.bit_length() - 24, 0)
    kept, rest = magnitude >> shift, magnitude & ((1 << shift) - 1)
    half = 1 << (shift - 1) if shift else 0
    if rest > half or (rest == half and shift and kept & 1):
        kept += 1
    return sign * float(kept << shift)


def test_int64_square_converts_to_float32_rounded_once(candidate2):
    """d = 288632284905: d^2 wraps to 3099652608755761169, which float32 rounds (once) to 0x1.58216ep+61; through
    float64 first it would be 0x1.58216cp+61. Loss with a float32 var 1: half of it."""
    d = 288632284905
    wrapped = (d * d + 2**63) % 2**64 - 2**63
    assert wrapped == 3099652608755761169 and float32_of_integer(wrapped) == float.fromhex("0x1.58216ep+61")
    request = eval_request(tensor([d], "int64"), tensor([0], "int64"), f([1.0], "float32"), reduction="sum")
    loss = ok(candidate2.ask(request))["loss"]
    assert loss["dtype"] == "float32"
    exactly(decode(loss), float32_of_integer(wrapped) / 2)


@pytest.mark.parametrize(
    "input, target, var, dtype",
    [
        (tensor([3, 1], "int32"), tensor(1.0, "float16"), f([1.0, 2.0], "float32"), "float32"),
        (tensor([3, 1], "int32"), tensor(1.0, "float64"), f([1.0, 2.0], "float32"), "float64"),
        (tensor(1.0, "float16"), tensor([3, 1], "int64"), tensor(2.0, "float64"), "float16"),
        (tensor([3, 1], "int32"), tensor([1, 1], "int32"), tensor(2.0, "float16"), "float16"),
        (tensor(3, "int32"), tensor([1, 1], "int64"), tensor(2.0, "float64"), "float64"),
        (tensor([3, 1], "int64"), tensor(1.0, "float32"), tensor(2.0, "float64"), "float64"),
        (tensor(1.0, "float32"), tensor([3, 1], "int64"), tensor(2.0, "float64"), "float32"),
    ],
    ids=["int-dim-f16-0d", "int-dim-f64-0d", "f16-0d-int-dim", "ints-f16-0d-var", "ints-f64-0d-var",
         "f32-0d-unsqueezed-var", "f32-0d-f64-0d"],
)
def test_promotion_across_categories(candidate2, input, target, var, dtype):
    """A 0-d floating operand beats a dimensioned integer one (int32 (2,) - float16 0-d is float16, then / a
    float32 (2,) var is float32); within a category a 0-d operand does not widen. A 0-d var beside a (2,) input
    is unsqueezed to (1,) first, so it is dimensioned: float32 (2,) d / float64 (1,) var is float64; beside a 0-d
    input it stays 0-d and loses to float32 (facts: the grid section)."""
    loss = ok(candidate2.ask(eval_request(input, target, var, reduction="none")))["loss"]
    assert loss["dtype"] == dtype and loss["shape"] == [2]


def test_int32_minus_int64_is_int64(candidate2):
    """int32 46341 - int64 0 is int64, so its square 2147488281 does not wrap as int32's would."""
    request = eval_request(tensor([46341], "int32"), tensor([0], "int64"), f([1.0]), reduction="sum")
    exactly(decode(ok(candidate2.ask(request))["loss"]), 46341**2 / 2)


def test_integer_input_and_target_give_the_var_gradient_only(candidate2):
    """Only var can require grad beside integer input and target: d = (2, -1), var (1, 4), 'sum':
    d/dvar = 0.5 (1/v - d^2/v^2) = (-1.5, 0.09375)."""
    request = eval_request(
        tensor([3, 0], "int64"), tensor([1, 1], "int32"), f([1.0, 4.0]), reduction="sum", grad_output=f(1.0),
        requires_grad=(False, False, True),
    )
    response = ok(candidate2.ask(request))
    assert sorted(name for name in response if name.startswith("grad")) == ["grad_var"]
    exactly(decode(response["grad_var"]), [-1.5, 0.09375])


# ---------------------------------------------------------------------------------------------------------------
# Partial gradients and the sign of zero

SUBSETS = [(i, t, v) for i in (False, True) for t in (False, True) for v in (False, True) if i or t or v]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_gradients_do_not_depend_on_which_operands_require_grad(candidate2, dtype, reduction):
    """For each of the 7 subsets, the gradients sent are exactly those asked for and bitwise equal to the ones of
    the all-three request (input (2, 3), target (1, 3), var (2,))."""
    input = f([[0.5, -1.25, 2.0], [1.0, 0.0, -0.75]], dtype)
    target = f([[0.25, 1.0, -1.0]], dtype)
    var = f([0.5, 2.0], dtype)
    grad_output = f(np.full((2, 3), 0.5) if reduction == "none" else 1.5, dtype)

    def ask(flags):
        request = eval_request(input, target, var, reduction=reduction, grad_output=grad_output, requires_grad=flags)
        return ok(candidate2.ask(request))

    everything = ask((True, True, True))
    for flags in SUBSETS:
        response = ask(flags)
        assert response["loss"] == everything["loss"]
        for name, flag in zip(("grad_input", "grad_target", "grad_var"), flags):
            assert (name in response) == flag
            if flag:
                assert response[name] == everything[name], (flags, name)


@pytest.mark.parametrize(
    "input, target, var, grad_output, expected",
    [
        # input 0-d -0.0, target 0: d = -0.0, each element of grad_input -0.0, summed from +0.0.
        (f(-0.0), f([0.0, 0.0, 0.0]), f(1.0), 1.0, {"grad_input": 0.0, "grad_target": [0.0, 0.0, 0.0]}),
        # input 2 = target 2 (0-d): grad_target's elements are -(+0.0) = -0.0, their sum +0.0.
        (f([2.0, 2.0, 2.0]), f(2.0), f([1.0, 1.0, 1.0]), 1.0, {"grad_input": [0.0, 0.0, 0.0], "grad_target": 0.0}),
        # a size-1 broadcast dim: target (2, 3) is not reduced, so its -0.0 stay; input (2, 1) sums +0.0.
        (f([[1.0], [1.0]]), f(np.ones((2, 3))), f([[1.0], [1.0]]), 1.0,
         {"grad_input": [[0.0], [0.0]], "grad_target": np.full((2, 3), -0.0)}),
        # grad_output -0.0: grad_input's elements -0.0 (kept), grad_target sums +0.0, grad_var +0.0 = -0.0 + 0.0.
        (f(np.ones((2, 3))), f(1.0), f([[1.0], [1.0]]), -0.0,
         {"grad_input": np.full((2, 3), -0.0), "grad_target": 0.0, "grad_var": [[0.0], [0.0]]}),
    ],
    ids=["input-0d-minus-zero", "target-0d", "size-1-dim", "grad-output-minus-zero"],
)
def test_sign_of_zero_of_broadcast_gradients(candidate2, input, target, var, grad_output, expected):
    """A gradient summed over broadcast dimensions to exactly zero is +0.0 even when every element is -0.0; an
    unreduced one keeps its elements' signs (facts: the zero_sign section, 'none' reduction)."""
    loss = candidate2.ask(eval_request(input, target, var, reduction="none"))["loss"]
    request = eval_request(
        input, target, var, reduction="none", grad_output=f(np.full(loss["shape"], grad_output)),
        requires_grad=(True, True, True),
    )
    response = ok(candidate2.ask(request))
    for name, values in expected.items():
        exactly(decode(response[name]), values)
