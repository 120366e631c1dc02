#!/usr/bin/env python3
"""Writes the HDF5 fixtures that Tests/HDF5Tests reads.

Run from anywhere with a Python that has h5py and numpy:

    python3 Tests/HDF5Tests/Fixtures/make_fixtures.py

It rewrites types.h5 and hostile.h5 next to this script. The values written here are stated again, by
hand, in Tests/HDF5Tests/FixtureValuesTests.swift (datasets), GroupAndAttributeTests.swift (groups and
attributes) and MalformedFileTests.swift (hostile.h5); change them together. The committed files were
written with h5py 3.16.0 over HDF5 2.0.0 and numpy 2.4.6; any h5py over HDF5 >= 1.10.5 will do.

types.h5 holds one example of every element type and layout the HDF5 module reads:

Root attributes
    schema_version  int64 scalar      1
    profile         vlen UTF-8        "torch-test"
    unicode         vlen UTF-8        "µ-ß ✓ 🙂"
    empty_string    vlen UTF-8        ""
    eps             float64 scalar    1e-06
    float32_attr    float32 scalar    0.25
    float16_attr    float16 scalar    -1.5
    int32_attr      int32 scalar      -7
    uint16_attr     uint16 scalar     65535
    uint64_attr     uint64 scalar     2**64 - 1 (out of Int64 range: reading it fails)
    ints            int64 (3,)        [1, -2, 3]
    int_matrix      int64 (2, 3)      [[0, 1, 2], [3, 4, 5]]
    floats          float64 (2,)      [0.5, -1.0]
    strings         vlen UTF-8 (2,)   ["x", "yz"]
    fixed           fixed ASCII S5    b"fixed"
    fixed_padded    fixed ASCII S8    b"ab" (null-padded)

Groups /cases/b, /cases/a, /cases/C, /cases/a_2 are created in that order; their names sort as C, a, a_2, b.
/cases/a has the attributes category = "var_forms" (vlen string) and full = 0 (int64).

Datasets in /data (created in this order):
    float32         float32 (2, 3)    [[1.5, -2.25, inf], [-0.0, nan, 2**-149]], attribute dtype = "float32"
    float64_scalar  float64 ()        3.141592653589793, attribute dtype = "float64"
    float64         float64 (3,)      [0.1, -1e300, 5e-324]
    float32_empty   float32 (0, 3)    no elements
    float16         float16 (7,)      bits [0x3C00, 0xC000, 0x3800, 0x7BFF, 0x7C00, 0x0001, 0x7E00],
                                      attribute dtype = "float16"
    float16_be      big-endian float16, the same bits as float16
    float32_be      big-endian float32 (2,) [1.0, -3.5]
    bfloat16        uint16 (4,)       [0x3F80, 0xC040, 0x7F80, 0x0000], attribute dtype = "bfloat16"
    int8            int8              [-128, 0, 127]
    int16           int16             [-32768, 32767]
    int32           int32             [-2147483648, 2147483647]
    int64           int64             [-2**63, 2**63 - 1, 0]
    uint8           uint8             [0, 255]
    uint16          uint16            [0, 65535]
    uint32          uint32            [0, 4294967295]
    uint64          uint64            [0, 2**64 - 1]
    chunked         float64 (64, 32)  element i (row-major) = i * 0.5 - 100; chunks (16, 32), shuffle, gzip 4
    chunked_float16 float16 (1024,)   bits 0x3C00 + i; chunks (256,), shuffle, gzip 4
    strings         vlen UTF-8 (3,)   ["alpha", "βeta", ""]
    string_scalar   vlen UTF-8 ()     "hello"
    fixed_strings   fixed ASCII S4    [b"ab", b"cde", b""]
    compound        {a: int32, b: float64} (1,), unsupported by the reader
    bool            numpy bool (2,), an HDF5 enum, unsupported by the reader
Links in /data: soft -> /data/float64, dangling -> /nowhere, external -> other.h5:/x (never followed).

hostile.h5 holds valid HDF5 that a careless reader would mishandle:
    huge_contiguous  float64 (123456789, 4, 4), contiguous, never written (15.8 GB declared, 0 stored)
    huge_chunked     float32 (2**20, 2**20, 2**20), chunks (1, 1, 1024), never written
    big_chunk        float32 (1,), maxshape (None,), chunks (1048576,) (4 MiB), gzip, holding [7.0]
    chunked          float64 (4096,) = arange(4096), chunks (4096,), shuffle, gzip 4
and root attributes chunk_offset and chunk_size (int64): where the one chunk of /chunked lies in the file,
so that the tests can corrupt it. The tests patch the 8-byte little-endian value 123456789 (the first
dimension of huge_contiguous) to make absurd dimensions.

Both files use libver ("earliest", "v110") so that libhdf5 1.10 reads them.
"""

import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
LIBVER = ("earliest", "v110")


def write_types(path):
    with h5py.File(path, "w", libver=LIBVER) as f:
        a = f.attrs
        a["schema_version"] = np.int64(1)
        a["profile"] = "torch-test"
        a["unicode"] = "µ-ß ✓ 🙂"
        a["empty_string"] = ""
        a["eps"] = np.float64(1e-6)
        a["float32_attr"] = np.float32(0.25)
        a["float16_attr"] = np.float16(-1.5)
        a["int32_attr"] = np.int32(-7)
        a["uint16_attr"] = np.uint16(65535)
        a["uint64_attr"] = np.uint64(2**64 - 1)
        a["ints"] = np.array([1, -2, 3], dtype=np.int64)
        a["int_matrix"] = np.arange(6, dtype=np.int64).reshape(2, 3)
        a["floats"] = np.array([0.5, -1.0], dtype=np.float64)
        a["strings"] = np.array(["x", "yz"], dtype=h5py.string_dtype())
        a["fixed"] = np.bytes_(b"fixed")
        a["fixed_padded"] = np.array(b"ab", dtype="S8")

        cases = f.create_group("cases")
        for name in ["b", "a", "C", "a_2"]:
            cases.create_group(name)
        cases["a"].attrs["category"] = "var_forms"
        cases["a"].attrs["full"] = np.int64(0)

        d = f.create_group("data")
        x = d.create_dataset(
            "float32", data=np.array([[1.5, -2.25, np.inf], [-0.0, np.nan, 2.0**-149]], dtype=np.float32))
        x.attrs["dtype"] = "float32"
        x = d.create_dataset("float64_scalar", data=np.float64(3.141592653589793))
        x.attrs["dtype"] = "float64"
        d.create_dataset("float64", data=np.array([0.1, -1e300, 5e-324], dtype=np.float64))
        d.create_dataset("float32_empty", shape=(0, 3), dtype=np.float32)
        half_bits = np.array([0x3C00, 0xC000, 0x3800, 0x7BFF, 0x7C00, 0x0001, 0x7E00], dtype=np.uint16)
        x = d.create_dataset("float16", data=half_bits.view(np.float16))
        x.attrs["dtype"] = "float16"
        d.create_dataset("float16_be", data=half_bits.view(np.float16).astype(">f2"))
        d.create_dataset("float32_be", data=np.array([1.0, -3.5], dtype=">f4"))
        x = d.create_dataset("bfloat16", data=np.array([0x3F80, 0xC040, 0x7F80, 0x0000], dtype=np.uint16))
        x.attrs["dtype"] = "bfloat16"
        d.create_dataset("int8", data=np.array([-128, 0, 127], dtype=np.int8))
        d.create_dataset("int16", data=np.array([-32768, 32767], dtype=np.int16))
        d.create_dataset("int32", data=np.array([-2147483648, 2147483647], dtype=np.int32))
        d.create_dataset("int64", data=np.array([-(2**63), 2**63 - 1, 0], dtype=np.int64))
        d.create_dataset("uint8", data=np.array([0, 255], dtype=np.uint8))
        d.create_dataset("uint16", data=np.array([0, 65535], dtype=np.uint16))
        d.create_dataset("uint32", data=np.array([0, 4294967295], dtype=np.uint32))
        d.create_dataset("uint64", data=np.array([0, 2**64 - 1], dtype=np.uint64))
        d.create_dataset(
            "chunked", data=(np.arange(64 * 32, dtype=np.float64) * 0.5 - 100).reshape(64, 32),
            chunks=(16, 32), shuffle=True, compression="gzip", compression_opts=4)
        d.create_dataset(
            "chunked_float16", data=(0x3C00 + np.arange(1024, dtype=np.uint16)).view(np.float16),
            chunks=(256,), shuffle=True, compression="gzip", compression_opts=4)
        d.create_dataset("strings", data=np.array(["alpha", "βeta", ""], dtype=h5py.string_dtype()))
        d.create_dataset("string_scalar", data="hello", dtype=h5py.string_dtype())
        d.create_dataset("fixed_strings", data=np.array([b"ab", b"cde", b""], dtype="S4"))
        d.create_dataset("compound", data=np.array([(1, 2.0)], dtype=[("a", "<i4"), ("b", "<f8")]))
        d.create_dataset("bool", data=np.array([True, False]))
        d["soft"] = h5py.SoftLink("/data/float64")
        d["dangling"] = h5py.SoftLink("/nowhere")
        d["external"] = h5py.ExternalLink("other.h5", "/x")


def write_hostile(path):
    with h5py.File(path, "w", libver=LIBVER) as f:
        f.create_dataset("huge_contiguous", shape=(123456789, 4, 4), dtype=np.float64)
        f.create_dataset("huge_chunked", shape=(2**20, 2**20, 2**20), dtype=np.float32, chunks=(1, 1, 1024))
        f.create_dataset(
            "big_chunk", data=np.array([7.0], dtype=np.float32), maxshape=(None,), chunks=(1 << 20,),
            compression="gzip")
        x = f.create_dataset(
            "chunked", data=np.arange(4096, dtype=np.float64), chunks=(4096,), shuffle=True,
            compression="gzip", compression_opts=4)
        info = x.id.get_chunk_info(0)
        f.attrs["chunk_offset"] = np.int64(info.byte_offset)
        f.attrs["chunk_size"] = np.int64(info.size)
    with h5py.File(path, "r") as f:
        info = f["chunked"].id.get_chunk_info(0)
        assert f.attrs["chunk_offset"] == info.byte_offset and f.attrs["chunk_size"] == info.size


if __name__ == "__main__":
    write_types(os.path.join(HERE, "types.h5"))
    write_hostile(os.path.join(HERE, "hostile.h5"))
    for name in ["types.h5", "hostile.h5"]:
        print(name, os.path.getsize(os.path.join(HERE, name)), "bytes")
