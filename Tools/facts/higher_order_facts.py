"""Print what PyTorch's second-order and forward-mode derivatives of gaussian_nll_loss are.

Run with the python of a PyTorch venv; the output is deterministic (CPU, fixed inputs) and has one fact per
line, so two releases' outputs compare with diff:

    .venv-torch/bin/python Tools/facts/higher_order_facts.py > Tools/facts/higher_order_facts-2.15.0.txt

A fact is `label: outcome`. An outcome is `raises ExceptionType: message`, or the named results as
`dtype[shape] values` (floating values as float.hex; -0x0.0p+0 is -0.0):

- `hvp_input`, `hvp_target`, `hvp_var`: the Hessian-vector product, `torch.autograd.grad((grad_input,
  grad_target, grad_var), operands, tangents, allow_unused=True)` where the first-order gradients come from
  `torch.autograd.grad(loss, operands, grad_output, create_graph=True)`, for the operands that require grad
  (`unused` where autograd returned None);
- `jvp`: `torch.func.jvp(f, primals, tangents)`'s tangent output, the primals being the operands that require
  grad (the others are constants of f); `fwad` marks where `torch.autograd.forward_ad` (dual tensors) gives a
  result that is not bitwise the same (it is printed then).

grad_output is all ones (or the values given) in the loss's shape and dtype. Sections:

- clamp: var above, at and below eps, NaN, 0, with eps 1e-6, 1e-2, 0, negative, NaN, +inf, -inf (float64).
- dtypes: every floating dtype, each reduction, var below and above eps, full.
- shapes: a homoscedastic var (input.shape[:-1], and (N, 1)), a broadcast target, a 0-d var, an empty input.
- subsets: each non-empty subset of operands requiring grad, compared bitwise with the full hvp and jvp.
- scalar_var and integers: a Python float var (from 2.6 on), an int32 target.
"""

import itertools
import sys

import torch
import torch.nn.functional as F

NAMES = {torch.float16: "float16", torch.bfloat16: "bfloat16", torch.float32: "float32", torch.float64: "float64",
         torch.int32: "int32", torch.int64: "int64"}
FLOATS = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
NAN, INF = float("nan"), float("inf")
OPERANDS = ("input", "target", "var")


def fmt_tensor(tensor):
    """dtype[shape] v0 v1 ... (a 0-d tensor has shape [])."""
    flat = tensor.detach().reshape(-1)
    if tensor.dtype.is_floating_point:
        values = " ".join(float(v).hex() for v in flat.double().tolist())
    else:
        values = " ".join(repr(v) for v in flat.tolist())
    return f"{NAMES[tensor.dtype]}[{','.join(str(s) for s in tensor.shape)}] {values}"


def fmt_error(error):
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"raises {type(error).__name__}: {message}"


def fact(label, outcome):
    print(f"{label}: {outcome}")


def make(values, dtype, shape):
    return torch.tensor(values, dtype=torch.float64).to(dtype).reshape(shape)


def tangent_for(tensor, seed):
    """Deterministic tangent values of a tensor's shape and dtype: small dyadic numbers, exact in every dtype."""
    count = tensor.numel()
    values = [((seed * 7 + 3 * i) % 9 - 4) / 4 for i in range(count)]
    return torch.tensor(values, dtype=torch.float64).to(tensor.dtype).reshape(tensor.shape)


def evaluate(input, target, var, wanted=OPERANDS, full=False, eps=1e-6, reduction="none", grad_output=None):
    """The hvp and jvp results of one call, as a dict name -> tensor (or an exception)."""
    operands = {"input": input, "target": target, "var": var}
    wanted = [name for name in wanted if isinstance(operands[name], torch.Tensor)
              and operands[name].dtype.is_floating_point]
    tangents = {name: tangent_for(operands[name], seed) for seed, name in enumerate(OPERANDS) if name in wanted}
    results = {}
    try:
        leaves = {name: (value.detach().clone().requires_grad_(name in wanted)
                         if isinstance(value, torch.Tensor) else value) for name, value in operands.items()}
        loss = F.gaussian_nll_loss(leaves["input"], leaves["target"], leaves["var"], full=full, eps=eps,
                                   reduction=reduction)
        results["loss"] = loss.detach()
        go = torch.ones_like(loss) if grad_output is None else grad_output.to(loss.dtype).reshape(loss.shape)
        firsts = torch.autograd.grad(loss, [leaves[n] for n in wanted], go, create_graph=True)
        for name, first in zip(wanted, firsts):
            results[f"grad_{name}"] = first.detach()
        usable = [(first, tangents[name]) for name, first in zip(wanted, firsts) if first.requires_grad]
        seconds = torch.autograd.grad([f for f, _ in usable], [leaves[n] for n in wanted],
                                      [t for _, t in usable], allow_unused=True) if usable else [None] * len(wanted)
        for name, second in zip(wanted, seconds):
            results[f"hvp_{name}"] = "unused" if second is None else second.detach()
    except Exception as error:  # noqa: BLE001 - the fact is the exception
        return {"error": error}
    try:
        def f(*primals):
            values = dict(operands)
            values.update(zip(wanted, primals))
            return F.gaussian_nll_loss(values["input"], values["target"], values["var"], full=full, eps=eps,
                                       reduction=reduction)
        _, jvp = torch.func.jvp(f, tuple(operands[n] for n in wanted), tuple(tangents[n] for n in wanted))
        results["jvp"] = jvp
    except Exception as error:  # noqa: BLE001
        results["jvp"] = error
    try:
        import torch.autograd.forward_ad as fwad
        with fwad.dual_level():
            duals = dict(operands)
            for name in wanted:
                duals[name] = fwad.make_dual(operands[name], tangents[name])
            out = F.gaussian_nll_loss(duals["input"], duals["target"], duals["var"], full=full, eps=eps,
                                      reduction=reduction)
            tangent = fwad.unpack_dual(out).tangent
        jvp = results["jvp"]
        if not (isinstance(jvp, torch.Tensor) and tangent is not None and same(jvp, tangent)):
            results["fwad"] = tangent if tangent is not None else "none"
    except Exception as error:  # noqa: BLE001
        results["fwad"] = error
    return results


def same(a, b):
    """Bitwise equality of two tensors (NaN equal to NaN)."""
    return a.dtype == b.dtype and a.shape == b.shape and bool(
        ((a == b) | (a.isnan() & b.isnan())).all()) and bool((a.signbit() == b.signbit()).all())


def report(label, results, keys=None):
    if "error" in results:
        fact(label, fmt_error(results["error"]))
        return
    parts = []
    for key, value in results.items():
        if keys is not None and key not in keys:
            continue
        if isinstance(value, Exception):
            parts.append(f"{key}={fmt_error(value)}")
        elif isinstance(value, str):
            parts.append(f"{key}={value}")
        else:
            parts.append(f"{key}={fmt_tensor(value)}")
    fact(label, "; ".join(parts))


HIGHER = ("hvp_input", "hvp_target", "hvp_var", "jvp", "fwad")


def section_clamp():
    x = make([0.75, -1.5, 0.25, 2.0, 0.5, -0.25], torch.float64, (6,))
    t = make([0.5, 0.5, 0.25, -1.0, 1.0, 0.0], torch.float64, (6,))
    for eps in (1e-6, 1e-2, 0.0, -1.0, NAN, INF, -INF):
        v = make([0.5, 1e-2, 1e-4, NAN, 0.0, 2.0], torch.float64, (6,))
        for reduction in ("none", "sum"):
            report(f"clamp.eps={eps!r}.{reduction}", evaluate(x, t, v, eps=eps, reduction=reduction))


def section_dtypes():
    for dtype, reduction, full, below in itertools.product(FLOATS, ("none", "mean", "sum"), (False, True),
                                                            (False, True)):
        x = make([0.75, -1.5, 0.25, 2.0, 0.5, -0.25], dtype, (2, 3))
        t = make([0.5, 0.5, 0.25, -1.0, 1.0, 0.0], dtype, (2, 3))
        v = make([0.5, 1.5, 0.25, 3.0, 0.125, 1e-3] if below else [0.5, 1.5, 0.25, 3.0, 0.125, 4.0], dtype, (2, 3))
        eps = 1e-2 if below else 1e-6
        report(f"dtypes.{NAMES[dtype]}.{reduction}.full={int(full)}.below={int(below)}",
               evaluate(x, t, v, eps=eps, full=full, reduction=reduction), HIGHER)
    # Mixed dtypes: float32 input, float64 var.
    x = make([0.75, -1.5, 0.25], torch.float32, (3,))
    t = make([0.5, 0.5, 0.25], torch.float16, (3,))
    v = make([0.5, 1e-3, 0.25], torch.float64, (3,))
    report("dtypes.mixed.f32.f16.f64", evaluate(x, t, v, eps=1e-2, reduction="sum"))
    # float16 intermediates that overflow at second order (1/v^3 with v = 1e-2).
    x = make([3.0, -2.0], torch.float16, (2,))
    t = make([0.0, 0.0], torch.float16, (2,))
    v = make([1e-2, 1e-3], torch.float16, (2,))
    report("dtypes.float16.overflow", evaluate(x, t, v, eps=1e-3, reduction="sum"))


def section_shapes():
    x = make([0.75, -1.5, 0.25, 2.0, 0.5, -0.25], torch.float64, (2, 3))
    t = make([0.5, 0.5, 0.25, -1.0, 1.0, 0.0], torch.float64, (2, 3))
    report("shapes.var_unsqueezed", evaluate(x, t, make([0.5, 1e-4], torch.float64, (2,)), eps=1e-2, reduction="sum"))
    report("shapes.var_n1", evaluate(x, t, make([0.5, 1e-4], torch.float64, (2, 1)), eps=1e-2, reduction="mean"))
    report("shapes.target_broadcast", evaluate(x, make([0.5, -0.5, 1.0], torch.float64, (3,)),
                                               make([0.5, 1.5, 0.25, 3.0, 0.125, 4.0], torch.float64, (2, 3)),
                                               reduction="none"))
    report("shapes.var_0d", evaluate(make([0.75, -1.5], torch.float64, (2,)), make([0.5, 0.5], torch.float64, (2,)),
                                     make([0.25], torch.float64, ()), reduction="sum"))
    report("shapes.empty", evaluate(make([], torch.float64, (0, 3)), make([], torch.float64, (0, 3)),
                                    make([], torch.float64, (0, 3)), reduction="mean"))
    report("shapes.grad_output", evaluate(x, t, make([0.5, 1.5, 0.25, 3.0, 0.125, 4.0], torch.float64, (2, 3)),
                                          reduction="none",
                                          grad_output=make([1.0, -2.0, 0.5, 0.0, 3.0, -0.25], torch.float64, (6,))))


def section_subsets():
    x = make([0.75, -1.5, 0.25, 2.0, 0.5, -0.25], torch.float64, (2, 3))
    t = make([0.5, 0.5, 0.25, -1.0, 1.0, 0.0], torch.float64, (2, 3))
    v = make([0.5, 1.5, 1e-4, 3.0, 0.125, 4.0], torch.float64, (2, 3))
    for reduction in ("none", "mean"):
        report(f"subsets.all.{reduction}", evaluate(x, t, v, eps=1e-2, reduction=reduction), HIGHER)
        for size in (1, 2):
            for subset in itertools.combinations(OPERANDS, size):
                report(f"subsets.{'+'.join(subset)}.{reduction}",
                       evaluate(x, t, v, wanted=subset, eps=1e-2, reduction=reduction), HIGHER)


def section_scalar_and_integers():
    x = make([0.75, -1.5, 0.25], torch.float32, (3,))
    t = make([0.5, 0.5, 0.25], torch.float32, (3,))
    for value in (0.5, 1e-8):
        report(f"scalar_var.{value!r}", evaluate(x, t, value, eps=1e-6, reduction="sum"), HIGHER)
    ti = torch.tensor([1, 0, -2], dtype=torch.int32)
    report("integers.target_int32", evaluate(x, ti, make([0.5, 1e-8, 2.0], torch.float32, (3,)), reduction="none"),
           HIGHER)


SECTIONS = {"clamp": section_clamp, "dtypes": section_dtypes, "shapes": section_shapes,
            "subsets": section_subsets, "scalar": section_scalar_and_integers}


def main():
    import warnings
    warnings.simplefilter("ignore")
    print(f"# torch {torch.__version__}, python {sys.version.split()[0]}")
    for name in sys.argv[1:] or SECTIONS:
        SECTIONS[name]()


if __name__ == "__main__":
    main()
