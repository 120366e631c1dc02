"""A protocol candidate for the process tests: well behaved, or misbehaving on purpose.

    python3 candidate.py MODE [N] [MARKER]

It answers every eval with zeros of the right shape and dtype, computed from the
request (the broadcast of input, target and var for reduction 'none', a 0-d tensor
otherwise; gradients with their operands' shapes), except at the N-th eval of each
process (counting from 0), where MODE says how it misbehaves. With a MARKER path it
misbehaves only once in all: the first time, it creates the file, and a later bye
removes it. Standard library only.
"""

import base64
import json
import os
import select
import sys
import time

MODE = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 0
WIDTH = {"float16": 2, "bfloat16": 2, "float32": 4, "float64": 8}

out = sys.stdout.buffer


def send(message):
    out.write(json.dumps(message).encode() + b"\n")
    out.flush()


def send_raw(data):
    out.write(data)
    out.flush()


def zeros(dtype, shape):
    count = 1
    for extent in shape:
        count *= extent
    return {"dtype": dtype, "shape": shape, "data": base64.b64encode(bytes(count * WIDTH[dtype])).decode()}


def broadcast(*shapes):
    rank = max(len(shape) for shape in shapes)
    result = []
    for axis in range(rank):
        sizes = [shape[axis - rank + len(shape)] for shape in shapes if axis - rank + len(shape) >= 0]
        result.append(max(sizes) if all(size in (1, max(sizes)) for size in sizes) else -1)
    return result


def answer(request):
    var = request["var"]
    shapes = [request["input"]["shape"], request["target"]["shape"]]
    if "scalar" not in var:
        shapes.append(var["shape"])
    dtype = request["input"]["dtype"]
    shape = broadcast(*shapes) if request["reduction"] == "none" else []
    message = {"id": request["id"], "ok": True, "loss": zeros(dtype, shape)}
    if request["grad"]:
        message["grad_input"] = zeros(dtype, request["input"]["shape"])
        message["grad_target"] = zeros(request["target"]["dtype"], request["target"]["shape"])
        message["grad_var"] = None if "scalar" in var else zeros(var["dtype"], var["shape"])
    return message


HELLO = {"ok": True, "protocol": 1, "name": "fixture", "version": "1", "profile": "torch-2.10",
         "dtypes": ["float16", "bfloat16", "float32", "float64"], "features": ["grad", "scalar_var", "mixed_dtype"]}


def hello():
    if MODE == "exit_before_hello":
        sys.stderr.write("fixture: exiting before hello\n")
        sys.exit(4)
    if MODE == "garbage_before_hello":
        send_raw(b"Welcome to my candidate!\n")
    if MODE == "stderr_chatter":
        for index in range(1024):
            sys.stderr.write("chatter %04d " % index + "x" * 1006 + "\n")
        sys.stderr.flush()
    line = sys.stdin.buffer.readline()
    if json.loads(line).get("op") != "hello":
        sys.exit(5)
    info = dict(HELLO)
    if MODE == "rename_after_restart":
        marker = sys.argv[3]
        if os.path.exists(marker):
            info["name"] = "renamed"
        else:
            open(marker, "w").close()
    send(info)


def misbehave(request):
    """Does MODE's misbehaviour for this eval; returns False when the mode answers normally."""
    if len(sys.argv) > 3 and MODE != "rename_after_restart":
        if os.path.exists(sys.argv[3]):
            return False
        open(sys.argv[3], "w").close()
    if MODE in ("crash_at", "rename_after_restart"):
        sys.stderr.write("fixture: crashing at eval %d\n" % N)
        sys.stderr.flush()
        os._exit(3)
    if MODE == "hang_at":
        time.sleep(600)
    elif MODE == "garbage_at":
        send_raw(b"this is not json\n")
    elif MODE == "nonutf8_at":
        send_raw(b'{"id": %d, "ok": false, "error": {"kind": "type", "message": "\xff\xfe"}}\n' % request["id"])
    elif MODE == "partial_at":
        send_raw(b'{"id": %d, "ok": tr' % request["id"])
        os._exit(0)
    elif MODE == "wrong_id_at":
        message = answer(request)
        message["id"] = request["id"] + 1000
        send(message)
    elif MODE == "wrong_shape_at":
        message = answer(request)
        message["loss"] = zeros("float16", [7])
        send(message)
    elif MODE == "bad_base64_at":
        message = answer(request)
        message["loss"]["data"] = "!!!!" + message["loss"]["data"][4:]
        send(message)
    elif MODE == "unknown_kind_at":
        send({"id": request["id"], "ok": False, "error": {"kind": "internal", "message": "ZeroDivisionError"}})
    elif MODE == "huge_at":
        send_raw(b'{"id": %d, "ok": true, "loss": {"dtype": "float32", "shape": [], "data": "' % request["id"])
        block = b"A" * (1 << 20)
        for _ in range(100):
            send_raw(block)
        send_raw(b'"}}\n')
    else:
        return False
    return True


def serve():
    hello()
    count = 0
    for line in sys.stdin.buffer:
        request = json.loads(line)
        if request["op"] == "bye":
            if len(sys.argv) > 3 and os.path.exists(sys.argv[3]):
                os.remove(sys.argv[3])
            return
        if count == N and misbehave(request):
            count += 1
            continue
        count += 1
        send(answer(request))


def read_all():
    """Reads N eval requests before answering any of them."""
    hello()
    requests = [json.loads(sys.stdin.buffer.readline()) for _ in range(N)]
    for request in requests:
        out.write(json.dumps(answer(request)).encode() + b"\n")
    out.flush()
    for line in sys.stdin.buffer:
        if json.loads(line)["op"] == "bye":
            return


def bursty():
    """Reads whatever requests are waiting, then answers them all; writes a lot before it reads again."""
    hello()
    stdin = sys.stdin.buffer.raw
    pending = b""
    while True:
        ready, _, _ = select.select([stdin], [], [], 0.005 if pending else None)
        if ready:
            data = os.read(stdin.fileno(), 1 << 16)
            if not data:
                return
            pending += data
            continue
        *lines, pending = pending.split(b"\n")
        for line in lines:
            request = json.loads(line)
            if request["op"] == "bye":
                return
            out.write(json.dumps(answer(request)).encode() + b"\n")
        out.flush()


if MODE == "read_all":
    read_all()
elif MODE == "bursty":
    bursty()
elif MODE == "ignore_bye":
    hello()
    for line in sys.stdin.buffer:
        if json.loads(line)["op"] == "eval":
            send(answer(json.loads(line)))
    time.sleep(600)
else:
    serve()
