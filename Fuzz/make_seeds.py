#!/usr/bin/env python3
"""Writes the hand-made seeds of the corpora under Fuzz/Corpus/ (deterministic).

Each target reads its input front to back (Fuzz/Support/FuzzBytes.swift): these seeds are inputs that
reach each target's main paths, for libFuzzer to mutate. The corpora also hold inputs merged from fuzzing
campaigns (files named by their SHA-1; `Tools/fuzz merge`). After changing a target's input format, delete
its corpus folder, rerun this script, and merge again from a fresh campaign.
"""
import base64
import json
import os
import shutil
import struct

ROOT = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(ROOT, "Corpus")
FIXTURES = os.path.join(ROOT, "..", "Tests", "GoldenFilesTests", "Fixtures")


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as handle:
        handle.write(data)


def golden_reader():
    valid = open(os.path.join(FIXTURES, "valid.h5"), "rb").read()
    write("FuzzGoldenReader", "valid.h5", valid)
    for length in (8, 96, 512, 2048, 4096, 8192):
        write("FuzzGoldenReader", f"valid-truncated-{length}.h5", valid[:length])
    for name in ("bad_kind.h5", "missing_loss.h5"):
        shutil.copy(os.path.join(FIXTURES, name), os.path.join(CORPUS, "FuzzGoldenReader", name))


def tensor(dtype, shape, values):
    formats = {"float32": "<f", "float64": "<d", "float16": "<e"}
    if dtype == "bfloat16":
        data = b"".join(struct.pack("<f", v)[2:] for v in values)
    else:
        data = b"".join(struct.pack(formats[dtype], v) for v in values)
    return {"dtype": dtype, "shape": shape, "data": base64.b64encode(data).decode()}


def line(message):
    return (json.dumps(message, separators=(",", ":")) + "\n").encode()


def response_decoder():
    # Byte 0 picks the answered call: 0 no grad, 1 grad, 2 grad with scalar var, 3 scalar var;
    # byte 1 the expected id (0-3).
    scalar = tensor("float32", [], [0.75])
    vector = tensor("float32", [2], [1.0, -2.5])
    seeds = {
        "loss": (0, 1, {"id": 1, "ok": True, "loss": scalar}),
        "loss-float64": (0, 1, {"id": 1, "ok": True, "loss": tensor("float64", [2], [0.5, 1e300])}),
        "loss-float16": (0, 2, {"id": 2, "ok": True, "loss": tensor("float16", [1, 2], [0.5, -0.0])}),
        "loss-bfloat16": (0, 1, {"id": 1, "ok": True, "loss": tensor("bfloat16", [], [3.0])}),
        "grad": (1, 1, {"id": 1, "ok": True, "loss": scalar, "grad_input": vector, "grad_target": vector,
                        "grad_var": vector}),
        "grad-scalar-var": (2, 3, {"id": 3, "ok": True, "loss": scalar, "grad_input": vector,
                                   "grad_target": vector, "grad_var": None}),
        "rejection": (0, 1, {"id": 1, "ok": False, "error": {"kind": "var_size",
                                                              "message": "var is of incorrect size"}}),
        "rejection-unicode": (3, 0, {"id": 0, "ok": False, "error": {"kind": "reduction",
                                                                      "message": "\u00e9\\\"\t is not valid"}}),
        "hello": (0, 0, {"ok": True, "protocol": 1, "name": "x", "version": "1", "profile": "torch-2.6",
                         "dtypes": ["float16", "bfloat16", "float32", "float64"],
                         "features": ["grad", "scalar_var", "mixed_dtype"]}),
        "hello-minimal": (0, 0, {"ok": True, "protocol": 1, "name": "", "version": ""}),
        "request-eval": (0, 0, {"op": "eval", "id": 7, "input": vector, "target": vector, "var": vector,
                                "full": False, "eps": 1e-6, "reduction": "mean", "grad": False}),
        "request-eval-grad": (0, 0, {"op": "eval", "id": 8, "input": vector, "target": vector,
                                     "var": {"scalar": 0.5}, "full": True, "eps": -0.0, "reduction": "none",
                                     "grad": True, "grad_output": vector}),
        "request-hello": (0, 0, {"op": "hello", "protocol": 1}),
        "request-bye": (0, 0, {"op": "bye"}),
    }
    for name, (call, expected_id, message) in seeds.items():
        write("FuzzResponseDecoder", name, bytes([call, expected_id]) + line(message))
    write("FuzzResponseDecoder", "nested", bytes([0, 1]) + b"[" * 70 + b"]" * 70)
    write("FuzzResponseDecoder", "numbers", bytes([0, 1]) + b'{"id":1e400,"ok":true,"x":-0.0e-999999999}')


def shapes():
    # Shapes: a rank byte (mod 7), then one selector byte per extent (low 3 bits < 4: small, 4: table,
    # 5: 8 raw bytes, 6: small negative); then var's form, the scalar flag, dtype, reduction and full.
    small = lambda n: (n << 3) & 0xFF
    seeds = {
        "matrix-and-row": bytes([2, small(2), small(3), 1, small(3), 0, 0, 2, 0, 1]),
        "var-dropped-last": bytes([2, small(3), small(4), 2, small(3), small(4), 1, 0, 1, 1, 0]),
        "zero-extent": bytes([3, small(0), small(2), small(1), 1, small(2), 2, 0, 3, 2, 1]),
        "huge": bytes([2, 4, 0, small(0), 1, 5]) + struct.pack("<q", 2**62) + bytes([0, 0, 0, 0]),
        "negative": bytes([2, 6 | (1 << 3), small(2), 2, small(2), small(1), 4, 1, 0, 1, 0, 0]),
        "rank-six": bytes([6] + [small(1)] * 6 + [0]),
    }
    for name, data in seeds.items():
        write("FuzzShapes", name, data)


def judge():
    # kind, dtype, model flag, unit roundoff flag (+ value), then the element and the value.
    def f80_from_double(x):
        return bytes([1]) + bytes([0]) + struct.pack("<d", x)
    seeds = {
        "within": bytes([0, 2, 0, 0, 1]) + f80_from_double(1.5) + bytes([3, 1, 3, 1, 1, 3, 1, 1, 0, 2]),
        "nan": bytes([1, 0, 0, 0, 0, 2, 4, 1, 1, 1, 0, 0]),
        "infinity": bytes([2, 1, 0, 0, 2, 2, 2, 0, 0, 0, 1, 0, 1, 0, 1]),
        "arbitrary": bytes([3, 3, 1, 1, 0, 0xFF, 0xF0, 0, 0, 0, 0, 0, 0x80, 0x3F]) + bytes(range(40)),
    }
    for name, data in seeds.items():
        write("FuzzJudge", name, data)


def reference():
    # profile, input dtype, mixing byte, input shape (rank mod 5, extents), target form, var form, ...
    seeds = {
        "float32-vector": bytes([3, 2, 0, 1, 3, 3, 0, 2, 0, 0, 0, 2, 1, 0, 0, 1, 2, 0, 0]),
        "float16-matrix-grad": bytes([2, 0, 0, 2, 2, 3, 3, 1, 1, 2, 1, 0, 4, 2, 3, 0, 8, 0, 0, 2, 1, 1, 0]),
        "mixed-dtypes": bytes([3, 1, 0x0F, 2, 1, 4, 1, 0, 0, 3, 8, 1, 0, 2, 3, 7, 0, 5, 1, 1, 1]),
        "torch-1.8-rows": bytes([0, 3, 0, 2, 2, 2, 3, 2, 2, 0, 0, 2, 0, 1, 3, 4, 0, 1, 0, 2, 1, 1]),
        "scalar-var": bytes([2, 2, 0, 1, 2, 3, 5, 0, 9, 0, 2, 0, 0, 0, 0, 1, 1, 0, 0]),
        "special-values": bytes([3, 3, 0, 1, 4] + [2, 4] * 12 + [1, 1, 2, 2, 1]),
        "eps-neighbourhood": bytes([1, 2, 0, 1, 4, 3, 0, 2, 0, 0, 5, 1, 0, 5, 2, 1, 3, 2, 0, 1]),
    }
    for name, data in seeds.items():
        write("FuzzReference", name, data)


if __name__ == "__main__":
    golden_reader()
    response_decoder()
    shapes()
    judge()
    reference()
