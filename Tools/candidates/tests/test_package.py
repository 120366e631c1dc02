"""The gnll package's own pieces: the version, the adapters as modules, and the launcher of the bundled binary."""

import os
import re
import signal
import subprocess
import sys

import pytest
from support import CANDIDATES, Candidate

import gnll

LAUNCH = "import sys, gnll.__main__ as launcher; launcher.BINARY = launcher.Path(sys.argv.pop(1)); launcher.main()"


def launch(binary, *arguments: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    """Run the ``gnll`` command's launcher with ``binary`` in place of the bundled one."""
    return subprocess.run(
        [sys.executable, "-c", LAUNCH, str(binary), *arguments], input=stdin, capture_output=True,
        env=dict(os.environ, PYTHONPATH=str(CANDIDATES)),
    )


def test_version_is_a_release_number():
    assert re.fullmatch(r"\d+\.\d+\.\d+", gnll.__version__)


def test_adapters_run_as_modules():
    """``python -m gnll.adapters.numpy`` is a candidate (the command line the installed wheel documents)."""
    command = f"PYTHONPATH={CANDIDATES} {sys.executable} -m gnll.adapters.numpy --profile torch-2.6"
    with Candidate(command) as candidate:
        hello = candidate.ask({"op": "hello", "protocol": 1})
        assert (hello["name"], hello["profile"], hello["gnll_version"]) == ("numpy-gnll", "torch-2.6", gnll.__version__)
        candidate.send({"op": "bye"})
        assert candidate.close() == 0


def test_launcher_execs_the_binary(tmp_path):
    """The binary gets the arguments and stdin, and its stdout, stderr and exit status are the command's."""
    binary = tmp_path / "gnll"
    binary.write_text('#!/bin/sh\necho "args: $*"\ncat\necho "to stderr" >&2\nexit 7\n')
    binary.chmod(0o755)
    run = launch(binary, "verify", "--candidate", "a b", stdin=b"from stdin\n")
    assert (run.returncode, run.stdout, run.stderr) == (7, b"args: verify --candidate a b\nfrom stdin\n", b"to stderr\n")


def test_launcher_is_replaced_by_the_binary(tmp_path):
    """exec, not a child: the binary has the launcher's process id, and a signal ends the command as it ends the
    binary."""
    binary = tmp_path / "gnll"
    binary.write_text('#!/bin/sh\necho $$\nkill -TERM $$\n')
    binary.chmod(0o755)
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, str(binary)], stdout=subprocess.PIPE,
        env=dict(os.environ, PYTHONPATH=str(CANDIDATES)),
    )
    output, _ = process.communicate(timeout=30)
    assert int(output) == process.pid
    assert process.returncode == -signal.SIGTERM


def test_launcher_without_a_binary_says_so(tmp_path):
    run = launch(tmp_path / "absent")
    assert run.returncode == 2
    assert f"error: no gnll binary at {tmp_path / 'absent'}" in run.stderr.decode()
    assert run.stdout == b""


@pytest.mark.parametrize("name", ["torch", "numpy", "mlx", "paddle", "mindspore", "onnxruntime", "torchax",
                                  "torch_compile", "torch_xla"])
def test_source_tree_scripts_run_the_modules(name):
    """Tools/candidates/NAME_candidate.py is the module gnll.adapters.NAME run as a script, not a copy of it."""
    script = (CANDIDATES / f"{name}_candidate.py").read_text()
    assert f'runpy.run_module("gnll.adapters.{name}", run_name="__main__", alter_sys=True)' in script
    assert (CANDIDATES / "gnll" / "adapters" / f"{name}.py").is_file()
    assert len(script.splitlines()) == 5


@pytest.mark.parametrize("document", ["README.md", "CONFORMANCE.md"])
def test_documented_example_is_the_example_adapter(document):
    """The adapter example the README and CONFORMANCE.md show (their first python block) is example_candidate.py,
    which test_protocol runs; Tools/check_wheel.sh runs the README's against the installed wheel."""
    text = (CANDIDATES.parents[1] / document).read_text()
    block = re.search(r"^```python\n(.*?)^```$", text, re.M | re.S)
    assert block is not None
    assert block[1] == (CANDIDATES / "example_candidate.py").read_text()
