"""Print Tools/facts/higher_order_facts.py's facts as the torch adapter computes them.

Each fact's call goes through ``gnll.adapters.torch.evaluate`` as one protocol case that asks for the gradients,
hvp and jvp of the operands the fact differentiates, with the fact's tangents and grad_output; the output has the
facts script's format, so it compares line by line with the recorded facts of the same torch release. Run with a
torch venv's python (``test_higher_order.py`` does)::

    .venv-torch/bin/python Tools/candidates/tests/higher_order_replay.py
"""

import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPOSITORY / "Tools" / "facts"))
sys.path.insert(0, str(REPOSITORY / "Tools" / "candidates"))

import higher_order_facts as facts  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from gnll.adapters import torch as adapter  # noqa: E402
from gnll.candidate import Case, RequiresGrad, Tangents  # noqa: E402


def to_torch(tensor):
    """A protocol tensor as a torch tensor of its dtype (bfloat16 values arrive in float32)."""
    return torch.tensor(tensor.array).to(adapter.TORCH_DTYPES[tensor.dtype])


def evaluate(input, target, var, wanted=facts.OPERANDS, full=False, eps=1e-6, reduction="none", grad_output=None):
    """The facts script's ``evaluate``, answered by the adapter: the same results dict."""
    operands = {"input": input, "target": target, "var": var}
    wanted = [name for name in wanted if isinstance(operands[name], torch.Tensor)
              and operands[name].dtype.is_floating_point]
    tangents = {name: facts.tangent_for(operands[name], seed) for seed, name in enumerate(facts.OPERANDS)
                if name in wanted}
    try:
        loss = F.gaussian_nll_loss(input, target, var, full=full, eps=eps, reduction=reduction)
    except Exception as error:  # noqa: BLE001 - the fact is the exception
        return {"error": error}
    go = torch.ones_like(loss) if grad_output is None else grad_output.to(loss.dtype).reshape(loss.shape)
    case = Case(
        id=0,
        input=adapter.to_protocol(input),
        target=adapter.to_protocol(target),
        var=adapter.to_protocol(var) if isinstance(var, torch.Tensor) else var,
        full=full,
        eps=eps,
        reduction=reduction,
        grad=True,
        grad_output=adapter.to_protocol(go),
        requires_grad=RequiresGrad(*(name in wanted for name in facts.OPERANDS)),
        hvp=True,
        jvp=True,
        tangents=Tangents(**{name: adapter.to_protocol(value) for name, value in tangents.items()}),
    )
    result = adapter.evaluate(case, "cpu")
    results = {"loss": to_torch(result.loss)}
    for prefix in ("grad", "hvp"):
        for name in wanted:
            results[f"{prefix}_{name}"] = to_torch(getattr(result, f"{prefix}_{name}"))
    results["jvp"] = to_torch(result.jvp)
    return results


if __name__ == "__main__":
    facts.evaluate = evaluate
    facts.main()
