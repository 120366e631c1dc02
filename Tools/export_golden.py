#!/usr/bin/env python3
"""Export golden vectors for torch.nn.functional.gaussian_nll_loss to HDF5.

The exporter builds a fixed plan of cases from a seed, runs every case through
the installed PyTorch, and writes inputs, outcomes, losses and gradients in the
format of CONFORMANCE.md section 5, "Golden file format" (schema version 3).

The plan depends only on the seed: all random values come from the SplitMix64
generator of Tools/candidates/gnll_common.py in integer arithmetic (Python ints,
or numpy uint64 arrays, which wrap modulo 2**64), and every value is rounded to
its dtype with integer or correctly rounded float32 operations, so the same seed
gives the same names, parameters and inputs under every torch and numpy version.
Each golden file therefore records what one PyTorch release does with the same
plan.  The file records the sha256 of this script and of gnll_common.py, the two
files that determine its plan.

Schema 2 keeps every case of schema 1 (same names, parameters and inputs) and adds
non-finite eps and scalar var, operands that do not require grad, and int32, int64
and bool operands (Tools/golden_plan_notes.md lists the categories).  Schema 3 keeps every case of
schema 2 and adds the higher_order category: Hessian-vector products (autograd.grad of the create_graph=True
gradients along tangents) and forward-mode directional derivatives (torch.func.jvp) of the loss.

Usage:
    export_golden.py --out FILE [--device cpu|cuda] [--seed N] [--profile-override P]
"""

import argparse
import datetime
import hashlib
import itertools
import math
import os
import platform
import re
import sys
from dataclasses import dataclass, field
from typing import Optional, Union

import h5py
import numpy as np
import torch
import torch.nn.functional as F

TOOLS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(TOOLS, "candidates"))
import gnll_common  # noqa: E402
from gnll_common import PROFILES, SplitMix64, profile_for  # noqa: E402

SCHEMA_VERSION = 3
GENERATOR_PATH = "Tools/export_golden.py"
GENERATOR_COMMON_PATH = "Tools/candidates/gnll_common.py"
DEFAULT_SEED = 20240917
DTYPES = ("float16", "bfloat16", "float32", "float64")
INTEGER_DTYPES = ("int32", "int64", "bool")  # schema 2: never require grad
REDUCTIONS = ("none", "mean", "sum")
TORCH_DTYPES = {
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float64": torch.float64,
    "int32": torch.int32,
    "int64": torch.int64,
    "bool": torch.bool,
}
DTYPE_NAMES = {value: key for key, value in TORCH_DTYPES.items()}
# The stored representation: bool is stored as uint8 0/1 (h5py would write numpy bool as an HDF5 enum).
NUMPY_DTYPES = {"float16": np.float16, "float32": np.float32, "float64": np.float64,
                "int32": np.int32, "int64": np.int64, "bool": np.uint8}
# The integer ranges of the integer dtypes; an int64 value must also be exact as a float64 (|v| <= 2**53), which
# is how a reader holds it.
INTEGER_RANGES = {"int32": (-2**31, 2**31 - 1), "int64": (-2**53, 2**53), "bool": (0, 1)}
COMPRESS_MIN_ELEMENTS = 1024
HDF5_LIBVER = ("v108", "v110")  # compact 1.8 object headers, readable by Debian's libhdf5 1.10
NAME_PATTERN = re.compile(r"^[a-z0-9_.-]+$")
BROADCAST_PATTERN = re.compile(
    r"The size of tensor a \(\d+\) must match the size of tensor b \(\d+\) "
    r"at non-singleton dimension \d+"
)
# An integer or bool var: clamp_ cannot write its floating result into var's dtype.
CAST_PATTERN = re.compile(r"result type \w+ can't be cast to the desired output type [\w ]+")
# A bool operand of input - target.
BOOL_SUBTRACTION_PREFIX = "Subtraction, the `-` operator, with "
NAN = float("nan")
INF = float("inf")


# ---------------------------------------------------------------------------
# Deterministic random numbers


class Rng(SplitMix64):
    """The plan's random values: gnll_common's SplitMix64 with the plan's conversions to ints, floats and choices."""

    def unit(self, count: int) -> np.ndarray:
        """Return `count` float64 values uniform on [0, 1), 53 random bits each."""
        return (self.bulk(count) >> np.uint64(11)).astype(np.float64) * 2.0**-53

    def uniform(self, shape: tuple, low: float, high: float) -> np.ndarray:
        """Return float64 values uniform on [low, high) with the given shape."""
        return (low + (high - low) * self.unit(math.prod(shape))).reshape(shape)

    def grid(self, shape: tuple, low: float, high: float, step: float) -> np.ndarray:
        """Return values low + k*step (k uniform, value <= high): few distinct values."""
        steps = int(round((high - low) / step)) + 1
        k = (self.bulk(math.prod(shape)) % np.uint64(steps)).astype(np.float64)
        return (low + k * step).reshape(shape)

    def below(self, bound: int) -> int:
        """Return an int in [0, bound)."""
        return self.next() % bound

    def randint(self, low: int, high: int) -> int:
        """Return an int in [low, high] inclusive."""
        return low + self.below(high - low + 1)

    def choice(self, items):
        """Return one element of the sequence `items`."""
        return items[self.below(len(items))]

    def chance(self, probability: float) -> bool:
        """Return True with the given probability."""
        return (self.next() >> 11) * 2.0**-53 < probability


def derive_seed(seed: int, *parts) -> int:
    """Derive a 64-bit seed from the plan seed and labels (stable per case name)."""
    text = ":".join([str(seed)] + [str(part) for part in parts])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


# ---------------------------------------------------------------------------
# Values and dtypes


def float32_to_bfloat16_bits(values: np.ndarray) -> np.ndarray:
    """Round float32 values to bfloat16 (round to nearest even); return uint16 bits."""
    values = np.asarray(values, dtype=np.float32)
    bits = values.view(np.uint32).astype(np.uint64)
    lsb = (bits >> np.uint64(16)) & np.uint64(1)
    rounded = (bits + np.uint64(0x7FFF) + lsb) >> np.uint64(16)
    quiet_nan = (bits >> np.uint64(16)) | np.uint64(0x40)
    return np.where(np.isnan(values), quiet_nan, rounded).astype(np.uint16)


def bfloat16_bits_to_float64(bits: np.ndarray) -> np.ndarray:
    """Widen bfloat16 bits (uint16) to float64 values exactly."""
    wide = np.asarray(bits, dtype=np.uint16).astype(np.uint32) << np.uint32(16)
    return wide.view(np.float32).astype(np.float64)


def quantize(values, dtype: str) -> np.ndarray:
    """Round float64 values to the nearest value of `dtype`; return them as float64.

    float16 and bfloat16 go through float32 first, which is correctly rounded
    everywhere, so the result does not depend on numpy's cast implementation.
    """
    values = np.array(values, dtype=np.float64)
    if dtype in INTEGER_DTYPES:
        low, high = INTEGER_RANGES[dtype]
        if not np.all((values == np.round(values)) & (values >= low) & (values <= high)):
            raise ValueError(f"{dtype} values must be integers in [{low}, {high}]")
        return values
    if dtype == "float64":
        return values
    with np.errstate(all="ignore"):
        single = values.astype(np.float32)
        if dtype == "float32":
            return single.astype(np.float64)
        if dtype == "float16":
            return single.astype(np.float16).astype(np.float64)
        return bfloat16_bits_to_float64(float32_to_bfloat16_bits(single))


def encode(values: np.ndarray, dtype: str) -> np.ndarray:
    """Return the stored representation of exactly representable values."""
    if dtype == "bfloat16":
        return float32_to_bfloat16_bits(values.astype(np.float32))
    if dtype == "int64":
        return np.array([int(value) for value in values.reshape(-1)], dtype=np.int64).reshape(values.shape)
    return values.astype(NUMPY_DTYPES[dtype])


def finfo(dtype: str) -> dict:
    """Return max finite, smallest normal and smallest subnormal values of `dtype`."""
    if dtype == "bfloat16":
        return {"max": float(bfloat16_bits_to_float64(np.uint16(0x7F7F))),
                "tiny": 2.0**-126, "sub": 2.0**-133}
    info = np.finfo(NUMPY_DTYPES[dtype])
    return {"max": float(info.max), "tiny": float(info.tiny),
            "sub": float(info.smallest_subnormal)}


def neighbours(value: float, dtype: str) -> list:
    """Return the dtype value nearest `value` and its non-negative finite neighbours."""
    nearest = float(quantize(value, dtype))
    if not math.isfinite(nearest):
        return []
    if dtype == "bfloat16":
        bits = int(float32_to_bfloat16_bits(np.float32(nearest)))
        candidates = [bits + 1] + ([bits - 1] if bits > 0 else [])
        others = [float(bfloat16_bits_to_float64(np.uint16(b))) for b in candidates]
    else:
        typed = NUMPY_DTYPES[dtype](nearest)
        others = [float(np.nextafter(typed, NUMPY_DTYPES[dtype](INF))),
                  float(np.nextafter(typed, NUMPY_DTYPES[dtype](-INF)))]
    return [v for v in [nearest] + others if v >= 0 and math.isfinite(v)]


@dataclass(frozen=True)
class Spec:
    """A planned tensor: dtype name and float64 values exactly representable in it."""

    dtype: str
    values: np.ndarray

    @property
    def shape(self) -> tuple:
        """The tensor's shape."""
        return tuple(self.values.shape)

    @property
    def is_floating(self) -> bool:
        """Whether the dtype is a floating one (only those can require grad)."""
        return self.dtype in DTYPES


def spec(values, dtype: str) -> Spec:
    """Make a Spec, rounding the values to `dtype`."""
    return Spec(dtype, quantize(values, dtype))


# ---------------------------------------------------------------------------
# The plan


@dataclass(frozen=True)
class Case:
    """One planned call of gaussian_nll_loss."""

    name: str
    category: str
    description: str
    input: Spec
    target: Spec
    var: Union[Spec, float]
    full: bool = False
    eps: float = 1e-6
    reduction: str = "mean"
    grad: bool = True
    grad_output: str = "random"  # one, random or grid (few distinct values)
    grad_output_seed: int = 0
    # Which operands the call asks to require grad (input, target, var); see `requires_grad`.
    wants_grad: tuple = (True, True, True)
    # Schema 3: whether the Hessian-vector product and the forward-mode derivative are recorded, and how the
    # tangents are drawn from their own stream (grid: multiples of 1/8 in [-2, 2], exact in every dtype;
    # random: uniform on [-2, 2) rounded to the operand's dtype).
    hvp: bool = False
    jvp: bool = False
    tangent: str = "random"
    tangent_seed: int = 0

    @property
    def requires_grad(self) -> tuple:
        """(input, target, var): whether each operand requires grad in the call.

        Only when gradients are requested, and only a floating tensor: a Python float var and an integer or
        bool tensor never require grad (PyTorch lets only floating tensors require grad).
        """
        operands = (self.input, self.target, self.var)
        return tuple(bool(self.grad and wanted and isinstance(operand, Spec) and operand.is_floating)
                     for operand, wanted in zip(operands, self.wants_grad))


class Plan:
    """Collects cases; hands each case a random stream derived from its name."""

    def __init__(self, seed: int):
        """Start an empty plan for `seed`."""
        self.seed = seed
        self.cases = []
        self._names = set()

    def rng(self, name: str) -> Rng:
        """Return the value stream of the case called `name`."""
        return Rng(derive_seed(self.seed, name))

    def add(self, name: str, category: str, description: str, **kwargs) -> None:
        """Append a case after checking that its name is valid and unique."""
        if not NAME_PATTERN.match(name) or name in self._names:
            raise ValueError(f"bad or duplicate case name: {name!r}")
        self._names.add(name)
        case = Case(name, category, description, grad_output_seed=derive_seed(self.seed, name, "grad_output"),
                    tangent_seed=derive_seed(self.seed, name, "tangent"), **kwargs)
        if case.grad and not any(case.requires_grad):
            raise ValueError(f"case {name}: gradients requested, but no operand can require grad")
        if (case.hvp or case.jvp) and not case.grad:
            raise ValueError(f"case {name}: hvp or jvp requested without gradients")
        self.cases.append(case)


def tag(shape: tuple) -> str:
    """Return a name fragment for a shape: 3x4, or scalar for 0-d."""
    return "x".join(str(d) for d in shape) if shape else "scalar"


def normal_values(rng: Rng, shape: tuple, dtype: str, low=-3.0, high=3.0) -> Spec:
    """Input or target values uniform on [low, high)."""
    return spec(rng.uniform(shape, low, high), dtype)


def var_values(rng: Rng, shape: tuple, dtype: str, low=0.05, high=3.0) -> Spec:
    """Positive variances uniform on [low, high)."""
    return spec(rng.uniform(shape, low, high), dtype)


def pick_reduction(index: int) -> str:
    """Rotate through the valid reductions."""
    return REDUCTIONS[index % 3]


def grad_output_mode(reduction: str, index: int) -> str:
    """Random grad_output for 'none'; alternate 1.0 and random for mean/sum."""
    if reduction == "none":
        return "random"
    return "one" if index % 2 == 0 else "random"


BASIC_SHAPES = [(), (7,), (3, 4), (2, 3, 4), (2, 3, 1, 2), (1, 2, 2, 3, 2)]
ZERO_SHAPES = [(0,), (3, 0), (2, 0, 3), (2, 1, 0, 1, 3)]


def add_dtypes(plan: Plan) -> None:
    """Every dtype, ranks 0 to 5, every reduction, full on and off, same-shape var."""
    for dtype, shape, reduction, full in itertools.product(DTYPES, BASIC_SHAPES, REDUCTIONS, (0, 1)):
        name = f"dtypes.{dtype}.{tag(shape)}.{reduction}.full{full}"
        r = plan.rng(name)
        plan.add(name, "dtypes",
                 f"{dtype} rank-{len(shape)} input {shape} with same-shape var, reduction {reduction}, full={full}.",
                 input=normal_values(r, shape, dtype), target=normal_values(r, shape, dtype),
                 var=var_values(r, shape, dtype), full=bool(full), reduction=reduction,
                 grad_output=grad_output_mode(reduction, full))


def add_zero_size(plan: Plan) -> None:
    """Zero-size dimensions with same-shape and homoscedastic var."""
    for dtype, shape, form, reduction in itertools.product(DTYPES, ZERO_SHAPES, ("same", "homo"), REDUCTIONS):
        name = f"zero_size.{dtype}.{tag(shape)}.{form}.{reduction}"
        var_shape = shape if form == "same" else shape[:-1]
        r = plan.rng(name)
        plan.add(name, "zero_size",
                 f"{dtype} input {shape} with a zero-size dimension, var {var_shape}, reduction {reduction}.",
                 input=normal_values(r, shape, dtype), target=normal_values(r, shape, dtype),
                 var=var_values(r, var_shape, dtype), reduction=reduction, full=form == "homo",
                 grad_output=grad_output_mode(reduction, len(shape)))


def add_mixed_dtypes(plan: Plan) -> None:
    """Input, target and var of different dtypes (type promotion)."""
    for di, dt, dv in itertools.product(DTYPES, repeat=3):
        if di == dt == dv:
            continue
        for variant, var_shape, reduction, full in (("same", (3, 5), "none", False), ("homo", (3,), "sum", True)):
            name = f"mixed_dtypes.{di}.{dt}.{dv}.{variant}"
            r = plan.rng(name)
            plan.add(name, "mixed_dtypes",
                     f"{di} input, {dt} target, {dv} var {var_shape}, reduction {reduction}.",
                     input=normal_values(r, (3, 5), di), target=normal_values(r, (3, 5), dt),
                     var=var_values(r, var_shape, dv), reduction=reduction, full=full)
    for di, dt in itertools.product(DTYPES, repeat=2):
        if di == dt:
            continue
        name = f"mixed_dtypes.{di}.{dt}.float_var"
        r = plan.rng(name)
        plan.add(name, "mixed_dtypes", f"{di} input, {dt} target, Python float var 0.75, reduction mean.",
                 input=normal_values(r, (3, 5), di), target=normal_values(r, (3, 5), dt),
                 var=0.75, reduction="mean")


VAR_FORMS = [
    # (key, input shape, target shape, var shape, description)
    ("same_3x4", (3, 4), (3, 4), (3, 4), "var with the input's shape (heteroscedastic)"),
    ("same_scalar", (), (), (), "0-d input, target and var"),
    ("homo_3x4_v3", (3, 4), (3, 4), (3,), "var of shape input.shape[:-1] (homoscedastic, unsqueezed)"),
    ("homo_2x3x4_v2x3", (2, 3, 4), (2, 3, 4), (2, 3), "var of shape input.shape[:-1]"),
    ("homo_4x2x3x3_v4x2x3", (4, 2, 3, 3), (4, 2, 3, 3), (4, 2, 3), "var of shape input.shape[:-1]"),
    ("homo_5_v0d", (5,), (5,), (), "0-d var for a 1-D input (input.shape[:-1] == ())"),
    ("trail1_3x4_v3x1", (3, 4), (3, 4), (3, 1), "var of shape input.shape[:-1] + (1,)"),
    ("trail1_2x3x4_v2x3x1", (2, 3, 4), (2, 3, 4), (2, 3, 1), "var of shape input.shape[:-1] + (1,)"),
    ("trail1_5_v1", (5,), (5,), (1,), "var (1,) for a 1-D input"),
    ("trail1_4x2x3x3_v4x2x3x1", (4, 2, 3, 3), (4, 2, 3, 3), (4, 2, 3, 1), "var of shape input.shape[:-1] + (1,)"),
    ("samerank_3x4_v1x4", (3, 4), (3, 4), (1, 4), "same-rank var with a size-1 first dimension (accepted from 2.10)"),
    ("samerank_4x2x3x3_v4x1x3x3", (4, 2, 3, 3), (4, 2, 3, 3), (4, 1, 3, 3),
     "same-rank var with one inner size-1 dimension (accepted from 2.10)"),
    ("samerank_4x3x2x2_v4x3x1x1", (4, 3, 2, 2), (4, 3, 2, 2), (4, 3, 1, 1),
     "same-rank var with two size-1 dimensions (rejected by 2.10's rule)"),
    ("samerank_2x3x4_v2x0x1", (2, 3, 4), (2, 3, 4), (2, 0, 1),
     "var (2,0,1) passes 2.10's size check (mismatched sizes sum to 1) then fails to broadcast"),
    ("samerank_2x3x4_v1x3x4", (2, 3, 4), (2, 3, 4), (1, 3, 4), "same-rank var with a size-1 first dimension"),
    ("samerank_2x3x4_v2x1x4", (2, 3, 4), (2, 3, 4), (2, 1, 4), "same-rank var with a size-1 middle dimension"),
    ("samerank_1x4_v1x1", (1, 4), (1, 4), (1, 1), "var (1,1) for input (1,4)"),
    ("samerank_3x4_v1x1", (3, 4), (3, 4), (1, 1), "var (1,1) for input (3,4)"),
    ("samerank_3x1_v1x1", (3, 1), (3, 1), (1, 1), "var (1,1) for input (3,1)"),
    ("samerank_2x0_v1x0", (2, 0), (2, 0), (1, 0), "var (1,0) for zero-size input (2,0)"),
    ("samerank_3x0_v3x1", (3, 0), (3, 0), (3, 1), "var (3,1) for zero-size input (3,0)"),
    ("samerank_2x3x4_v2x3x5", (2, 3, 4), (2, 3, 4), (2, 3, 5), "same-rank var with a wrong last dimension"),
    ("samerank_2x3x4_v2x3x0", (2, 3, 4), (2, 3, 4), (2, 3, 0), "same-rank var with a zero last dimension"),
    ("samerank_2x3x4_v2x1x1", (2, 3, 4), (2, 3, 4), (2, 1, 1), "same-rank var with two size-1 dimensions"),
    ("bigger_3x1_v3x4", (3, 1), (3, 4), (3, 4), "var larger than the input (target broadcast to it)"),
    ("scalar_input_v1", (), (), (1,), "0-d input with var (1,)"),
    ("scalar_input_v1x1", (), (), (1, 1), "0-d input with var (1,1)"),
    ("scalar_input_v3", (), (), (3,), "0-d input with var (3,)"),
    ("v0d_3x4", (3, 4), (3, 4), (), "0-d var for a 2-D input"),
    ("v0d_1x4", (1, 4), (1, 4), (), "0-d var for input (1,4)"),
    ("square_3x3_v3", (3, 3), (3, 3), (3,), "square-input trap: var (3,) for input (3,3) applies per row"),
    ("square_4x4_v4", (4, 4), (4, 4), (4,), "square-input trap: var (4,) for input (4,4) applies per row"),
    ("square_2x2x2_v2x2", (2, 2, 2), (2, 2, 2), (2, 2), "square-input trap: var (2,2) for input (2,2,2)"),
    ("wrong_3x4_v4", (3, 4), (3, 4), (4,), "var (4,) matching the last input dimension (rejected)"),
    ("wrong_3x4_v3x4x1", (3, 4), (3, 4), (3, 4, 1), "var of higher rank than the input"),
    ("wrong_3x4_v12", (3, 4), (3, 4), (12,), "var with the input's element count but a flat shape"),
    ("wrong_3x4_v4x3", (3, 4), (3, 4), (4, 3), "var with transposed shape"),
    ("wrong_2x3x4_v3x4", (2, 3, 4), (2, 3, 4), (3, 4), "var matching the trailing input dimensions"),
    ("wrong_2x3x4_v2", (2, 3, 4), (2, 3, 4), (2,), "var two dimensions short"),
    ("wrong_5_v5x1", (5,), (5,), (5, 1), "var (5,1) for a 1-D input"),
    ("wrong_5_v2", (5,), (5,), (2,), "var (2,) for input (5,)"),
    ("wrong_3x4_v1x3x4", (3, 4), (3, 4), (1, 3, 4), "var with a leading size-1 dimension"),
    ("wrong_3x4_v2x4", (3, 4), (3, 4), (2, 4), "same-rank var with a wrong first dimension"),
    ("wrong_3x4_v3x2", (3, 4), (3, 4), (3, 2), "same-rank var with a wrong last dimension"),
    ("zero_3x0_v3", (3, 0), (3, 0), (3,), "homoscedastic var for zero-size input (3,0)"),
    ("zero_0x4_v0", (0, 4), (0, 4), (0,), "homoscedastic var (0,) for zero-size input (0,4)"),
]


def add_var_forms(plan: Plan) -> None:
    """Every accepted and rejected shape of a tensor var, in every dtype."""
    for form_index, (key, in_shape, tgt_shape, var_shape, text) in enumerate(VAR_FORMS):
        for dtype_index, dtype in enumerate(DTYPES):
            name = f"var_forms.{key}.{dtype}"
            reduction = pick_reduction(form_index + dtype_index)
            r = plan.rng(name)
            plan.add(name, "var_forms",
                     f"{text}: {dtype} input {in_shape}, target {tgt_shape}, var {var_shape}, reduction {reduction}.",
                     input=normal_values(r, in_shape, dtype), target=normal_values(r, tgt_shape, dtype),
                     var=var_values(r, var_shape, dtype, 0.1, 3.0), reduction=reduction,
                     full=bool(dtype_index % 2), grad_output=grad_output_mode(reduction, dtype_index))


FLOAT_VARS = [
    ("pos", 0.5), ("one", 1.0), ("third", 1.0 / 3.0), ("zero", 0.0), ("negzero", -0.0),
    ("neg", -1.0), ("nan", NAN), ("inf", INF), ("neginf", -INF), ("below_eps", 1e-7),
    ("eps", 1e-6), ("subnormal", 5e-324), ("huge", 1e300),
]


def add_float_var(plan: Plan) -> None:
    """var given as a Python float (positive, zeros, negative, nan, inf, ...)."""
    for index, ((key, value), dtype) in enumerate(itertools.product(FLOAT_VARS, DTYPES)):
        name = f"float_var.{key}.{dtype}.3x4"
        r = plan.rng(name)
        reduction = pick_reduction(index)
        plan.add(name, "float_var",
                 f"{dtype} input (3,4) with Python float var {value!r}, reduction {reduction}.",
                 input=normal_values(r, (3, 4), dtype), target=normal_values(r, (3, 4), dtype),
                 var=value, reduction=reduction, full=key in ("one", "nan"),
                 grad_output=grad_output_mode(reduction, index // 3))
    for (in_shape, tgt_shape), dtype in itertools.product((((), ()), ((0, 3), (0, 3)), ((2, 1, 3), (2, 4, 3))), DTYPES):
        name = f"float_var.pos.{dtype}.{tag(in_shape)}.t{tag(tgt_shape)}"
        r = plan.rng(name)
        plan.add(name, "float_var",
                 f"{dtype} input {in_shape}, target {tgt_shape}, Python float var 0.5, reduction none.",
                 input=normal_values(r, in_shape, dtype), target=normal_values(r, tgt_shape, dtype),
                 var=0.5, reduction="none")


BROADCAST_PAIRS = [
    ((2, 1), (2, 5)), ((3, 4), (4,)), ((3, 4), (1,)), ((3, 4), ()), ((3, 4), (3, 1)),
    ((3, 4), (2, 3, 4)), ((5,), (3, 5)), ((1,), (4,)), ((), (3,)), ((2, 1, 3), (2, 4, 3)),
    ((1, 4), (3, 1)), ((0, 4), (1, 4)), ((2, 1), (2, 0)),
    ((3, 4), (5,)), ((3, 4), (3,)), ((2, 3), (3, 2)), ((3, 4), (0, 4)),
]


def add_target_broadcast(plan: Plan) -> None:
    """Targets that broadcast against the input, including to a larger output, and ones that cannot."""
    index = 0
    others = ("float16", "bfloat16", "float64")
    for pair_index, (in_shape, tgt_shape) in enumerate(BROADCAST_PAIRS):
        forms = [("same", in_shape), ("float", 0.7)]
        if in_shape:
            forms += [("homo", in_shape[:-1]), ("trail1", in_shape[:-1] + (1,))]
        for (form, var_shape), dtype in itertools.product(forms, ("float32", others[pair_index % 3])):
            index += 1
            name = f"target_broadcast.{tag(in_shape)}.t{tag(tgt_shape)}.{form}.{dtype}"
            r = plan.rng(name)
            reduction = pick_reduction(index)
            var = var_shape if form == "float" else var_values(r, var_shape, dtype)
            plan.add(name, "target_broadcast",
                     f"{dtype} input {in_shape}, target {tgt_shape}, var {form} {var_shape}, reduction {reduction}.",
                     input=normal_values(r, in_shape, dtype), target=normal_values(r, tgt_shape, dtype),
                     var=var, reduction=reduction, full=bool(index % 2),
                     grad_output=grad_output_mode(reduction, index))


def exact_scaled(rng: Rng, low_exp: int, high_exp: int) -> float:
    """A random positive float m * 2**e with a 10-bit mantissa (exact, libm-free)."""
    return (512 + rng.below(512)) / 512.0 * 2.0 ** rng.randint(low_exp, high_exp)


def eps_values(seed: int) -> list:
    """The eps values of the eps category: fixed ones plus three random ones.

    eps must fit the var dtype: clamp_ with 1e5 on a float16 var raises RuntimeError
    "value cannot be converted to type c10::Half without overflow", which no error
    kind describes, so the largest planned eps is 1e4 (infinities are accepted).
    """
    rng = Rng(derive_seed(seed, "eps-values"))
    return [("default", 1e-6), ("zero", 0.0), ("negzero", -0.0), ("neg_milli", -1e-3), ("neg_one", -1.0),
            ("tiny", 1e-12), ("below_f16", 1e-8), ("milli", 1e-3), ("one", 1.0), ("big", 1e4),
            ("rand0", exact_scaled(rng, -30, -1)), ("rand1", exact_scaled(rng, -30, -1)),
            ("rand2", exact_scaled(rng, -12, 2)), ("nan", NAN), ("inf", INF), ("neginf", -INF)]


def eps_probe_vars(eps: float, dtype: str) -> list:
    """var entries around eps: zeros, eps and its neighbours, halves, doubles, ordinary values."""
    info = finfo(dtype)
    probe = abs(eps) if math.isfinite(eps) and eps != 0 else 1e-6
    values = [0.0, -0.0, info["sub"], info["tiny"], 1e-3, 0.5, 1.0, 3.0]
    values += neighbours(probe, dtype) + neighbours(probe / 2, dtype) + neighbours(probe * 2, dtype)
    return values


def add_eps(plan: Plan) -> None:
    """eps values (default, 0, negative, tiny, large, random, nan, inf) against var around eps."""
    for (key, eps), dtype, reduction in itertools.product(eps_values(plan.seed), DTYPES, ("none", "mean")):
        name = f"eps.{key}.{dtype}.{reduction}"
        r = plan.rng(name)
        var = spec(eps_probe_vars(eps, dtype), dtype)
        plan.add(name, "eps",
                 f"{dtype} var at, above and below eps={eps!r}, zeros and subnormals, reduction {reduction}.",
                 input=normal_values(r, var.shape, dtype, -2, 2), target=normal_values(r, var.shape, dtype, -2, 2),
                 var=var, eps=eps, reduction=reduction, full=reduction == "mean",
                 grad_output=grad_output_mode(reduction, len(key)))
    for (key, eps), (di, dv) in itertools.product(eps_values(plan.seed)[:10],
                                                    (("float32", "float16"), ("float16", "float32"),
                                                     ("bfloat16", "float64"))):
        name = f"eps.{key}.{di}_input.{dv}_var"
        r = plan.rng(name)
        var = spec(eps_probe_vars(eps, dv), dv)
        plan.add(name, "eps", f"{di} input with {dv} var around eps={eps!r} (clamp in the var dtype), reduction none.",
                 input=normal_values(r, var.shape, di, -2, 2), target=normal_values(r, var.shape, di, -2, 2),
                 var=var, eps=eps, reduction="none")


def special_scenarios(dtype: str) -> list:
    """(key, input, target, var, eps, text) tuples with NaN, inf, subnormal and extreme values."""
    info = finfo(dtype)
    big, sub, tiny = info["max"], info["sub"], info["tiny"]
    overflow_d = {"float16": 300.0, "bfloat16": 2e19, "float32": 2e19, "float64": 2e154}[dtype]
    return [
        ("nan_input", [NAN, 1.0, -NAN, 0.5], [0.0, NAN, 1.0, 0.5], [1.0, 1.0, 2.0, 0.5], 1e-6, "NaN in input and target"),
        ("nan_var", [1.0, 0.0, 2.0], [0.0, 0.0, 2.0], [NAN, NAN, 1.0], 1e-6, "NaN in var (not negative, so accepted)"),
        ("inf_input", [INF, -INF, 1.0, INF], [0.0, 0.0, INF, -INF], [1.0, 2.0, 1.0, 1.0], 1e-6, "infinite input and target"),
        ("inf_minus_inf", [INF, -INF], [INF, -INF], [1.0, 1.0], 1e-6, "inf - inf gives NaN"),
        ("inf_var", [1.0, INF, 0.0], [0.0, 0.0, 0.0], [INF, INF, INF], 1e-6, "infinite var"),
        ("zero_var", [0.0, 1.0, -1.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, -0.0, 0.0, -0.0], 1e-6, "var 0 and -0.0 clamped to eps"),
        ("zero_var_eps0", [0.0, 1.0, -1.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, -0.0, 0.0, -0.0], 0.0, "var 0 and -0.0 with eps 0"),
        ("subnormal", [sub, -sub, tiny, 2 * sub], [0.0, sub, 0.0, -sub], [1.0, sub, tiny, 1.0], 1e-6, "subnormal values"),
        ("subnormal_eps0", [sub, -sub, tiny, 1.0], [0.0, sub, 0.0, 0.0], [sub, sub, tiny, sub], 0.0, "subnormal var with eps 0"),
        ("max_finite", [big, big, -big, big], [-big, big, 0.0, 0.0], [1.0, 1.0, big, big], 1e-6, "largest finite values"),
        ("d2_overflow", [overflow_d, -overflow_d, overflow_d, 0.0], [0.0, 0.0, -overflow_d, overflow_d],
         [1.0, big, big, 2.0], 1e-6, "finite difference whose square overflows"),
        ("d2_over_var_overflow", [1.0, 4.0, -2.0], [0.0, 0.0, 0.0], [sub, tiny, sub], 0.0, "d^2 / var overflows"),
        ("negzero_diff", [-0.0, 0.0, -0.0], [0.0, -0.0, -0.0], [1.0, 0.5, 2.0], 1e-6, "signed zeros in input and target"),
    ]


def add_special_values(plan: Plan) -> None:
    """NaN, +-inf, subnormals, largest finite values and overflow of d^2."""
    for dtype in DTYPES:
        for key, inp, tgt, var, eps, text in special_scenarios(dtype):
            for reduction in ("none", "sum", "mean"):
                name = f"special_values.{key}.{dtype}.{reduction}"
                plan.add(name, "special_values", f"{text}, {dtype}, eps={eps!r}, reduction {reduction}.",
                         input=spec(inp, dtype), target=spec(tgt, dtype), var=spec(var, dtype), eps=eps,
                         reduction=reduction, grad_output=grad_output_mode(reduction, len(key)))


INVALID_REDUCTIONS = ["avg", "", "None", "MEAN", "elementwise_mean", "batchmean", " mean", "sum "]


def add_reductions(plan: Plan) -> None:
    """Invalid reduction strings with otherwise valid arguments."""
    for index, (reduction, dtype) in enumerate(itertools.product(INVALID_REDUCTIONS, ("float32", "bfloat16"))):
        label = re.sub(r"[^a-z0-9_]", "_", reduction.lower()) or "empty"
        name = f"reductions.{index:02d}-{label}.{dtype}"
        r = plan.rng(name)
        plan.add(name, "reductions", f"invalid reduction {reduction!r} with {dtype} tensors.",
                 input=normal_values(r, (3, 4), dtype), target=normal_values(r, (3, 4), dtype),
                 var=var_values(r, (3, 4), dtype), reduction=reduction)


ERROR_COMBOS = ["N", "S", "R", "B", "NS", "NR", "SR", "NSR", "BR", "NB", "SB", "NSB", "NBR", "SBR", "NSBR"]
ERROR_TEXT = {"N": "negative var", "S": "wrongly sized var", "R": "invalid reduction",
              "B": "target that cannot broadcast", "F": "Python float var",
              "V": "var (2,0,1) that passes 2.10's size check but cannot broadcast"}


def error_case(plan: Plan, name: str, combo: str, dtype: str, layout: str, negative: float = -0.5) -> None:
    """Add one case that breaks the rules named by the letters of `combo`."""
    r = plan.rng(name)
    in_shape, bad_target, wrong_var = {"2d": ((3, 4), (5,), (4,)), "3d": ((2, 3, 4), (2, 5, 4), (3, 4))}[layout]
    target_shape = bad_target if "B" in combo else in_shape
    if "V" in combo:
        in_shape, target_shape = (2, 3, 4), ((2, 5, 4) if "B" in combo else (2, 3, 4))
        var = var_values(r, (2, 0, 1), dtype)
    elif "F" in combo:
        var = negative if "N" in combo else 0.5
    else:
        values = var_values(r, wrong_var if "S" in combo else in_shape, dtype).values
        if "N" in combo:
            values.flat[r.below(values.size)] = negative
        var = spec(values, dtype)
    reduction = "bad" if "R" in combo else "mean"
    text = ", ".join(ERROR_TEXT[letter] for letter in combo)
    plan.add(name, "errors", f"{text}: {dtype} input {in_shape}, target {target_shape}, reduction {reduction!r}.",
             input=normal_values(r, in_shape, dtype), target=normal_values(r, target_shape, dtype),
             var=var, reduction=reduction)


def add_errors(plan: Plan) -> None:
    """Every error alone and combined, to record each release's error precedence."""
    for combo, dtype in itertools.product(ERROR_COMBOS, DTYPES):
        error_case(plan, f"errors.{combo.lower()}.{dtype}.2d", combo, dtype, "2d")
        if dtype in ("bfloat16", "float32"):
            error_case(plan, f"errors.{combo.lower()}.{dtype}.3d", combo, dtype, "3d")
    for combo, dtype in itertools.product(["F", "FN", "FR", "FB", "FNR", "FBR", "FNB", "FNBR", "V", "VR", "VB", "VBR"], DTYPES):
        error_case(plan, f"errors.{combo.lower()}.{dtype}", combo, dtype, "2d", negative=-1.0)
    for dtype in DTYPES:
        for key, negative in (("neginf", -INF), ("negsub", -finfo(dtype)["sub"]), ("neg_big", -finfo(dtype)["max"])):
            error_case(plan, f"errors.n_{key}.{dtype}", "N", dtype, "2d", negative=negative)
            error_case(plan, f"errors.ns_{key}.{dtype}", "NS", dtype, "2d", negative=negative)
        error_case(plan, f"errors.fn_neginf.{dtype}", "FN", dtype, "2d", negative=-INF)
        error_case(plan, f"errors.fn_negsub.{dtype}", "FN", dtype, "2d", negative=-5e-324)
        name = f"errors.n_with_nan.{dtype}"
        r = plan.rng(name)
        plan.add(name, "errors", f"negative var entry next to NaN entries, {dtype}.",
                 input=normal_values(r, (4,), dtype), target=normal_values(r, (4,), dtype),
                 var=spec([NAN, -1.0, NAN, 1.0], dtype))


def add_grad_output(plan: Plan) -> None:
    """0-d grad_output of 1.0 or a random value for mean and sum."""
    for dtype, reduction, mode, shape in itertools.product(DTYPES, ("mean", "sum"), ("one", "random"), ((4, 5), (0, 3))):
        name = f"grad_output.{dtype}.{reduction}.{mode}.{tag(shape)}"
        r = plan.rng(name)
        plan.add(name, "grad_output", f"{dtype} input {shape}, reduction {reduction}, grad_output {mode}.",
                 input=normal_values(r, shape, dtype), target=normal_values(r, shape, dtype),
                 var=var_values(r, shape, dtype), reduction=reduction, grad_output=mode)


LARGE_LAYOUTS = [
    # (key, input shape, target shape, var shape or float)
    ("l1", (1000, 100), (100,), (1000,)),
    ("l2", (400, 256), (1,), 0.8),
    ("l3", (50, 40, 50), (50,), (50, 40)),
    ("l4", (100003,), (), ()),
    ("l5", (2, 3, 17, 1000), (1000,), (2, 3, 17, 1)),
]


def large_case(plan: Plan, name: str, dtype: str, layout: tuple, reduction: str, full: bool,
               grad: bool, grad_output: str) -> None:
    """Add one case with at least 100,000 elements, values on a coarse grid."""
    key, in_shape, tgt_shape, var_shape = layout
    r = plan.rng(name)
    if isinstance(var_shape, tuple):
        var = spec(r.grid(var_shape, 1.0 / 16.0, 4.0, 1.0 / 64.0), dtype)
    else:
        var = var_shape
    plan.add(name, "large",
             f"{dtype} input {in_shape} (>= 100,000 elements), target {tgt_shape}, var {var_shape}, reduction {reduction}.",
             input=spec(r.grid(in_shape, -4.0, 4.0, 1.0 / 8.0), dtype),
             target=spec(r.grid(tgt_shape, -2.0, 2.0, 1.0 / 64.0), dtype),
             var=var, reduction=reduction, full=full, grad=grad, grad_output=grad_output)


def add_large(plan: Plan) -> None:
    """Cases with >= 100,000 elements for reduction accuracy; gradients on a few."""
    for index, (dtype, layout) in enumerate(itertools.product(DTYPES, LARGE_LAYOUTS)):
        reduction = ("mean", "sum")[index % 2]
        large_case(plan, f"large.{layout[0]}.{dtype}.{reduction}", dtype, layout, reduction,
                   bool(index % 3 == 0), False, "one")
    for dtype in ("float16", "bfloat16", "float32"):
        large_case(plan, f"large.l1.{dtype}.mean.grad", dtype, LARGE_LAYOUTS[0], "mean", False, True, "random")
    large_case(plan, "large.l1.float16.none.grad", "float16", LARGE_LAYOUTS[0], "none", True, True, "grid")
    large_case(plan, "large.same.float16.sum", "float16",
               ("same", (250, 400), (250, 400), (250, 400)), "sum", False, False, "one")


def fuzz_values(rng: Rng, shape: tuple, dtype: str, positive: bool) -> Spec:
    """Random values with occasional specials (and occasional negatives in var)."""
    info = finfo(dtype)
    values = rng.uniform(shape, 0.0 if positive else -3.0, 3.0)
    specials = [0.0, -0.0, NAN, INF, info["sub"], 1e-6] if positive else [NAN, INF, -INF, info["max"], info["sub"]]
    for position in range(values.size):
        if rng.chance(0.03):
            values.flat[position] = rng.choice(specials)
        elif positive and rng.chance(0.005):
            values.flat[position] = -1.0
    return spec(values, dtype)


def fuzz_var_shape(rng: Rng, shape: tuple):
    """A var shape or Python float for the input shape, mostly valid for some release."""
    forms = ["same", "same", "float", "scalar", "wrong"]
    if shape:
        forms += ["homo", "homo", "trail1", "samerank"]
    form = rng.choice(forms)
    if form == "same":
        return form, shape
    if form == "float":
        return form, rng.choice([0.5, 1.0, 2.0, 0.0, 1e-7])
    if form == "scalar":
        return form, ()
    if form == "homo":
        return form, shape[:-1]
    if form == "trail1":
        return form, shape[:-1] + (1,)
    if form == "samerank":
        position = rng.below(len(shape))
        return form, shape[:position] + (1,) + shape[position + 1:]
    return form, tuple(rng.randint(1, 4) for _ in range(rng.randint(0, 3)))


def fuzz_target_shape(rng: Rng, shape: tuple) -> tuple:
    """A target shape: mostly the input's, sometimes broadcast smaller or larger."""
    form = rng.choice(["same", "same", "same", "suffix", "ones", "larger"])
    if form == "suffix":
        return shape[rng.randint(0, len(shape)):]
    if form == "ones":
        return tuple(1 if rng.chance(0.5) else d for d in shape)
    if form == "larger":
        return (rng.randint(1, 3),) + tuple(rng.randint(2, 3) if d == 1 else d for d in shape)
    return shape


def add_fuzz(plan: Plan, count: int = 200) -> None:
    """Random combinations of rank, dtypes, var form, target broadcast, eps and reduction."""
    eps_choices = [1e-6, 1e-6, 1e-6, 0.0, 1e-3, 1e-12, 1.0, -1e-3, 0.25]
    for index in range(count):
        name = f"fuzz.{index:04d}"
        r = plan.rng(name)
        shape = tuple(0 if r.chance(0.05) else r.randint(1, 5) for _ in range(r.randint(0, 5)))
        if r.chance(0.7):
            dtypes = (r.choice(DTYPES),) * 3
        else:
            dtypes = tuple(r.choice(DTYPES) for _ in range(3))
        var_form, var_shape = fuzz_var_shape(r, shape)
        target_shape = fuzz_target_shape(r, shape)
        reduction = "avg" if r.chance(0.04) else r.choice(REDUCTIONS)
        var = var_shape if var_form == "float" else fuzz_values(r, var_shape, dtypes[2], True)
        plan.add(name, "fuzz",
                 f"random case: {dtypes[0]} input {shape}, {dtypes[1]} target {target_shape}, "
                 f"{dtypes[2]} var {var_form} {var_shape}, reduction {reduction}.",
                 input=fuzz_values(r, shape, dtypes[0], False), target=fuzz_values(r, target_shape, dtypes[1], False),
                 var=var, eps=r.choice(eps_choices), reduction=reduction, full=r.chance(0.5),
                 grad=r.chance(0.9), grad_output=grad_output_mode(reduction, r.below(2)))


# ---------------------------------------------------------------------------
# Schema 2: non-finite eps and scalar var, partial gradients, integer and bool operands

NONFINITE = (("nan", NAN), ("inf", INF), ("neginf", -INF))


def add_nonfinite_eps(plan: Plan) -> None:
    """eps NaN, +inf and -inf in every floating dtype and reduction, var from 0 to +inf, with gradients."""
    for index, ((key, eps), dtype, reduction) in enumerate(itertools.product(NONFINITE, DTYPES, REDUCTIONS)):
        name = f"nonfinite_eps.{key}.{dtype}.{reduction}"
        r = plan.rng(name)
        var = spec(np.array([[0.0, 1e-3, 0.5], [2.0, 300.0, INF]]), dtype)
        plan.add(name, "nonfinite_eps",
                 f"{dtype} var 0, 1e-3, 0.5, 2, 300 and inf with eps={eps!r}, reduction {reduction}.",
                 input=normal_values(r, (2, 3), dtype), target=normal_values(r, (2, 3), dtype), var=var, eps=eps,
                 reduction=reduction, full=index % 2 == 1, grad_output=grad_output_mode(reduction, index))


# The operands that require grad, by name: i(nput), t(arget), v(ar); every non-empty subset.
GRAD_SUBSETS = ("i", "t", "v", "it", "iv", "tv", "itv")


def wants(subset: str) -> tuple:
    """(input, target, var) flags of a subset name."""
    return ("i" in subset, "t" in subset, "v" in subset)


def add_scalar_var(plan: Plan) -> None:
    """A Python float var of NaN or +inf in every dtype and reduction, with input, target or both requiring grad;
    one of -inf (rejected as negative); NaN and inf with a broadcast target and with a non-finite eps."""
    subsets = ("it", "i", "t")
    for index, ((key, value), dtype, reduction) in enumerate(
            itertools.product(NONFINITE[:2], DTYPES, REDUCTIONS)):
        name = f"scalar_var.{key}.{dtype}.{reduction}"
        r = plan.rng(name)
        subset = subsets[index % 3]
        plan.add(name, "scalar_var",
                 f"{dtype} input (3,4) with Python float var {value!r}, reduction {reduction}, "
                 f"grad for {subset}.",
                 input=normal_values(r, (3, 4), dtype), target=normal_values(r, (3, 4), dtype), var=value,
                 reduction=reduction, full=index % 2 == 0, grad_output=grad_output_mode(reduction, index),
                 wants_grad=wants(subset))
    for (key, value), reduction in itertools.product(NONFINITE[:2], ("none", "sum")):
        name = f"scalar_var.{key}.float32.2x1x3.t2x4x3.{reduction}"
        r = plan.rng(name)
        plan.add(name, "scalar_var",
                 f"float32 input (2,1,3), target (2,4,3), Python float var {value!r}, reduction {reduction}.",
                 input=normal_values(r, (2, 1, 3), "float32"), target=normal_values(r, (2, 4, 3), "float32"),
                 var=value, reduction=reduction)
    for key, value, eps in (("nan", NAN, NAN), ("inf", INF, INF), ("inf", INF, -INF)):
        eps_key = dict((v, k) for k, v in NONFINITE if not math.isnan(v)).get(eps, "nan")
        name = f"scalar_var.{key}.eps_{eps_key}.float64"
        r = plan.rng(name)
        plan.add(name, "scalar_var", f"float64 input (4,) with Python float var {value!r} and eps={eps!r}.",
                 input=normal_values(r, (4,), "float64"), target=normal_values(r, (4,), "float64"), var=value,
                 eps=eps, reduction="none")
    name = "scalar_var.neginf.float32"
    r = plan.rng(name)
    plan.add(name, "scalar_var", "float32 input (3,4) with Python float var -inf (negative).",
             input=normal_values(r, (3, 4), "float32"), target=normal_values(r, (3, 4), "float32"), var=-INF,
             reduction="mean")


PARTIAL_LAYOUTS = [
    # (key, input shape, target shape, var shape)
    ("same", (3, 4), (3, 4), (3, 4)),
    ("var_bcast", (3, 4), (3, 4), (3, 1)),
    ("target_bcast", (3, 4), (4,), (3, 4)),
]


def add_partial_grad(plan: Plan) -> None:
    """Each non-empty subset of operands requiring grad, with a same-shape var, a broadcast var (3,1) and a
    broadcast target (4,), every reduction; and input and/or target requiring grad beside a Python float var."""
    for layout_index, (key, in_shape, tgt_shape, var_shape) in enumerate(PARTIAL_LAYOUTS):
        for subset_index, subset in enumerate(GRAD_SUBSETS):
            dtype = DTYPES[(layout_index + subset_index) % 4]
            for reduction in REDUCTIONS:
                name = f"partial_grad.{key}.{subset}.{reduction}"
                r = plan.rng(name)
                plan.add(name, "partial_grad",
                         f"{dtype} input {in_shape}, target {tgt_shape}, var {var_shape}, reduction {reduction}, "
                         f"grad for {subset} only.",
                         input=normal_values(r, in_shape, dtype), target=normal_values(r, tgt_shape, dtype),
                         var=var_values(r, var_shape, dtype), reduction=reduction,
                         full=subset_index % 2 == 1, grad_output=grad_output_mode(reduction, subset_index),
                         wants_grad=wants(subset))
    for subset, reduction in zip(("i", "t", "it"), REDUCTIONS):
        name = f"partial_grad.float_var.{subset}.{reduction}"
        r = plan.rng(name)
        plan.add(name, "partial_grad",
                 f"float32 input (3,4), target (3,4), Python float var 0.75, reduction {reduction}, grad for {subset}.",
                 input=normal_values(r, (3, 4), "float32"), target=normal_values(r, (3, 4), "float32"), var=0.75,
                 reduction=reduction, wants_grad=wants(subset))


def add_zero_sum_grad(plan: Plan) -> None:
    """A broadcast target's gradient that sums to exactly zero: every input element equals the 0-d or (1,)
    target, so each element's target gradient is a signed zero, and PyTorch's sum from +0.0 gives +0.0."""
    for dtype, (key, tgt_shape), subset in itertools.product(DTYPES, (("t0d", ()), ("t1", (1,))), ("itv", "t")):
        name = f"zero_sum_grad.{dtype}.{key}.{subset}"
        r = plan.rng(name)
        level = float(quantize(r.uniform((), -2.0, 2.0), dtype))
        reduction = "sum" if subset == "itv" else "none"
        plan.add(name, "zero_sum_grad",
                 f"{dtype} input (5,) with every element equal to the {tag(tgt_shape)} target {level!r}, var (5,), "
                 f"reduction {reduction}, grad for {subset}.",
                 input=spec(np.full((5,), level), dtype), target=spec(np.full(tgt_shape, level), dtype),
                 var=var_values(r, (5,), dtype), reduction=reduction, grad_output="one" if reduction == "sum" else
                 "random", wants_grad=wants(subset))


def integer_values(rng: Rng, shape: tuple, dtype: str, low: int = -5, high: int = 5) -> Spec:
    """Integers uniform on [low, high] (0 or 1 for bool)."""
    if dtype == "bool":
        low, high = 0, 1
    count = math.prod(shape)
    values = (rng.bulk(count) % np.uint64(high - low + 1)).astype(np.float64) + low
    return spec(values.reshape(shape), dtype)


def operand(rng: Rng, shape: tuple, dtype: str) -> Spec:
    """Input or target values of any dtype: small integers, or normal values."""
    return integer_values(rng, shape, dtype) if dtype in INTEGER_DTYPES else normal_values(rng, shape, dtype)


def int_case(plan: Plan, name: str, text: str, input, target, var, reduction: str, **kwargs) -> None:
    """Add one case of the int_operands category; each entry is (dtype, shape) or a planned value."""
    r = plan.rng(name)
    def make(entry, positive=False):
        if isinstance(entry, (Spec, float)):
            return entry
        dtype, shape = entry
        if positive and dtype not in INTEGER_DTYPES:
            return var_values(r, shape, dtype)
        if positive:
            return integer_values(r, shape, dtype, 1, 3)
        return operand(r, shape, dtype)
    input, target, var = make(input), make(target), make(var, positive=True)
    grad = any(isinstance(x, Spec) and x.is_floating for x in (input, target, var))
    kwargs.setdefault("grad", grad)
    plan.add(name, "int_operands", f"{text}, reduction {reduction}.", input=input, target=target, var=var,
             reduction=reduction, **kwargs)


def add_int_operands(plan: Plan) -> None:
    """int32, int64 and bool operands: beside floating partners, 0-d against dimensioned, int32 and int64
    wraparound, integer and bool var (rejected), and bool subtraction (rejected)."""
    index = 0
    for role, idtype, fdtype in itertools.product(("input", "target"), ("int32", "int64"), DTYPES):
        index += 1
        shapes = {"input": (idtype, (3, 4)), "target": (fdtype, (3, 4))}
        if role == "target":
            shapes = {"input": (fdtype, (3, 4)), "target": (idtype, (3, 4))}
        int_case(plan, f"int_operands.{role}_{idtype}.{fdtype}",
                 f"{idtype} {role} (3,4) with {fdtype} partners", shapes["input"], shapes["target"], (fdtype, (3, 4)),
                 pick_reduction(index), full=index % 2 == 0, grad_output=grade(index))
    for di, dt, dv in (("int32", "int32", "float32"), ("int64", "int64", "float64"), ("int32", "int64", "float16"),
                       ("int64", "int32", "bfloat16")):
        index += 1
        int_case(plan, f"int_operands.both.{di}.{dt}.{dv}", f"{di} input and {dt} target (3,4), {dv} var (3,)",
                 (di, (3, 4)), (dt, (3, 4)), (dv, (3,)), pick_reduction(index), grad_output=grade(index))
    zero_d = [
        ("int64_input_0d.int32_target", "int64 0-d input, int32 (3,) target, float32 0-d var",
         ("int64", ()), ("int32", (3,)), ("float32", ())),
        ("int32_input.float64_target_0d", "int32 (4,) input, float64 0-d target, float32 (4,) var",
         ("int32", (4,)), ("float64", ()), ("float32", (4,))),
        ("int32_input.float16_target_0d", "int32 (4,) input, float16 0-d target, float32 (4,) var",
         ("int32", (4,)), ("float16", ()), ("float32", (4,))),
        ("int32_diff.float64_var_0d", "int32 (4,) input and target, float64 0-d var",
         ("int32", (4,)), ("int32", (4,)), ("float64", ())),
        ("int64_diff.float16_var_0d", "int64 (4,) input and target, float16 0-d var",
         ("int64", (4,)), ("int64", (4,)), ("float16", ())),
        ("float16_input_0d.int32_target", "float16 0-d input, int32 (3,) target, float32 0-d var",
         ("float16", ()), ("int32", (3,)), ("float32", ())),
        ("bfloat16_input.int64_target_0d", "bfloat16 (3,) input, int64 0-d target, bfloat16 (3,) var",
         ("bfloat16", (3,)), ("int64", ()), ("bfloat16", (3,))),
    ]
    for key, text, di, dt, dv in zero_d:
        index += 1
        int_case(plan, f"int_operands.zero_d.{key}", text, di, dt, dv, pick_reduction(index),
                 grad_output=grade(index))
    wraps = [
        ("int32.subtract", "int32 input - target wraps around",
         spec([2**31 - 1, -2**31, 2**31 - 1, 5], "int32"), spec([-1, 1, -2**31, 2], "int32"), ("float32", (4,))),
        ("int32.square", "int32 (input - target)**2 wraps around",
         spec([46341, 70000, -65536, 3], "int32"), spec([0, 0, 0, 0], "int32"), ("float64", (4,))),
        ("int64.square", "int64 (input - target)**2 wraps around",
         spec([5e9, 3037000500, -2**32, 7], "int64"), spec([0, 0, 0, 0], "int64"), ("float64", (4,))),
    ]
    for (key, text, inp, tgt, var), reduction in itertools.product(wraps, ("none", "sum")):
        int_case(plan, f"int_operands.wrap.{key}.{reduction}", text, inp, tgt, var, reduction)
    for vdtype, fdtype in itertools.product(INTEGER_DTYPES, ("float32", "float16")):
        index += 1
        int_case(plan, f"int_operands.var_{vdtype}.{fdtype}", f"{fdtype} input and target (3,4), {vdtype} var (3,4)",
                 (fdtype, (3, 4)), (fdtype, (3, 4)), (vdtype, (3, 4)), pick_reduction(index))
    int_case(plan, "int_operands.var_int32.negative", "float32 input and target (4,), int32 var (4,) with -1",
             ("float32", (4,)), ("float32", (4,)), spec([1, -1, 2, 3], "int32"), "mean")
    int_case(plan, "int_operands.var_int64.wrong_size", "float32 input and target (3,4), int64 var (4,)",
             ("float32", (3, 4)), ("float32", (3, 4)), ("int64", (4,)), "mean")
    int_case(plan, "int_operands.var_int64.int_input", "int64 input, target and var (3,4)",
             ("int64", (3, 4)), ("int64", (3, 4)), ("int64", (3, 4)), "sum")
    bools = [
        ("input", "bool input, float32 target and var (3,4)", ("bool", (3, 4)), ("float32", (3, 4)),
         ("float32", (3, 4))),
        ("target", "float32 input, bool target, float32 var (3,4)", ("float32", (3, 4)), ("bool", (3, 4)),
         ("float32", (3, 4))),
        ("target.bfloat16", "bfloat16 input, bool target (4,), bfloat16 var (3,4)", ("bfloat16", (3, 4)),
         ("bool", (4,)), ("bfloat16", (3, 4))),
        ("both", "bool input and target, float32 var (3,4)", ("bool", (3, 4)), ("bool", (3, 4)), ("float32", (3, 4))),
        ("int32_target", "bool input, int32 target, float64 var (3,4)", ("bool", (3, 4)), ("int32", (3, 4)),
         ("float64", (3, 4))),
        ("bool_var", "bool input, target and var (3,4)", ("bool", (3, 4)), ("bool", (3, 4)), ("bool", (3, 4))),
    ]
    for key, text, di, dt, dv in bools:
        index += 1
        int_case(plan, f"int_operands.bool.{key}", text, di, dt, dv, pick_reduction(index))
    int_case(plan, "int_operands.float_var.int32", "int32 input and target (3,4), Python float var 0.5",
             ("int32", (3, 4)), ("int32", (3, 4)), 0.5, "mean")
    int_case(plan, "int_operands.float_var.int64", "int64 input (3,4), float64 target (3,4), Python float var 0.5",
             ("int64", (3, 4)), ("float64", (3, 4)), 0.5, "none")
    int_case(plan, "int_operands.eps_nan.int64", "int64 input (2,3), float32 target and var (2,3), eps NaN",
             ("int64", (2, 3)), ("float32", (2, 3)), spec([[1.0, 1e-9, 0.5], [2.0, 0.0, 3.0]], "float32"), "none",
             eps=NAN)


# ---------------------------------------------------------------------------
# Schema 3: Hessian-vector products and forward-mode derivatives

HIGHER_ORDER_EPS = 0.0625  # 2**-4: exact in every dtype, so a var can equal it exactly
HIGHER_ORDER_FLAGS = ((True, True), (True, False), (False, True))  # (hvp, jvp), in turn where a case says so


def clamp_var(rng: Rng, shape: tuple, dtype: str, where: str) -> Spec:
    """var entries below eps (1/256 to 1/32), exactly at eps, or above it (1/8 to 3), for eps 2**-4."""
    if where == "below":
        return spec(rng.uniform(shape, 1.0 / 256, 1.0 / 32), dtype)
    if where == "at":
        return spec(np.full(shape, HIGHER_ORDER_EPS), dtype)
    return spec(rng.uniform(shape, 0.125, 3.0), dtype)


def mixed_clamp_var(shape: tuple, dtype: str) -> Spec:
    """var cycling through 1/64 (below eps 2**-4), 2**-4 (at it), 1/2, 2 and 3/4 (above it)."""
    cycle = [1.0 / 64, HIGHER_ORDER_EPS, 0.5, 2.0, 0.75]
    count = math.prod(shape)
    return spec(np.array([cycle[i % len(cycle)] for i in range(count)]).reshape(shape), dtype)


def small_values(rng: Rng, shape: tuple, dtype: str) -> Spec:
    """Input or target values uniform on [-1, 1): small enough that float16's 1/v**3 terms at v = eps stay
    finite in the second derivatives."""
    return spec(rng.uniform(shape, -1.0, 1.0), dtype)


def higher_order_case(plan: Plan, name: str, text: str, input, target, var, reduction: str, index: int,
                      flags: tuple = (True, True), **kwargs) -> None:
    """Add one case of the higher_order category; input, target and var are (dtype, shape), a Spec or a float
    (var only; a (dtype, shape) var draws above-eps values). The grad_output alternates 1.0 and random for mean and
    sum (random for none), and the tangents alternate grid and random values."""
    r = plan.rng(name)

    def make(entry, is_var=False):
        if isinstance(entry, (Spec, float)):
            return entry
        dtype, shape = entry
        if dtype in INTEGER_DTYPES:
            return integer_values(r, shape, dtype, 1, 3) if is_var else integer_values(r, shape, dtype)
        return clamp_var(r, shape, dtype, "above") if is_var else small_values(r, shape, dtype)

    hvp, jvp = flags
    kwargs.setdefault("eps", HIGHER_ORDER_EPS)
    kwargs.setdefault("full", index % 2 == 1)
    kwargs.setdefault("grad_output", grade(index))
    wanted = " and ".join(key for key, flag in (("hvp", hvp), ("jvp", jvp)) if flag)
    plan.add(name, "higher_order", f"{text}, reduction {reduction}; {wanted}.",
             input=make(input), target=make(target), var=make(var, True), reduction=reduction, hvp=hvp, jvp=jvp,
             tangent="grid" if index % 2 == 0 else "random", **kwargs)


def add_higher_order(plan: Plan) -> None:
    """Hessian-vector products and forward-mode derivatives: var below, at and above eps in every dtype and
    reduction; broadcast var and target; a 0-d and a Python float var; every subset of operands requiring grad;
    non-finite eps; empty inputs; mixed and integer dtypes; float16 overflow at second order."""
    index = 0
    for where, dtype, reduction in itertools.product(("below", "at", "above"), DTYPES, REDUCTIONS):
        index += 1
        name = f"higher_order.clamp.{where}.{dtype}.{reduction}"
        r = plan.rng(name)
        higher_order_case(plan, name, f"{dtype} input and target (2,3), var (2,3) {where} eps 2**-4",
                          small_values(r, (2, 3), dtype), small_values(r, (2, 3), dtype),
                          clamp_var(r, (2, 3), dtype, where), reduction, index)
    layouts = [
        ("var_homo", "input (3,4), var (3,) (homoscedastic)", (3, 4), (3, 4), (3,)),
        ("var_n1", "input (3,4), var (3,1)", (3, 4), (3, 4), (3, 1)),
        ("target_bcast", "input (3,4), target (4,)", (3, 4), (4,), (3, 4)),
        ("target_larger", "input (2,1,3), target (2,4,3), var (2,1,3)", (2, 1, 3), (2, 4, 3), (2, 1, 3)),
        ("var_samerank", "input (3,4), var (1,4) (accepted from torch-2.10 on)", (3, 4), (3, 4), (1, 4)),
    ]
    for (key, text, in_shape, tgt_shape, var_shape), dtype in itertools.product(layouts, DTYPES):
        index += 1
        name = f"higher_order.{key}.{dtype}"
        higher_order_case(plan, name, f"{dtype} {text}, var 1/64, 2**-4 (eps), 1/2, 2, 3/4 in turn",
                          (dtype, in_shape), (dtype, tgt_shape), mixed_clamp_var(var_shape, dtype),
                          REDUCTIONS[index % 3], index)
    for dtype, where in itertools.product(DTYPES, ("above", "below", "at")):
        index += 1
        name = f"higher_order.var_0d.{where}.{dtype}"
        r = plan.rng(name)
        higher_order_case(plan, name, f"{dtype} input and target (5,), 0-d var {where} eps",
                          (dtype, (5,)), (dtype, (5,)), clamp_var(r, (), dtype, where), REDUCTIONS[index % 3], index)
    float_vars = [("0.5", 0.5), ("below", 1.0 / 64), ("at", HIGHER_ORDER_EPS), ("nan", NAN), ("inf", INF)]
    for (key, value), dtype in itertools.product(float_vars, DTYPES):
        index += 1
        subset = ("it", "i", "t")[index % 3]
        name = f"higher_order.float_var.{key}.{dtype}.{subset}"
        higher_order_case(plan, name, f"{dtype} input and target (3,4), Python float var {value!r}, grad for {subset}",
                          (dtype, (3, 4)), (dtype, (3, 4)), value, REDUCTIONS[index % 3], index,
                          wants_grad=wants(subset))
    for (layout_index, (key, in_shape, tgt_shape, var_shape)), subset in itertools.product(
            enumerate(PARTIAL_LAYOUTS), GRAD_SUBSETS):
        index += 1
        dtype = DTYPES[index % 4]
        name = f"higher_order.subset.{key}.{subset}"
        higher_order_case(plan, name, f"{dtype} input {in_shape}, target {tgt_shape}, var {var_shape} (1/64, "
                          f"2**-4, 1/2, 2, 3/4 in turn), grad for {subset}", (dtype, in_shape), (dtype, tgt_shape),
                          mixed_clamp_var(var_shape, dtype), REDUCTIONS[index % 3], index,
                          flags=HIGHER_ORDER_FLAGS[index % 3], wants_grad=wants(subset))
    for (key, eps), dtype in itertools.product(NONFINITE, DTYPES):
        index += 1
        name = f"higher_order.eps_{key}.{dtype}"
        higher_order_case(plan, name, f"{dtype} input and target (2,3), var 0, 1e-3, 0.5, 2, 300, inf, eps={eps!r}",
                          (dtype, (2, 3)), (dtype, (2, 3)),
                          spec(np.array([[0.0, 1e-3, 0.5], [2.0, 300.0, INF]]), dtype),
                          REDUCTIONS[index % 3], index, eps=eps)
    for dtype, reduction in itertools.product(DTYPES, REDUCTIONS):
        index += 1
        name = f"higher_order.empty.{dtype}.{reduction}"
        var_shape = (0, 3) if index % 2 == 0 else (0,)
        higher_order_case(plan, name, f"{dtype} input and target (0,3), var {var_shape}", (dtype, (0, 3)),
                          (dtype, (0, 3)), (dtype, var_shape), reduction, index)
    mixed = [
        ("float32.float16.float64", ("float32", (2, 3)), ("float16", (2, 3)), ("float64", (2, 3))),
        ("bfloat16.float32.float16", ("bfloat16", (2, 3)), ("float32", (2, 3)), ("float16", (2,))),
        ("float16.float64.bfloat16", ("float16", (2, 3)), ("float64", (3,)), ("bfloat16", (2, 3))),
        ("float64.bfloat16.float32", ("float64", (2, 3)), ("bfloat16", (2, 3)), ("float32", (2, 1))),
        ("float32.int32.float32", ("float32", (2, 3)), ("int32", (2, 3)), ("float32", (2, 3))),
        ("int64.float64.float16", ("int64", (2, 3)), ("float64", (2, 3)), ("float16", (2, 3))),
    ]
    for key, di, dt, dv in mixed:
        for reduction in ("none", "sum"):
            index += 1
            name = f"higher_order.mixed.{key}.{reduction}"
            higher_order_case(plan, name, f"{di[0]} input {di[1]}, {dt[0]} target {dt[1]}, {dv[0]} var {dv[1]}"
                              f" (1/64, 2**-4, 1/2, ... in turn)", di, dt, mixed_clamp_var(dv[1], dv[0]), reduction,
                              index)
    for dtype, reduction in itertools.product(("float16", "bfloat16"), ("none", "sum")):
        index += 1
        name = f"higher_order.overflow.{dtype}.{reduction}"
        higher_order_case(plan, name, f"{dtype} input 3, -2, 300, target 0, var 1e-2, 1e-3, 1 with eps 1e-3 "
                          f"(1/v**3 and d**2/v**3 overflow float16)", spec([3.0, -2.0, 300.0], dtype),
                          spec([0.0, 0.0, 0.0], dtype), spec([1e-2, 1e-3, 1.0], dtype), reduction, index, eps=1e-3)
    for dtype in DTYPES:
        index += 1
        name = f"higher_order.special.{dtype}"
        higher_order_case(plan, name, f"{dtype} input NaN, inf, 1, 0.5, target 0, var 1, 1, NaN, 0",
                          spec([NAN, INF, 1.0, 0.5], dtype), spec([0.0, 0.0, 0.0, 0.0], dtype),
                          spec([1.0, 1.0, NAN, 0.0], dtype), "none", index)


def grade(index: int) -> str:
    """grad_output: random and 1.0 in turn (random for 'none' whatever the index)."""
    return "one" if index % 2 == 0 else "random"


def build_plan(seed: int) -> list:
    """Return every case of the plan for `seed`, in a fixed order."""
    plan = Plan(seed)
    for add in (add_dtypes, add_zero_size, add_mixed_dtypes, add_var_forms, add_float_var,
                add_target_broadcast, add_eps, add_special_values, add_reductions, add_errors,
                add_grad_output, add_large, add_fuzz, add_nonfinite_eps, add_scalar_var, add_partial_grad,
                add_zero_sum_grad, add_int_operands, add_higher_order):
        add(plan)
    return plan.cases


# ---------------------------------------------------------------------------
# Running PyTorch


GRADIENT_NAMES = ("grad_input", "grad_target", "grad_var")
REQUIRES_GRAD_NAMES = ("requires_grad_input", "requires_grad_target", "requires_grad_var")


class UnmappedError(Exception):
    """PyTorch raised an exception that no error kind describes."""


@dataclass
class Outcome:
    """What PyTorch did with one case: an error or a loss and its gradients."""

    error: Optional[tuple] = None  # (kind, type name, message)
    tensors: dict = field(default_factory=dict)  # dataset name -> (dtype name, numpy array)
    missing_grads: list = field(default_factory=list)


def to_torch(planned: Spec, device: str, requires_grad: bool) -> torch.Tensor:
    """Build the torch tensor of a planned spec and check that it holds the planned bits."""
    stored = encode(planned.values, planned.dtype)
    if planned.dtype == "bfloat16":
        tensor = torch.from_numpy(stored.view(np.int16).copy()).view(torch.bfloat16)
    elif planned.dtype == "bool":
        tensor = torch.from_numpy(stored.copy()).to(torch.bool)
    else:
        tensor = torch.from_numpy(stored.copy())
    tensor = tensor.to(device).requires_grad_(requires_grad)
    if from_torch(tensor)[1].tobytes() != stored.tobytes():
        raise AssertionError(f"tensor does not hold the planned {planned.dtype} values")
    return tensor


def from_torch(tensor: torch.Tensor) -> tuple:
    """Return (dtype name, numpy array in the stored representation) of a tensor."""
    tensor = tensor.detach().to("cpu").contiguous()
    name = DTYPE_NAMES[tensor.dtype]
    if name == "bfloat16":
        return name, tensor.view(torch.int16).numpy().view(np.uint16).copy()
    if name == "bool":
        return name, tensor.numpy().astype(np.uint8)
    return name, tensor.numpy().copy()


def classify(exc: Exception, reduction: str) -> str:
    """Map an exception raised by gaussian_nll_loss to its error kind."""
    message = str(exc)
    if isinstance(exc, ValueError):
        if message == "var has negative entry/entries":
            return "negative_var"
        if message == "var is of incorrect size":
            return "var_size"
        if message == "input and target must have same size":
            return "target_size"
        if message == f"{reduction} is not valid":
            return "reduction"
    if isinstance(exc, RuntimeError) and BROADCAST_PATTERN.fullmatch(message):
        return "broadcast"
    if isinstance(exc, (AttributeError, TypeError)):
        return "type"
    if isinstance(exc, RuntimeError) and CAST_PATTERN.fullmatch(message):
        return "type"
    # NotImplementedError from 2.10 on (a subclass of RuntimeError), RuntimeError before.
    if isinstance(exc, RuntimeError) and message.startswith(BOOL_SUBTRACTION_PREFIX):
        return "type"
    raise UnmappedError(f"{type(exc).__name__}: {message}")


def make_grad_output(case: Case, loss: torch.Tensor) -> Spec:
    """grad_output with the loss's shape and dtype, from the case's own stream."""
    dtype = DTYPE_NAMES[loss.dtype]
    shape = tuple(loss.shape)
    rng = Rng(case.grad_output_seed)
    if case.grad_output == "one":
        values = np.ones(shape)
    elif case.grad_output == "grid":
        values = rng.grid(shape, -2.0, 2.0, 1.0 / 16.0)
    else:
        values = rng.uniform(shape, -2.0, 2.0)
    return spec(values, dtype)


def run_case(case: Case, device: str) -> Outcome:
    """Call gaussian_nll_loss (and backward when requested) and record the outcome."""
    wants_input, wants_target, wants_var = case.requires_grad
    inp = to_torch(case.input, device, wants_input)
    tgt = to_torch(case.target, device, wants_target)
    var = case.var if isinstance(case.var, float) else to_torch(case.var, device, wants_var)
    try:
        loss = F.gaussian_nll_loss(inp, tgt, var, full=case.full, eps=case.eps, reduction=case.reduction)
    except Exception as exc:  # every exception is classified or re-raised
        return Outcome(error=(classify(exc, case.reduction), type(exc).__name__, str(exc)))
    outcome = Outcome(tensors={"loss": from_torch(loss)})
    if case.grad:
        grad_output = make_grad_output(case, loss)
        loss.backward(to_torch(grad_output, device, False))
        outcome.tensors["grad_output"] = (grad_output.dtype, encode(grad_output.values, grad_output.dtype))
        operands = {key: operand for key, operand, wanted in
                    zip(GRADIENT_NAMES, (inp, tgt, var), case.requires_grad) if wanted}
        for key, operand in operands.items():
            if operand.grad is None:
                outcome.missing_grads.append(key)
                outcome.tensors[key] = from_torch(torch.zeros_like(operand))
            else:
                outcome.tensors[key] = from_torch(operand.grad)
        if case.hvp or case.jvp:
            run_higher_order(case, device, grad_output, outcome)
    return outcome


OPERAND_KEYS = ("input", "target", "var")


def make_tangents(case: Case) -> dict:
    """One tangent per operand that requires grad (its shape and dtype), from the case's tangent stream."""
    rng = Rng(case.tangent_seed)
    tangents = {}
    for key, operand, wanted in zip(OPERAND_KEYS, (case.input, case.target, case.var), case.requires_grad):
        if not wanted:
            continue
        if case.tangent == "grid":
            values = rng.grid(operand.shape, -2.0, 2.0, 1.0 / 8.0)
        else:
            values = rng.uniform(operand.shape, -2.0, 2.0)
        tangents[key] = spec(values, operand.dtype)
    return tangents


def check_like(case: Case, key: str, result: torch.Tensor, like: torch.Tensor) -> None:
    """A higher-order result must have the shape and dtype of what it belongs to."""
    if result.shape != like.shape or result.dtype != like.dtype:
        raise SystemExit(f"case {case.name}: {key} is {result.dtype}{tuple(result.shape)}, expected "
                         f"{like.dtype}{tuple(like.shape)}")


def run_higher_order(case: Case, device: str, grad_output: Spec, outcome: Outcome) -> None:
    """Record the tangents, and the Hessian-vector product and/or the forward-mode derivative along them.

    hvp: `torch.autograd.grad(gradients, operands, tangents, allow_unused=True)` where `gradients` are
    `torch.autograd.grad(loss, operands, grad_output, create_graph=True)`, on fresh leaves; a gradient that does
    not depend on any operand (it does not require grad) contributes nothing, and an operand that none of them
    depends on gets zeros (with a warning). jvp: `torch.func.jvp` of the loss as a function of the operands that
    require grad (the others are constants), along their tangents.
    """
    planned = {key: operand for key, operand in zip(OPERAND_KEYS, (case.input, case.target, case.var))}
    tangents = make_tangents(case)
    for key, tangent in tangents.items():
        outcome.tensors[f"tangent_{key}"] = (tangent.dtype, encode(tangent.values, tangent.dtype))
    wanted = list(tangents)
    tangent_tensors = {key: to_torch(tangent, device, False) for key, tangent in tangents.items()}

    def leaves(requires: bool) -> dict:
        return {key: (value if isinstance(value, float) else to_torch(value, device, requires and key in wanted))
                for key, value in planned.items()}

    def loss_of(values: dict) -> torch.Tensor:
        return F.gaussian_nll_loss(values["input"], values["target"], values["var"], full=case.full, eps=case.eps,
                                   reduction=case.reduction)

    if case.hvp:
        values = leaves(True)
        loss = loss_of(values)
        firsts = torch.autograd.grad(loss, [values[key] for key in wanted], to_torch(grad_output, device, False),
                                     create_graph=True)
        for key, first in zip(wanted, firsts):
            if from_torch(first)[1].tobytes() != outcome.tensors[f"grad_{key}"][1].tobytes():
                raise SystemExit(f"case {case.name}: grad_{key} with create_graph=True differs from backward's")
        usable = [(first, tangent_tensors[key]) for key, first in zip(wanted, firsts) if first.requires_grad]
        seconds = (torch.autograd.grad([first for first, _ in usable], [values[key] for key in wanted],
                                       [tangent for _, tangent in usable], allow_unused=True)
                   if usable else [None] * len(wanted))
        for key, second in zip(wanted, seconds):
            if second is None:
                print(f"warning: case {case.name}: PyTorch gave no hvp_{key}; recorded zeros", file=sys.stderr)
                second = torch.zeros_like(values[key])
            check_like(case, f"hvp_{key}", second, values[key])
            outcome.tensors[f"hvp_{key}"] = from_torch(second)
    if case.jvp:
        constants = leaves(False)

        def function(*primals):
            values = dict(constants)
            values.update(zip(wanted, primals))
            return loss_of(values)

        loss, tangent_out = torch.func.jvp(function, tuple(constants[key] for key in wanted),
                                           tuple(tangent_tensors[key] for key in wanted))
        check_like(case, "jvp", tangent_out, loss)
        outcome.tensors["jvp"] = from_torch(tangent_out)


# ---------------------------------------------------------------------------
# Writing HDF5


def write_tensor(group: h5py.Group, name: str, dtype: str, data: np.ndarray) -> None:
    """Write one tensor dataset; compress those with at least 1024 elements."""
    options = {}
    if data.size >= COMPRESS_MIN_ELEMENTS:
        options = {"chunks": True, "shuffle": True, "compression": "gzip", "compression_opts": 9}
    dataset = group.create_dataset(name, data=data, **options)
    dataset.attrs["dtype"] = dtype


# A case group's attributes stay in its object header up to this many (libhdf5's default is 8, beyond which
# it moves them to dense storage, a fractal heap and a B-tree, about 1.5 KB more per case).
MAX_COMPACT_ATTRIBUTES = 16


def create_case_group(cases: h5py.Group, name: str) -> h5py.Group:
    """Create a case group whose attributes are all stored compactly."""
    properties = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
    properties.set_attr_phase_change(MAX_COMPACT_ATTRIBUTES, MAX_COMPACT_ATTRIBUTES - 2)
    return h5py.Group(h5py.h5g.create(cases.id, name.encode(), gcpl=properties))


def write_case(cases: h5py.Group, case: Case, outcome: Outcome) -> None:
    """Write one case group: attributes, inputs and (when ok) results."""
    group = create_case_group(cases, case.name)
    attrs = group.attrs
    attrs["category"] = case.category
    attrs["description"] = case.description
    attrs["full"] = np.int64(case.full)
    attrs["eps"] = np.float64(case.eps)
    attrs["reduction"] = case.reduction
    computed = case.grad and outcome.error is None
    attrs["grad"] = np.int64(computed)
    if computed:
        for key, wanted in zip(REQUIRES_GRAD_NAMES, case.requires_grad):
            attrs[key] = np.int64(wanted)
        attrs["hvp"] = np.int64(case.hvp)
        attrs["jvp"] = np.int64(case.jvp)
    if isinstance(case.var, float):
        attrs["var_scalar"] = np.float64(case.var)
    attrs["outcome"] = "ok" if outcome.error is None else "error"
    if outcome.error is not None:
        attrs["error_kind"], attrs["error_type"], attrs["error_message"] = outcome.error
    operands = {"input": case.input, "target": case.target}
    if isinstance(case.var, Spec):
        operands["var"] = case.var
    for key, planned in operands.items():
        write_tensor(group, key, planned.dtype, encode(planned.values, planned.dtype))
    for key, (dtype, data) in outcome.tensors.items():
        write_tensor(group, key, dtype, data)


def file_sha256(path: str) -> str:
    """Return the hex sha256 of a file."""
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def write_root_attributes(handle: h5py.File, profile: str, note: str, device: str, seed: int, count: int) -> None:
    """Write the file-level attributes of the format."""
    root = handle.attrs
    root["schema_version"] = np.int64(SCHEMA_VERSION)
    root["profile"] = profile
    root["torch_version"] = str(torch.__version__)
    root["torch_git_version"] = str(torch.version.git_version)
    root["python_version"] = platform.python_version()
    root["numpy_version"] = np.__version__
    root["h5py_version"] = h5py.__version__
    root["platform"] = platform.platform()
    root["device"] = device
    root["generator_path"] = GENERATOR_PATH
    root["generator_sha256"] = file_sha256(os.path.abspath(__file__))
    root["generator_common_path"] = GENERATOR_COMMON_PATH
    root["generator_common_sha256"] = file_sha256(os.path.abspath(gnll_common.__file__))
    root["seed"] = np.int64(seed)
    root["created_at"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    root["case_count"] = np.int64(count)
    root["provenance_note"] = note


def export(out: str, device: str, seed: int, profile_override: Optional[str]) -> None:
    """Build the plan, run it on `device` and write the golden file to `out`.

    The file is written beside `out` and renamed into place only when every case
    ran, so a failed export never leaves a partial golden file.
    """
    torch.set_num_threads(1)
    cases = build_plan(seed)
    profile = profile_for(torch.__version__)
    note = ""
    if profile_override:
        note = f"profile overridden from {profile} to {profile_override} with --profile-override"
        profile = profile_override
    partial = out + ".partial"
    ok = 0
    try:
        with h5py.File(partial, "w", libver=HDF5_LIBVER) as handle:
            write_root_attributes(handle, profile, note, device, seed, len(cases))
            group = handle.create_group("cases")
            for case in cases:
                try:
                    outcome = run_case(case, device)
                except UnmappedError as exc:
                    raise SystemExit(f"case {case.name}: unmapped exception {exc}") from exc
                for key in outcome.missing_grads:
                    print(f"warning: case {case.name}: PyTorch gave no {key}; recorded zeros", file=sys.stderr)
                write_case(group, case, outcome)
                ok += outcome.error is None
        os.replace(partial, out)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    print(f"{out}: torch {torch.__version__} ({profile}, {device}), {len(cases)} cases, "
          f"{ok} ok, {len(cases) - ok} errors, {os.path.getsize(out)} bytes")


def main() -> None:
    """Parse the command line and export."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="HDF5 file to write")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="device to run on (default cpu)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"plan seed (default {DEFAULT_SEED})")
    parser.add_argument("--profile-override", choices=PROFILES, help="profile attribute to write instead of the derived one")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: CUDA is not available")
    export(args.out, args.device, args.seed, args.profile_override)


if __name__ == "__main__":
    main()
