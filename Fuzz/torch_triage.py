#!/usr/bin/env python3
"""Triage `gnll fuzz` reproducers with real PyTorch, in one process.

For each reproducer, runs its case through ``torch.nn.functional.gaussian_nll_loss`` (as
Tools/candidates/torch_candidate.py does) and compares PyTorch's outputs with the two sides the
reproducer recorded: the candidate's answer and the oracle's expectation (the first values of each output,
by class: NaN, +inf, -inf or finite, and finite values to 1e-3 relative). It prints one line per file:

    torch=answer    PyTorch behaves like the candidate: if the candidate is the reference (or PyTorch
                    itself), the suite's oracle or judge is wrong here
    torch=expected  PyTorch behaves as the oracle expects: the candidate is wrong
    torch=neither   neither matches
    torch=error     PyTorch raised an exception the protocol has no kind for

    .venv-torch/bin/python Fuzz/torch_triage.py DIR_OR_FILE...
"""

import glob
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "Tools", "candidates"))

import torch  # noqa: E402

from gnll.candidate import Rejection, parse_case  # noqa: E402
from gnll.adapters.torch import evaluate  # noqa: E402


def classify(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "+inf" if value > 0 else "-inf"
    return "finite"


def same_values(mine, recorded) -> bool:
    for a, b in zip(mine, recorded):
        b = float("nan") if "nan" in b else float(b)
        if classify(a) != classify(b):
            return False
        if classify(a) == "finite" and abs(a - b) > 1e-3 * max(abs(a), abs(b)) + 1e-300:
            return False
    return True


def matches(torch_side, summary) -> bool:
    """Whether PyTorch's outcome matches a recorded outcome summary."""
    if summary["kind"] == "rejection":
        return torch_side[0] == "rejection" and torch_side[1] == summary.get("errorKind")
    if summary["kind"] != "result" or torch_side[0] != "result":
        return False
    outputs = torch_side[1]
    for output in summary.get("outputs", []):
        values = outputs.get(output["name"])
        if values is None or not same_values(values[: len(output["values"])], output["values"]):
            return False
    return True


def run_torch(reproducer):
    request = dict(reproducer["call"], op="eval", id=1)
    case = parse_case(request)
    try:
        result = evaluate(case, "cpu")
    except Rejection as rejection:
        return ("rejection", rejection.kind)
    except Exception as error:  # an exception the protocol has no kind for
        return ("error", f"{type(error).__name__}: {error}")
    outputs = {"loss": result.loss}
    if case.grad:
        outputs.update(grad_input=result.grad_input, grad_target=result.grad_target)
        if result.grad_var is not None:
            outputs["grad_var"] = result.grad_var
    return ("result", {name: [float(v) for v in tensor.array.reshape(-1)] for name, tensor in outputs.items()})


def main() -> None:
    torch.set_num_threads(1)
    paths = []
    for argument in sys.argv[1:]:
        paths += sorted(glob.glob(os.path.join(argument, "*.json"))) if os.path.isdir(argument) else [argument]
    counts = {}
    for path in paths:
        # Foundation's JSONEncoder writes -0.0 as -0, which Python would read as the integer 0.
        reproducer = json.load(open(path), parse_int=lambda text: -0.0 if text == "-0" else int(text))
        torch_side = run_torch(reproducer)
        if torch_side[0] == "error":
            verdict = "torch=error"
        elif matches(torch_side, reproducer["answer"]):
            verdict = "torch=answer"
        elif matches(torch_side, reproducer["expected"]):
            verdict = "torch=expected"
        else:
            verdict = "torch=neither"
        counts[verdict] = counts.get(verdict, 0) + 1
        signature = reproducer["signature"]
        detail = f"  ({torch_side[1]})" if torch_side[0] == "error" else ""
        print(f"{verdict:15} {signature['problem']} [{signature['form']}]  {os.path.basename(path)}{detail}")
    print(", ".join(f"{count} {verdict}" for verdict, count in sorted(counts.items())))


if __name__ == "__main__":
    main()
