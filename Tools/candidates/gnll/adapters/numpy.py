"""An independent numpy implementation of PyTorch's gaussian_nll_loss, served as a protocol candidate.

It is written from the semantics of ``torch.nn.functional.gaussian_nll_loss``
(one profile per behaviour change: torch-1.8, torch-1.9, torch-2.6, torch-2.10),
not by calling torch. It evaluates op by op in the operands' dtypes, as PyTorch's
CPU eager mode does: each operation promotes its operands' dtypes (a 0-d tensor
does not widen a dimensioned one), computes in the dtype's compute type (float32
for float16) and rounds to the dtype; sums accumulate in float32 for float16.
The clamp of var to eps happens in var's dtype. The backward pass mirrors
PyTorch's autograd formulas in the same order and dtypes, so the gradient for
var below eps is taken at eps, not 0; a gradient summed over broadcast
dimensions starts from +0.0, as PyTorch's sums do.

Protocol 2's calls are covered as measured on PyTorch 2.15.0, 2.9.1 and 2.1.2
(``Tools/facts``): non-finite eps (NaN per profile) and scalar var, gradients for
the operands that require grad only, and int32, int64 and bool operands, with
PyTorch's type promotion across categories (a 0-d floating tensor beats a
dimensioned integer one), two's complement wraparound of ``input - target`` and
its square, integer to float conversion rounded once (through float32 for
float16), the clamp's rejection of an integer or bool var and the subtraction's
rejection of a bool operand.

The features hvp and jvp (CONFORMANCE.md section 4) are computed from their
per-element formulas, each operation in the loss's dtype (16-bit ones computed in
float32 and rounded per operation): hvp differentiates the first-order gradients
as if the clamp were not there (at the clamped var), and jvp keeps var's tangent
only where var passes the clamp's test (var > eps under torch-2.10, var >= eps
under torch-2.6 and torch-1.9, as measured, and under torch-1.8 taken as
torch-1.9's, not measured; never for NaN).

Run it as a candidate with::

    python -m gnll.adapters.numpy --profile torch-2.10
    python Tools/candidates/numpy_candidate.py --profile torch-2.10
"""

import argparse
import math
from dataclasses import dataclass

import numpy as np

from gnll.candidate import PROFILES, Case, Rejection, Result, Tensor, serve

NUMPY_DTYPES = {
    "float16": np.float16, "float32": np.float32, "float64": np.float64, "int32": np.int32, "int64": np.int64,
    "bool": np.bool_,
}
FLOATING = ("float16", "float32", "float64")
# The type PyTorch's CPU kernels compute and accumulate each dtype in ("opmath").
COMPUTE_TYPES = {
    "float16": "float32", "float32": "float32", "float64": "float64", "int32": "int32", "int64": "int64",
    "bool": "bool",
}
# PyTorch's name of each integer dtype's C type, in "result type Float can't be cast to the desired output type".
C_TYPE_NAMES = {"int32": "int", "int64": "long int", "bool": "bool"}
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def round_to(dtype: str, values) -> np.ndarray:
    """Convert values to a protocol dtype the way PyTorch converts from a wider type.

    PyTorch converts a double to a reduced-precision float through float32, so
    float16 gets two roundings; an integer goes to float32 or float64 rounded once
    (int64 2^60 + 2^36 + 1 is float32 2^60 + 2^37), and to float16 through float32.
    Integer and bool dtypes take integer values as they are (the promotion never
    narrows them).
    """
    values = np.asarray(values)
    if values.dtype.kind not in "iub":
        values = values.astype(np.float64)
    if dtype == "float16":
        return values.astype(np.float32).astype(np.float16)
    return values.astype(NUMPY_DTYPES[dtype])


def category(dtype: str) -> int:
    """PyTorch's category of a dtype: bool 0, integer 1, floating 2."""
    return 0 if dtype == "bool" else 1 if dtype in ("int32", "int64") else 2


def promote_types(a: str, b: str) -> str:
    """``torch.promote_types`` of two dtypes: the higher category, the wider type within one."""
    if category(a) != category(b):
        return a if category(a) > category(b) else b
    return np.result_type(NUMPY_DTYPES[a], NUMPY_DTYPES[b]).name


def promote(a: str, a_shape: tuple, b: str, b_shape: tuple) -> str:
    """The dtype of a binary op between two tensors: PyTorch's type promotion.

    A 0-d tensor does not widen a dimensioned tensor of its category or a higher one
    (a float32 (2,) tensor minus a float64 0-d tensor is float32), but a 0-d tensor of
    a higher category decides (int32 (3,) minus a float16 0-d tensor is float16; bool
    (3,) with an int64 0-d tensor is int64): c10's ``combine_categories``.
    """
    if (len(a_shape) == 0) != (len(b_shape) == 0):
        dimensioned, zero_d = (b, a) if len(a_shape) == 0 else (a, b)
        if category(dimensioned) == 2:
            return dimensioned
        if dimensioned == "bool" or category(zero_d) == 2:
            return promote_types(dimensioned, zero_d)
        return dimensioned
    return promote_types(a, b)


def elementwise(op, dtype: str, a, b) -> np.ndarray:
    """``op(a, b)`` on tensors as PyTorch's CPU kernels do it in ``dtype``.

    The operands are converted to the dtype, computed in its compute type and the
    result is rounded to the dtype.
    """
    compute = NUMPY_DTYPES[COMPUTE_TYPES[dtype]]
    return round_to(dtype, op(round_to(dtype, a).astype(compute), round_to(dtype, b).astype(compute)))


def with_scalar(op, dtype: str, a, scalar) -> np.ndarray:
    """``op(tensor, scalar)`` in ``dtype`` with a Python scalar or a 0-d tensor that lost the promotion.

    Multiplication and division read the scalar in the compute type, unrounded (a count
    of 100,000 divides float16 finitely); addition reads it converted to the dtype, as
    PyTorch's add kernel does (measured: float16 -30000 + 91893.0 is inf).
    """
    compute = NUMPY_DTYPES[COMPUTE_TYPES[dtype]]
    if op is np.add:
        scalar = round_to(dtype, scalar)
    return round_to(dtype, op(round_to(dtype, a).astype(compute), compute(scalar)))


def logarithm(dtype: str, a: np.ndarray) -> np.ndarray:
    """``torch.log`` in ``dtype``: computed in the compute type, rounded to the dtype."""
    return round_to(dtype, np.log(a.astype(NUMPY_DTYPES[COMPUTE_TYPES[dtype]])))


def accumulate(values, dtype: str, axis=None) -> np.ndarray:
    """Sum values of ``dtype`` in its accumulation type (float32 for float16), not rounded to dtype.

    numpy sums a contiguous axis pairwise, as accurate as PyTorch's cascade sums, and like PyTorch's its sum
    starts from +0.0: a sum of -0.0 elements only is +0.0 (numpy 1.26 and 2.4 measured).
    """
    return np.ascontiguousarray(values, dtype=NUMPY_DTYPES[COMPUTE_TYPES[dtype]]).sum(axis=axis)


def total(values, dtype: str, axis=None) -> np.ndarray:
    """``tensor.sum()`` in ``dtype``: accumulated, then rounded to the dtype."""
    return round_to(dtype, accumulate(values, dtype, axis))


def broadcast_shape(a: tuple, b: tuple) -> tuple:
    """Broadcast two shapes, failing with PyTorch's message (dimensions counted in the output)."""
    ndim = max(len(a), len(b))
    a_full, b_full = (1,) * (ndim - len(a)) + a, (1,) * (ndim - len(b)) + b
    for dim in reversed(range(ndim)):
        size_a, size_b = a_full[dim], b_full[dim]
        if size_a != size_b and size_a != 1 and size_b != 1:
            raise Rejection(
                "broadcast",
                f"The size of tensor a ({size_a}) must match the size of tensor b ({size_b}) "
                f"at non-singleton dimension {dim}",
            )
    return tuple(size_a if size_b == 1 else size_b for size_a, size_b in zip(a_full, b_full, strict=True))


def sum_to(values: np.ndarray, shape: tuple, dtype: str) -> np.ndarray:
    """Sum a broadcast result back to an operand's shape in ``dtype``, as autograd's ``sum_to`` does.

    The summed axes are moved last, so that each operand element's sum runs over one contiguous axis.
    """
    lead = values.ndim - len(shape)
    summed = list(range(lead)) + [lead + i for i, n in enumerate(shape) if n == 1 and values.shape[lead + i] != 1]
    if not summed:
        return values.reshape(shape)  # nothing to sum: autograd passes the gradient on as it is (-0.0 stays)
    kept = [axis for axis in range(values.ndim) if axis not in summed]
    grouped = np.transpose(values, kept + summed).reshape(
        [values.shape[axis] for axis in kept] + [math.prod(values.shape[axis] for axis in summed)]
    )
    return total(grouped, dtype, axis=-1).reshape(shape)


def check_reduction(reduction: str) -> None:
    """Reject a reduction other than none, mean and sum."""
    if reduction not in ("none", "mean", "sum"):
        raise Rejection("reduction", f"{reduction} is not valid")


def check_negative(values) -> None:
    """Reject a var with a negative entry; NaN passes."""
    if np.any(np.asarray(values) < 0):
        raise Rejection("negative_var", "var has negative entry/entries")


def view_rows(shape: tuple, rows: int, kind: str) -> tuple:
    """The shape of ``tensor.view(rows, -1)``, failing with PyTorch's message."""
    numel = math.prod(shape)
    if rows == 0:
        raise Rejection(
            kind,
            "cannot reshape tensor of 0 elements into shape [0, -1] because the unspecified dimension "
            "size -1 can be any value and is ambiguous",
        )
    if numel % rows:
        raise Rejection(kind, f"shape '[{rows}, -1]' is invalid for input of size {numel}")
    return (rows, numel // rows)


def first_size(shape: tuple) -> int:
    """``tensor.size(0)`` as torch 1.8 reports it for a 0-d tensor."""
    if not shape:
        raise Rejection("target_size", "dimension specified as 0 but tensor has no dimensions")
    return shape[0]


def plan_1_8(case: Case) -> tuple:
    """Check a case the torch-1.8 way; return (input, target, var) shapes as computed with."""
    rows = first_size(case.input.array.shape)
    input_shape = view_rows(case.input.array.shape, rows, "target_size")
    target_shape = view_rows(case.target.array.shape, first_size(case.target.array.shape), "target_size")
    if input_shape != target_shape:
        raise Rejection("target_size", "input and target must have same size")
    if not isinstance(case.var, Tensor):
        raise Rejection("type", "'float' object has no attribute 'view'")
    var_shape = view_rows(case.var.array.shape, rows, "var_size")
    if var_shape[1] != input_shape[1] and var_shape[1] != 1:
        raise Rejection("var_size", "var is of incorrect size")
    check_reduction(case.reduction)
    check_negative(case.var.array)
    return input_shape, target_shape, var_shape


def var_shape_since_1_9(input_shape: tuple, var_shape: tuple, profile: str) -> tuple:
    """The shape var is used with (unsqueezed when homoscedastic), or a var_size rejection."""
    if var_shape == input_shape:
        return var_shape
    if input_shape[:-1] == var_shape:
        return var_shape + (1,)
    if profile in ("torch-1.9", "torch-2.6"):
        accepted = input_shape[:-1] == var_shape[:-1] and var_shape[-1:] == (1,)
    else:
        accepted = len(input_shape) == len(var_shape) and (
            sum(v for i, v in zip(input_shape, var_shape, strict=True) if i != v) == 1
        )
    if not accepted:
        raise Rejection("var_size", "var is of incorrect size")
    return var_shape


def plan_since_1_9(case: Case, profile: str) -> tuple:
    """Check a case the torch-1.9 / 2.6 / 2.10 way; return the var shape as computed with."""
    input_shape = case.input.array.shape
    if profile == "torch-1.9":
        if not isinstance(case.var, Tensor):
            raise Rejection("type", "'float' object has no attribute 'size'")
        var_shape = var_shape_since_1_9(input_shape, case.var.array.shape, profile)
        check_reduction(case.reduction)
        check_negative(case.var.array)
        return var_shape
    check_negative(case.var.array if isinstance(case.var, Tensor) else case.var)
    var_shape = input_shape if not isinstance(case.var, Tensor) else case.var.array.shape
    var_shape = var_shape_since_1_9(input_shape, var_shape, profile)
    check_reduction(case.reduction)
    return var_shape


def var_values(case: Case) -> tuple:
    """var as PyTorch holds it: its dtype name and its values.

    A scalar var is ``var * ones_like(input)``: input-shaped, of input's dtype when that is floating and of the
    default dtype, float32, for an integer or bool input.
    """
    if isinstance(case.var, Tensor):
        return case.var.dtype, case.var.array.astype(NUMPY_DTYPES[case.var.dtype])
    dtype = case.input.dtype if case.input.dtype in FLOATING else "float32"
    return dtype, np.broadcast_to(round_to(dtype, case.var), case.input.array.shape)


# c10's names of the dtypes in "value cannot be converted to type NAME without overflow": (2.10 on, before).
OVERFLOW_TYPE_NAMES = {"float16": ("c10::Half", "at::Half"), "float32": ("float", "float"),
                       "float64": ("double", "double")}


def clamp(values: np.ndarray, eps: float, dtype: str, profile: str) -> np.ndarray:
    """``var.clamp_(min=eps)`` in var's dtype: ``v < eps ? eps : v`` (NaN and -0.0 survive).

    The bound is converted with c10's overflow check: a finite eps beyond the dtype's range raises.
    A NaN eps makes every element NaN from torch 2.10 on and leaves var as it is before; +inf makes every
    element but NaN +inf, -inf leaves var as it is. An integer or bool var cannot hold the float result.
    """
    if dtype not in FLOATING:
        raise Rejection("type", f"result type Float can't be cast to the desired output type {C_TYPE_NAMES[dtype]}")
    if math.isfinite(eps) and abs(eps) > float(np.finfo(NUMPY_DTYPES[dtype]).max):
        name = OVERFLOW_TYPE_NAMES[dtype][0 if profile == "torch-2.10" else 1]
        raise Rejection("type", f"value cannot be converted to type {name} without overflow")
    if math.isnan(eps):
        return np.full_like(values, np.nan) if profile == "torch-2.10" else np.array(values)
    floor = round_to(dtype, eps)
    return np.where(values < floor, floor, values)


@dataclass(frozen=True)
class Operands:
    """input, target and the clamped var as the loss computes with them, and the dtypes of its ops.

    The arrays are in their own dtypes and in the shapes the loss uses (torch-1.8's views, var unsqueezed).
    """

    x: np.ndarray
    t: np.ndarray
    v: np.ndarray
    x_dtype: str
    t_dtype: str
    v_dtype: str
    d_dtype: str  # of input - target
    r_dtype: str  # of the loss: (input - target) ** 2 / var and log(var) + ...


def divide_by_var(numerator, o: Operands) -> np.ndarray:
    """``numerator / var`` in the loss's dtype.

    A 0-d var that lost the promotion is a CPU scalar to PyTorch: it is read in the
    compute type, not rounded to the loss's dtype (float64 1e-6 divides float16 as 1e-6).
    """
    if o.v.ndim == 0 and o.v_dtype != o.r_dtype:
        return with_scalar(np.divide, o.r_dtype, numerator, o.v)
    return elementwise(np.divide, o.r_dtype, numerator, o.v)


def reduce(loss: np.ndarray, reduction: str, dtype: str) -> np.ndarray:
    """'none', 'sum' or 'mean' of the unreduced loss; mean divides the accumulated sum by the count."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return total(loss, dtype)
    return round_to(dtype, with_scalar(np.divide, COMPUTE_TYPES[dtype], accumulate(loss, dtype), loss.size))


def forward(o: Operands, case: Case, per_sample: bool) -> tuple:
    """The reduced loss, the unreduced loss's element count, input - target and its square.

    ``per_sample`` is torch-1.8's per-row sum, after which full adds 0.5 D log(2 pi) once per row.
    """
    d = elementwise(np.subtract, o.d_dtype, o.x, o.t)
    squared = elementwise(np.multiply, o.d_dtype, d, d)
    inner = elementwise(np.add, o.r_dtype, logarithm(o.v_dtype, o.v), divide_by_var(squared, o))
    loss = with_scalar(np.multiply, o.r_dtype, inner, 0.5)
    if per_sample:
        loss = total(loss, o.r_dtype, axis=1)
        if case.full:
            loss = with_scalar(np.add, o.r_dtype, loss, 0.5 * o.x.shape[1] * math.log(2 * math.pi))  # a Python float
    elif case.full:
        loss = with_scalar(np.add, o.r_dtype, loss, HALF_LOG_2PI)
    return reduce(loss, case.reduction, o.r_dtype), loss.size, d, squared


def backward(o: Operands, case: Case, per_sample: bool, count: int, d: np.ndarray, squared: np.ndarray) -> tuple:
    """Gradients for x, t and v in their dtypes and computed shapes, in autograd's order; None for an operand
    that does not require grad (its gradient is never computed, as autograd does not).

    Each gradient is summed to its operand's shape in the dtype it flows in, then cast to the operand's.
    """
    wanted = case.requires_grad
    g = case.grad_output.array
    if case.reduction == "mean":
        g = with_scalar(np.divide, o.r_dtype, g, count)
    half = with_scalar(np.multiply, o.r_dtype, g, 0.5)  # through 0.5 * (...)
    if per_sample and case.reduction == "none":
        half = half[:, None]  # a row's gradient reaches each element of the row
    half = np.broadcast_to(half, np.broadcast_shapes(d.shape, o.v.shape))

    # log(var) + d^2 / var: var gets grad / var from log and -grad * (d^2 / var) / var from the division.
    g_v = None
    if wanted.var:
        division_gradient = elementwise(np.multiply, o.r_dtype, -half, divide_by_var(divide_by_var(squared, o), o))
        log_gradient = elementwise(np.divide, o.v_dtype, sum_to(half, o.v.shape, o.r_dtype), o.v)
        g_v = elementwise(np.add, o.v_dtype, log_gradient, sum_to(division_gradient, o.v.shape, o.r_dtype))
    if not (wanted.input or wanted.target):
        return None, None, g_v

    # d ** 2: grad * (2 d), then input - target: +grad to input, -grad (negated element by element, then
    # summed from +0.0) to target.
    squared_gradient = divide_by_var(half, o)
    twice_d = with_scalar(np.multiply, o.d_dtype, d, 2)
    g_d = elementwise(np.multiply, o.d_dtype, sum_to(squared_gradient, d.shape, o.r_dtype), twice_d)
    g_x = round_to(o.x_dtype, sum_to(g_d, o.x.shape, o.d_dtype)) if wanted.input else None
    g_t = round_to(o.t_dtype, sum_to(-g_d, o.t.shape, o.d_dtype)) if wanted.target else None
    return g_x, g_t, g_v


def check_subtraction(a: str, b: str) -> None:
    """``input - target`` refuses a bool operand before it broadcasts (NotImplementedError from torch 2.10 on,
    RuntimeError before; the same message)."""
    if a == "bool" and b == "bool":
        raise Rejection(
            "type",
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead.",
        )
    if "bool" in (a, b):
        raise Rejection(
            "type",
            "Subtraction, the `-` operator, with a bool tensor is not supported. "
            "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
        )


def operands(case: Case, profile: str) -> Operands:
    """Run the profile's checks; return the operands in computed shapes and the dtypes of the ops."""
    if profile == "torch-1.8":
        x_shape, t_shape, v_shape = plan_1_8(case)
    else:
        x_shape, t_shape = case.input.array.shape, case.target.array.shape
        v_shape = plan_since_1_9(case, profile)
    var_dtype, raw_var = var_values(case)
    v = clamp(raw_var, case.eps, var_dtype, profile).reshape(v_shape)
    check_subtraction(case.input.dtype, case.target.dtype)
    d_shape = broadcast_shape(x_shape, t_shape)
    broadcast_shape(d_shape, v_shape)
    d_dtype = promote(case.input.dtype, x_shape, case.target.dtype, t_shape)
    return Operands(
        x=case.input.array.reshape(x_shape),
        t=case.target.array.reshape(t_shape),
        v=v,
        x_dtype=case.input.dtype,
        t_dtype=case.target.dtype,
        v_dtype=var_dtype,
        d_dtype=d_dtype,
        r_dtype=promote(d_dtype, d_shape, var_dtype, v_shape),
    )


def tangents_of(o: Operands, case: Case, profile: str, forward_mode: bool) -> tuple:
    """The tangent of ``input - target`` (in its dtype and computed shape; None when neither requires grad) and
    var's (in its dtype and computed shape; None when var does not require grad).

    ``forward_mode`` keeps var's tangent only where var passes the clamp's test, as forward-mode AD
    differentiates the in-place clamp: var > eps under torch-2.10, var >= eps before (eps in var's dtype; a NaN
    var or eps fails it).
    """
    tangents = case.tangents
    x_dot = None if tangents.input is None else tangents.input.array.reshape(o.x.shape)
    t_dot = None if tangents.target is None else tangents.target.array.reshape(o.t.shape)
    if x_dot is not None and t_dot is not None:
        d_dot = elementwise(np.subtract, o.d_dtype, x_dot, t_dot)
    elif x_dot is not None:
        d_dot = np.broadcast_to(round_to(o.d_dtype, x_dot), np.broadcast_shapes(o.x.shape, o.t.shape))
    elif t_dot is not None:
        d_dot = np.broadcast_to(-round_to(o.d_dtype, t_dot), np.broadcast_shapes(o.x.shape, o.t.shape))
    else:
        d_dot = None
    if tangents.var is None:
        return d_dot, None
    v_dot = tangents.var.array.reshape(o.v.shape)
    if forward_mode:
        raw = case.var.array.reshape(o.v.shape)
        floor = round_to(case.var.dtype, case.eps)
        passes = raw > floor if profile == "torch-2.10" else raw >= floor
        v_dot = np.where(passes, v_dot, np.zeros_like(v_dot))
    return d_dot, v_dot


def hessian_vector_product(o: Operands, case: Case, profile: str, per_sample: bool, count: int,
                           d: np.ndarray, squared: np.ndarray) -> tuple:
    """hvp of input, target and var (None for an operand that does not require grad), in their dtypes and
    computed shapes.

    Per loss element, with a = g / 2 (g the element's share of grad_output), d = input - target, v the clamped
    var and the tangents d' (of d) and v' (of var): input gets 2a (d' / v - d v' / v^2), target its negative,
    var -2a d d' / v^2 + (2a (d^2 / v) / v^2 - a / v^2) v'; a term whose tangent is absent is left out.
    """
    r = o.r_dtype
    d_dot, v_dot = tangents_of(o, case, profile, forward_mode=False)
    a = half_grad_output(o, case, per_sample, count, d)
    wanted = case.requires_grad
    shape = a.shape
    g_d = g_v = None
    if wanted.input or wanted.target:
        terms = []
        if d_dot is not None:
            terms.append(elementwise(np.multiply, r, divide_by_var(a, o), with_scalar(np.multiply, r, d_dot, 2)))
        if v_dot is not None:
            a_v = elementwise(np.multiply, r, a, v_dot)
            terms.append(-elementwise(np.multiply, r, divide_by_var(divide_by_var(a_v, o), o),
                                      with_scalar(np.multiply, r, d, 2)))
        g_d = np.broadcast_to(add_all(terms, r, shape), shape)
    if wanted.var:
        a_vv = divide_by_var(divide_by_var(a, o), o)
        terms = []
        if d_dot is not None:
            twice_d_d_dot = with_scalar(np.multiply, r, elementwise(np.multiply, r, d, d_dot), 2)
            terms.append(-elementwise(np.multiply, r, a_vv, twice_d_d_dot))
        if v_dot is not None:
            curvature = elementwise(
                np.subtract, r,
                with_scalar(np.multiply, r, elementwise(np.multiply, r, a_vv, divide_by_var(squared, o)), 2),
                a_vv,
            )
            terms.append(elementwise(np.multiply, r, curvature, v_dot))
        g_v = np.broadcast_to(add_all(terms, r, shape), shape)
        g_v = round_to(o.v_dtype, sum_to(g_v, o.v.shape, r))
    h_x = h_t = None
    if g_d is not None:
        g_d = round_to(o.d_dtype, sum_to(g_d, np.broadcast_shapes(o.x.shape, o.t.shape), r))
        h_x = round_to(o.x_dtype, sum_to(g_d, o.x.shape, o.d_dtype)) if wanted.input else None
        h_t = round_to(o.t_dtype, sum_to(-g_d, o.t.shape, o.d_dtype)) if wanted.target else None
    return h_x, h_t, g_v


def add_all(terms: list, dtype: str, shape: tuple) -> np.ndarray:
    """The sum of the terms in ``dtype``, op by op; zeros of ``shape`` when there is none."""
    if not terms:
        return np.zeros(shape, dtype=NUMPY_DTYPES[dtype])
    total_ = terms[0]
    for term in terms[1:]:
        total_ = elementwise(np.add, dtype, total_, term)
    return total_


def half_grad_output(o: Operands, case: Case, per_sample: bool, count: int, d: np.ndarray) -> np.ndarray:
    """Half of each loss element's share of grad_output, in the loss's dtype and the broadcast shape."""
    g = case.grad_output.array
    if case.reduction == "mean":
        g = with_scalar(np.divide, o.r_dtype, g, count)
    half = with_scalar(np.multiply, o.r_dtype, g, 0.5)
    if per_sample and case.reduction == "none":
        half = half[:, None]
    return np.broadcast_to(half, np.broadcast_shapes(d.shape, o.v.shape))


def directional_derivative(o: Operands, case: Case, profile: str, per_sample: bool, d: np.ndarray,
                           squared: np.ndarray) -> np.ndarray:
    """jvp: the loss's derivative along the tangents, reduced as the loss is, in the loss's dtype.

    Per element, as forward-mode AD propagates it: (d^2)' = 2 d d', (d^2 / v)' = ((d^2)' - (d^2 / v) v') / v,
    (log v)' = v' / v, and half their sum; v' is var's tangent where var passes the clamp's test, 0 elsewhere.
    """
    r = o.r_dtype
    d_dot, v_dot = tangents_of(o, case, profile, forward_mode=True)
    shape = np.broadcast_shapes(d.shape, o.v.shape)
    squared_dot = None if d_dot is None else elementwise(np.multiply, o.d_dtype, d_dot, with_scalar(
        np.multiply, o.d_dtype, d, 2))
    if v_dot is None:
        inner = divide_by_var(squared_dot, o)
    else:
        quotient = divide_by_var(squared, o)
        numerator = -elementwise(np.multiply, r, quotient, v_dot)
        if squared_dot is not None:
            numerator = elementwise(np.subtract, r, squared_dot, elementwise(np.multiply, r, quotient, v_dot))
        log_dot = elementwise(np.divide, o.v_dtype, v_dot, o.v)
        inner = elementwise(np.add, r, log_dot, divide_by_var(numerator, o))
    loss_dot = with_scalar(np.multiply, r, np.broadcast_to(inner, shape), 0.5)
    if per_sample:
        loss_dot = total(loss_dot, r, axis=1)
    return reduce(loss_dot, case.reduction, r)


def evaluate(case: Case, profile: str) -> Result:
    """Evaluate one case under a profile; overflow, NaN and division by zero follow IEEE arithmetic silently."""
    per_sample = profile == "torch-1.8"
    with np.errstate(all="ignore"):
        o = operands(case, profile)
        loss, count, d, squared = forward(o, case, per_sample)
        if not case.grad:
            return Result(loss=Tensor(np.asarray(loss), o.r_dtype))
        g_x, g_t, g_v = backward(o, case, per_sample, count, d, squared)
        h_x = h_t = h_v = jvp = None
        if case.hvp:
            h_x, h_t, h_v = hessian_vector_product(o, case, profile, per_sample, count, d, squared)
        if case.jvp:
            jvp = Tensor(np.asarray(directional_derivative(o, case, profile, per_sample, d, squared)), o.r_dtype)
    return Result(
        loss=Tensor(np.asarray(loss), o.r_dtype),
        grad_input=operand_tensor(g_x, case.input),
        grad_target=operand_tensor(g_t, case.target),
        grad_var=operand_tensor(g_v, case.var),
        hvp_input=operand_tensor(h_x, case.input),
        hvp_target=operand_tensor(h_t, case.target),
        hvp_var=operand_tensor(h_v, case.var),
        jvp=jvp,
    )


def operand_tensor(values, operand) -> "Tensor | None":
    """Values in an operand's computed shape as a tensor of the operand's shape and dtype; None for None."""
    return None if values is None else Tensor(values.reshape(operand.array.shape), operand.dtype)


def main() -> None:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=PROFILES, default="torch-2.10")
    profile = parser.parse_args().profile
    serve(
        lambda case: evaluate(case, profile),
        name="numpy-gnll",
        version="1",
        profile=profile,
        dtypes=["float16", "float32", "float64", "int32", "int64", "bool"],
        features=["grad", "scalar_var", "mixed_dtype", "hvp", "jvp"],
    )


if __name__ == "__main__":
    main()
