#!/usr/bin/env python3
"""PyTorch's gaussian_nll_loss against this project's reference, measured in one run.

For each dtype, var layout, size and thread count, this script times, interleaved
round by round on the same data:

  torch   F.gaussian_nll_loss(input, target, var) forward + backward() in CPU eager
          mode, all three operands requiring grad, torch.set_num_threads(T);
  fused   the reference's fused kernel (`gnll bench --serve`, outputs allocated once);
  alloc   the same, allocating its three gradient buffers on every call, as eager
          PyTorch does;
  copy    memcpy of input, target and var into three buffers: the bytes one fused
          pass reads and writes, the memory-bandwidth ceiling.

The data comes from SplitMix64 of the element index (one stream per operand), made
the same way here with numpy and in `gnll bench`; the script checks that both sides
hold the same bits (XOR of the bit patterns) and that the two losses agree.

Each round takes one sample of each kind in turn, so a busy machine slows them alike;
the ratios are computed per round and reported as min/median/max over the rounds:

  speedup   torch / fused     (how many times PyTorch's time the reference takes less)
  ceiling   copy / fused      (the share of the memory-bandwidth ceiling reached)

Usage:
  swift build -c release
  .venv-torch/bin/python Tools/bench_vs_torch.py --gnll .build/release/gnll
  .venv-torch/bin/python Tools/bench_vs_torch.py --sizes 10000000 --dtypes float32 --rounds 9 --json out.json

Exit status: 0 when every configuration ran and the data and losses agreed, 1 otherwise.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "candidates"))
from gnll_common import SplitMix64  # noqa: E402


def unit(stream: int, count: int) -> np.ndarray:
    """24-bit values in [0, 1) for elements 0..<count of a stream, as `BenchData.unit`: the first
    SplitMix64 output seeded with the element index plus stream << 48."""
    index = np.arange(count, dtype=np.uint64) + np.uint64(stream << 48)
    return (SplitMix64.first_of(index) >> np.uint64(40)).astype(np.float64) * 2.0**-24


def make_data(dtype: str, variance: str, n: int, row_width: int):
    """input, target, var as numpy arrays with the shapes `gnll bench` uses."""
    np_type = np.float32 if dtype == "float32" else np.float64
    if variance == "heteroscedastic":
        shape, var_shape = (n,), (n,)
    else:
        width = min(row_width, n)
        rows = max(1, n // width)
        n = rows * width
        shape, var_shape = (rows, width), (rows, 1)
    var_count = int(np.prod(var_shape))
    x = (unit(1, n) * 4 - 2).astype(np_type).reshape(shape)
    t = (unit(2, n) * 4 - 2).astype(np_type).reshape(shape)
    v = (unit(3, var_count) * 2 + 0.0625).astype(np_type).reshape(var_shape)
    return x, t, v


def checksum(array: np.ndarray) -> str:
    bits = array.reshape(-1).view(np.uint32 if array.dtype == np.float32 else np.uint64)
    return format(int(np.bitwise_xor.reduce(bits.astype(np.uint64))), "x")


class Gnll:
    """`gnll bench --serve` as a subprocess."""

    def __init__(self, command):
        self.process = subprocess.Popen(
            command + ["bench", "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def ask(self, **request):
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("gnll bench --serve ended")
        answer = json.loads(line)
        if not answer.get("ok"):
            raise RuntimeError(f"gnll bench --serve: {answer.get('error')}")
        return answer

    def close(self):
        try:
            self.ask(op="bye")
        except (RuntimeError, BrokenPipeError):
            pass
        self.process.wait(timeout=30)


class TorchCall:
    """F.gaussian_nll_loss forward + backward on leaf tensors that require grad."""

    def __init__(self, x, t, v):
        self.x = torch.from_numpy(x).requires_grad_()
        self.t = torch.from_numpy(t).requires_grad_()
        self.v = torch.from_numpy(v).requires_grad_()
        self.loss = None

    def __call__(self):
        self.x.grad = self.t.grad = self.v.grad = None
        loss = F.gaussian_nll_loss(self.x, self.t, self.v)
        loss.backward()
        self.loss = loss.item()


def calibrate(run, sample_seconds):
    start = time.perf_counter()
    run()
    once = time.perf_counter() - start
    return max(1, int(-(-sample_seconds // max(once, 1e-9))))


def sample(run, calls):
    start = time.perf_counter()
    for _ in range(calls):
        run()
    return (time.perf_counter() - start) / calls


def summary(values):
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gnll", default=".build/release/gnll", help="the gnll executable (a release build)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000, 10_000_000])
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"], choices=["float32", "float64"])
    parser.add_argument(
        "--variances", nargs="+", default=["heteroscedastic", "homoscedastic"],
        choices=["heteroscedastic", "homoscedastic"])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds per configuration")
    parser.add_argument("--row-width", type=int, default=10, help="W of the homoscedastic layout (n/W, W)")
    parser.add_argument("--sample-seconds", type=float, default=0.05, help="least duration of one sample")
    parser.add_argument("--json", help="also write the measurements here")
    args = parser.parse_args()

    gnll = Gnll(args.gnll.split())
    machine = gnll.ask(op="machine")
    header = (
        f"machine: nproc {os.cpu_count()}, {machine['cpu']}, load average {machine['loadavg']} at start; "
        f"torch {torch.__version__}, numpy {np.__version__}"
    )
    print(header)
    print(
        f"{'dtype':8} {'variance':16} {'n':>9} {'thr':>3}  {'torch ms':>10} {'fused ms':>9} {'alloc ms':>9} "
        f"{'copy ms':>8}  {'speedup min/med/max':>20}  {'alloc speedup':>13}  {'ceiling min/med/max':>20}"
    )
    records = []
    failures = 0
    for dtype in args.dtypes:
        for variance in args.variances:
            for n in args.sizes:
                x, t, v = make_data(dtype, variance, n, args.row_width)
                prepared = gnll.ask(op="prepare", dtype=dtype, variance=variance, n=n, row_width=args.row_width)
                ours = prepared["checksums"]
                mine = {"input": checksum(x), "target": checksum(t), "var": checksum(v)}
                if ours != mine:
                    print(f"  data differ for {dtype} {variance} {n}: gnll {ours}, numpy {mine}")
                    failures += 1
                    continue
                for threads in args.threads:
                    torch.set_num_threads(threads)
                    call = TorchCall(x, t, v)
                    calls = {"torch": calibrate(call, args.sample_seconds)}
                    for kind in ("fused", "fused-alloc", "copy"):
                        calls[kind] = gnll.ask(
                            op="calibrate", kind=kind, threads=threads, sample_seconds=args.sample_seconds
                        )["calls"]
                    times = {kind: [] for kind in calls}
                    for _ in range(args.rounds):
                        times["torch"].append(sample(call, calls["torch"]))
                        for kind in ("fused", "fused-alloc", "copy"):
                            times[kind].append(
                                gnll.ask(op="sample", kind=kind, threads=threads, calls=calls[kind])["seconds"]
                            )
                    loss_ours = prepared["loss"]
                    tolerance = (1e-5 if dtype == "float32" else 1e-12) * max(1.0, abs(call.loss))
                    if abs(loss_ours - call.loss) > tolerance:
                        print(f"  losses differ for {dtype} {variance} {n}: gnll {loss_ours}, torch {call.loss}")
                        failures += 1
                    speedup = [a / b for a, b in zip(times["torch"], times["fused"])]
                    alloc_speedup = [a / b for a, b in zip(times["torch"], times["fused-alloc"])]
                    ceiling = [a / b for a, b in zip(times["copy"], times["fused"])]
                    record = {
                        "dtype": dtype, "variance": variance, "n": prepared["n"], "threads": threads,
                        "seconds": times, "calls": calls, "speedup": summary(speedup),
                        "alloc_speedup": summary(alloc_speedup), "ceiling": summary(ceiling),
                        "loss": {"torch": call.loss, "gnll": loss_ours},
                    }
                    records.append(record)

                    def ms(kind):
                        return f"{statistics.median(times[kind]) * 1e3:.3f}"

                    def triple(values):
                        s = summary(values)
                        return f"{s['min']:.2f}/{s['median']:.2f}/{s['max']:.2f}"

                    print(
                        f"{dtype:8} {variance:16} {prepared['n']:>9} {threads:>3}  {ms('torch'):>10} "
                        f"{ms('fused'):>9} {ms('fused-alloc'):>9} {ms('copy'):>8}  {triple(speedup):>20}  "
                        f"{statistics.median(alloc_speedup):>13.2f}  {triple(ceiling):>20}",
                        flush=True,
                    )
    machine_end = gnll.ask(op="machine")
    gnll.close()
    print(f"load average at end: {machine_end['loadavg']}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(
                {
                    "schema": "gnll-bench-vs-torch/1", "command": " ".join(sys.argv), "machine": machine,
                    "machine_end": machine_end, "torch": torch.__version__, "results": records,
                },
                handle, indent=1,
            )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
