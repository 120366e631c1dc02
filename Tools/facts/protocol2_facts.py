"""Print what torch.nn.functional.gaussian_nll_loss does for the calls that protocol 2 can carry.

Run with the python of a PyTorch venv; the output is deterministic (CPU, fixed inputs, no randomness that
depends on the release) and has one fact per line, so two releases' outputs compare with diff:

    .venv-torch/bin/python Tools/facts/protocol2_facts.py > Tools/facts/protocol2_facts-2.15.0.txt

A fact is `label: outcome`. An outcome is either `raises ExceptionType: message` (the message's first line) or
the loss and each gradient as `dtype[shape] values`, floating values as float.hex (exact; -0x0.0p+0 is -0.0),
integer and bool values as repr. Gradients are those of `loss.backward(grad_output)` with grad_output all ones
in the loss's shape and dtype, for the operands that require grad (`grad_input`, `grad_target`, `grad_var`);
`no grad` means that no operand requires grad. Sections:

- eps: eps = NaN, +inf, -inf for each floating dtype, with var below, at and above eps, NaN, inf, 0 and -0.0.
- scalar_var: a Python float var (NaN, +inf, -inf, 0.0, -0.0, 1e-300, 2.0) with floating, integer and bool
  input and target; `var * ones_like(input)`'s dtype.
- grid: every dtype (float16, float32, float64, int32, int64, bool) in every position, each operand 0-d or
  dimensioned (var dimensioned only with a dimensioned input).
- order: which error wins when an integer or bool operand meets another error.
- wrap: integer wraparound of input - target and (input - target)**2.
- convert: int32/int64 -> float16/bfloat16/float32 conversion of large values (single or double rounding).
- requires_grad: each of the 7 non-empty subsets of operands requiring grad, compared bitwise with all three.
- zero_sign: the sign of zero of broadcast gradients that sum to exactly zero.
"""

import itertools
import math
import platform
import sys

import torch
import torch.nn.functional as F

FLOATS = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
NAMES = {
    torch.float16: "float16",
    torch.bfloat16: "bfloat16",
    torch.float32: "float32",
    torch.float64: "float64",
    torch.int32: "int32",
    torch.int64: "int64",
    torch.bool: "bool",
}
NAN, INF = float("nan"), float("inf")


def fmt_value(value, dtype):
    """One element: float.hex for a floating dtype, repr otherwise."""
    if dtype.is_floating_point:
        return float(value).hex()
    return repr(value)


def fmt_tensor(tensor):
    """dtype[shape] v0 v1 ... (a 0-d tensor has shape [])."""
    dtype = tensor.dtype
    flat = tensor.detach().reshape(-1)
    values = flat.double().tolist() if dtype.is_floating_point else flat.tolist()
    shape = ",".join(str(s) for s in tensor.shape)
    return f"{NAMES[dtype]}[{shape}] " + " ".join(fmt_value(v, dtype) for v in values)


def fmt_error(error):
    """raises Type: first line of the message."""
    text = str(error).splitlines()[0] if str(error) else ""
    return f"raises {type(error).__name__}: {text}"


_LABELS = set()


def fact(label, outcome):
    """Print one fact; labels are unique and hold no ': ', so `label: outcome` splits at the first ': '."""
    assert ": " not in label and label not in _LABELS, label
    _LABELS.add(label)
    print(f"{label}: {outcome}")


def make(values, dtype, shape, requires_grad=False):
    """A tensor of dtype with the given values (a list, or one value for a 0-d tensor)."""
    tensor = torch.tensor(values, dtype=dtype).reshape(shape)
    if requires_grad:
        tensor.requires_grad_(True)
    return tensor


def run(input, target, var, full=False, eps=1e-6, reduction="none", grad=True):
    """Evaluate; the outcome is the loss and the gradients of the operands that require grad, or the error."""
    try:
        loss = F.gaussian_nll_loss(input, target, var, full=full, eps=eps, reduction=reduction)
    except Exception as error:  # every exception is a fact
        return fmt_error(error)
    parts = [f"loss {fmt_tensor(loss)}"]
    operands = [("input", input), ("target", target), ("var", var)]
    wanting = [(name, t) for name, t in operands if isinstance(t, torch.Tensor) and t.requires_grad]
    if not grad:
        return " | ".join(parts)
    if not wanting:
        return " | ".join(parts + ["no grad"])
    try:
        grads = torch.autograd.grad(loss, [t for _, t in wanting], torch.ones_like(loss))
    except Exception as error:
        return " | ".join(parts + [f"backward {fmt_error(error)}"])
    parts += [f"grad_{name} {fmt_tensor(g)}" for (name, _), g in zip(wanting, grads)]
    return " | ".join(parts)


def section_eps():
    """Non-finite eps: NaN, +inf, -inf per floating dtype, var on both sides of eps."""
    print("# eps: input [1.5]*n, target 0.5, var as listed, reduction none; all three require grad")
    vars_ = [0.0, -0.0, 1e-8, 0.5, 2.0, INF, NAN]
    for dtype in FLOATS:
        for eps in (NAN, INF, -INF, 1e-6):
            n = len(vars_)
            x = make([1.5] * n, dtype, (n,), True)
            t = make([0.5] * n, dtype, (n,), True)
            v = make(vars_, dtype, (n,), True)
            fact(f"eps {NAMES[dtype]} eps={eps!r} var=[0,-0,1e-8,0.5,2,inf,nan]", run(x, t, v, eps=eps))
        for eps in (NAN, INF, -INF):
            x = make([1.5, 2.5], dtype, (2,), True)
            t = make([0.5, 0.5], dtype, (2,), True)
            v = make([1.0, 4.0], dtype, (2,), True)
            for reduction in ("mean", "sum"):
                outcome = run(x, t, v, eps=eps, reduction=reduction)
                fact(f"eps {NAMES[dtype]} eps={eps!r} var=[1,4] {reduction}", outcome)
    for eps in (NAN, INF, -INF):
        x = make([1.5, 2.5], torch.float32, (2,), True)
        t = make([0.5, 0.5], torch.float32, (2,), True)
        fact(f"eps float32 eps={eps!r} scalar var 2.0", run(x, t, 2.0, eps=eps))
        negative = make([-1.0, 1.0], torch.float32, (2,))
        fact(f"eps float32 eps={eps!r} var=[-1,1] (negative)", run(x, t, negative, eps=eps))
        xi = make([3, 1], torch.int32, (2,))
        ti = make([1, 1], torch.int32, (2,))
        floating = make([1.0, 4.0], torch.float32, (2,), True)
        fact(f"eps int32 input/target eps={eps!r} float32 var=[1,4]", run(xi, ti, floating, eps=eps))
        integer = make([1, 4], torch.int32, (2,))
        fact(f"eps int32 input/target eps={eps!r} int32 var=[1,4]", run(xi, ti, integer, eps=eps))


def section_scalar_var():
    """A Python float var with floating, integer and bool input and target."""
    print("# scalar_var: input [3,1,0] (bool: [True,False,True]), target [1,1,0] (bool: [False,False,True])")
    scalars = [NAN, INF, -INF, 0.0, -0.0, 1e-300, 1e-6, 2.0]
    for dtype in FLOATS + (torch.int32, torch.int64, torch.bool):
        if dtype == torch.bool:
            xs, ts = [True, False, True], [False, False, True]
        else:
            xs, ts = [3, 1, 0], [1, 1, 0]
        x = make(xs, dtype, (3,), dtype.is_floating_point)
        try:
            ones = 2.0 * torch.ones_like(x)
            fact(f"scalar_var 2.0*ones_like({NAMES[dtype]})", fmt_tensor(ones))
        except Exception as error:
            fact(f"scalar_var 2.0*ones_like({NAMES[dtype]})", fmt_error(error))
        for scalar in scalars:
            t = make(ts, dtype, (3,), dtype.is_floating_point)
            x = make(xs, dtype, (3,), dtype.is_floating_point)
            for eps in (1e-6, 0.0):
                fact(f"scalar_var {NAMES[dtype]} var={scalar!r} eps={eps!r}", run(x, t, scalar, eps=eps))
    # integer input, floating target, and the reverse, with a scalar var
    for a, b in ((torch.int32, torch.float16), (torch.float16, torch.int64), (torch.int64, torch.float64)):
        x = make([3, 1], a, (2,), a.is_floating_point)
        t = make([1, 2], b, (2,), b.is_floating_point)
        fact(f"scalar_var input={NAMES[a]} target={NAMES[b]} var=2.0", run(x, t, 2.0))
    x, t = make([3.0, 1.0], torch.float32, (2,)), make([1.0, 1.0], torch.float32, (2,))
    fact("scalar_var Python int var=2 float32", run(x, t, 2))


GRID_VALUES = {
    "input": {"float": [1.5, -2.0, 0.0], "int": [3, -2, 0], "bool": [True, False, True]},
    "target": {"float": [0.25, 1.0, 0.0], "int": [1, 5, 0], "bool": [False, False, True]},
    "var": {"float": [0.5, 2.0, 1.0], "int": [2, 1, 3], "bool": [True, True, True]},
}
GRID_DTYPES = (torch.float16, torch.float32, torch.float64, torch.int32, torch.int64, torch.bool)


def grid_tensor(role, dtype, dimensioned):
    """The grid's operand for role: values by dtype category, shape (3,) or 0-d."""
    category = "float" if dtype.is_floating_point else ("bool" if dtype == torch.bool else "int")
    values = GRID_VALUES[role][category]
    return make(values if dimensioned else values[0], dtype, (3,) if dimensioned else (), dtype.is_floating_point)


def section_grid():
    """Every call with an integer or bool operand: float16, float32, float64, int32, int64, bool in every position;
    each operand 0-d or of shape (3,)."""
    print("# grid: input [1.5,-2,0] int [3,-2,0] bool [T,F,T]; target [0.25,1,0] int [1,5,0] bool [F,F,T];")
    print("#       var [0.5,2,1] int [2,1,3] bool [T,T,T]; a 0-d operand takes the first value; floating ones")
    print("#       require grad; eps 1e-6, reduction none")
    shapes = [(di, dt, dv) for di in (1, 0) for dt in (1, 0) for dv in (1, 0) if di or not dv]
    for di, dt, dv in shapes:
        for a, b, c in itertools.product(GRID_DTYPES, repeat=3):
            if all(d.is_floating_point for d in (a, b, c)):
                continue  # floating-only calls are protocol 1's, settled before
            x, t, v = grid_tensor("input", a, di), grid_tensor("target", b, dt), grid_tensor("var", c, dv)
            shapes_ = ["(3)" if dimensioned else "()" for dimensioned in (di, dt, dv)]
            label = f"grid input={NAMES[a]}{shapes_[0]} target={NAMES[b]}{shapes_[1]} var={NAMES[c]}{shapes_[2]}"
            fact(label, run(x, t, v))


def section_order():
    """Which error an integer or bool operand raises, relative to the argument checks and broadcasting."""
    print("# order: what is raised first when an integer or bool operand meets another error")
    f32, i32, i64, b = torch.float32, torch.int32, torch.int64, torch.bool
    x3 = make([1.0, 2.0, 3.0], f32, (3,))
    t3 = make([0.0, 0.0, 0.0], f32, (3,))
    ones3 = make([1.0] * 3, f32, (3,))
    b3 = make([True, False, True], b, (3,))
    cases = [
        ("int32 var negative", x3, t3, make([-1, 1, 1], i32, (3,)), "none"),
        ("int64 var negative", x3, t3, make([-1, 1, 1], i64, (3,)), "none"),
        ("int32 var negative, wrong size", x3, t3, make([-1, 1], i32, (2,)), "none"),
        ("int32 var negative, bad reduction", x3, t3, make([-1, 1, 1], i32, (3,)), "bogus"),
        ("int32 var non-negative, wrong size", x3, t3, make([1, 1], i32, (2,)), "none"),
        ("int32 var non-negative, bad reduction", x3, t3, make([1, 1, 1], i32, (3,)), "bogus"),
        ("int32 var zero", x3, t3, make([0, 0, 0], i32, (3,)), "none"),
        ("int64 var non-negative", x3, t3, make([2, 1, 3], i64, (3,)), "mean"),
        ("bool var", x3, t3, b3, "none"),
        ("bool var, wrong size", x3, t3, make([True, False], b, (2,)), "none"),
        ("bool var, bad reduction", x3, t3, make([True, True, True], b, (3,)), "bogus"),
        ("int32 var, target broadcast error", x3, make([0.0] * 4, f32, (4,)), make([1, 1, 1], i32, (3,)), "none"),
        ("int32 var, bool input", b3, t3, make([1, 1, 1], i32, (3,)), "none"),
        ("bool input, float target", b3, t3, ones3, "none"),
        ("float input, bool target", x3, b3, ones3, "none"),
        ("bool input, bool target", b3, make([True] * 3, b, (3,)), ones3, "none"),
        ("bool input, target broadcast error", b3, make([0.0] * 4, f32, (4,)), ones3, "none"),
        ("bool input, negative var", b3, t3, make([-1.0, 1.0, 1.0], f32, (3,)), "none"),
        ("bool input, wrong var size", b3, t3, make([1.0, 1.0], f32, (2,)), "none"),
        ("bool input, bad reduction", b3, t3, ones3, "bogus"),
        ("int32 input, target broadcast error", make([1, 2, 3], i32, (3,)), make([0] * 4, i32, (4,)), ones3, "none"),
        (
            "int32 input (2,3,4), var (2,0,1) (torch-2.10 size rule passes, then d2/var broadcast)",
            make(list(range(24)), i32, (2, 3, 4)), make([0] * 24, i32, (2, 3, 4)), make([], f32, (2, 0, 1)), "none",
        ),
        ("int32 input (3,), var (4,) (var size)", make([1, 2, 3], i32, (3,)), make([0] * 3, i32, (3,)),
         make([1.0] * 4, f32, (4,)), "none"),
        ("float16 var eps 1e5 (out of range), int32 input", make([1, 2, 3], i32, (3,)), make([0, 0, 0], i32, (3,)),
         make([1.0] * 3, torch.float16, (3,)), "none"),
        ("int32 var eps 1e5", x3, t3, make([1, 1, 1], i32, (3,)), "none"),
    ]
    for label, x, t, v, reduction in cases:
        eps = 1e5 if "1e5" in label else 1e-6
        fact(f"order {label}", run(x, t, v, eps=eps, reduction=reduction, grad=False))
    try:
        torch.tensor([1, 2], dtype=torch.int32, requires_grad=True)
        fact("order int32 tensor requires_grad=True", "accepted")
    except Exception as error:
        fact("order int32 tensor requires_grad=True", fmt_error(error))
    try:
        torch.tensor([True], dtype=torch.bool, requires_grad=True)
        fact("order bool tensor requires_grad=True", "accepted")
    except Exception as error:
        fact("order bool tensor requires_grad=True", fmt_error(error))


def section_wrap():
    """Integer wraparound of input - target and of its square, int32 and int64."""
    print("# wrap: d = input - target and d**2 in the integer dtype, then the loss with a float64 var of 1, eps 1e-6")
    cases = [
        (torch.int32, 2**31 - 1, -1),
        (torch.int32, -(2**31), 1),
        (torch.int32, 65536, 0),
        (torch.int32, 46341, 0),
        (torch.int32, 2**31 - 1, 0),
        (torch.int64, 2**53, -(2**53)),
        (torch.int64, 3_000_000_000, 0),
        (torch.int64, 3_037_000_500, 0),
        (torch.int64, 2**32 + 1, 0),
        (torch.int64, 2**53, 0),
        (torch.int64, 2**62, -(2**62)),
        (torch.int64, -(2**63), 1),
    ]
    for dtype, a, b in cases:
        x = make([a], dtype, (1,))
        t = make([b], dtype, (1,))
        d = x - t
        fact(f"wrap {NAMES[dtype]} {a}-({b})", f"d {fmt_tensor(d)} | d**2 {fmt_tensor(d ** 2)}")
        for vdtype in (torch.float64, torch.float32, torch.float16):
            v = make([1.0], vdtype, (1,), True)
            fact(f"wrap {NAMES[dtype]} {a}-({b}) var {NAMES[vdtype]}", run(x, t, v))


def section_convert():
    """Conversion of large integers to floating dtypes: .to(), and inside the loss's division."""
    print("# convert: .to(dtype), x * ones(dtype), x / ones(dtype); the exact value, then the result")
    values = [
        2**24 + 1,
        2**25 + 2**17 + 1,
        2**53 + 1,
        2**60 + 2**36 + 1,
        2**62 + 2**38 + 1,
        65519,
        65520,
        2**31 - 1,
    ]
    for dtype in (torch.int32, torch.int64):
        for value in values:
            if dtype == torch.int32 and value >= 2**31:
                continue
            x = make([value], dtype, (1,))
            for target in (torch.float16, torch.bfloat16, torch.float32, torch.float64):
                one = torch.ones(1, dtype=target)
                outcomes = [fmt_tensor(x.to(target)), fmt_tensor(x * one), fmt_tensor(x / one)]
                fact(f"convert {NAMES[dtype]} {value} -> {NAMES[target]} (to, mul, div)", " ; ".join(outcomes))


def rng_values(seed, count, scale=1.0, positive=False):
    """Deterministic values from Python's random (independent of the torch release)."""
    import random

    generator = random.Random(seed)
    values = [generator.uniform(-2.0, 2.0) * scale for _ in range(count)]
    return [abs(v) + 0.01 for v in values] if positive else values


def section_requires_grad():
    """Each non-empty subset of operands requiring grad against all three: bitwise identical gradients?"""
    print("# requires_grad: gradients per subset compared bitwise with the all-operands case")
    configs = []
    for dtype in FLOATS:
        configs.append((dtype, (4, 3), (4, 3), (4, 3)))
        configs.append((dtype, (4, 3), (1, 3), (4,)))
        configs.append((dtype, (4, 3), (), (4, 1)))
        configs.append((dtype, (2, 1), (2, 5), (2,)))
    subsets = [s for r in (1, 2, 3) for s in itertools.combinations(("input", "target", "var"), r)]
    for dtype, sx, st, sv in configs:
        for reduction in ("none", "mean", "sum"):
            nx, nt, nv = math.prod(sx), math.prod(st), math.prod(sv)
            base = {
                "input": rng_values(1, nx),
                "target": rng_values(2, nt),
                "var": rng_values(3, nv, 0.5, positive=True),
            }
            shapes = {"input": sx, "target": st, "var": sv}

            def grads_for(subset):
                ops = {n: make(base[n], dtype, shapes[n], n in subset) for n in ("input", "target", "var")}
                loss = F.gaussian_nll_loss(ops["input"], ops["target"], ops["var"], eps=1e-2, reduction=reduction)
                if not subset:
                    return loss, {}
                gout = make(rng_values(4, loss.numel()), dtype, tuple(loss.shape))
                got = torch.autograd.grad(loss, [ops[n] for n in subset], gout)
                return loss, dict(zip(subset, got))

            full_loss, full = grads_for(("input", "target", "var"))
            verdicts = []
            for subset in subsets:
                loss, got = grads_for(subset)
                same_loss = torch.equal(loss.detach().view(-1).double(), full_loss.detach().view(-1).double())
                diffs = [n for n in subset if not torch.equal(got[n].double(), full[n].double())]
                if diffs or not same_loss:
                    verdicts.append(f"{'+'.join(subset)}: differs in {','.join(diffs) or 'loss'}")
            none_loss, _ = grads_for(())
            if not torch.equal(none_loss.view(-1).double(), full_loss.detach().view(-1).double()):
                verdicts.append("none: loss differs")
            summary = "; ".join(verdicts) if verdicts else "all 7 subsets bitwise identical to all-three, loss too"
            label = f"requires_grad {NAMES[dtype]} input{list(sx)} target{list(st)} var{list(sv)} {reduction}"
            fact(label, summary)
    x = make([1.0, 2.0], torch.float32, (2,))
    t = make([0.0, 0.0], torch.float32, (2,))
    v = make([1.0, 1.0], torch.float32, (2,))
    loss = F.gaussian_nll_loss(x, t, v, reduction="sum")
    fact("requires_grad nothing, loss.requires_grad and grad_fn", f"{loss.requires_grad} {loss.grad_fn}")
    try:
        loss.backward()
        fact("requires_grad nothing, backward", "accepted")
    except Exception as error:
        fact("requires_grad nothing, backward", fmt_error(error))


def section_zero_sign():
    """The sign of zero of broadcast gradients that sum to exactly zero."""
    print("# zero_sign: gradients as float.hex; grad_output ones unless given")
    f32, f64 = torch.float32, torch.float64
    cases = []
    for dtype in (f32, f64, torch.float16, torch.bfloat16):

        def g(values, shape):
            return make(values, dtype, shape, True)

        name = NAMES[dtype]
        ones6, ones2 = [1.0] * 6, [1.0] * 2
        cases += [
            (
                f"{name} input [2,2,2] target 0-d 2 var [1,1,1]",
                g([2.0] * 3, (3,)), g(2.0, ()), g([1.0] * 3, (3,)), None,
            ),
            (f"{name} input 0-d 2 target [2,2,2] var 0-d 1", g(2.0, ()), g([2.0] * 3, (3,)), g(1.0, ()), None),
            (f"{name} input 0-d -0.0 target [0,0,0] var 0-d 1", g(-0.0, ()), g([0.0] * 3, (3,)), g(1.0, ()), None),
            (
                f"{name} input [-0,-0,-0] target 0-d 0 var [1,1,1]",
                g([-0.0] * 3, (3,)), g(0.0, ()), g([1.0] * 3, (3,)), None,
            ),
            (
                f"{name} input [0,0,0] target 0-d -0 var [1,1,1]",
                g([0.0] * 3, (3,)), g(-0.0, ()), g([1.0] * 3, (3,)), None,
            ),
            (
                f"{name} input (2,3) 1s target (2,1) 1s var (2,3) 1s",
                g(ones6, (2, 3)), g(ones2, (2, 1)), g(ones6, (2, 3)), None,
            ),
            (
                f"{name} input (2,1) 1s target (2,3) 1s var (2,1) 1s",
                g(ones2, (2, 1)), g(ones6, (2, 3)), g(ones2, (2, 1)), None,
            ),
            (
                f"{name} input (2,3) [1,-1,..] target 0 var (2,) 1s [d2=v]",
                g([1.0, -1.0] * 3, (2, 3)), g([0.0] * 6, (2, 3)), g(ones2, (2,)), None,
            ),
            (
                f"{name} input (2,3) 1s target 0-d 1 var (2,3) 1s grad_output -0.0",
                g(ones6, (2, 3)), g(1.0, ()), g(ones6, (2, 3)), -0.0,
            ),
            (
                f"{name} input (2,3) 1s target 0-d 1 var (2,1) 1s grad_output -0.0",
                g(ones6, (2, 3)), g(1.0, ()), g(ones2, (2, 1)), -0.0,
            ),
        ]
    for label, x, t, v, gout in cases:
        for reduction in ("none", "sum", "mean"):
            loss = F.gaussian_nll_loss(x, t, v, eps=1e-6, reduction=reduction)
            g = torch.full_like(loss, 1.0 if gout is None else gout)
            grads = torch.autograd.grad(loss, [x, t, v], g)
            text = " | ".join(f"grad_{n} {fmt_tensor(gr)}" for n, gr in zip(("input", "target", "var"), grads))
            fact(f"zero_sign {label} {reduction}", text)
    # the same with only target requiring grad, and only var
    x = make([2.0] * 3, f32, (3,))
    t = make(2.0, f32, (), True)
    v = make([1.0] * 3, f32, (3,))
    loss = F.gaussian_nll_loss(x, t, v, reduction="sum")
    only_target = fmt_tensor(torch.autograd.grad(loss, [t])[0])
    fact("zero_sign float32 input [2,2,2] target 0-d 2 (only target requires grad) sum", only_target)


def main():
    torch.set_num_threads(1)
    print(f"# torch {torch.__version__}, python {platform.python_version()}, {platform.machine()}")
    sections = {
        "eps": section_eps,
        "scalar_var": section_scalar_var,
        "grid": section_grid,
        "order": section_order,
        "wrap": section_wrap,
        "convert": section_convert,
        "requires_grad": section_requires_grad,
        "zero_sign": section_zero_sign,
    }
    chosen = sys.argv[1:] or list(sections)
    for name in chosen:
        sections[name]()


if __name__ == "__main__":
    main()
