"""An independent numpy implementation of PyTorch's gaussian_nll_loss, served as a protocol candidate.

It is written from the semantics of ``torch.nn.functional.gaussian_nll_loss``
(one profile per behaviour change: torch-1.8, torch-1.9, torch-2.6, torch-2.10),
not by calling torch. Values are computed in float64 and rounded to the result
dtype at the end; only the clamp of var to eps happens in var's own dtype, as in
PyTorch. The backward pass mirrors PyTorch's autograd formulas, so the gradient
for var below eps is taken at eps, not 0.

Run it as a candidate with::

    python Tools/candidates/numpy_candidate.py --profile torch-2.10
"""

import argparse
import math

import numpy as np

from gnll_candidate import PROFILES, Case, Rejection, Result, Tensor, serve

NUMPY_DTYPES = {"float16": np.float16, "float32": np.float32, "float64": np.float64}
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def round_to(dtype: str, values) -> np.ndarray:
    """Round values to a protocol dtype the way PyTorch converts a Python float scalar.

    PyTorch converts a double scalar to a reduced-precision float through float32,
    so float16 gets two roundings.
    """
    values = np.asarray(values, dtype=np.float64)
    if dtype == "float16":
        return values.astype(np.float32).astype(np.float16)
    return values.astype(NUMPY_DTYPES[dtype])


def result_dtype(operands) -> str:
    """PyTorch's type promotion for (dtype, shape) operands of float16, float32 and float64.

    A 0-d tensor does not widen the result when a tensor with dimensions takes
    part: a float32 (2,) input with a float64 0-d target gives float32.
    """
    dimensioned = [dtype for dtype, shape in operands if len(shape) > 0]
    dtypes = dimensioned or [dtype for dtype, _ in operands]
    return np.result_type(*(NUMPY_DTYPES[name] for name in dtypes)).name


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


def sum_to(array: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a broadcast array back to one operand's shape, as autograd does."""
    lead = array.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and array.shape[lead + i] != 1)
    return array.sum(axis=axes, keepdims=True).reshape(shape) if axes else array.reshape(shape)


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
    """var as PyTorch holds it: its dtype name and its values (a scalar var becomes input-shaped)."""
    if isinstance(case.var, Tensor):
        return case.var.dtype, case.var.array.astype(NUMPY_DTYPES[case.var.dtype])
    return case.input.dtype, np.broadcast_to(round_to(case.input.dtype, case.var), case.input.array.shape)


# c10's names of the dtypes in "value cannot be converted to type NAME without overflow": (2.10 on, before).
OVERFLOW_TYPE_NAMES = {"float16": ("c10::Half", "at::Half"), "float32": ("float", "float"),
                       "float64": ("double", "double")}


def clamp(values: np.ndarray, eps: float, dtype: str, profile: str) -> np.ndarray:
    """``var.clamp_(min=eps)`` in var's dtype: ``v < eps ? eps : v`` (NaN and -0.0 survive).

    The bound is converted with c10's overflow check: a finite eps beyond the dtype's range raises.
    """
    if math.isfinite(eps) and abs(eps) > float(np.finfo(NUMPY_DTYPES[dtype]).max):
        name = OVERFLOW_TYPE_NAMES[dtype][0 if profile == "torch-2.10" else 1]
        raise Rejection("type", f"value cannot be converted to type {name} without overflow")
    floor = round_to(dtype, eps)
    return np.where(values < floor, floor, values)


def forward_backward(x, t, v, case: Case, per_sample: bool) -> tuple:
    """Loss and (when asked) gradients for x, t and the clamped v, all float64, in computed shapes.

    ``per_sample`` is torch-1.8's per-row sum. The backward pass follows PyTorch's
    derivative formulas op by op.
    """
    d_shape = broadcast_shape(x.shape, t.shape)
    broadcast_shape(d_shape, v.shape)
    d = x - t
    dd = d * d
    q = dd / v
    inner = np.log(v) + q
    if per_sample:
        loss = 0.5 * inner.sum(axis=1)
        if case.full:
            loss = loss + 0.5 * x.shape[1] * math.log(2 * math.pi)
    else:
        loss = 0.5 * inner
        if case.full:
            loss = loss + HALF_LOG_2PI
    reduced = {"none": loss, "sum": loss.sum(), "mean": loss.sum() / loss.size}[case.reduction]
    if not case.grad:
        return reduced, None, None, None
    g = case.grad_output.array.astype(np.float64)
    g_loss = np.broadcast_to(g / loss.size if case.reduction == "mean" else g, loss.shape)
    g_inner = np.broadcast_to((0.5 * g_loss)[:, None] if per_sample else 0.5 * g_loss, inner.shape)
    g_v = sum_to(g_inner, v.shape) / v + sum_to(-g_inner * ((dd / v) / v), v.shape)
    g_d = sum_to(g_inner / v, d.shape) * (2 * d)
    return reduced, sum_to(g_d, x.shape), sum_to(-g_d, t.shape), g_v


def evaluate(case: Case, profile: str) -> Result:
    """Evaluate one case under a profile."""
    if profile == "torch-1.8":
        x_shape, t_shape, v_shape = plan_1_8(case)
    else:
        x_shape, t_shape = case.input.array.shape, case.target.array.shape
        v_shape = plan_since_1_9(case, profile)
    var_dtype, raw_var = var_values(case)
    v = clamp(raw_var, case.eps, var_dtype, profile).astype(np.float64).reshape(v_shape)
    x = case.input.array.astype(np.float64).reshape(x_shape)
    t = case.target.array.astype(np.float64).reshape(t_shape)
    with np.errstate(all="ignore"):
        loss, g_x, g_t, g_v = forward_backward(x, t, v, case, per_sample=profile == "torch-1.8")
    dtype = result_dtype([(case.input.dtype, x.shape), (case.target.dtype, t.shape), (var_dtype, v.shape)])
    if not case.grad:
        return Result(loss=Tensor(np.asarray(loss), dtype))
    return Result(
        loss=Tensor(np.asarray(loss), dtype),
        grad_input=Tensor(g_x.reshape(case.input.array.shape), case.input.dtype),
        grad_target=Tensor(g_t.reshape(case.target.array.shape), case.target.dtype),
        grad_var=Tensor(g_v.reshape(case.var.array.shape), case.var.dtype) if isinstance(case.var, Tensor) else None,
    )


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
        dtypes=["float16", "float32", "float64"],
        features=["grad", "scalar_var", "mixed_dtype"],
    )


if __name__ == "__main__":
    main()
