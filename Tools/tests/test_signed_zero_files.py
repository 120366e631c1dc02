"""Results files and fuzz reproducers, written by the real `gnll`, read by Python's `json`: -0.0 keeps its sign.

Foundation's JSONEncoder wrote -0.0 as `-0`, which `json` reads as the integer 0; the suite's files now go through
the candidate protocol's codec, which writes `-0.0` (Fuzz/CAMPAIGN.md, "Other observations").

How the files are made: a planted candidate (`planted_candidate.py`, written below) relays every request to
`gnll serve` except the eval requests whose eps is -0.0, which it answers with a wrong error. So
- `gnll verify --check property.eps.non_positive` fails that property, and the shrunk case in the results file's
  failure has eps -0.0 (the failure depends on nothing else);
- `gnll fuzz --seed 1` finds the same kind of failure and writes a reproducer whose case has eps -0.0.
Both files are read with `json`, the eps checked with `math.copysign`, and every tensor's base64 decoded and
compared, bit for bit, with the case re-read through `gnll` itself (`gnll replay` accepts the reproducer, and the
bytes are the request's bytes, which the planted candidate records).

The binary: $GNLL, else .build/release/gnll, else .build/debug/gnll; the test is skipped when none exists.
"""

import base64
import json
import math
import os
import struct
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

PLANTED = r'''
"""Relays requests to `gnll serve`; answers an eval request whose eps is -0.0 with a wrong error, and logs it.
Responses go out in request order; a thread writes them, so that batches of requests are not held up."""
import json, math, queue, subprocess, sys, threading
gnll, log_path = sys.argv[1], sys.argv[2]
child = subprocess.Popen([gnll, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
pending = queue.Queue()


def respond():
    while (item := pending.get()) is not None:
        sys.stdout.write(child.stdout.readline() if item == "child" else item)
        sys.stdout.flush()


writer = threading.Thread(target=respond)
writer.start()
with open(log_path, "a") as log:
    for line in sys.stdin:
        request = json.loads(line)
        eps = request.get("eps")
        if request.get("op") == "eval" and isinstance(eps, float) and eps == 0 and math.copysign(1, eps) < 0:
            log.write(line)
            log.flush()
            error = {"kind": "negative_var", "message": "planted: var has negative entry/entries"}
            pending.put(json.dumps({"id": request["id"], "ok": False, "error": error}) + "\n")
            continue
        child.stdin.write(line)
        child.stdin.flush()
        if request.get("op") == "bye":
            break
        pending.put("child")
pending.put(None)
writer.join()
child.stdin.close()
child.wait()
'''


def gnll_binary():
    candidates = [os.environ.get("GNLL"), os.path.join(ROOT, ".build/release/gnll"),
                  os.path.join(ROOT, ".build/debug/gnll")]
    for path in candidates:
        if path and os.access(path, os.X_OK):
            return os.path.abspath(path)
    pytest.skip("no gnll binary: set GNLL or build one (swift build -c release --product gnll)")


@pytest.fixture
def planted(tmp_path):
    """(gnll, candidate command, path of the log of the planted requests)."""
    gnll = gnll_binary()
    script = tmp_path / "planted_candidate.py"
    script.write_text(PLANTED)
    log = tmp_path / "planted.jsonl"
    return gnll, f"{sys.executable} {script} {gnll} {log}", log


def planted_requests(log):
    with open(log) as handle:
        return [json.loads(line) for line in handle]


def tensors(record):
    """The tensor records of a case: name -> {"dtype", "shape", "data"}."""
    found = {name: record[name] for name in ("input", "target", "grad_output") if isinstance(record.get(name), dict)}
    if "scalar" not in record["var"]:
        found["var"] = record["var"]
    return found


def bits(value):
    """The float64 bits of a number as `json` read it (an integral double is written without ".0", so it reads
    as an int, with the same value)."""
    return struct.pack("<d", float(value)).hex()


def check_case(record, requests):
    """eps is -0.0 as a float; the tensors are those of a planted request, bit for bit; a Python-float var is the
    request's, bit for bit."""
    assert isinstance(record["eps"], float), f"eps read as {record['eps']!r} ({type(record['eps']).__name__})"
    assert record["eps"] == 0 and math.copysign(1.0, record["eps"]) == -1.0, f"eps read as {record['eps']!r}"
    matching = [request for request in requests
                if all(request[name] == value for name, value in tensors(record).items())]
    assert matching, "no planted request has the case's tensors"
    request = matching[-1]
    for name, tensor in tensors(record).items():
        raw = base64.b64decode(tensor["data"], validate=True)
        sent = base64.b64decode(request[name]["data"], validate=True)
        assert raw == sent, f"{name}: bytes differ"
        width = {"float16": 2, "bfloat16": 2, "float32": 4, "float64": 8}[tensor["dtype"]]
        assert len(raw) == width * math.prod(tensor["shape"]), f"{name}: {len(raw)} bytes"
    if "scalar" in record["var"]:
        scalar = record["var"]["scalar"]
        assert any(bits(scalar) == bits(other["var"]["scalar"]) for other in matching), f"var.scalar read as {scalar!r}"


def test_results_file_keeps_negative_zero_eps(planted, tmp_path):
    gnll, candidate, log = planted
    results = tmp_path / "results.json"
    run = subprocess.run(
        [gnll, "verify", "--candidate", candidate, "--check", "property.eps.non_positive", "--seed", "1",
         "--budget", "quick", "--no-regressions", "--quiet", "--json", str(results)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert results.exists(), f"gnll verify wrote no results (exit {run.returncode}): {run.stderr}"
    with open(results) as handle:
        report = json.load(handle)
    cases = [check["failure"]["call"] for check in report["checks"]
             if check["status"] == "failed" and "call" in check.get("failure", {})]
    assert cases, f"the planted failure is not in the results: {[c['status'] for c in report['checks']]}"
    requests = planted_requests(log)
    for record in cases:
        check_case(record, requests)
    assert '"eps" : -0.0' in results.read_text()


def test_reproducer_keeps_negative_zero_eps(planted, tmp_path):
    gnll, candidate, log = planted
    out = tmp_path / "fuzz"
    run = subprocess.run(
        [gnll, "fuzz", "--candidate", candidate, "--seed", "1", "--cases", "2000", "--seconds", "300",
         "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    files = sorted(out.glob("*.json")) if out.exists() else []
    assert files, f"gnll fuzz wrote no reproducer (exit {run.returncode}): {run.stdout[-2000:]} {run.stderr[-2000:]}"
    requests = planted_requests(log)
    for path in files:
        with open(path) as handle:
            reproducer = json.load(handle)
        check_case(reproducer["call"], requests)
        # gnll reads its own file back: the case still fails the same way against the planted candidate.
        replay = subprocess.run([gnll, "replay", str(path), "--candidate", candidate],
                                cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert replay.returncode == 1 and "FAIL" in replay.stdout, replay.stdout + replay.stderr
