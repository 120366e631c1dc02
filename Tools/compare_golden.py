#!/usr/bin/env python3
"""Compare two golden HDF5 files exactly.

Every group, dataset and attribute must match: the same paths and object
kinds, the same dataset types, shapes and storage (chunked, compression,
shuffle), dataset values bit for bit, and attribute values exactly (with
their HDF5 types).  Root attributes that name the time or the machine of an
export are exempt.

With --across-processors, two differences that depend on the processor an
export ran on are allowed, and listed: a NaN element may differ in sign or
payload (which NaN an invalid operation returns depends on the vector
instructions PyTorch's kernels use), and a case's loss may differ by what
the last bits of PyTorch's CPU log explain (for float32 and float64 tensors
PyTorch computes log with Intel MKL's vector math, vmsLn/vmdLn in
high-accuracy mode, under one ulp from the exact value; which of two
neighbouring values it returns depends on the processor).  Everything else,
gradients included, stays bitwise.

Exit status: 0 when the files are identical (or differ only in those allowed
ways), 1 when they differ (the differences are listed), 2 on usage or I/O
errors.
"""

import argparse
import math
import sys

import h5py
import numpy as np

EXEMPT_ROOT_ATTRIBUTES = ("created_at", "platform", "python_version")

# Two log implementations that are each under one ulp from the exact value can be two ulps apart.
LOG_IMPLEMENTATION_ULPS = 2
# Rounding steps after the log (the sum with the quotient, the constant, the reduction's last step) whose
# result can move by one ulp when their operand did.
ROUNDINGS_AFTER_LOG = 2
HALF_LOG_TWO_PI = 0.5 * math.log(2 * math.pi)


def collect(handle: h5py.File) -> dict:
    """Return {path: object} for the root and every group and dataset below it."""
    objects = {"/": handle}
    handle.visititems(lambda name, obj: objects.__setitem__("/" + name, obj))
    return objects


def kind(obj) -> str:
    """Return 'group' or 'dataset'."""
    return "dataset" if isinstance(obj, h5py.Dataset) else "group"


def attribute_signature(obj, name: str) -> tuple:
    """Return (HDF5 type, shape, value bytes or text) of one attribute."""
    attribute = obj.attrs.get_id(name)
    dtype = attribute.dtype
    value = obj.attrs[name]
    if h5py.check_string_dtype(dtype) is not None:
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        return (str(h5py.check_string_dtype(dtype)), attribute.shape, value)
    return (dtype.str, attribute.shape, np.asarray(value).tobytes())


def compare_attributes(path: str, a, b, out: list) -> None:
    """Append the attribute differences of two objects at `path` to `out`."""
    exempt = EXEMPT_ROOT_ATTRIBUTES if path == "/" else ()
    names_a = {name for name in a.attrs if name not in exempt}
    names_b = {name for name in b.attrs if name not in exempt}
    for name in sorted(names_a - names_b):
        out.append(f"{path}: attribute {name!r} only in A")
    for name in sorted(names_b - names_a):
        out.append(f"{path}: attribute {name!r} only in B")
    for name in sorted(names_a & names_b):
        sig_a, sig_b = attribute_signature(a, name), attribute_signature(b, name)
        if sig_a != sig_b:
            out.append(f"{path}: attribute {name!r} differs: A={a.attrs[name]!r} B={b.attrs[name]!r}")


def storage(dataset: h5py.Dataset) -> tuple:
    """Return the storage description compared for datasets."""
    return (dataset.chunks is not None, dataset.compression, dataset.compression_opts, dataset.shuffle)


FLOATING_DTYPES = ("float16", "bfloat16", "float32", "float64")


def text(value) -> str:
    """A string attribute's value as text."""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def stored_dtype(dataset: h5py.Dataset) -> str:
    """The tensor dtype a dataset stores (its `dtype` attribute; bfloat16 is stored as its 16 bits)."""
    return text(dataset.attrs.get("dtype", dataset.dtype.name))


def widened(raw: np.ndarray, dtype: str) -> np.ndarray:
    """The values of a stored tensor's data as float64."""
    if dtype == "bfloat16":
        return (raw.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    return raw.astype(np.float64)


def decoded(dataset: h5py.Dataset) -> tuple:
    """Return (values as float64, dtype name) of a stored tensor."""
    name = stored_dtype(dataset)
    return widened(np.asarray(dataset[()]), name), name


def ulp(magnitude: float, dtype: str) -> float:
    """The spacing of `dtype`'s values at `magnitude` (inf beyond its range)."""
    with np.errstate(all="ignore"):
        if dtype == "bfloat16":
            return float(np.spacing(np.float32(magnitude))) * 2.0**16
        return float(np.spacing(np.dtype(dtype).type(magnitude)))


def least_precise(dtypes: list) -> str:
    """The dtype with the widest spacing at 1."""
    return max(dtypes, key=lambda dtype: ulp(1.0, dtype))


def finite_max(values: np.ndarray) -> float:
    """The largest finite entry (0 when there is none): non-finite elements have non-finite losses, which
    must match bitwise in any case."""
    finite = values[np.isfinite(values)]
    return float(np.max(finite)) if finite.size else 0.0


def cpu_log_bound(case: h5py.Group) -> float:
    """The most a case's loss can move when PyTorch's log of the clamped var moves by its last bits.

    The bound is taken over the whole case: the largest |log(max(var, eps))| (in the least precise operand
    dtype) and the largest loss term, 0.5 * (that log + max (input - target)**2 / min clamped var), stand in
    for every element; times the element count for 'sum', with the summation's roundings for 'mean' and
    'sum'. Returns inf where the case's values give no finite bound (such a loss must then match bitwise).
    """
    loss_dtype = decoded(case["loss"])[1]
    input, input_dtype = decoded(case["input"])
    target, target_dtype = decoded(case["target"])
    if "var" in case:
        var, var_dtype = decoded(case["var"])
    else:
        var, var_dtype = np.float64(case.attrs["var_scalar"]), loss_dtype
    # The dtype the log ran in depends on the profile's promotion (a scalar var takes input's); the least
    # precise floating operand bounds them all (an integer or bool operand is converted to a floating partner's
    # dtype, and the loss is floating).
    log_dtype = least_precise([dtype for dtype in (input_dtype, target_dtype, var_dtype, loss_dtype)
                               if dtype in FLOATING_DTYPES])
    clamped = np.maximum(var, float(case.attrs["eps"]))
    count = math.prod(np.broadcast_shapes(input.shape, target.shape))
    if count == 0 or clamped.size == 0:
        return math.inf
    with np.errstate(all="ignore"):
        largest_log = finite_max(np.abs(np.log(clamped)))
        smallest_var = -finite_max(-clamped)
        # For int32 and int64 operands PyTorch's difference and square wrap around; the exact square taken here
        # is at least as large as any wrapped one, so the bound only grows.
        largest_quotient = finite_max((input - target) ** 2) / smallest_var
    largest_term = 0.5 * (largest_log + largest_quotient) + (HALF_LOG_TWO_PI if case.attrs["full"] else 0.0)
    if not math.isfinite(largest_term):
        return math.inf
    per_element = (0.5 * LOG_IMPLEMENTATION_ULPS * ulp(largest_log, log_dtype)
                   + ROUNDINGS_AFTER_LOG * ulp(largest_term, loss_dtype))
    summation = count * ulp(count * largest_term, loss_dtype)
    reduction = text(case.attrs["reduction"])
    if reduction == "sum":
        return count * per_element + summation
    if reduction == "mean":
        return per_element + summation / count
    return per_element


def allowed_across_processors(path: str, a: h5py.Dataset, raw_a: np.ndarray, raw_b: np.ndarray,
                              differing: np.ndarray):
    """Describe how dataset `a` (data `raw_a`) and its twin (data `raw_b`, same dtype and shape), whose elements
    at the flat positions `differing` differ, may differ between two processors, or return None when they may
    not: NaN in both (another sign or payload), or a loss within the CPU log bound."""
    dtype = stored_dtype(a)
    if dtype not in FLOATING_DTYPES:
        return None
    values_a = widened(raw_a.reshape(-1)[differing], dtype)
    values_b = widened(raw_b.reshape(-1)[differing], dtype)
    both_nan = np.isnan(values_a) & np.isnan(values_b)
    nan_note = f"{int(np.count_nonzero(both_nan))} of {a.size} elements are NaN in both, with another sign or payload"
    if np.all(both_nan):
        return f"{path}: {nan_note}"
    if not path.endswith("/loss") or "input" not in a.parent:
        return None
    # The bound reads A's operands: B's are compared bitwise on their own.
    bound = cpu_log_bound(a.parent)
    with np.errstate(all="ignore"):
        difference = np.abs(values_a - values_b)[~both_nan]
    if not math.isfinite(bound) or not np.all(np.isfinite(difference)) or np.any(difference > bound):
        return None
    largest = float(np.max(difference))
    return (f"{path}: {difference.size} of {a.size} elements differ by at most {largest:.3g}, "
            f"{largest / bound:.2f} of the CPU log bound {bound:.3g}" + (f"; {nan_note}" if np.any(both_nan) else ""))


def compare_datasets(path: str, a: h5py.Dataset, b: h5py.Dataset, out: list, tolerated: list = None) -> None:
    """Append the type, shape, storage and value differences of two datasets to `out`.

    With a `tolerated` list, the differences allowed across processors are recorded there instead.
    """
    if a.dtype.str != b.dtype.str or a.shape != b.shape:
        out.append(f"{path}: type/shape differs: A={a.dtype.str}{a.shape} B={b.dtype.str}{b.shape}")
        return
    if storage(a) != storage(b):
        out.append(f"{path}: storage differs: A={storage(a)} B={storage(b)}")
    values_a, values_b = np.asarray(a[()]), np.asarray(b[()])
    bytes_a = values_a.reshape(-1).view(np.uint8).reshape(values_a.size, -1) if values_a.size else None
    bytes_b = values_b.reshape(-1).view(np.uint8).reshape(values_b.size, -1) if values_b.size else None
    if bytes_a is None or np.array_equal(bytes_a, bytes_b):
        return
    differing = np.flatnonzero(np.any(bytes_a != bytes_b, axis=1))
    if tolerated is not None:
        allowed = allowed_across_processors(path, a, values_a, values_b, differing)
        if allowed is not None:
            tolerated.append(allowed)
            return
    first = int(differing[0])
    index = np.unravel_index(first, values_a.shape) if values_a.shape else ()
    out.append(f"{path}: {differing.size} of {values_a.size} elements differ; first at {tuple(int(i) for i in index)}: "
               f"A={element(values_a, bytes_a, first)} B={element(values_b, bytes_b, first)}")


def element(values: np.ndarray, raw: np.ndarray, position: int) -> str:
    """Describe one element by its value and its little-endian bits in hex."""
    return f"{values.reshape(-1)[position]!r} (0x{raw[position][::-1].tobytes().hex()})"


def compare_files(path_a: str, path_b: str, tolerated: list = None) -> list:
    """Return the list of differences between two golden files.

    With a `tolerated` list, the differences allowed across processors are listed there, not returned.
    """
    out = []
    with h5py.File(path_a, "r") as file_a, h5py.File(path_b, "r") as file_b:
        objects_a, objects_b = collect(file_a), collect(file_b)
        for path in sorted(objects_a.keys() - objects_b.keys()):
            out.append(f"{path}: {kind(objects_a[path])} only in A")
        for path in sorted(objects_b.keys() - objects_a.keys()):
            out.append(f"{path}: {kind(objects_b[path])} only in B")
        for path in sorted(objects_a.keys() & objects_b.keys()):
            a, b = objects_a[path], objects_b[path]
            if kind(a) != kind(b):
                out.append(f"{path}: A is a {kind(a)}, B is a {kind(b)}")
                continue
            compare_attributes(path, a, b, out)
            if kind(a) == "dataset":
                compare_datasets(path, a, b, out, tolerated)
    return out


def main() -> int:
    """Parse the command line, compare, print the differences; return the exit status."""
    parser = argparse.ArgumentParser(
        description="Compare two golden HDF5 files exactly (bitwise datasets, exact attributes), or as exactly as "
                    "two processors allow (--across-processors).",
        epilog="Root attributes exempt from comparison (they name the time or machine of an export): "
               + ", ".join(EXEMPT_ROOT_ATTRIBUTES) + ". Exit status: 0 identical (or differing only as "
               "--across-processors allows), 1 different, 2 usage or I/O error.")
    parser.add_argument("a", metavar="A.h5")
    parser.add_argument("b", metavar="B.h5")
    parser.add_argument("--max-differences", type=int, default=50, metavar="N",
                        help="list at most N differences (default 50; 0 lists all)")
    parser.add_argument("--across-processors", action="store_true",
                        help="allow what depends on the processor of an export: NaN elements that differ in sign "
                             "or payload, and a loss that differs within the bound the last bits of PyTorch's CPU "
                             "log (Intel MKL) explain; everything else stays bitwise")
    args = parser.parse_args()
    tolerated = [] if args.across_processors else None
    try:
        differences = compare_files(args.a, args.b, tolerated)
    except OSError as exc:
        print(f"compare_golden: {exc}", file=sys.stderr)
        return 2
    for line in tolerated or []:
        print(f"allowed across processors: {line}")
    if not differences:
        if tolerated:
            print(f"identical but for {len(tolerated)} datasets that differ as processors may: {args.a} and {args.b}")
        else:
            print(f"identical: {args.a} and {args.b}")
        return 0
    shown = differences if args.max_differences <= 0 else differences[:args.max_differences]
    for line in shown:
        print(line)
    if len(shown) < len(differences):
        print(f"... and {len(differences) - len(shown)} more")
    print(f"{len(differences)} differences between {args.a} and {args.b}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
