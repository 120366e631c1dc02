"""Serve a gaussian_nll_loss implementation over the candidate protocol, versions 1 and 2.

An adapter is one function, ``evaluate(case)``. It gets a :class:`Case` whose
tensors are decoded to numpy arrays, and returns a :class:`Result` or raises
:class:`Rejection`. :func:`serve` does everything else: the handshake and its
version negotiation (protocol 2 when the suite offers it, else 1), decoding and
encoding tensors (bfloat16, int32, int64 and bool included), decoding the
non-finite numbers of protocol 2 ("NaN", "Infinity", "-Infinity") to floats,
answering ``unsupported`` for dtypes and features the adapter does not declare,
sending each gradient exactly for the operands that require grad, the hvp and jvp
of protocol 2 (``case.hvp``, ``case.jvp``, ``case.tangents``) exactly as asked,
and ``bye``.

Errors (CONFORMANCE.md section 4): a request that cannot be read is answered
``bad_request``; an exception that ``evaluate`` raises and does not classify as a
:class:`Rejection` is answered ``other``, with the message ``"ExceptionType: text"``
(the library's deviation, judged as a rejection); ``internal`` is kept for what the
helper finds wrong with the adapter's result (not a :class:`Result`, a gradient,
hvp or jvp missing where the case asks for it, a value that cannot be encoded).

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
import math
import sys
import traceback
from dataclasses import dataclass
from typing import Callable, Optional, Sequence, Union

import numpy as np

from gnll import __version__
from gnll_common import PROFILES  # noqa: F401 (adapters import PROFILES from here)

PROTOCOL = 1  # the version every candidate knows, sent as the hello's "protocol"
PROTOCOLS = (1, 2)  # the versions this helper speaks
FLOATING_DTYPES = ("float16", "bfloat16", "float32", "float64")
INTEGER_DTYPES = ("int32", "int64", "bool")  # protocol 2 only; bool counts with the integers here
DTYPES = FLOATING_DTYPES + INTEGER_DTYPES
FEATURES = ("grad", "scalar_var", "mixed_dtype", "hvp", "jvp")
PROTOCOL2_FEATURES = ("hvp", "jvp")  # a protocol 1 hello leaves them out
# The kinds an adapter may raise; bad_request and internal are the helper's own.
REJECTION_KINDS = (
    "negative_var", "var_size", "target_size", "reduction", "broadcast", "type", "other", "unsupported",
)
# How protocol 2 writes the non-finite numbers (eps, a scalar var) in a number's place.
NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}

# Numpy dtype that holds each protocol dtype's values; bfloat16 values live in float32.
_VALUE_DTYPES = {
    "float16": "<f2", "bfloat16": "<f4", "float32": "<f4", "float64": "<f8", "int32": "<i4", "int64": "<i8",
    "bool": "?",
}
# Bytes per element on the wire.
_WIDTHS = {"float16": 2, "bfloat16": 2, "float32": 4, "float64": 8, "int32": 4, "int64": 8, "bool": 1}


@dataclass(frozen=True)
class Tensor:
    """A tensor as the protocol sees it: values plus the protocol dtype name.

    ``array`` holds the values. For bfloat16 it is a float32 array, every value
    of which is exactly representable in bfloat16 on decoding; on encoding any
    float array is accepted and rounded to ``dtype``. int32 and int64 arrive as
    numpy int32 and int64 arrays, bool as a numpy bool array.
    """

    array: np.ndarray
    dtype: str


@dataclass(frozen=True)
class RequiresGrad:
    """Which operands require grad, as ``torch.tensor(..., requires_grad=b)`` would.

    In a gradient request of protocol 1 every operand requires grad, except a scalar
    var; protocol 2 says which, per operand. In a request for the loss only, none does.
    An integer or bool operand never requires grad.
    """

    input: bool
    target: bool
    var: bool


@dataclass(frozen=True)
class Tangents:
    """The tangents of an hvp or jvp request (protocol 2): one per operand that requires grad, with its
    operand's shape and dtype; None for the others."""

    input: Optional[Tensor] = None
    target: Optional[Tensor] = None
    var: Optional[Tensor] = None


@dataclass(frozen=True)
class Case:
    """One ``eval`` request. ``var`` is a Tensor, or a float for a scalar var.

    ``eps`` and a scalar ``var`` may be NaN or infinite (protocol 2). ``requires_grad`` says which operands
    require grad; the gradients of exactly those are sent back (protocol 2). ``hvp`` and ``jvp`` (protocol 2,
    only with ``grad``) ask for the Hessian-vector product and the forward-mode derivative along ``tangents``
    (CONFORMANCE.md section 4): ``hvp_*`` is then sent for exactly the operands that require grad, and ``jvp``.
    """

    id: int
    input: Tensor
    target: Tensor
    var: Union[Tensor, float]
    full: bool
    eps: float
    reduction: str
    grad: bool
    grad_output: Optional[Tensor]
    requires_grad: Optional[RequiresGrad] = None
    hvp: bool = False
    jvp: bool = False
    tangents: Optional[Tangents] = None

    def __post_init__(self):
        """Without an explicit ``requires_grad``: protocol 1's (every operand but a scalar var) when gradients
        are asked for, none otherwise."""
        if self.requires_grad is None:
            tensor_var = isinstance(self.var, Tensor)
            flags = RequiresGrad(True, True, tensor_var) if self.grad else RequiresGrad(False, False, False)
            object.__setattr__(self, "requires_grad", flags)


@dataclass(frozen=True)
class Result:
    """What an adapter returns: the loss, the gradients when the case asked for them, and the hvp (one tensor per
    operand, its shape and dtype) and jvp (the loss's shape and dtype) when it asked for those.

    A gradient or hvp for an operand that does not require grad (``case.requires_grad``) is
    ignored, as is ``grad_var`` for a scalar var, and an hvp or jvp the case did not ask for;
    so an adapter may compute all of them.
    """

    loss: Tensor
    grad_input: Optional[Tensor] = None
    grad_target: Optional[Tensor] = None
    grad_var: Optional[Tensor] = None
    hvp_input: Optional[Tensor] = None
    hvp_target: Optional[Tensor] = None
    hvp_var: Optional[Tensor] = None
    jvp: Optional[Tensor] = None


class Rejection(Exception):
    """Raised by an adapter that rejects a case the way the reference implementation does.

    ``kind`` is one of :data:`REJECTION_KINDS`: PyTorch's kinds, ``other`` for a library error that matches
    none of them, or ``unsupported``.
    """

    def __init__(self, kind: str, message: str):
        if kind not in REJECTION_KINDS:
            raise ValueError(f"unknown rejection kind {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.message = message


class BadRequest(Exception):
    """A request line that does not follow the protocol."""


def decode_tensor(obj, protocol: Optional[int] = None, name: str = "tensor") -> Tensor:
    """Decode a protocol tensor object into a :class:`Tensor`.

    ``protocol`` 1 refuses the dtypes of protocol 2 (int32, int64, bool); None accepts every dtype. ``name``
    (input, target, var, grad_output) is named in the error.
    """
    try:
        dtype, shape, data = obj["dtype"], obj["shape"], base64.b64decode(obj["data"], validate=True)
    except (TypeError, KeyError, ValueError) as error:
        raise BadRequest(f"malformed {name}: {type(error).__name__}: {error}") from error
    if dtype not in DTYPES:
        raise BadRequest(f"{name}: unknown dtype {dtype!r}")
    if protocol == 1 and dtype in INTEGER_DTYPES:
        raise BadRequest(f"{name}: dtype {dtype} needs protocol 2 (protocol 1 was negotiated)")
    if not isinstance(shape, list) or not all(type(n) is int and n >= 0 for n in shape):
        raise BadRequest(f"{name}: malformed shape {shape!r}")
    count = math.prod(shape)
    if len(data) != _WIDTHS[dtype] * count:
        raise BadRequest(f"{name}: {len(data)} data bytes do not fit a {dtype} tensor of shape {shape}")
    if dtype == "bfloat16":
        bits = np.frombuffer(data, dtype="<u2").astype(np.uint32) << 16
        values = bits.view(np.float32)
    elif dtype == "bool":
        raw = np.frombuffer(data, dtype=np.uint8)
        bad = np.flatnonzero(raw > 1)
        if bad.size:
            raise BadRequest(f"{name}: bool byte {int(raw[bad[0]])} at element {int(bad[0])} (only 0 and 1 are bools)")
        values = raw.astype(np.bool_)
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
    elif tensor.dtype == "bool":
        raw = np.ascontiguousarray(array, dtype=np.bool_).view(np.uint8).tobytes()
    else:
        raw = np.ascontiguousarray(array, dtype=_VALUE_DTYPES[tensor.dtype]).tobytes()
    return {"dtype": tensor.dtype, "shape": list(array.shape), "data": base64.b64encode(raw).decode("ascii")}


def decode_number(value, name: str, protocol: Optional[int] = None) -> float:
    """A protocol number (eps, a scalar var) as a float: a JSON number, or in protocol 2 one of the strings
    "NaN", "Infinity", "-Infinity". ``protocol`` None accepts both forms."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            result = float(value)
        except OverflowError:
            result = math.inf
        if not math.isfinite(result):
            raise BadRequest(f"{name}: {value!r} is not a JSON number (non-finite numbers are strings)")
        return result
    if isinstance(value, str) and value in NON_FINITE:
        if protocol == 1:
            raise BadRequest(f"{name}: {value!r} needs protocol 2 (protocol 1 was negotiated)")
        return NON_FINITE[value]
    raise BadRequest(f"{name}: {value!r} is not a number (nor one of {', '.join(map(repr, NON_FINITE))})")


def _flag(obj: dict, name: str) -> bool:
    value = obj.get(name)
    if not isinstance(value, bool):
        raise BadRequest(f"requires_grad.{name} is {value!r}, not a bool")
    return value


def parse_requires_grad(request: dict, case_operands: tuple, protocol: Optional[int]) -> RequiresGrad:
    """The request's ``requires_grad`` (protocol 2), or protocol 1's: every operand but a scalar var.

    ``protocol`` None takes protocol 1's default when the field is absent."""
    input, target, var = case_operands
    if not request.get("grad", False):
        if "requires_grad" in request and protocol == 1:
            raise BadRequest("requires_grad needs protocol 2 (protocol 1 was negotiated)")
        return RequiresGrad(False, False, False)
    obj = request.get("requires_grad")
    if obj is None:
        if protocol == 2:
            raise BadRequest("a gradient request of protocol 2 has no requires_grad")
        return RequiresGrad(True, True, isinstance(var, Tensor))
    if protocol == 1:
        raise BadRequest("requires_grad needs protocol 2 (protocol 1 was negotiated)")
    if not isinstance(obj, dict):
        raise BadRequest(f"requires_grad is {obj!r}, not an object")
    flags = RequiresGrad(_flag(obj, "input"), _flag(obj, "target"), _flag(obj, "var"))
    if not (flags.input or flags.target or flags.var):
        raise BadRequest("requires_grad: no operand requires grad in a gradient request")
    if flags.var and not isinstance(var, Tensor):
        raise BadRequest("requires_grad.var is true for a scalar var")
    for name, tensor in (("input", input), ("target", target), ("var", var)):
        if getattr(flags, name) and isinstance(tensor, Tensor) and tensor.dtype in INTEGER_DTYPES:
            raise BadRequest(f"requires_grad.{name} is true for a {tensor.dtype} operand (only floating ones can)")
    return flags


def parse_higher_order(request: dict, case_operands: tuple, requires_grad: RequiresGrad,
                       protocol: Optional[int]) -> tuple:
    """The request's ``hvp``, ``jvp`` and ``tangents`` (protocol 2) as ``(hvp, jvp, Tangents or None)``.

    Either flag needs grad true and ``tangents`` with a tensor exactly for each operand that requires grad, of
    that operand's shape and dtype; ``tangents`` without either flag is an error too."""
    flags = {}
    for name in ("hvp", "jvp"):
        value = request.get(name, False)
        if not isinstance(value, bool):
            raise BadRequest(f"{name} is {value!r}, not a bool")
        if value and protocol == 1:
            raise BadRequest(f"{name} needs protocol 2 (protocol 1 was negotiated)")
        flags[name] = value
    if not (flags["hvp"] or flags["jvp"]):
        if "tangents" in request:
            raise BadRequest("tangents without hvp or jvp")
        return False, False, None
    if not request.get("grad", False):
        raise BadRequest(f"{'hvp' if flags['hvp'] else 'jvp'} is true, but grad is false")
    obj = request.get("tangents")
    if not isinstance(obj, dict):
        raise BadRequest(f"tangents is {obj!r}, not an object" if "tangents" in request else "tangents is missing")
    tangents = {}
    for name, operand in zip(("input", "target", "var"), case_operands):
        wanted = getattr(requires_grad, name)
        if name not in obj:
            if wanted:
                raise BadRequest(f"tangents.{name} is missing, but {name} requires grad")
            continue
        if not wanted:
            raise BadRequest(f"tangents.{name} is present, but {name} does not require grad")
        tangent = decode_tensor(obj[name], protocol, f"tangents.{name}")
        if tangent.dtype != operand.dtype or tangent.array.shape != operand.array.shape:
            raise BadRequest(
                f"tangents.{name} is {tangent.dtype}{list(tangent.array.shape)}, but {name} is "
                f"{operand.dtype}{list(operand.array.shape)}"
            )
        tangents[name] = tangent
    return flags["hvp"], flags["jvp"], Tangents(**tangents)


def parse_case(request: dict, protocol: Optional[int] = None) -> Case:
    """Build a :class:`Case` from an ``eval`` request.

    ``protocol`` is the negotiated version: 1 refuses what only protocol 2 sends (integer and bool dtypes,
    non-finite numbers as strings, requires_grad), 2 requires requires_grad in a gradient request, and None
    (the default, for tools that read stored requests) accepts either form. hvp, jvp and tangents are protocol 2
    only.
    """
    try:
        var = request["var"]
        grad = request.get("grad", False)
        if not isinstance(grad, bool):
            raise BadRequest(f"grad is {grad!r}, not a bool")
        full = request["full"]
        if not isinstance(full, bool):
            raise BadRequest(f"full is {full!r}, not a bool")
        reduction = request["reduction"]
        if not isinstance(reduction, str):
            raise BadRequest(f"reduction is {reduction!r}, not a string")
        input = decode_tensor(request["input"], protocol, "input")
        target = decode_tensor(request["target"], protocol, "target")
        if isinstance(var, dict) and "scalar" in var:
            var = decode_number(var["scalar"], "var.scalar", protocol)
        else:
            var = decode_tensor(var, protocol, "var")
        case_id = request["id"]
        eps = decode_number(request["eps"], "eps", protocol)
        grad_output = decode_tensor(request["grad_output"], protocol, "grad_output") if grad else None
        requires_grad = parse_requires_grad(request, (input, target, var), protocol)
        hvp, jvp, tangents = parse_higher_order(request, (input, target, var), requires_grad, protocol)
        return Case(
            id=case_id,
            input=input,
            target=target,
            var=var,
            full=full,
            eps=eps,
            reduction=reduction,
            grad=grad,
            grad_output=grad_output,
            requires_grad=requires_grad,
            hvp=hvp,
            jvp=jvp,
            tangents=tangents,
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
    itself; a gradient may be None for an operand that does not require grad. An exception from either is
    turned into a protocol rejection by ``rejection_for``; ``to_protocol`` turns a library array into a
    :class:`Tensor`.
    """
    try:
        if not case.grad:
            return Result(loss=to_protocol(forward(*operands)))
        loss, (grad_input, grad_target, grad_var) = vjp(operands)
    except Exception as error:
        raise rejection_for(error) from error
    return Result(
        loss=to_protocol(loss),
        grad_input=None if grad_input is None else to_protocol(grad_input),
        grad_target=None if grad_target is None else to_protocol(grad_target),
        grad_var=None if grad_var is None else to_protocol(grad_var),
    )


def rejection_from(error: Exception, kinds: Sequence[tuple], message: Optional[str] = None) -> Rejection:
    """The protocol rejection for a library's exception, from a table of ``(exception types, kind, test of the
    message)`` rows tried in order; an error that no row matches is kind ``other``, with the message
    ``"ExceptionType: text"`` (the library's own error: its deviation, never a fault of the adapter).

    The rejection's text is ``message``, or the exception's own text when it is None.
    """
    text = str(error)
    for types, kind, matches in kinds:
        if isinstance(error, types) and matches(text):
            return Rejection(kind, text if message is None else message)
    return Rejection("other", f"{type(error).__name__}: {text if message is None else message}")


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
    """Say which declared capability a case needs but lacks, or None if it is covered.

    Every operand's dtype must be declared; operands of more than one dtype (an integer or bool one beside a
    floating one included) need mixed_dtype."""
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
    for name in ("hvp", "jvp"):
        if getattr(case, name) and name not in features:
            return f"{name} is not supported"
    return None


def result_message(case: Case, result: Result, protocol: int = 1) -> dict:
    """Turn an adapter's :class:`Result` into a success response.

    Protocol 2 carries the gradient of exactly each operand that requires grad; protocol 1 carries grad_input
    and grad_target, and grad_var (null for a scalar var), whenever gradients were asked for. A needed
    gradient the result lacks, or a result that is not a :class:`Result` of :class:`Tensor`s, raises TypeError.
    With ``case.hvp`` (protocol 2) it carries ``hvp_*`` for the same operands as the gradients, and with
    ``case.jvp`` the ``jvp``; a missing one raises TypeError too.
    """
    if not isinstance(result, Result):
        raise TypeError(f"the adapter returned {type(result).__name__}, not a Result")
    message = {"id": case.id, "ok": True, "loss": _encoded(result.loss, "loss")}
    if not case.grad:
        return message
    if protocol == 1:
        needed = ["input", "target"] + (["var"] if isinstance(case.var, Tensor) else [])
    else:
        needed = [name for name in ("input", "target", "var") if getattr(case.requires_grad, name)]
    absent = [f"grad_{name}" for name in needed if getattr(result, f"grad_{name}") is None]
    if absent:
        raise TypeError(f"the adapter returned no {', '.join(absent)} for a gradient request")
    for name in needed:
        message[f"grad_{name}"] = _encoded(getattr(result, f"grad_{name}"), f"grad_{name}")
    if protocol == 1 and not isinstance(case.var, Tensor):
        message["grad_var"] = None
    if protocol == 1:
        return message
    outputs = ([f"hvp_{name}" for name in needed] if case.hvp else []) + (["jvp"] if case.jvp else [])
    absent = [key for key in outputs if getattr(result, key) is None]
    if absent:
        raise TypeError(f"the adapter returned no {', '.join(absent)} for a request that asks for it")
    for key in outputs:
        message[key] = _encoded(getattr(result, key), key)
    return message


def _encoded(tensor, name: str) -> dict:
    """A result tensor encoded, or a TypeError that names it."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"the adapter's {name} is {type(tensor).__name__}, not a Tensor")
    if tensor.dtype not in DTYPES:
        raise TypeError(f"the adapter's {name} has the unknown dtype {tensor.dtype!r}")
    return encode_tensor(tensor)


def error_message(request_id, kind: str, text: str) -> dict:
    """Build an ``ok: false`` response."""
    return {"id": request_id, "ok": False, "error": {"kind": kind, "message": text}}


def evaluate_request(
    request: dict, evaluate: Callable[[Case], Result], dtypes, features, protocol: Optional[int] = 1
) -> dict:
    """Answer one ``eval`` request: rejections as they are, any other exception of ``evaluate`` as kind other,
    and a result the helper cannot send (wrong type, a gradient missing) as kind internal."""
    case = parse_case(request, protocol)
    missing = missing_capability(case, dtypes, features)
    if missing:
        return error_message(case.id, "unsupported", missing)
    try:
        result = evaluate(case)
    except Rejection as rejection:
        return error_message(case.id, rejection.kind, rejection.message)
    except Exception as error:  # the library's (or the adapter's) own error: a deviation the suite judges
        traceback.print_exc(file=sys.stderr)
        return error_message(case.id, "other", f"{type(error).__name__}: {error}")
    try:
        return result_message(case, result, 2 if protocol is None else protocol)
    except Exception as error:  # the adapter's result is unusable: a fault of the adapter, never hidden
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
    protocols=PROTOCOLS,
) -> None:
    """Answer protocol requests from stdin on stdout until ``bye`` or end of input.

    The hello answers the highest version in both ``protocols`` and the suite's offer. Under protocol 1 the
    hello leaves out the dtypes of protocol 2 (int32, int64, bool) and its features (hvp, jvp), which it
    cannot carry.
    """
    unknown = ({profile} - set(PROFILES)) | (set(dtypes) - set(DTYPES)) | (set(features) - set(FEATURES))
    if unknown:
        raise ValueError(f"unknown profile, dtype or feature: {sorted(unknown)}")
    if not set(protocols) or not set(protocols) <= set(PROTOCOLS):
        raise ValueError(f"protocols must be a non-empty subset of {PROTOCOLS}, not {protocols!r}")
    server = Server(evaluate, name=name, version=version, profile=profile, dtypes=dtypes, features=features,
                    protocols=protocols)
    out, sys.stdout = sys.stdout, sys.stderr
    try:
        for line in iter(sys.stdin.buffer.readline, b""):
            if not line.strip():
                continue
            response = server.answer(line)
            if response is None:
                break
            out.write(json.dumps(response, allow_nan=False) + "\n")
            out.flush()
    finally:
        sys.stdout = out


def _no_constant(name: str):
    raise BadRequest(f"{name} is not JSON (protocol 2 writes non-finite numbers as strings)")


class Server:
    """The state of one protocol conversation: the declaration and the negotiated version (1 until a hello
    says otherwise)."""

    def __init__(self, evaluate, *, name, version, profile, dtypes, features, protocols=PROTOCOLS):
        self.evaluate = evaluate
        self.declaration = dict(name=name, version=version, profile=profile, dtypes=list(dtypes),
                                features=list(features))
        self.protocols = tuple(protocols)
        self.protocol = 1

    def hello(self, request: dict) -> dict:
        """Negotiate: the highest version offered (``protocols``, else ``protocol``) that this side speaks."""
        offered = request.get("protocols", [request.get("protocol")])
        if not isinstance(offered, list):
            raise BadRequest(f"protocols is {offered!r}, not a list")
        common = [v for v in offered if type(v) is int and v in self.protocols]
        if not common:
            return error_message(None, "unsupported", f"protocol {offered!r} is not supported (this adapter speaks "
                                 f"{', '.join(map(str, self.protocols))})")
        self.protocol = max(common)
        dtypes, features = self.declaration["dtypes"], self.declaration["features"]
        if self.protocol == 1:
            dtypes = [dtype for dtype in dtypes if dtype not in INTEGER_DTYPES]
            features = [feature for feature in features if feature not in PROTOCOL2_FEATURES]
        return {"ok": True, "protocol": self.protocol, **self.declaration, "dtypes": dtypes, "features": features,
                "gnll_version": __version__}

    def answer(self, line: bytes) -> Optional[dict]:
        """Answer one request line; None means ``bye``."""
        request_id = None
        try:
            request = json.loads(line.decode("utf-8"), parse_constant=_no_constant)
            if not isinstance(request, dict):
                raise BadRequest("a request must be a JSON object")
            request_id = request.get("id")
            op = request.get("op")
            if op == "bye":
                return None
            if op == "hello":
                return self.hello(request)
            if op == "eval":
                return evaluate_request(
                    request, self.evaluate, self.declaration["dtypes"], self.declaration["features"], self.protocol
                )
            raise BadRequest(f"unknown op {op!r}")
        except (BadRequest, UnicodeDecodeError, json.JSONDecodeError) as error:
            print(f"bad request: {error}: {line[:200]!r}", file=sys.stderr)
            return error_message(request_id if _is_id(request_id) else None, "bad_request", str(error))


def _is_id(value) -> bool:
    return type(value) is int


def answer(line: bytes, hello: dict, evaluate: Callable[[Case], Result]) -> Optional[dict]:
    """Answer one request line with a fresh conversation declared by ``hello`` (protocol 1 until a hello
    negotiates); None means ``bye``. Kept for callers of the single-function form; :func:`serve` keeps one
    :class:`Server` for the whole conversation."""
    server = Server(evaluate, **{key: hello[key] for key in ("name", "version", "profile", "dtypes", "features")})
    return server.answer(line)
