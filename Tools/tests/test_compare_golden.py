"""Tests of Tools/compare_golden.py: exact comparison, and what --across-processors allows and what it does not.

Each test writes two small files in the golden format (a /cases group per case, tensors with a `dtype` attribute,
bfloat16 stored as its 16 bits) that differ in one planted way; expected bounds are worked out by hand in the
comments.
"""

import math
import os
import sys

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import compare_golden  # noqa: E402

FLOAT32_ULP_AT_HALF = 2.0**-24
FLOAT32_ULP_AT_ONE = 2.0**-23


def write_case(path, loss, reduction="none", var=(1.0,), grad_var=None, dtype="float32", stored=None):
    """A golden-format file with one case: input 2, target 1 (so (input - target)**2 = 1), eps 1e-6, no constant."""
    with h5py.File(path, "w") as handle:
        case = handle.create_group("cases").create_group("case")
        case.attrs.update({"eps": np.float64(1e-6), "full": np.int64(0), "reduction": reduction, "outcome": "ok"})
        count = len(var)
        tensors = {"input": np.full(count, 2.0), "target": np.full(count, 1.0), "var": np.asarray(var),
                   "loss": np.asarray(loss)}
        if grad_var is not None:
            tensors["grad_var"] = np.asarray(grad_var)
        for name, values in tensors.items():
            data = stored(values) if stored else values.astype(dtype)
            case.create_dataset(name, data=data).attrs["dtype"] = dtype


def compare(tmp_path, a_arguments, b_arguments, across=True):
    """(differences, allowed) between two one-case files."""
    write_case(tmp_path / "a.h5", **a_arguments)
    write_case(tmp_path / "b.h5", **b_arguments)
    allowed = [] if across else None
    return compare_golden.compare_files(str(tmp_path / "a.h5"), str(tmp_path / "b.h5"), allowed), allowed


def next_up(value, dtype=np.float32):
    return np.nextafter(dtype(value), dtype(np.inf))


def test_identical_files_have_no_differences(tmp_path):
    assert compare(tmp_path, {"loss": [0.5]}, {"loss": [0.5]}, across=False) == ([], None)


def test_a_one_ulp_loss_difference_fails_the_exact_comparison(tmp_path):
    differences, _ = compare(tmp_path, {"loss": [0.5]}, {"loss": [next_up(0.5)]}, across=False)
    assert len(differences) == 1 and differences[0].startswith("/cases/case/loss: 1 of 1 elements differ")


def test_bound_of_an_unreduced_case_by_hand(tmp_path):
    # var 1: log 0, whose float32 ulp is the smallest subnormal; largest term 0.5 * (0 + 1 / 1) = 0.5.
    # Bound: 0.5 * 2 * ulp(0) + 2 * ulp(0.5) = 2**-149 + 2 * 2**-24.
    write_case(tmp_path / "a.h5", loss=[0.5])
    with h5py.File(tmp_path / "a.h5") as handle:
        assert compare_golden.cpu_log_bound(handle["cases/case"]) == 2.0**-149 + 2 * FLOAT32_ULP_AT_HALF


def test_bound_of_a_summed_case_by_hand(tmp_path):
    # var (e**1.5, 1): largest |log| 1.5 (ulp 2**-23), smallest var 1, so the largest term is 0.5 * (1.5 + 1) = 1.25.
    # Per element: 0.5 * 2 * 2**-23 + 2 * ulp(1.25) = 3 * 2**-23; summation: 2 * ulp(2 * 1.25) = 4 * 2**-23.
    # Sum of two elements: 2 * 3 * 2**-23 + 4 * 2**-23 = 10 * 2**-23; mean: 3 * 2**-23 + 4 * 2**-23 / 2 = 5 * 2**-23.
    for reduction, expected in (("sum", 10 * FLOAT32_ULP_AT_ONE), ("mean", 5 * FLOAT32_ULP_AT_ONE)):
        write_case(tmp_path / "a.h5", loss=1.0, reduction=reduction, var=(math.exp(1.5), 1.0))
        with h5py.File(tmp_path / "a.h5") as handle:
            assert compare_golden.cpu_log_bound(handle["cases/case"]) == pytest.approx(expected, rel=1e-12)


def test_a_loss_within_the_bound_is_allowed_across_processors(tmp_path):
    differences, allowed = compare(tmp_path, {"loss": [0.5]}, {"loss": [next_up(0.5)]})
    assert differences == []
    assert len(allowed) == 1 and "/cases/case/loss: 1 of 1 elements differ by at most 5.96e-08" in allowed[0]


def test_a_loss_beyond_the_bound_is_a_difference_across_processors(tmp_path):
    # Three float32 ulps at 0.5 (3 * 2**-24) exceed the bound of 2**-149 + 2 * 2**-24.
    beyond = np.float32(0.5) + np.float32(3 * FLOAT32_ULP_AT_HALF)
    differences, allowed = compare(tmp_path, {"loss": [0.5]}, {"loss": [beyond]})
    assert len(differences) == 1 and allowed == []


def test_a_gradient_must_match_bitwise_across_processors(tmp_path):
    differences, _ = compare(tmp_path, {"loss": [0.5], "grad_var": [-0.5]},
                             {"loss": [0.5], "grad_var": [np.nextafter(np.float32(-0.5), np.float32(0))]})
    assert len(differences) == 1 and differences[0].startswith("/cases/case/grad_var:")


def test_nan_sign_and_payload_are_allowed_across_processors_only(tmp_path):
    quiet, negative = np.uint16(0x7E00).view(np.float16), np.uint16(0xFE00).view(np.float16)
    a, b = {"loss": [quiet], "dtype": "float16"}, {"loss": [negative], "dtype": "float16"}
    assert len(compare(tmp_path, a, b, across=False)[0]) == 1
    differences, allowed = compare(tmp_path, a, b)
    assert differences == [] and "1 of 1 elements are NaN in both" in allowed[0]


def test_bfloat16_nan_payloads_are_read_from_their_bits(tmp_path):
    def bfloat16_bits(values):
        bits = np.asarray(values, dtype=np.float32).view(np.uint32) >> 16
        return bits.astype(np.uint16)

    def with_loss_bits(bits):
        return lambda values: bits if values.size == 1 and np.isnan(values).all() else bfloat16_bits(values)

    a = {"loss": [math.nan], "dtype": "bfloat16", "stored": with_loss_bits(np.array([0x7FC0], np.uint16))}
    b = {"loss": [math.nan], "dtype": "bfloat16", "stored": with_loss_bits(np.array([0xFFFF], np.uint16))}
    differences, allowed = compare(tmp_path, a, b)
    assert differences == [] and "NaN in both" in allowed[0]


def test_a_nan_against_a_number_is_a_difference_across_processors(tmp_path):
    differences, _ = compare(tmp_path, {"loss": [0.5]}, {"loss": [math.nan]})
    assert len(differences) == 1


def test_a_loss_with_nan_payloads_and_a_difference_beyond_the_bound_is_one_difference(tmp_path):
    quiet, negative = np.uint32(0x7FC00000).view(np.float32), np.uint32(0xFFC00000).view(np.float32)
    beyond = np.float32(0.5) + np.float32(3 * FLOAT32_ULP_AT_HALF)
    a = {"loss": [quiet, 0.5], "var": (1.0, 1.0), "dtype": "float32"}
    within = {"loss": [negative, next_up(0.5)], "var": (1.0, 1.0), "dtype": "float32"}
    differences, allowed = compare(tmp_path, a, within)
    assert differences == [] and len(allowed) == 1 and "1 of 2 elements are NaN in both" in allowed[0]
    differences, allowed = compare(tmp_path, a, {"loss": [negative, beyond], "var": (1.0, 1.0), "dtype": "float32"})
    assert len(differences) == 1 and allowed == []


def write_typed_case(path, tensors):
    """A golden-format file with one case whose tensors are {name: (dtype, stored data)}: schema 2's integer
    tensors (int32, int64, bool stored as uint8 0/1) beside floating ones; eps 1e-6, no constant, reduction none."""
    with h5py.File(path, "w") as handle:
        case = handle.create_group("cases").create_group("case")
        case.attrs.update({"eps": np.float64(1e-6), "full": np.int64(0), "reduction": "none", "outcome": "ok"})
        for name, (dtype, data) in tensors.items():
            case.create_dataset(name, data=data).attrs["dtype"] = dtype


def test_bound_with_bool_operands_is_that_of_the_floating_loss(tmp_path):
    # bool input 1 and target 0 (stored as uint8), float32 var 1: (input - target)**2 = 1, log 0, largest term 0.5,
    # so the bound is the float32 one worked out above: 2**-149 + 2 * 2**-24. A bool operand has no precision of
    # its own to bound the log with.
    write_typed_case(tmp_path / "a.h5", {
        "input": ("bool", np.array([1], np.uint8)), "target": ("bool", np.array([0], np.uint8)),
        "var": ("float32", np.array([1.0], np.float32)), "loss": ("float32", np.array([0.5], np.float32))})
    with h5py.File(tmp_path / "a.h5") as handle:
        assert compare_golden.cpu_log_bound(handle["cases/case"]) == 2.0**-149 + 2 * FLOAT32_ULP_AT_HALF


def test_an_integer_loss_partner_allows_a_loss_within_the_bound(tmp_path):
    # int32 input 3, int64 target 1: (input - target)**2 = 4; float64 var 4: log 4 = 1.386 (ulp 2**-52), largest
    # term 0.5 * (1.386 + 1) = 1.193 (ulp 2**-52): bound 0.5 * 2 * 2**-52 + 2 * 2**-52 = 3 * 2**-52; one ulp passes.
    loss = 0.5 * (math.log(4.0) + 1.0)

    def tensors(value):
        return {"input": ("int32", np.array([3], np.int32)), "target": ("int64", np.array([1], np.int64)),
                "var": ("float64", np.array([4.0])), "loss": ("float64", np.array([value]))}

    write_typed_case(tmp_path / "a.h5", tensors(loss))
    write_typed_case(tmp_path / "b.h5", tensors(np.nextafter(loss, 2.0)))
    allowed = []
    assert compare_golden.compare_files(str(tmp_path / "a.h5"), str(tmp_path / "b.h5"), allowed) == []
    assert len(allowed) == 1 and "of the CPU log bound 6.66e-16" in allowed[0]


def test_integer_and_bool_tensors_must_match_exactly_across_processors(tmp_path):
    for dtype, stored, a, b in (("int32", np.int32, 5, 6), ("int64", np.int64, 2**53, 2**53 - 1),
                                ("bool", np.uint8, 1, 0)):
        floating = {"var": ("float32", np.array([1.0], np.float32)), "loss": ("float32", np.array([0.5], np.float32))}
        write_typed_case(tmp_path / "a.h5", {"input": (dtype, np.array([a], stored)), **floating})
        write_typed_case(tmp_path / "b.h5", {"input": (dtype, np.array([b], stored)), **floating})
        allowed = []
        differences = compare_golden.compare_files(str(tmp_path / "a.h5"), str(tmp_path / "b.h5"), allowed)
        assert len(differences) == 1 and differences[0].startswith("/cases/case/input: 1 of 1 elements differ")
        assert allowed == []
