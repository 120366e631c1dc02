"""Write the small golden files the GoldenFiles tests read: one valid file and malformed variants.

Run with any Python that has h5py and numpy: `python make_fixtures.py` (from this folder). The values are
stated here and in GoldenFileTests.swift.
"""
import h5py
import numpy as np


STORED = {"float16": np.float16, "float32": np.float32, "float64": np.float64, "int32": np.int32, "int64": np.int64,
          "bool": np.uint8}


def tensor(group, name, values, dtype):
    """A tensor dataset as the exporter writes it (bool as uint8 0/1)."""
    array = np.asarray(values, dtype=STORED[dtype])
    dataset = group.create_dataset(name, data=array)
    dataset.attrs["dtype"] = dtype
    return dataset


def root(f, schema_version=1, profile="torch-2.10"):
    """Root attributes."""
    f.attrs["schema_version"] = np.int64(schema_version)
    f.attrs["profile"] = profile
    f.attrs["torch_version"] = "2.15.0"
    f.attrs["seed"] = np.int64(7)


def case(cases, name, category="basic", outcome="ok", grad=1, **extra):
    """A case group with the usual attributes."""
    group = cases.create_group(name)
    group.attrs["category"] = category
    group.attrs["description"] = f"fixture {name}"
    group.attrs["full"] = np.int64(0)
    group.attrs["eps"] = np.float64(1e-6)
    group.attrs["reduction"] = extra.pop("reduction", "sum")
    group.attrs["grad"] = np.int64(grad)
    group.attrs["outcome"] = outcome
    for key, value in extra.items():
        group.attrs[key] = value
    return group


def valid(path):
    """Two cases: a float32 result with gradients, and a float16 rejection."""
    with h5py.File(path, "w") as f:
        root(f)
        cases = f.create_group("cases")
        ok = case(cases, "a.ok")
        tensor(ok, "input", [1.0, 2.0], "float32")
        tensor(ok, "target", [0.0, 0.0], "float32")
        tensor(ok, "var", [1.0, 2.0], "float32")
        tensor(ok, "loss", 0.5 * (0 + 1) + 0.5 * (np.log(np.float32(2)) + 2), "float32")
        tensor(ok, "grad_output", 1.0, "float32")
        tensor(ok, "grad_input", [1.0, 1.0], "float32")
        tensor(ok, "grad_target", [-1.0, -1.0], "float32")
        tensor(ok, "grad_var", [0.0, -0.25], "float32")
        bad = case(cases, "b.error", category="errors", outcome="error", grad=0, reduction="avg",
                   error_kind="reduction", error_type="ValueError", error_message="avg is not valid")
        tensor(bad, "input", [[1.0]], "float16")
        tensor(bad, "target", [[1.0]], "float16")
        tensor(bad, "var", [[1.0]], "float16")


def malformed(path, mutate):
    """The valid file with one change."""
    valid(path)
    with h5py.File(path, "r+") as f:
        mutate(f)


valid("valid.h5")
malformed("schema3_without_hvp.h5", lambda f: f.attrs.__setitem__("schema_version", np.int64(3)))
malformed("no_outcome.h5", lambda f: f["cases/a.ok"].attrs.__delitem__("outcome"))
malformed("bad_dtype.h5", lambda f: f["cases/a.ok/input"].attrs.__setitem__("dtype", "int8"))
malformed("wrong_storage.h5", lambda f: f["cases/a.ok/input"].attrs.__setitem__("dtype", "float64"))
malformed("bad_kind.h5", lambda f: f["cases/b.error"].attrs.__setitem__("error_kind", "explosion"))
malformed("missing_loss.h5", lambda f: f["cases/a.ok"].__delitem__("loss"))


def declared_only(group, name, shape, dtype):
    """A tensor dataset that declares a shape and holds nothing: reading it gives the fill value."""
    dataset = group.create_dataset(name, shape=shape, dtype=dtype)
    dataset.attrs["dtype"] = np.dtype(dtype).name
    return dataset


def huge_dataset(f):
    """a.ok's input declares 20,000,000 float32 values (80 MB), over the 64 MiB a dataset may hold (and the
    2,097,152 elements a case may hold, which is checked first)."""
    del f["cases/a.ok/input"]
    declared_only(f["cases/a.ok"], "input", (20_000_000,), np.float32)


def huge_total(f):
    """18 more cases, c00 to c17, each a rejection whose var declares 1,900,000 float64 values (15.2 MB): each
    case fits the 2,097,152 elements a case may hold, but the 18th var takes the decoded tensors past 256 MiB."""
    for index in range(18):
        group = case(f["cases"], f"c{index:02d}", category="errors", outcome="error", grad=0, reduction="avg",
                     error_kind="reduction", error_type="ValueError", error_message="avg is not valid")
        tensor(group, "input", [1.0], "float64")
        tensor(group, "target", [1.0], "float64")
        declared_only(group, "var", (1_900_000,), np.float64)


malformed("huge_dataset.h5", huge_dataset)
malformed("huge_total.h5", huge_total)


def relabelled(f):
    """b.error's recorded kind contradicts its own call and message: 'avg is not valid' relabelled var_size."""
    f["cases/b.error"].attrs["error_kind"] = "var_size"


def wrong_case_count(f):
    """case_count says 3; /cases holds 2."""
    f.attrs["case_count"] = np.int64(3)


def no_cases(f):
    """/cases holds nothing."""
    for name in list(f["cases"]):
        del f["cases/" + name]


def many_elements(f):
    """a.ok's input, target and var hold 700,000 float32 zeros each (gzip: a few kilobytes): 2,100,000 elements
    together, over the 2,097,152 a case may hold, though every byte limit is met."""
    for name in ["input", "target", "var"]:
        del f["cases/a.ok/" + name]
        dataset = f["cases/a.ok"].create_dataset(
            name, data=np.zeros(700_000, dtype=np.float32), chunks=(65_536,), compression="gzip")
        dataset.attrs["dtype"] = "float32"


def broad_loss(f):
    """a.ok's input is (1500, 1) and target (1, 1500): 3,000 stored elements whose loss would have 2,250,000."""
    for name, shape in [("input", (1500, 1)), ("target", (1, 1500)), ("var", (1500, 1))]:
        del f["cases/a.ok/" + name]
        tensor(f["cases/a.ok"], name, np.ones(shape), "float32")


malformed("relabelled.h5", relabelled)
malformed("wrong_case_count.h5", wrong_case_count)
malformed("no_cases.h5", no_cases)
malformed("many_elements.h5", many_elements)
malformed("broad_loss.h5", broad_loss)


# ---------------------------------------------------------------------------
# Schema 2: integer and bool tensors, non-finite eps and scalar var, requires_grad per operand


def requires_grad(group, input, target, var):
    """The three requires_grad_* attributes of a case with grad 1."""
    for name, flag in (("input", input), ("target", target), ("var", var)):
        group.attrs[f"requires_grad_{name}"] = np.int64(flag)


def valid2(path):
    """Four cases of schema 2, with the values PyTorch 2.15.0 gives.

    a.partial: float32 input (1, 2) requiring grad, int32 target (0, 0) and float32 var (1, 1) not, eps 1e-6, sum:
      loss 0.5 * (0 + 1) + 0.5 * (0 + 4) = 2.5; with grad_output 1, grad_input = (input - target) / var = (1, 2).
    b.bool: bool input (1, 0) (stored 1, 0), float32 target and var: rejected by the subtraction, kind type.
    c.nonfinite: float64 input (1,) requiring grad, target (0,) not, Python float var +inf, eps NaN, none: from
      torch-2.10 on, eps NaN makes the clamped var NaN, so loss and grad_input are NaN.
    d.int64: int64 input (2**53, -3), int64 target (0, 0), float64 var (1, 1) requiring grad, none, grad_output
      (1, 1): the int64 square of 2**53 wraps to 0 (2**106 mod 2**64), so loss = 0.5 * d**2 = (0, 4.5) and
      grad_var = 0.5 * (1 - d**2) = (0.5, -4).
    """
    with h5py.File(path, "w") as f:
        root(f, schema_version=2)
        cases = f.create_group("cases")
        partial = case(cases, "a.partial")
        requires_grad(partial, 1, 0, 0)
        tensor(partial, "input", [1.0, 2.0], "float32")
        tensor(partial, "target", [0, 0], "int32")
        tensor(partial, "var", [1.0, 1.0], "float32")
        tensor(partial, "loss", 2.5, "float32")
        tensor(partial, "grad_output", 1.0, "float32")
        tensor(partial, "grad_input", [1.0, 2.0], "float32")
        message = ("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a "
                   "mask, use the `~` or `logical_not()` operator instead.")
        rejected = case(cases, "b.bool", category="int_operands", outcome="error", grad=0, reduction="mean",
                        error_kind="type", error_type="NotImplementedError", error_message=message)
        tensor(rejected, "input", [1, 0], "bool")
        tensor(rejected, "target", [0.0, 0.0], "float32")
        tensor(rejected, "var", [1.0, 1.0], "float32")
        nonfinite = case(cases, "c.nonfinite", category="scalar_var", reduction="none", var_scalar=np.float64(np.inf))
        nonfinite.attrs["eps"] = np.float64(np.nan)
        requires_grad(nonfinite, 1, 0, 0)
        tensor(nonfinite, "input", [1.0], "float64")
        tensor(nonfinite, "target", [0.0], "float64")
        tensor(nonfinite, "loss", [np.nan], "float64")
        tensor(nonfinite, "grad_output", [1.0], "float64")
        tensor(nonfinite, "grad_input", [np.nan], "float64")
        wide = case(cases, "d.int64", category="int_operands", reduction="none")
        requires_grad(wide, 0, 0, 1)
        tensor(wide, "input", [2**53, -3], "int64")
        tensor(wide, "target", [0, 0], "int64")
        tensor(wide, "var", [1.0, 1.0], "float64")
        tensor(wide, "loss", [0.0, 4.5], "float64")
        tensor(wide, "grad_output", [1.0, 1.0], "float64")
        tensor(wide, "grad_var", [0.5, -4.0], "float64")


def malformed2(path, mutate):
    """The valid schema 2 file with one change."""
    valid2(path)
    with h5py.File(path, "r+") as f:
        mutate(f)


def replace_tensor(f, path, values, dtype):
    """Rewrite one tensor dataset."""
    group, name = path.rsplit("/", 1)
    del f[path]
    tensor(f[group], name, values, dtype)


valid2("valid2.h5")
malformed2("bool_byte.h5", lambda f: replace_tensor(f, "cases/b.bool/input", [1, 2], "bool"))
malformed2("int64_beyond.h5", lambda f: replace_tensor(f, "cases/d.int64/input", [2**53 + 1, -3], "int64"))
malformed2("int32_as_int64.h5", lambda f: replace_tensor(f, "cases/a.partial/target", [0, 0], "int64")
           or f["cases/a.partial/target"].attrs.__setitem__("dtype", "int32"))
malformed2("requires_grad_without_grad.h5",
           lambda f: f["cases/b.bool"].attrs.__setitem__("requires_grad_input", np.int64(0)))
malformed2("requires_grad_missing.h5", lambda f: f["cases/a.partial"].attrs.__delitem__("requires_grad_target"))
malformed2("requires_grad_two.h5", lambda f: f["cases/a.partial"].attrs.__setitem__("requires_grad_input", np.int64(2)))
malformed2("requires_grad_none.h5", lambda f: f["cases/a.partial"].attrs.__setitem__("requires_grad_input", np.int64(0)))
malformed2("requires_grad_integer.h5",
           lambda f: f["cases/a.partial"].attrs.__setitem__("requires_grad_target", np.int64(1)))
malformed2("requires_grad_scalar_var.h5",
           lambda f: f["cases/c.nonfinite"].attrs.__setitem__("requires_grad_var", np.int64(1)))
malformed2("unrequired_gradient.h5", lambda f: tensor(f["cases/a.partial"], "grad_var", [0.0, -1.5], "float32"))
malformed2("missing_gradient.h5", lambda f: f["cases/d.int64"].__delitem__("grad_var"))
malformed("schema1_requires_grad.h5", lambda f: requires_grad(f["cases/a.ok"], 1, 1, 1))
malformed("schema1_int32.h5", lambda f: replace_tensor(f, "cases/a.ok/target", [0, 0], "int32"))


# ---------------------------------------------------------------------------
# Schema 3: Hessian-vector products and forward-mode derivatives


def higher_order(group, hvp, jvp):
    """The hvp and jvp attributes of a case with grad 1."""
    group.attrs["hvp"] = np.int64(hvp)
    group.attrs["jvp"] = np.int64(jvp)


def valid3(path):
    """Three cases of schema 3, with the values PyTorch 2.15.0 gives (checked with torch.autograd.grad and
    torch.func.jvp).

    a.both: float64 input (1, 2), target (0, 0), var (1, 2), all requiring grad, eps 1e-6, sum, grad_output 1;
      tangents input (1, 0), target (0, 1), var (0.5, 0.5); hvp and jvp. Per element, with d = input - target,
      d' = tangent_input - tangent_target = (1, -1), v' = (0.5, 0.5):
      hvp_input = d'/v - d v'/v**2 = (1 - 0.5, -0.5 - 0.25) = (0.5, -0.75), hvp_target its negative,
      hvp_var = -d d'/v**2 + (d**2/v**3 - 1/(2 v**2)) v' = (-1 + 0.25, 0.5 + 0.1875) = (-0.75, 0.6875),
      jvp = sum of d d'/v + (1/(2v) - d**2/(2 v**2)) v' = (1 + 0) + (-1 - 0.125) = -0.125.
    b.error: a rejection (grad 0), so neither attribute.
    c.jvp_only: float32 input (3,) requiring grad, target (1,) and var (4,) not, none, grad_output (2,); tangent
      input (0.5,); jvp only: d d'/v = 2 * 0.5 / 4 = 0.25; grad_input = 2 * d / v = 1.
    """
    with h5py.File(path, "w") as f:
        root(f, schema_version=3)
        cases = f.create_group("cases")
        both = case(cases, "a.both")
        requires_grad(both, 1, 1, 1)
        higher_order(both, 1, 1)
        tensor(both, "input", [1.0, 2.0], "float64")
        tensor(both, "target", [0.0, 0.0], "float64")
        tensor(both, "var", [1.0, 2.0], "float64")
        tensor(both, "loss", 1.5 + 0.5 * np.log(2.0), "float64")
        tensor(both, "grad_output", 1.0, "float64")
        tensor(both, "grad_input", [1.0, 1.0], "float64")
        tensor(both, "grad_target", [-1.0, -1.0], "float64")
        tensor(both, "grad_var", [0.0, -0.25], "float64")
        tensor(both, "tangent_input", [1.0, 0.0], "float64")
        tensor(both, "tangent_target", [0.0, 1.0], "float64")
        tensor(both, "tangent_var", [0.5, 0.5], "float64")
        tensor(both, "hvp_input", [0.5, -0.75], "float64")
        tensor(both, "hvp_target", [-0.5, 0.75], "float64")
        tensor(both, "hvp_var", [-0.75, 0.6875], "float64")
        tensor(both, "jvp", -0.125, "float64")
        rejected = case(cases, "b.error", category="errors", outcome="error", grad=0, reduction="avg",
                        error_kind="reduction", error_type="ValueError", error_message="avg is not valid")
        tensor(rejected, "input", [1.0], "float32")
        tensor(rejected, "target", [1.0], "float32")
        tensor(rejected, "var", [1.0], "float32")
        only = case(cases, "c.jvp_only", reduction="none")
        requires_grad(only, 1, 0, 0)
        higher_order(only, 0, 1)
        tensor(only, "input", [3.0], "float32")
        tensor(only, "target", [1.0], "float32")
        tensor(only, "var", [4.0], "float32")
        tensor(only, "loss", [0.5 * (np.log(np.float32(4)) + 1)], "float32")
        tensor(only, "grad_output", [2.0], "float32")
        tensor(only, "grad_input", [1.0], "float32")
        tensor(only, "tangent_input", [0.5], "float32")
        tensor(only, "jvp", [0.25], "float32")


def malformed3(path, mutate):
    """The valid schema 3 file with one change."""
    valid3(path)
    with h5py.File(path, "r+") as f:
        mutate(f)


valid3("valid3.h5")
malformed3("schema4.h5", lambda f: f.attrs.__setitem__("schema_version", np.int64(4)))
malformed3("tangent_shape.h5", lambda f: replace_tensor(f, "cases/a.both/tangent_target", [0.0, 1.0, 2.0], "float64"))
malformed3("tangent_dtype.h5", lambda f: replace_tensor(f, "cases/a.both/tangent_var", [0.5, 0.5], "float32"))
malformed3("tangent_missing.h5", lambda f: f["cases/a.both"].__delitem__("tangent_input"))
malformed3("tangent_unrequired.h5", lambda f: tensor(f["cases/c.jvp_only"], "tangent_target", [1.0], "float32"))
malformed3("hvp_missing.h5", lambda f: f["cases/a.both"].__delitem__("hvp_var"))
malformed3("hvp_unrequested.h5", lambda f: tensor(f["cases/c.jvp_only"], "hvp_input", [1.0], "float32"))
malformed3("hvp_shape.h5", lambda f: replace_tensor(f, "cases/a.both/hvp_input", [[0.5, -0.75]], "float64"))
malformed3("jvp_missing.h5", lambda f: f["cases/c.jvp_only"].__delitem__("jvp"))
malformed3("jvp_shape.h5", lambda f: replace_tensor(f, "cases/c.jvp_only/jvp", 0.25, "float32"))
malformed3("hvp_without_grad.h5", lambda f: higher_order(f["cases/b.error"], 1, 0))
malformed3("hvp_attribute_missing.h5", lambda f: f["cases/a.both"].attrs.__delitem__("jvp"))
malformed3("hvp_attribute_two.h5", lambda f: f["cases/a.both"].attrs.__setitem__("hvp", np.int64(2)))
malformed2("schema2_hvp.h5", lambda f: higher_order(f["cases/a.partial"], 1, 0))
