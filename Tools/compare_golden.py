#!/usr/bin/env python3
"""Compare two golden HDF5 files exactly.

Every group, dataset and attribute must match: the same paths and object
kinds, the same dataset types, shapes and storage (chunked, compression,
shuffle), dataset values bit for bit, and attribute values exactly (with
their HDF5 types).  Root attributes that name the time or the machine of an
export are exempt.

Exit status: 0 when the files are identical, 1 when they differ (the
differences are listed), 2 on usage or I/O errors.
"""

import argparse
import sys

import h5py
import numpy as np

EXEMPT_ROOT_ATTRIBUTES = ("created_at", "platform", "python_version")


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


def compare_datasets(path: str, a: h5py.Dataset, b: h5py.Dataset, out: list) -> None:
    """Append the type, shape, storage and value differences of two datasets to `out`."""
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
    first = int(differing[0])
    index = np.unravel_index(first, values_a.shape) if values_a.shape else ()
    out.append(f"{path}: {differing.size} of {values_a.size} elements differ; first at {tuple(int(i) for i in index)}: "
               f"A={element(values_a, bytes_a, first)} B={element(values_b, bytes_b, first)}")


def element(values: np.ndarray, raw: np.ndarray, position: int) -> str:
    """Describe one element by its value and its little-endian bits in hex."""
    return f"{values.reshape(-1)[position]!r} (0x{raw[position][::-1].tobytes().hex()})"


def compare_files(path_a: str, path_b: str) -> list:
    """Return the list of differences between two golden files."""
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
                compare_datasets(path, a, b, out)
    return out


def main() -> int:
    """Parse the command line, compare, print the differences; return the exit status."""
    parser = argparse.ArgumentParser(
        description="Compare two golden HDF5 files exactly (bitwise datasets, exact attributes).",
        epilog="Root attributes exempt from comparison (they name the time or machine of an export): "
               + ", ".join(EXEMPT_ROOT_ATTRIBUTES) + ". Exit status: 0 identical, 1 different, 2 usage or I/O error.")
    parser.add_argument("a", metavar="A.h5")
    parser.add_argument("b", metavar="B.h5")
    parser.add_argument("--max-differences", type=int, default=50, metavar="N",
                        help="list at most N differences (default 50; 0 lists all)")
    args = parser.parse_args()
    try:
        differences = compare_files(args.a, args.b)
    except OSError as exc:
        print(f"compare_golden: {exc}", file=sys.stderr)
        return 2
    if not differences:
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
