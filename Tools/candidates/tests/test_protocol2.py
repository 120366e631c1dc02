"""Protocol 2 in the helper (gnll.candidate): negotiation, non-finite numbers, integer and bool tensors,
requires_grad and which gradients are sent, and the error kinds bad_request, other and internal."""

import base64
import json
import math
import shlex
import sys
import textwrap

import numpy as np
import pytest
from support import CANDIDATES, HELLO_2, Candidate, decode, eval_request, numpy_command, scalar, tensor

from gnll.candidate import (
    BadRequest,
    Case,
    Rejection,
    RequiresGrad,
    Tensor,
    decode_tensor,
    encode_tensor,
    missing_capability,
    parse_case,
    rejection_from,
)

HELLO_1 = {"op": "hello", "protocol": 1}
ALL = ["float16", "bfloat16", "float32", "float64", "int32", "int64", "bool"]


def adapter_command(tmp_path, body: str, serve_arguments: str = "") -> str:
    """A throwaway adapter whose evaluate(case) has the given body; it declares every dtype and feature."""
    script = tmp_path / "adapter.py"
    script.write_text(
        "import numpy as np\nfrom gnll.candidate import Rejection, Result, Tensor, serve\n\n\ndef evaluate(case):\n"
        + textwrap.indent(textwrap.dedent(body), "    ")
        + f"\n\nserve(evaluate, name='t', version='0', profile='torch-2.10', dtypes={ALL!r},"
        + f" features=['grad', 'scalar_var', 'mixed_dtype']{serve_arguments})\n"
    )
    return f"PYTHONPATH={shlex.quote(str(CANDIDATES))} {shlex.join([sys.executable, str(script)])}"


# An adapter that answers with what it was given: the loss is [eps, scalar var (or NaN)] in float64, and each
# gradient is its operand's values as float64 (so the test sees which arrived and how).
ECHO = """
var = case.var if isinstance(case.var, float) else float('nan')
loss = Tensor(np.array([case.eps, var]), 'float64')
operands = [case.input, case.target, case.var if isinstance(case.var, Tensor) else case.input]
grads = [Tensor(np.asarray(t.array, dtype=np.float64), 'float64') for t in operands]
return Result(loss, *grads)
"""


def raw_tensor(dtype: str, shape: list, data: bytes) -> dict:
    """A protocol tensor from raw bytes."""
    return {"dtype": dtype, "shape": shape, "data": base64.b64encode(data).decode("ascii")}


def f64(value) -> dict:
    return tensor(value, "float64")


@pytest.fixture(scope="module")
def echo2(tmp_path_factory):
    """The echo adapter after a protocol 2 hello."""
    with Candidate(adapter_command(tmp_path_factory.mktemp("echo2"), ECHO)) as candidate:
        answer = candidate.ask(HELLO_2)
        assert answer["ok"] and answer["protocol"] == 2
        yield candidate


@pytest.fixture(scope="module")
def echo1(tmp_path_factory):
    """The echo adapter after a protocol 1 hello."""
    with Candidate(adapter_command(tmp_path_factory.mktemp("echo1"), ECHO)) as candidate:
        answer = candidate.ask(HELLO_1)
        assert answer["ok"] and answer["protocol"] == 1
        yield candidate


# ---------------------------------------------------------------------------------------------------------------
# Negotiation


def test_v2_hello_negotiates_2_and_declares_integer_dtypes():
    """A suite that offers 1 and 2 gets protocol 2, and the numpy adapter's int32, int64 and bool."""
    with Candidate(numpy_command()) as candidate:
        answer = candidate.ask(HELLO_2)
    assert answer["protocol"] == 2
    assert answer["dtypes"] == ["float16", "float32", "float64", "int32", "int64", "bool"]


@pytest.mark.parametrize(
    "hello", [HELLO_1, {"op": "hello", "protocol": 1, "protocols": [1]}], ids=["no-protocols", "protocols-1"]
)
def test_v1_hello_negotiates_1_without_integer_dtypes(hello):
    """A suite that offers only 1 gets protocol 1, and a declaration without the dtypes protocol 1 cannot carry."""
    with Candidate(numpy_command()) as candidate:
        answer = candidate.ask(hello)
    assert answer["protocol"] == 1
    assert answer["dtypes"] == ["float16", "float32", "float64"]


def test_adapter_limited_to_protocol_1_answers_1(tmp_path):
    """serve(..., protocols=(1,)) answers protocol 1 to a suite that offers 1 and 2, then refuses v2 fields."""
    with Candidate(adapter_command(tmp_path, ECHO, ", protocols=(1,)")) as candidate:
        answer = candidate.ask(HELLO_2)
        assert answer["protocol"] == 1 and "int32" not in answer["dtypes"]
        response = candidate.ask(eval_request(f64([1.0]), f64([0.0]), f64([1.0]), eps=math.nan))
        assert response["error"]["kind"] == "bad_request"


def test_renegotiation_follows_the_latest_hello():
    """Each hello negotiates anew: after a v1 hello a v2 field is refused, after a v2 hello it is read."""
    request = eval_request(f64([1.0]), f64([0.0]), f64([1.0]), eps=math.inf, reduction="sum")
    with Candidate(numpy_command()) as candidate:
        assert candidate.ask(HELLO_1)["protocol"] == 1
        assert candidate.ask(request)["error"]["kind"] == "bad_request"
        assert candidate.ask(HELLO_2)["protocol"] == 2
        assert decode(candidate.ask(request)["loss"]) == np.inf


# ---------------------------------------------------------------------------------------------------------------
# Non-finite numbers


@pytest.mark.parametrize(
    "eps, var, expected",
    [
        ("NaN", "Infinity", (math.nan, math.inf)),
        ("Infinity", "-Infinity", (math.inf, -math.inf)),
        ("-Infinity", "NaN", (-math.inf, math.nan)),
        (1e-300, 5e-324, (1e-300, 5e-324)),
        (0, -0.0, (0.0, -0.0)),
    ],
)
def test_numbers_decode_to_floats(echo2, eps, var, expected):
    """eps and a scalar var arrive as Python floats: the three strings as NaN and the infinities, numbers exactly
    (the smallest subnormal and -0.0 included)."""
    request = eval_request(f64([1.0]), f64([0.0]), {"scalar": var}, eps=eps)
    loss = decode(echo2.ask(request)["loss"])
    np.testing.assert_array_equal(loss, np.array(expected))
    assert list(np.signbit(loss)) == [math.copysign(1, x) < 0 for x in expected]


@pytest.mark.parametrize(
    "line_eps",
    ['"nan"', '"inf"', '"+Infinity"', "NaN", "Infinity", "-Infinity", "1e400", "true", "null", '"1e-6"'],
)
def test_other_spellings_are_bad_requests(echo2, line_eps):
    """Only the three strings stand for non-finite numbers: other strings, the bare NaN/Infinity tokens that
    Python's json would accept, a number that overflows a double, and non-numbers are bad requests."""
    request = eval_request(f64([1.0]), f64([0.0]), f64([1.0]), eps=0.5)
    line = json.dumps(request).replace('"eps": 0.5', f'"eps": {line_eps}')
    response = echo2.ask(line)
    assert response["ok"] is False and response["error"]["kind"] == "bad_request", response
    assert "eps" in response["error"]["message"] or "not JSON" in response["error"]["message"]
    assert response["id"] in (1, None)


@pytest.mark.parametrize("eps, var", [("NaN", 1.0), (1e-6, "Infinity")], ids=["eps", "scalar-var"])
def test_protocol_1_refuses_non_finite_strings(echo1, eps, var):
    """After a protocol 1 hello a non-finite number is not part of the protocol: bad_request naming it."""
    response = echo1.ask(eval_request(f64([1.0]), f64([0.0]), {"scalar": var}, eps=eps))
    assert response["error"]["kind"] == "bad_request"
    assert "needs protocol 2" in response["error"]["message"]


# ---------------------------------------------------------------------------------------------------------------
# Integer and bool tensors


@pytest.mark.parametrize(
    "dtype, values, data",
    [
        ("int32", [-(2**31), -1, 0, 2**31 - 1], b"\x00\x00\x00\x80\xff\xff\xff\xff\x00\x00\x00\x00\xff\xff\xff\x7f"),
        ("int64", [-(2**53), 2**53], b"\x00\x00\x00\x00\x00\x00\xe0\xff" + b"\x00\x00\x00\x00\x00\x00\x20\x00"),
        ("bool", [True, False, True], b"\x01\x00\x01"),
    ],
)
def test_integer_and_bool_tensors_decode_and_encode(dtype, values, data):
    """Little-endian two's complement for int32 and int64, one byte 0 or 1 for bool (bytes written by hand)."""
    decoded = decode_tensor(raw_tensor(dtype, [len(values)], data))
    assert decoded.dtype == dtype and decoded.array.dtype == {"int32": np.int32, "int64": np.int64, "bool": bool}[dtype]
    assert decoded.array.tolist() == values
    assert base64.b64decode(encode_tensor(decoded)["data"]) == data


@pytest.mark.parametrize("dtype", ["int32", "int64", "bool"])
@pytest.mark.parametrize("shape", [(), (0, 3), (2, 3)])
def test_integer_tensor_round_trip(dtype, shape):
    """Encoding then decoding keeps values, dtype and shape, 0-d and empty included."""
    values = (np.arange(math.prod(shape)).reshape(shape) % 2).astype(bool if dtype == "bool" else dtype)
    decoded = decode_tensor(encode_tensor(Tensor(values, dtype)))
    assert decoded.dtype == dtype and decoded.array.shape == shape
    np.testing.assert_array_equal(decoded.array, values)


@pytest.mark.parametrize("byte", [2, 0xFF])
def test_bool_bytes_other_than_0_and_1_are_bad_requests(echo2, byte):
    """A bool byte other than 0 or 1 is refused with a bad_request that names the operand, byte and element."""
    request = eval_request(raw_tensor("bool", [3], bytes([0, 1, byte])), f64([0.0]), f64([1.0]))
    response = echo2.ask(request)
    assert response["error"] == {
        "kind": "bad_request",
        "message": f"input: bool byte {byte} at element 2 (only 0 and 1 are bools)",
    }


def test_integer_operands_reach_the_adapter(tmp_path):
    """int32, int64 and bool operands arrive as numpy int32, int64 and bool arrays with their values."""
    body = """
assert case.input.array.dtype == np.int32 and case.target.array.dtype == np.int64, case
assert case.var.array.dtype == np.bool_, case
return Result(Tensor(np.concatenate([case.input.array, case.target.array, case.var.array]), 'float64'))
"""
    with Candidate(adapter_command(tmp_path, body)) as candidate:
        candidate.ask(HELLO_2)
        request = eval_request(
            tensor([-7, 2**31 - 1], "int32"), tensor([2**53, -3], "int64"), tensor([True, False], "bool")
        )
        response = candidate.ask(request)
    assert response["ok"], response
    assert decode(response["loss"]).tolist() == [-7.0, 2**31 - 1, 2.0**53, -3.0, 1.0, 0.0]


def test_protocol_1_refuses_integer_dtypes(echo1):
    """After a protocol 1 hello an int32 operand is a bad_request that names the operand and the version."""
    response = echo1.ask(eval_request(f64([1.0]), tensor([1], "int32"), f64([1.0])))
    assert response["error"] == {
        "kind": "bad_request",
        "message": "target: dtype int32 needs protocol 2 (protocol 1 was negotiated)",
    }


def test_undeclared_integer_dtype_is_unsupported(tmp_path):
    """An adapter that declares no int64 answers unsupported for an int64 operand; an int32 input beside a float64
    target needs mixed_dtype."""
    script = tmp_path / "adapter.py"
    script.write_text(
        "from gnll.candidate import serve\n"
        "serve(lambda case: None, name='t', version='0', profile='torch-2.10', dtypes=['float64', 'int32'])\n"
    )
    command = f"PYTHONPATH={shlex.quote(str(CANDIDATES))} {shlex.join([sys.executable, str(script)])}"
    with Candidate(command) as candidate:
        assert candidate.ask(HELLO_2)["dtypes"] == ["float64", "int32"]
        response = candidate.ask(eval_request(tensor([1], "int64"), tensor([1], "int64"), f64([1.0])))
        assert response["error"] == {"kind": "unsupported", "message": "dtype int64 is not supported"}
        response = candidate.ask(eval_request(tensor([1], "int32"), f64([1.0]), f64([1.0])))
        assert response["error"] == {"kind": "unsupported", "message": "mixed dtypes are not supported"}


# ---------------------------------------------------------------------------------------------------------------
# requires_grad and the gradients sent


@pytest.mark.parametrize(
    "flags",
    [(True, False, False), (False, True, False), (False, False, True), (True, True, False), (True, False, True),
     (False, True, True), (True, True, True)],
)
def test_exactly_the_gradients_of_operands_that_require_grad(echo2, flags):
    """Protocol 2 sends the gradient of each operand that requires grad, and no key for the others (the echo
    adapter returns all three)."""
    request = eval_request(
        f64([1.0]), f64([2.0]), f64([3.0]), reduction="sum", grad_output=f64(1.0), requires_grad=flags
    )
    response = echo2.ask(request)
    assert response["ok"], response
    sent = {name: name in response for name in ("grad_input", "grad_target", "grad_var")}
    assert sent == dict(zip(("grad_input", "grad_target", "grad_var"), flags))
    for name, value in (("grad_input", 1.0), ("grad_target", 2.0), ("grad_var", 3.0)):
        if name in response:
            assert decode(response[name]).tolist() == [value]


def test_protocol_1_sends_every_gradient_and_null_for_a_scalar_var(echo1):
    """Protocol 1: grad_input and grad_target always, grad_var null for a scalar var."""
    request = eval_request(f64([1.0]), f64([2.0]), scalar(0.5), reduction="sum", grad_output=f64(1.0))
    response = echo1.ask(request)
    assert decode(response["grad_input"]).tolist() == [1.0] and decode(response["grad_target"]).tolist() == [2.0]
    assert "grad_var" in response and response["grad_var"] is None


@pytest.mark.parametrize(
    "requires_grad, var, message",
    [
        (None, f64([1.0]), "a gradient request of protocol 2 has no requires_grad"),
        ({"input": False, "target": False, "var": False}, f64([1.0]),
         "requires_grad: no operand requires grad in a gradient request"),
        ({"input": True, "target": True, "var": True}, scalar(1.0), "requires_grad.var is true for a scalar var"),
        ({"input": 1, "target": True, "var": True}, f64([1.0]), "requires_grad.input is 1, not a bool"),
        ({"input": True, "target": True}, f64([1.0]), "requires_grad.var is None, not a bool"),
        ({"input": True, "target": False, "var": True}, tensor([1], "int64"),
         "requires_grad.var is true for a int64 operand (only floating ones can)"),
        ([True, True, True], f64([1.0]), "requires_grad is [True, True, True], not an object"),
    ],
    ids=["absent", "none-true", "scalar-var", "not-bool", "missing-var", "integer-operand", "not-object"],
)
def test_malformed_requires_grad_is_a_bad_request(echo2, requires_grad, var, message):
    """requires_grad is checked as §4 states it; each violation is a bad_request that says which."""
    request = eval_request(f64([1.0]), f64([2.0]), var, grad_output=f64(1.0))
    if requires_grad is not None:
        request["requires_grad"] = requires_grad
    assert echo2.ask(request)["error"] == {"kind": "bad_request", "message": message}


def test_protocol_1_refuses_requires_grad(echo1):
    """requires_grad is a protocol 2 field."""
    request = eval_request(f64([1.0]), f64([2.0]), f64([1.0]), grad_output=f64(1.0), requires_grad=(True, True, True))
    assert echo1.ask(request)["error"]["kind"] == "bad_request"


@pytest.mark.parametrize(
    "request_, protocol, expected",
    [
        (eval_request(f64([1.0]), f64([0.0]), f64([1.0]), grad_output=f64(1.0)), 1, RequiresGrad(True, True, True)),
        (eval_request(f64([1.0]), f64([0.0]), scalar(1.0), grad_output=f64(1.0)), 1, RequiresGrad(True, True, False)),
        (eval_request(f64([1.0]), f64([0.0]), f64([1.0])), 1, RequiresGrad(False, False, False)),
        (eval_request(f64([1.0]), f64([0.0]), f64([1.0])), 2, RequiresGrad(False, False, False)),
        (eval_request(f64([1.0]), f64([0.0]), f64([1.0]), grad_output=f64(1.0)), None, RequiresGrad(True, True, True)),
        (eval_request(f64([1.0]), f64([0.0]), f64([1.0]), grad_output=f64(1.0), requires_grad=(False, True, False)),
         2, RequiresGrad(False, True, False)),
    ],
    ids=["v1-grad", "v1-scalar-var", "v1-loss", "v2-loss", "stored-v1", "v2-target"],
)
def test_case_requires_grad(request_, protocol, expected):
    """Case.requires_grad: protocol 1's every operand but a scalar var when gradients are asked for, none for a
    loss only, and protocol 2's as sent; a Case made directly takes the same defaults."""
    case = parse_case(request_, protocol)
    assert case.requires_grad == expected
    direct = Case(1, case.input, case.target, case.var, False, 1e-6, "sum", case.grad, case.grad_output)
    if protocol != 2 or not case.grad:
        assert direct.requires_grad == expected


def test_missing_required_gradient_is_internal(tmp_path):
    """An adapter that returns no gradient for an operand that requires grad is a fault of the adapter."""
    body = "return Result(Tensor(np.float64(0.0), 'float64'), grad_input=Tensor(np.array([1.0]), 'float64'))"
    with Candidate(adapter_command(tmp_path, body)) as candidate:
        candidate.ask(HELLO_2)
        fine = eval_request(
            f64([1.0]), f64([0.0]), f64([1.0]), grad_output=f64(1.0), requires_grad=(True, False, False)
        )
        assert candidate.ask(fine)["ok"]
        short = dict(fine, requires_grad={"input": True, "target": False, "var": True})
        response = candidate.ask(short)
        assert response["error"] == {
            "kind": "internal",
            "message": "TypeError: the adapter returned no grad_var for a gradient request",
        }


@pytest.mark.parametrize(
    "body, message",
    [
        ("return {'loss': 1.0}", "TypeError: the adapter returned dict, not a Result"),
        ("return Result(np.zeros(1))", "TypeError: the adapter's loss is ndarray, not a Tensor"),
        (
            "return Result(Tensor(np.zeros(1), 'float8'))",
            "TypeError: the adapter's loss has the unknown dtype 'float8'",
        ),
    ],
    ids=["not-a-result", "not-a-tensor", "unknown-dtype"],
)
def test_unusable_result_is_internal(tmp_path, body, message):
    """What the helper finds wrong with a result is kind internal, with a traceback on stderr."""
    with Candidate(adapter_command(tmp_path, body)) as candidate:
        candidate.ask(HELLO_2)
        response = candidate.ask(eval_request(f64([1.0]), f64([0.0]), f64([1.0])))
        assert response["error"] == {"kind": "internal", "message": message}
        assert "Traceback" in candidate.log()


# ---------------------------------------------------------------------------------------------------------------
# Error kinds


def test_library_exception_is_other(tmp_path):
    """An exception evaluate raises and does not classify is kind other, "ExceptionType: text"."""
    body = "raise ValueError('[vjp] Output shape (4) does not match cotangent shape ()')"
    with Candidate(adapter_command(tmp_path, body)) as candidate:
        candidate.ask(HELLO_2)
        response = candidate.ask(eval_request(f64([1.0]), f64([0.0]), f64([1.0]), id=9))
    assert response == {
        "id": 9,
        "ok": False,
        "error": {"kind": "other", "message": "ValueError: [vjp] Output shape (4) does not match cotangent shape ()"},
    }


def test_adapter_may_raise_other(tmp_path):
    """Rejection('other', ...) is a kind an adapter may raise; an unknown kind is refused when it is made."""
    with Candidate(adapter_command(tmp_path, "raise Rejection('other', 'KeyError: 3')")) as candidate:
        candidate.ask(HELLO_2)
        assert candidate.ask(eval_request(f64([1.0]), f64([0.0]), f64([1.0])))["error"] == {
            "kind": "other",
            "message": "KeyError: 3",
        }
    with pytest.raises(ValueError, match="unknown rejection kind 'internal'"):
        Rejection("internal", "x")


def test_rejection_from_gives_other_for_an_unmatched_error():
    """rejection_from maps by its table and makes an unmatched error kind other instead of re-raising it."""
    table = ((ValueError, "negative_var", lambda text: text == "var has negative entry/entries"),)
    matched = rejection_from(ValueError("var has negative entry/entries"), table)
    assert (matched.kind, matched.message) == ("negative_var", "var has negative entry/entries")
    unmatched = rejection_from(ValueError("[vjp] Output shape (4)"), table)
    assert (unmatched.kind, unmatched.message) == ("other", "ValueError: [vjp] Output shape (4)")
    renamed = rejection_from(KeyError("x"), table, message="short text")
    assert (renamed.kind, renamed.message) == ("other", "KeyError: short text")


@pytest.mark.parametrize(
    "line, request_id",
    [
        ("not json", None),
        ('{"op": "eval", "id": 4, "input": 3}', 4),
        ('{"op": "eval", "id": "x"}', None),
    ],
    ids=["not-json", "bad-tensor", "non-integer-id"],
)
def test_unreadable_request_is_bad_request_with_its_id(echo2, line, request_id):
    """An unreadable request is bad_request; its id is echoed when it is an integer and null otherwise."""
    response = echo2.ask(line)
    assert response["ok"] is False and response["error"]["kind"] == "bad_request"
    assert response["id"] == request_id


def test_parse_case_errors_name_the_field():
    """A malformed field's BadRequest names it (operand, eps, flag)."""
    good = eval_request(f64([1.0]), f64([0.0]), f64([1.0]))
    with pytest.raises(BadRequest, match="^grad_output: unknown dtype 'float8'$"):
        parse_case(dict(good, grad=True, grad_output={"dtype": "float8", "shape": [], "data": ""}), 2)
    with pytest.raises(BadRequest, match="^full is 1, not a bool$"):
        parse_case(dict(good, full=1), 2)
    with pytest.raises(BadRequest, match="^var.scalar: 'Inf' is not a number"):
        parse_case(dict(good, var={"scalar": "Inf"}), 2)


def test_missing_capability_knows_the_integer_dtypes():
    """An integer operand needs its dtype declared, and mixed_dtype beside a floating one; a scalar var beside
    integer input and target is not mixed."""
    ints = Tensor(np.array([1], dtype=np.int32), "int32")
    floats = Tensor(np.array([1.0]), "float64")
    both = ["int32", "float64"]
    case = Case(1, ints, ints, floats, False, 1e-6, "sum", False, None)
    assert missing_capability(case, ["float64"], ["mixed_dtype"]) == "dtype int32 is not supported"
    assert missing_capability(case, both, []) == "mixed dtypes are not supported"
    assert missing_capability(case, both, ["mixed_dtype"]) is None
    scalar_case = Case(1, ints, ints, 0.5, False, 1e-6, "sum", False, None)
    assert missing_capability(scalar_case, ["int32"], ["scalar_var"]) is None
