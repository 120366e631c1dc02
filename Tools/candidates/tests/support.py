"""Test support: start a candidate process and speak protocol version 1 to it."""

import base64
import json
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

CANDIDATES = Path(__file__).resolve().parents[1]
REPOSITORY = CANDIDATES.parents[1]
TORCH_PYTHON = REPOSITORY / ".venv-torch" / "bin" / "python"
VALUE_DTYPES = {"float16": "<f2", "float32": "<f4", "float64": "<f8"}


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


def eval_request(input, target, var, *, id=1, full=False, eps=1e-6, reduction="mean", grad_output=None) -> dict:
    """An eval request; gradients are asked for exactly when grad_output is given."""
    request = {"op": "eval", "id": id, "input": input, "target": target, "var": var, "full": full, "eps": eps}
    request.update(reduction=reduction, grad=grad_output is not None)
    if grad_output is not None:
        request["grad_output"] = grad_output
    return request


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
    if not Path(python).exists():
        return f"{python} does not exist"
    probe = subprocess.run([str(python), "-c", "import torch"], capture_output=True, text=True)
    if probe.returncode:
        return f"torch is not importable with {python}: {(probe.stderr.strip().splitlines() or [''])[-1]}"
    return None


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
    """Why a third-party candidate cannot run here (its venv or its import is missing), or None."""
    if not python.exists():
        return f"{python} does not exist (see Tools/candidates/{requirements})"
    probe = subprocess.run([str(python), "-c", f"import {module}"], capture_output=True, text=True)
    if probe.returncode:
        return f"{module} is not importable with {python}: {(probe.stderr.strip().splitlines() or [''])[-1]}"
    return None


def library_candidate(venv: str, module: str, script: str, requirements: str):
    """The running candidate of a third-party library in its own venv, for a module-scoped fixture; a skip when
    the venv is missing."""
    import pytest

    python = REPOSITORY / venv / "bin" / "python"
    reason = library_missing_reason(python, module, requirements)
    if reason:
        pytest.skip(reason)
    with Candidate(python_command(python, script)) as running:
        yield running
