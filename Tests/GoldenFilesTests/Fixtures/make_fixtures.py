"""Write the small golden files the GoldenFiles tests read: one valid file and malformed variants.

Run with any Python that has h5py and numpy: `python make_fixtures.py` (from this folder). The values are
stated here and in GoldenFileTests.swift.
"""
import h5py
import numpy as np


def tensor(group, name, values, dtype):
    """A tensor dataset as the exporter writes it."""
    array = np.asarray(values, dtype={"float16": np.float16, "float32": np.float32, "float64": np.float64}[dtype])
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
malformed("schema2.h5", lambda f: f.attrs.__setitem__("schema_version", np.int64(2)))
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
