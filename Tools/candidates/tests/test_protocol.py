"""The protocol helper (gnll.candidate) and the process behaviour every candidate shares."""

import math
import re
import shlex
import sys
import textwrap

import numpy as np
import pytest
from support import CANDIDATES, Candidate, decode, eval_request, numpy_command, python_command, tensor

from gnll.candidate import Tensor, bfloat16_bits, decode_tensor, encode_tensor

HELLO = {"op": "hello", "protocol": 1}
# The package's version, read from the line that sets it (the Swift build reads the same line).
GNLL_VERSION = re.search(r'^__version__ = "([^"]+)"$', (CANDIDATES / "gnll" / "__init__.py").read_text(), re.M)[1]
EXAMPLE = python_command(sys.executable, "example_candidate.py")


def adapter_command(tmp_path, body: str) -> str:
    """The command line of a throwaway adapter whose evaluate(case) has the given body."""
    script = tmp_path / "adapter.py"
    script.write_text(
        "from gnll.candidate import Result, Tensor, serve\n\n\ndef evaluate(case):\n"
        + textwrap.indent(textwrap.dedent(body), "    ")
        + "\n\nserve(evaluate, name='t', version='0', profile='torch-2.10')\n"
    )
    return f"PYTHONPATH={shlex.quote(str(CANDIDATES))} {shlex.join([sys.executable, str(script)])}"


def simple_request(id=1, dtype="float64", var=None, grad=False) -> dict:
    """input 1, target 0, var 1 ('sum'): the loss is 0.5."""
    var = tensor([1.0], dtype) if var is None else var
    request = eval_request(tensor([1.0], dtype), tensor([0.0], dtype), var, id=id, reduction="sum")
    return dict(request, grad=True, grad_output=tensor(1.0, dtype)) if grad else request


@pytest.mark.parametrize(
    "command, expected",
    [
        (
            numpy_command("torch-1.9"),
            {
                "ok": True,
                "protocol": 1,
                "name": "numpy-gnll",
                "version": "1",
                "profile": "torch-1.9",
                "dtypes": ["float16", "float32", "float64"],
                "features": ["grad", "scalar_var", "mixed_dtype"],
                "gnll_version": GNLL_VERSION,
            },
        ),
        (
            EXAMPLE,
            {
                "ok": True,
                "protocol": 1,
                "name": "example",
                "version": "0.1",
                "profile": "torch-2.10",
                "dtypes": ["float32", "float64"],
                "features": [],
                "gnll_version": GNLL_VERSION,
            },
        ),
    ],
    ids=["numpy", "example"],
)
def test_hello_then_bye_exits_zero(command, expected):
    """hello answers the declaration; after bye nothing more is written and the exit status is 0."""
    with Candidate(command) as candidate:
        assert candidate.ask(HELLO) == expected
        candidate.send({"op": "bye"})
        assert candidate.process.stdout.read() == b""
        assert candidate.close() == 0


def test_end_of_input_exits_zero():
    """Closing stdin ends the candidate with status 0."""
    with Candidate(numpy_command()) as candidate:
        assert candidate.ask(simple_request())["ok"]
        assert candidate.close() == 0


@pytest.mark.parametrize(
    "hello_", [{"op": "hello", "protocol": 3}, {"op": "hello", "protocol": 1, "protocols": [3, 4]}], ids=["3", "3-4"]
)
def test_other_protocol_version_is_unsupported(hello_, running):
    """A hello that offers no version the helper speaks (1 or 2) gets an unsupported error."""
    response = running(numpy_command()).ask(hello_)
    assert response["ok"] is False and response["error"]["kind"] == "unsupported"
    assert response["error"]["message"].endswith("is not supported (this adapter speaks 1, 2)")


def test_pipelined_requests_are_answered_in_order():
    """50 requests written before any response is read come back in order, each with its own values."""
    with Candidate(numpy_command()) as candidate:
        candidate.ask(HELLO)
        for id in range(50):
            candidate.send(eval_request(tensor([float(id)]), tensor([0.0]), tensor([1.0]), id=id, reduction="sum"))
        responses = [candidate.receive() for _ in range(50)]
    assert [response["id"] for response in responses] == list(range(50))
    assert [decode(response["loss"]) for response in responses] == [0.5 * id**2 for id in range(50)]


@pytest.mark.parametrize(
    "line",
    [
        "garbage",
        b"\xff\xfe",
        "[1, 2]",
        '{"op": "dance"}',
        '{"op": "eval", "id": 7}',
        '{"op": "eval", "id": 7, "input": {"dtype": "float64", "shape": [2], "data": "AAAAAAAA8D8="}}',
    ],
    ids=["not-json", "not-utf-8", "not-an-object", "unknown-op", "missing-fields", "short-data"],
)
def test_bad_request_is_answered_and_logged(line, running):
    """A bad line gets a bad_request error and a note on stderr; the candidate keeps serving."""
    candidate = running(numpy_command("torch-2.6"))
    response = candidate.ask(line)
    assert response["ok"] is False and response["error"]["kind"] == "bad_request"
    assert "bad request" in candidate.log()
    assert candidate.ask(simple_request())["ok"]


@pytest.mark.parametrize(
    "request_, reason",
    [
        (simple_request(dtype="float16"), "dtype float16 is not supported"),
        (simple_request(var={"scalar": 1.0}), "a scalar var is not supported"),
        (simple_request(var=tensor([1.0], "float32")), "mixed dtypes are not supported"),
        (simple_request(grad=True), "gradients are not supported"),
    ],
    ids=["dtype", "scalar-var", "mixed-dtype", "grad"],
)
def test_undeclared_capabilities_are_unsupported(request_, reason, running):
    """The helper answers unsupported for what the adapter does not declare (the example declares little)."""
    response = running(EXAMPLE).ask(request_)
    assert response == {"id": 1, "ok": False, "error": {"kind": "unsupported", "message": reason}}


def test_bfloat16_is_unsupported_by_the_numpy_candidate(running):
    """The numpy candidate does not declare bfloat16."""
    request = simple_request(var=tensor([1.0], "bfloat16"))
    assert running(numpy_command()).ask(request)["error"]["kind"] == "unsupported"


def test_unclassified_exception_is_other(tmp_path):
    """An exception that evaluate raises and does not classify is kind other with its type (the library's own
    error, judged as a rejection), and a traceback on stderr; the candidate keeps serving."""
    with Candidate(adapter_command(tmp_path, "return 1 / 0")) as candidate:
        response = candidate.ask(simple_request())
        assert response["error"] == {"kind": "other", "message": "ZeroDivisionError: division by zero"}
        assert "Traceback" in candidate.log()
        assert candidate.ask(simple_request(id=2))["id"] == 2


def test_missing_gradients_are_internal(tmp_path):
    """An adapter that returns no gradients for a gradient request is caught, not passed on."""
    with Candidate(adapter_command(tmp_path, "return Result(Tensor(case.input.array.sum(), 'float64'))")) as candidate:
        assert candidate.ask(simple_request())["ok"]
        response = candidate.ask(simple_request(grad=True))
        assert response["error"]["kind"] == "internal" and "grad_input" in response["error"]["message"]


def test_stray_print_goes_to_stderr(tmp_path):
    """print() inside an adapter cannot corrupt the protocol stream."""
    body = "print('debugging')\nreturn Result(Tensor(case.input.array.sum(), 'float64'))"
    with Candidate(adapter_command(tmp_path, body)) as candidate:
        assert candidate.ask(simple_request())["ok"]
        assert "debugging" in candidate.log()


@pytest.mark.parametrize(
    "value, bits",
    [
        (1.0, 0x3F80),
        (-0.0, 0x8000),
        (1 + 2**-8, 0x3F80),
        (1 + 3 * 2**-8, 0x3F82),
        (1 + 2**-8 + 2**-20, 0x3F81),
        (float(np.finfo(np.float32).max), 0x7F80),
        (-math.inf, 0xFF80),
        (1e-40, 0x0001),
    ],
    ids=["one", "negative-zero", "tie-to-even-down", "tie-to-even-up", "above-tie", "overflow", "-inf", "subnormal"],
)
def test_bfloat16_rounds_to_nearest_even(value, bits):
    """bfloat16 encoding rounds float32 to nearest, ties to even."""
    assert int(bfloat16_bits(np.float32(value))) == bits


def test_bfloat16_nan_stays_nan():
    """NaN, including a NaN whose payload is only in the low 16 bits, stays NaN."""
    payload_low = np.array([0x7F800001], dtype=np.uint32).view(np.float32)
    encoded = bfloat16_bits(np.concatenate([payload_low, np.float32([np.nan, -np.nan])]))
    assert all((int(b) & 0x7F80) == 0x7F80 and (int(b) & 0x007F) for b in encoded)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
@pytest.mark.parametrize("shape", [(), (0, 3), (2, 3)])
def test_tensor_round_trip(dtype, shape):
    """Encoding then decoding gives back the values, dtype and shape, 0-d and empty included."""
    values = np.arange(math.prod(shape), dtype=np.float32).reshape(shape) * 0.5 - 1.0
    decoded = decode_tensor(encode_tensor(Tensor(values, dtype)))
    assert decoded.dtype == dtype and decoded.array.shape == shape
    np.testing.assert_array_equal(decoded.array, values)
