"""Tests of Tools/export_golden.py's schema 2 parts: which operands require grad, how integer and bool tensors are
planned and stored, how the new errors are classified, and what a case group holds. Expected values are worked out
by hand in the comments."""

import os
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
h5py = pytest.importorskip("h5py")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import export_golden as exporter  # noqa: E402


def case(input, target, var, **kwargs):
    """A planned case with the given operands."""
    return exporter.Case("c", "test", "a test case.", input, target, var, **kwargs)


def test_only_floating_tensors_that_are_asked_to_require_grad():
    floating, integer = exporter.spec([1.0, 2.0], "float32"), exporter.spec([0, 1], "int32")
    assert case(floating, floating, floating).requires_grad == (True, True, True)
    assert case(integer, floating, floating).requires_grad == (False, True, True)
    assert case(floating, floating, 0.5).requires_grad == (True, True, False)
    assert case(floating, floating, floating, wants_grad=(False, True, False)).requires_grad == (False, True, False)
    assert case(floating, floating, floating, grad=False).requires_grad == (False, False, False)


def test_a_case_with_gradients_and_no_operand_that_can_require_grad_is_refused():
    plan = exporter.Plan(1)
    integer = exporter.spec([0, 1], "int64")
    with pytest.raises(ValueError, match="no operand can require grad"):
        plan.add("x", "test", "all integer.", input=integer, target=integer, var=0.5)
    plan.add("y", "test", "all integer, no gradients.", input=integer, target=integer, var=0.5, grad=False)


def test_integer_values_are_checked_against_their_dtype():
    assert exporter.spec([-2**31, 2**31 - 1], "int32").values.tolist() == [-2**31, 2**31 - 1]
    for values, dtype in (([2**31], "int32"), ([0.5], "int64"), ([2.0**53 + 2], "int64"), ([2], "bool"),
                          ([-1], "bool")):
        with pytest.raises(ValueError, match="must be integers"):
            exporter.spec(values, dtype)


def test_integer_and_bool_tensors_are_stored_as_little_endian_integers():
    assert exporter.encode(exporter.spec([True, False], "bool").values, "bool").dtype == np.uint8
    stored = exporter.encode(exporter.spec([2**53, -3], "int64").values, "int64")
    assert stored.dtype == np.dtype("<i8") and stored.tolist() == [2**53, -3]
    assert exporter.encode(exporter.spec([7], "int32").values, "int32").dtype == np.dtype("<i4")
    assert exporter.to_torch(exporter.spec([1, 0], "bool"), "cpu", False).tolist() == [True, False]


@pytest.mark.parametrize("exception, kind", [
    (RuntimeError("result type Float can't be cast to the desired output type long int"), "type"),
    (RuntimeError("result type Float can't be cast to the desired output type bool"), "type"),
    (NotImplementedError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                         "`logical_xor()` operator instead."), "type"),
    (RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a "
                  "mask, use the `~` or `logical_not()` operator instead."), "type"),
])
def test_integer_and_bool_rejections_are_type_errors(exception, kind):
    assert exporter.classify(exception, "mean") == kind


def test_an_unknown_runtime_error_stays_unmapped():
    with pytest.raises(exporter.UnmappedError):
        exporter.classify(RuntimeError("value cannot be converted to type c10::Half without overflow"), "mean")


def test_a_case_group_holds_gradients_exactly_for_the_operands_that_require_grad(tmp_path):
    # float32 input (1, 2), int32 target (0, 0), float32 var (1, 1), eps 1e-6, sum, grad_output 1, and var asked not
    # to require grad: loss 0.5 * (0 + 1) + 0.5 * (0 + 4) = 2.5; d/dinput = (input - target) / var = (1, 2).
    planned = case(exporter.spec([1.0, 2.0], "float32"), exporter.spec([0, 0], "int32"),
                   exporter.spec([1.0, 1.0], "float32"), reduction="sum", grad_output="one",
                   wants_grad=(True, True, False))
    outcome = exporter.run_case(planned, "cpu")
    with h5py.File(tmp_path / "a.h5", "w") as handle:
        exporter.write_case(handle.create_group("cases"), planned, outcome)
    with h5py.File(tmp_path / "a.h5") as handle:
        group = handle["cases/c"]
        attributes = {name: group.attrs[name] for name in group.attrs}
        assert attributes["grad"] == 1
        assert (attributes["requires_grad_input"], attributes["requires_grad_target"],
                attributes["requires_grad_var"]) == (1, 0, 0)
        assert sorted(group) == ["grad_input", "grad_output", "input", "loss", "target", "var"]
        assert group["loss"][()] == np.float32(2.5)
        assert group["grad_input"][()].tolist() == [1.0, 2.0]
        assert group["target"].dtype == np.dtype("<i4") and group["target"].attrs["dtype"] == "int32"
        assert (attributes["hvp"], attributes["jvp"]) == (0, 0)
        # Every one of its 12 attributes stays in the group's object header (libhdf5's default moves a ninth to
        # dense storage: a fractal heap and a B-tree index).
        info = h5py.h5o.get_info(group.id)
        assert info.num_attrs == 12
        assert (info.meta_size.attr.heap_size, info.meta_size.attr.index_size) == (0, 0)


def test_a_rejected_case_has_no_requires_grad_attributes(tmp_path):
    planned = case(exporter.spec([1.0], "float32"), exporter.spec([0.0], "float32"), exporter.spec([1], "int64"))
    outcome = exporter.run_case(planned, "cpu")
    assert outcome.error[0] == "type"
    with h5py.File(tmp_path / "a.h5", "w") as handle:
        exporter.write_case(handle.create_group("cases"), planned, outcome)
    with h5py.File(tmp_path / "a.h5") as handle:
        group = handle["cases/c"]
        assert group.attrs["grad"] == 0 and not any(name.startswith("requires_grad") for name in group.attrs)
        assert sorted(group) == ["input", "target", "var"]


def test_a_higher_order_case_records_tangents_hvp_and_jvp(tmp_path):
    # float64 input (1, 2), target (0, 0), var (1, 2), eps 1e-6, sum, grad_output 1, every operand requiring grad.
    # Per element, with d = input - target, v = var, d' = tangent_input - tangent_target and v' = tangent_var
    # (CONFORMANCE.md section 4): hvp_input = d'/v - d v'/v**2, hvp_target its negative,
    # hvp_var = -d d'/v**2 + (d**2/v**3 - 1/(2 v**2)) v', jvp = sum of d d'/v + (1/(2v) - d**2/(2 v**2)) v'.
    planned = case(exporter.spec([1.0, 2.0], "float64"), exporter.spec([0.0, 0.0], "float64"),
                   exporter.spec([1.0, 2.0], "float64"), reduction="sum", grad_output="one", hvp=True, jvp=True,
                   tangent="grid", tangent_seed=5)
    outcome = exporter.run_case(planned, "cpu")
    with h5py.File(tmp_path / "a.h5", "w") as handle:
        exporter.write_case(handle.create_group("cases"), planned, outcome)
    with h5py.File(tmp_path / "a.h5") as handle:
        group = handle["cases/c"]
        assert (group.attrs["hvp"], group.attrs["jvp"]) == (1, 1)
        assert sorted(group) == ["grad_input", "grad_output", "grad_target", "grad_var", "hvp_input", "hvp_target",
                                 "hvp_var", "input", "jvp", "loss", "tangent_input", "tangent_target", "tangent_var",
                                 "target", "var"]
        tx, tt, tv = (group[f"tangent_{name}"][()] for name in ("input", "target", "var"))
        # grid tangents: multiples of 1/8 in [-2, 2]
        assert all(np.all(t * 8 == np.round(t * 8)) and np.all(np.abs(t) <= 2) for t in (tx, tt, tv))
        d, v, dd = np.array([1.0, 2.0]), np.array([1.0, 2.0]), tx - tt
        assert np.allclose(group["hvp_input"][()], dd / v - d * tv / v**2, rtol=1e-14, atol=0)
        assert np.allclose(group["hvp_target"][()], -(dd / v - d * tv / v**2), rtol=1e-14, atol=0)
        assert np.allclose(group["hvp_var"][()], -d * dd / v**2 + (d**2 / v**3 - 1 / (2 * v**2)) * tv, rtol=1e-14,
                           atol=1e-15)
        assert np.isclose(group["jvp"][()], np.sum(d * dd / v + (1 / (2 * v) - d**2 / (2 * v**2)) * tv), rtol=1e-14,
                          atol=1e-15)
        assert group["jvp"].shape == () and group["jvp"].attrs["dtype"] == "float64"


def test_jvp_only_records_no_hvp_and_tangents_only_for_operands_requiring_grad(tmp_path):
    # float32 input 3 requiring grad, target 1 and var 4 not, none: jvp = d d'/v = 2 d'/4.
    planned = case(exporter.spec([3.0], "float32"), exporter.spec([1.0], "float32"), exporter.spec([4.0], "float32"),
                   reduction="none", wants_grad=(True, False, False), jvp=True, tangent="grid", tangent_seed=3)
    outcome = exporter.run_case(planned, "cpu")
    with h5py.File(tmp_path / "a.h5", "w") as handle:
        exporter.write_case(handle.create_group("cases"), planned, outcome)
    with h5py.File(tmp_path / "a.h5") as handle:
        group = handle["cases/c"]
        assert (group.attrs["hvp"], group.attrs["jvp"]) == (0, 1)
        assert sorted(group) == ["grad_input", "grad_output", "input", "jvp", "loss", "tangent_input", "target", "var"]
        assert group["jvp"][()].tolist() == [group["tangent_input"][()][0] / 2]


def test_hvp_or_jvp_without_gradients_is_refused():
    plan = exporter.Plan(1)
    floating = exporter.spec([1.0], "float32")
    with pytest.raises(ValueError, match="hvp or jvp requested without gradients"):
        plan.add("x", "test", "no gradients.", input=floating, target=floating, var=floating, grad=False, hvp=True)
