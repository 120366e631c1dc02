"""Serve a gaussian_nll_loss implementation over the candidate protocol, version 1.

An adapter is one function, ``evaluate(case)``. It gets a :class:`Case` whose
tensors are decoded to numpy arrays, and returns a :class:`Result` or raises
:class:`Rejection`. :func:`serve` does everything else: the handshake, decoding
and encoding tensors (bfloat16 included), answering ``unsupported`` for dtypes
and features the adapter does not declare, reporting adapter crashes as kind
``internal``, and ``bye``.

Messages are single lines of JSON on stdin and stdout; stderr is for logs.
While the adapter runs, ``sys.stdout`` points at stderr, so a stray ``print``
cannot corrupt the protocol stream. Every hello also carries ``gnll_version``,
the version of this package, which the suite ignores.

    from gnll.candidate import Result, Tensor, serve

    def evaluate(case):
        ...
        return Result(loss=Tensor(values, case.input.dtype))

    serve(evaluate, name="mine", version="0.1", profile="torch-2.10")
"""

import argparse
import base64
import json
import sys
import traceback
from dataclasses import dataclass
from typing import Callable, Optional, Sequence, Union

import numpy as np

from gnll import __version__
from gnll_common import PROFILES  # noqa: F401 (adapters import PROFILES from here)

PROTOCOL = 1
DTYPES = ("float16", "bfloat16", "float32", "float64")
FEATURES = ("grad", "scalar_var", "mixed_dtype")
REJECTION_KINDS = ("negative_var", "var_size", "target_size", "reduction", "broadcast", "type", "unsupported")

# Numpy dtype that holds each protocol dtype's values; bfloat16 values live in float32.
_VALUE_DTYPES = {"float16": "<f2", "bfloat16": "<f4", "float32": "<f4", "float64": "<f8"}


@dataclass(frozen=True)
class Tensor:
    """A tensor as the protocol sees it: values plus the protocol dtype name.

    ``array`` holds the values. For bfloat16 it is a float32 array, every value
    of which is exactly representable in bfloat16 on decoding; on encoding any
    float array is accepted and rounded to ``dtype``.
    """

    array: np.ndarray
    dtype: str


@dataclass(frozen=True)
class Case:
    """One ``eval`` request. ``var`` is a Tensor, or a float for a scalar var."""

    id: int
    input: Tensor
    target: Tensor
    var: Union[Tensor, float]
    full: bool
    eps: float
    reduction: str
    grad: bool
    grad_output: Optional[Tensor]


@dataclass(frozen=True)
class Result:
    """What an adapter returns: the loss, and the gradients when the case asked for them.

    ``grad_var`` is ignored (sent as null) when the case has a scalar var.
    """

    loss: Tensor
    grad_input: Optional[Tensor] = None
    grad_target: Optional[Tensor] = None
    grad_var: Optional[Tensor] = None


class Rejection(Exception):
    """Raised by an adapter that rejects a case the way the reference implementation does."""

    def __init__(self, kind: str, message: str):
        if kind not in REJECTION_KINDS:
            raise ValueError(f"unknown rejection kind {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.message = message


class BadRequest(Exception):
    """A request line that does not follow the protocol."""


def decode_tensor(obj) -> Tensor:
    """Decode a protocol tensor object into a :class:`Tensor`."""
    try:
        dtype, shape, data = obj["dtype"], obj["shape"], base64.b64decode(obj["data"], validate=True)
    except (TypeError, KeyError, ValueError) as error:
        raise BadRequest(f"malformed tensor: {error}") from error
    if dtype not in DTYPES:
        raise BadRequest(f"unknown dtype {dtype!r}")
    if not isinstance(shape, list) or not all(isinstance(n, int) and n >= 0 for n in shape):
        raise BadRequest(f"malformed shape {shape!r}")
    width = 2 if dtype == "bfloat16" else np.dtype(_VALUE_DTYPES[dtype]).itemsize
    if len(data) != width * int(np.prod(shape, dtype=np.int64)):
        raise BadRequest(f"{len(data)} data bytes do not fit a {dtype} tensor of shape {shape}")
    if dtype == "bfloat16":
        bits = np.frombuffer(data, dtype="<u2").astype(np.uint32) << 16
        values = bits.view(np.float32)
    else:
        values = np.frombuffer(data, dtype=_VALUE_DTYPES[dtype]).copy()
    return Tensor(values.reshape(shape), dtype)


def bfloat16_bits(array: np.ndarray) -> np.ndarray:
    """Round float values to bfloat16 (to nearest, ties to even) and return the 16-bit patterns.

    Values are first rounded to float32. NaN stays NaN (made quiet, sign kept).
    """
    values = np.asarray(array, dtype=np.float32)
    bits = values.reshape(-1).view(np.uint32)  # 1-d, so that uint32 overflow wraps silently
    rounded = (bits + np.uint32(0x7FFF) + ((bits >> 16) & np.uint32(1))) >> 16
    quiet_nan = (bits >> 16) | np.uint32(0x0040)
    return np.where(np.isnan(values.reshape(-1)), quiet_nan, rounded).astype("<u2").reshape(values.shape)


def encode_tensor(tensor: Tensor) -> dict:
    """Encode a :class:`Tensor` as a protocol tensor object, rounding to its dtype."""
    array = np.asarray(tensor.array)
    if tensor.dtype == "bfloat16":
        raw = bfloat16_bits(array).tobytes()
    else:
        raw = np.ascontiguousarray(array, dtype=_VALUE_DTYPES[tensor.dtype]).tobytes()
    return {"dtype": tensor.dtype, "shape": list(array.shape), "data": base64.b64encode(raw).decode("ascii")}


def parse_case(request: dict) -> Case:
    """Build a :class:`Case` from an ``eval`` request."""
    try:
        var = request["var"]
        grad = bool(request.get("grad", False))
        return Case(
            id=request["id"],
            input=decode_tensor(request["input"]),
            target=decode_tensor(request["target"]),
            var=float(var["scalar"]) if "scalar" in var else decode_tensor(var),
            full=bool(request["full"]),
            eps=float(request["eps"]),
            reduction=request["reduction"],
            grad=grad,
            grad_output=decode_tensor(request["grad_output"]) if grad else None,
        )
    except (TypeError, KeyError, ValueError) as error:
        raise BadRequest(f"malformed eval request: {type(error).__name__}: {error}") from error


def evaluate_by_vjp(
    case: Case,
    operands: list,
    forward: Callable,
    vjp: Callable,
    to_protocol: Callable,
    rejection_for: Callable[[Exception], Rejection],
) -> Result:
    """The whole evaluation of an adapter whose library differentiates by a vector-Jacobian product.

    ``forward(*operands)`` is the loss (evaluated, for a lazy library); ``vjp(operands)`` is ``(loss,
    (grad_input, grad_target, grad_var))`` for the cotangent ``grad_output``, which the adapter converts
    itself. An exception from either is turned into a protocol rejection by ``rejection_for`` (which re-raises
    what it does not know); ``to_protocol`` turns a library array into a :class:`Tensor`.
    """
    try:
        if not case.grad:
            return Result(loss=to_protocol(forward(*operands)))
        loss, (grad_input, grad_target, grad_var) = vjp(operands)
    except Exception as error:
        raise rejection_for(error) from error
    return Result(
        loss=to_protocol(loss),
        grad_input=to_protocol(grad_input),
        grad_target=to_protocol(grad_target),
        grad_var=to_protocol(grad_var),
    )


def rejection_from(error: Exception, kinds: Sequence[tuple], message: Optional[str] = None) -> Rejection:
    """The protocol rejection for a library's exception, from a table of ``(exception types, kind, test of the
    message)`` rows tried in order; re-raises an error that no row matches (a fault, not a rejection).

    The rejection's text is ``message``, or the exception's own text when it is None.
    """
    text = str(error)
    for types, kind, matches in kinds:
        if isinstance(error, types) and matches(text):
            return Rejection(kind, text if message is None else message)
    raise error


def adapter_arguments(description: str, default_profile: str = "torch-2.10", grad: bool = True):
    """An argument parser with the options every adapter takes: ``--profile``, and ``--no-grad`` when the
    library has gradients. Add an adapter's own options to it, then call ``parse_args()``."""
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("--profile", choices=PROFILES, default=default_profile)
    if grad:
        parser.add_argument(
            "--no-grad", action="store_true",
            help="declare no grad feature (a forward-only run: gradient deviations no longer hide the others)",
        )
    return parser


def declared_features(arguments, *others: str) -> list:
    """The features of a hello: ``grad`` unless ``--no-grad`` was given, then ``others``."""
    return ([] if getattr(arguments, "no_grad", True) else ["grad"]) + list(others)


def missing_capability(case: Case, dtypes, features) -> Optional[str]:
    """Say which declared capability a case needs but lacks, or None if it is covered."""
    operands = [case.input, case.target] + ([case.var] if isinstance(case.var, Tensor) else [])
    for tensor in operands:
        if tensor.dtype not in dtypes:
            return f"dtype {tensor.dtype} is not supported"
    if not isinstance(case.var, Tensor) and "scalar_var" not in features:
        return "a scalar var is not supported"
    if len({tensor.dtype for tensor in operands}) > 1 and "mixed_dtype" not in features:
        return "mixed dtypes are not supported"
    if case.grad and "grad" not in features:
        return "gradients are not supported"
    return None


def result_message(case: Case, result: Result) -> dict:
    """Turn an adapter's :class:`Result` into a success response."""
    message = {"id": case.id, "ok": True, "loss": encode_tensor(result.loss)}
    if case.grad:
        needed = ["grad_input", "grad_target"] + (["grad_var"] if isinstance(case.var, Tensor) else [])
        absent = [name for name in needed if getattr(result, name) is None]
        if absent:
            raise TypeError(f"the adapter returned no {', '.join(absent)} for a gradient request")
        message["grad_input"] = encode_tensor(result.grad_input)
        message["grad_target"] = encode_tensor(result.grad_target)
        message["grad_var"] = encode_tensor(result.grad_var) if isinstance(case.var, Tensor) else None
    return message


def error_message(request_id, kind: str, text: str) -> dict:
    """Build an ``ok: false`` response."""
    return {"id": request_id, "ok": False, "error": {"kind": kind, "message": text}}


def evaluate_request(request: dict, evaluate: Callable[[Case], Result], dtypes, features) -> dict:
    """Answer one ``eval`` request, turning rejections and adapter crashes into error responses."""
    case = parse_case(request)
    missing = missing_capability(case, dtypes, features)
    if missing:
        return error_message(case.id, "unsupported", missing)
    try:
        return result_message(case, evaluate(case))
    except Rejection as rejection:
        return error_message(case.id, rejection.kind, rejection.message)
    except Exception as error:  # an adapter bug: report it, never hide it as a skip or a pass
        traceback.print_exc(file=sys.stderr)
        return error_message(case.id, "internal", f"{type(error).__name__}: {error}")


def serve(
    evaluate: Callable[[Case], Result],
    *,
    name: str,
    version: str,
    profile: str,
    dtypes=("float32", "float64"),
    features=("grad",),
) -> None:
    """Answer protocol requests from stdin on stdout until ``bye`` or end of input."""
    unknown = ({profile} - set(PROFILES)) | (set(dtypes) - set(DTYPES)) | (set(features) - set(FEATURES))
    if unknown:
        raise ValueError(f"unknown profile, dtype or feature: {sorted(unknown)}")
    hello = {
        "ok": True,
        "protocol": PROTOCOL,
        "name": name,
        "version": version,
        "profile": profile,
        "dtypes": list(dtypes),
        "features": list(features),
        "gnll_version": __version__,
    }
    out, sys.stdout = sys.stdout, sys.stderr
    try:
        for line in iter(sys.stdin.buffer.readline, b""):
            if not line.strip():
                continue
            response = answer(line, hello, evaluate)
            if response is None:
                break
            out.write(json.dumps(response) + "\n")
            out.flush()
    finally:
        sys.stdout = out


def answer(line: bytes, hello: dict, evaluate: Callable[[Case], Result]) -> Optional[dict]:
    """Answer one request line; None means ``bye``."""
    request_id = None
    try:
        request = json.loads(line.decode("utf-8"))
        if not isinstance(request, dict):
            raise BadRequest("a request must be a JSON object")
        request_id = request.get("id")
        op = request.get("op")
        if op == "bye":
            return None
        if op == "hello":
            if request.get("protocol") != PROTOCOL:
                return error_message(None, "unsupported", f"protocol {request.get('protocol')!r} is not supported")
            return hello
        if op == "eval":
            return evaluate_request(request, evaluate, hello["dtypes"], hello["features"])
        raise BadRequest(f"unknown op {op!r}")
    except (BadRequest, UnicodeDecodeError, json.JSONDecodeError) as error:
        print(f"bad request: {error}: {line[:200]!r}", file=sys.stderr)
        return error_message(request_id, "bad_request", str(error))
