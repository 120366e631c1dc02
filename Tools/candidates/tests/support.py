"""Test support: start a candidate process and speak the candidate protocol (version 1, or 2 after HELLO_2)."""

import base64
import json
import math
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

CANDIDATES = Path(__file__).resolve().parents[1]
REPOSITORY = CANDIDATES.parents[1]
# The plain PyTorch venvs of the repository (.venv-torch, .venv-torch-2.9.1, ...), not the libraries built on torch
# (.venv-torchax, .venv-torch-xla), which pin their own torch.
TORCH_INTERPRETERS = sorted(
    path for path in REPOSITORY.glob(".venv-torch*/bin/python")
    if path.parents[1].name == ".venv-torch" or path.parents[1].name[len(".venv-torch-"):][:1].isdigit()
)
TORCH_PYTHON = REPOSITORY / ".venv-torch" / "bin" / "python"
VALUE_DTYPES = {"float16": "<f2", "float32": "<f4", "float64": "<f8", "int32": "<i4", "int64": "<i8", "bool": "?"}
# The hello of a suite that offers protocols 1 and 2 (CONFORMANCE.md section 4).
HELLO_2 = {"op": "hello", "protocol": 1, "protocols": [1, 2]}


def tensor(values, dtype="float64") -> dict:
    """Encode values as a protocol tensor (bfloat16 values must be exact bfloat16 numbers)."""
    if dtype == "bfloat16":
        bits = np.asarray(values, dtype=np.float32).reshape(-1).view(np.uint32)
        assert not np.any(bits & 0xFFFF), "not a bfloat16 value"
        return {"dtype": dtype, "shape": list(np.shape(values)), "data": b64((bits >> 16).astype("<u2"))}
    array = np.asarray(values, dtype=VALUE_DTYPES[dtype])
    return {"dtype": dtype, "shape": list(array.shape), "data": b64(array)}


def b64(array: np.ndarray) -> str:
    """Base64 of an array's bytes."""
    return base64.b64encode(array.tobytes()).decode("ascii")


def decode(obj: dict) -> np.ndarray:
    """Decode a protocol tensor; bfloat16 comes back as float32 values."""
    raw = base64.b64decode(obj["data"])
    if obj["dtype"] == "bfloat16":
        values = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
    else:
        values = np.frombuffer(raw, dtype=VALUE_DTYPES[obj["dtype"]])
    return values.reshape(obj["shape"])


def eval_request(
    input, target, var, *, id=1, full=False, eps=1e-6, reduction="mean", grad_output=None, requires_grad=None
) -> dict:
    """An eval request; gradients are asked for exactly when grad_output is given. ``requires_grad`` (protocol
    2) is a (input, target, var) triple of bools; a non-finite eps is written as protocol 2 writes it."""
    eps = non_finite_number(eps)
    request = {"op": "eval", "id": id, "input": input, "target": target, "var": var, "full": full, "eps": eps}
    request.update(reduction=reduction, grad=grad_output is not None)
    if grad_output is not None:
        request["grad_output"] = grad_output
    if requires_grad is not None:
        request["requires_grad"] = dict(zip(("input", "target", "var"), requires_grad, strict=True))
    return request


def non_finite_number(value):
    """A number as protocol 2 writes it: NaN and the infinities as the strings "NaN", "Infinity", "-Infinity"."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def scalar(value) -> dict:
    """A scalar var, non-finite ones as protocol 2 writes them."""
    return {"scalar": non_finite_number(value)}


def python_command(python, script: str, *arguments: str) -> str:
    """The shell command line that runs a candidate script."""
    return shlex.join([str(python), str(CANDIDATES / script), *arguments])


def numpy_command(profile="torch-2.10") -> str:
    """The command line of the numpy candidate."""
    return python_command(sys.executable, "numpy_candidate.py", "--profile", profile)


def torch_command(*arguments: str, python=TORCH_PYTHON) -> str:
    """The command line of the torch candidate."""
    return python_command(python, "torch_candidate.py", *arguments)


def torch_missing_reason(python=TORCH_PYTHON):
    """Why torch cannot be used with an interpreter, or None when it can."""
    return library_missing_reason(Path(python), "torch", "Tools/requirements.txt")


class Candidate:
    """A running candidate: ``/bin/sh -c command`` with line-based JSON on its pipes."""

    def __init__(self, command: str):
        self.stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            ["/bin/sh", "-c", command], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr
        )

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.close()

    def send(self, message) -> None:
        """Write one request without waiting: a dict, or a raw line as str or bytes."""
        line = json.dumps(message) if isinstance(message, dict) else message
        self.process.stdin.write((line if isinstance(line, bytes) else line.encode("utf-8")) + b"\n")
        self.process.stdin.flush()

    def receive(self) -> dict:
        """Read one response line."""
        line = self.process.stdout.readline()
        assert line.endswith(b"\n"), f"no response; stderr: {self.log()}"
        return json.loads(line)

    def ask(self, message) -> dict:
        """Send one request and read its response."""
        self.send(message)
        return self.receive()

    def log(self) -> str:
        """Everything the candidate wrote to stderr so far."""
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")

    def close(self, timeout=30) -> int:
        """Close stdin and wait for the exit status."""
        if not self.process.stdin.closed:
            self.process.stdin.close()
        code = self.process.wait(timeout=timeout)
        self.process.stdout.close()
        return code


def library_missing_reason(python: Path, module: str, requirements: str):
    """Why a library cannot be used with an interpreter (its venv or its import is missing), or None.

    ``requirements`` is the repository path of the file the venv is made from, named in the reason."""
    if not python.exists():
        return f"{python} does not exist (see {requirements})"
    probe = subprocess.run([str(python), "-c", f"import {module}"], capture_output=True, text=True)
    if probe.returncode:
        return f"{module} is not importable with {python}: {(probe.stderr.strip().splitlines() or [''])[-1]}"
    return None


def library_candidate(venv: str, module: str, script: str, requirements: str):
    """The running candidate of a third-party library in its own venv, for a module-scoped fixture; a skip when
    the venv is missing. ``requirements`` is a file name in Tools/candidates/, or a repository path."""
    import pytest

    python = REPOSITORY / venv / "bin" / "python"
    if "/" not in requirements:
        requirements = f"Tools/candidates/{requirements}"
    reason = library_missing_reason(python, module, requirements)
    if reason:
        pytest.skip(reason)
    with Candidate(python_command(python, script)) as running:
        yield running


def hello(candidate, *, profile: str, dtypes: list, features: list) -> dict:
    """The candidate's hello, asserted to be a protocol-1 hello for ``profile`` with these dtypes and features."""
    answer = candidate.ask({"op": "hello", "protocol": 1})
    assert answer["ok"] and answer["protocol"] == 1, answer
    assert answer["profile"] == profile
    assert answer["dtypes"] == dtypes
    assert answer["features"] == features
    return answer


def assert_sum_example(candidate, *, grad_var=(0.0, -7.0)) -> None:
    """input (1, 2), target 0, var (1, 0.5), 'sum', float64: the loss is 0.5·(log 1 + 1) + 0.5·(log 0.5 + 4/0.5).

    By hand: d/dinput = (input − target)/var = (1, 4), d/dtarget = −(1, 4), d/dvar = 0.5·(1/var − d²/var²) =
    (0, −7). A candidate without the grad feature is asked for the loss only; ``grad_var`` is what the library is
    expected to give for var (a known deviation may differ from PyTorch's (0, −7))."""
    with_gradients = grad_var is not None
    request = eval_request(
        tensor([1.0, 2.0]), tensor([0.0, 0.0]), tensor([1.0, 0.5]), reduction="sum",
        grad_output=tensor(1.0) if with_gradients else None,
    )
    response = candidate.ask(request)
    assert response["ok"], response
    assert response["loss"]["dtype"] == "float64" and response["loss"]["shape"] == []
    np.testing.assert_allclose(decode(response["loss"]), 0.5 + 0.5 * (math.log(0.5) + 8.0), rtol=1e-12)
    if with_gradients:
        np.testing.assert_allclose(decode(response["grad_input"]), [1.0, 4.0], rtol=1e-12)
        np.testing.assert_allclose(decode(response["grad_target"]), [-1.0, -4.0], rtol=1e-12)
        np.testing.assert_allclose(decode(response["grad_var"]), list(grad_var), rtol=1e-12, atol=1e-15)


def assert_rejected(candidate, request: dict, kind: str) -> None:
    """The candidate rejects ``request`` with an error of ``kind``."""
    response = candidate.ask(request)
    assert not response["ok"], response
    assert response["error"]["kind"] == kind, response
