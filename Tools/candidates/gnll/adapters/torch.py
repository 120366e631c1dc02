"""Real PyTorch's gaussian_nll_loss, served as a protocol candidate.

Each case calls ``torch.nn.functional.gaussian_nll_loss`` on tensors made with
``torch.tensor(..., requires_grad=...)`` as the case's ``requires_grad`` says and,
for gradients, ``loss.backward(grad_output)``. It speaks protocol 2: int32, int64
and bool operands, non-finite eps and scalar var, gradients for some operands
only, and the features hvp and jvp: ``torch.autograd.grad`` of the gradients
taken with ``create_graph=True``, and forward-mode AD (dual tensors) with the
operands that require grad as primals (CONFORMANCE.md section 4). The profile follows
``torch.__version__`` unless ``--profile`` overrides it. Runs single-threaded on
the CPU unless ``--device`` names another device::

    python -m gnll.adapters.torch [--profile torch-2.10] [--device cuda]
    .venv-torch/bin/python Tools/candidates/torch_candidate.py [--profile torch-2.10] [--device cuda]
"""

import argparse
import re
from dataclasses import astuple

import torch
import torch.nn.functional as F
import torch.autograd.forward_ad as forward_ad

from gnll.candidate import PROFILES, Case, Rejection, Result, Tensor, rejection_from, serve
from gnll_common import profile_for

TORCH_DTYPES = {
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float64": torch.float64,
    "int32": torch.int32,
    "int64": torch.int64,
    "bool": torch.bool,
}
DTYPE_NAMES = {dtype: name for name, dtype in TORCH_DTYPES.items()}
BROADCAST_ERROR = re.compile(
    r"The size of tensor a \(\d+\) must match the size of tensor b \(\d+\) at non-singleton dimension \d+"
)
# (exception type, kind, test of the message), tried in order: what PyTorch's own Python code and its clamp raise
# in every release from 1.9 on, which the adapters that run PyTorch's function elsewhere (PyTorch/XLA) share.
PYTORCH_ERROR_KINDS = (
    ((AttributeError, TypeError), "type", lambda text: True),
    (ValueError, "negative_var", lambda text: text == "var has negative entry/entries"),
    (ValueError, "var_size", lambda text: text == "var is of incorrect size"),
    (ValueError, "target_size", lambda text: text == "input and target must have same size"),
    (ValueError, "reduction", lambda text: text.endswith(" is not valid")),
    (RuntimeError, "broadcast", lambda text: BROADCAST_ERROR.search(text) is not None),
    # clamp_(min=eps) with an eps beyond var's dtype: c10's checked conversion of the bound.
    (RuntimeError, "type", lambda text: text.startswith("value cannot be converted to type")),
    # clamp_(min=eps) of an integer or bool var: the float result cannot be written back into var.
    (RuntimeError, "type", lambda text: text.startswith("result type Float can't be cast to the desired output type")),
    # input - target with a bool operand (NotImplementedError from 2.10 on, RuntimeError before).
    ((RuntimeError, NotImplementedError), "type", lambda text: text.startswith("Subtraction, the `-` operator, with")),
)
ERROR_KINDS = PYTORCH_ERROR_KINDS + (
    # torch 1.8 views input, target and var as (N, -1); these are its failures to do so.
    (IndexError, "target_size", lambda text: text.endswith("specified as 0 but tensor has no dimensions")),
    (RuntimeError, "target_size", lambda text: text.startswith("cannot reshape tensor of 0 elements")),
    (RuntimeError, "var_size", lambda text: "is invalid for input of size" in text),
)


def to_torch(tensor: Tensor, device: str, requires_grad: bool) -> torch.Tensor:
    """A leaf torch tensor holding a protocol tensor's values in its dtype, as ``torch.tensor`` makes it."""
    return torch.tensor(tensor.array, dtype=TORCH_DTYPES[tensor.dtype], device=device, requires_grad=requires_grad)


def to_protocol(values: torch.Tensor) -> Tensor:
    """A protocol tensor from a torch tensor (bfloat16 is widened to float32 exactly)."""
    name = DTYPE_NAMES[values.dtype]
    wide = values.detach().cpu()
    return Tensor((wide.float() if name == "bfloat16" else wide).numpy(), name)


def rejection_for(error: Exception) -> Rejection:
    """The protocol rejection for an exception PyTorch raised; one it does not know is kind other."""
    return rejection_from(error, ERROR_KINDS)


def evaluate(case: Case, device: str) -> Result:
    """Evaluate one case with real PyTorch."""
    flags = case.requires_grad
    input = to_torch(case.input, device, flags.input)
    target = to_torch(case.target, device, flags.target)
    var = to_torch(case.var, device, flags.var) if isinstance(case.var, Tensor) else case.var
    try:
        loss = F.gaussian_nll_loss(input, target, var, full=case.full, eps=case.eps, reduction=case.reduction)
    except Exception as error:
        raise rejection_for(error) from error
    if case.hvp or case.jvp:
        return higher_order(case, device, loss, (input, target, var))
    if case.grad:
        loss.backward(to_torch(case.grad_output, device, False))
    return result(case, loss, input, target, var)


OPERAND_NAMES = ("input", "target", "var")


def higher_order(case: Case, device: str, loss: torch.Tensor, operands: tuple) -> Result:
    """The loss, its gradients and the case's hvp and jvp, as CONFORMANCE.md section 4 defines them.

    hvp: the gradients of the operands that require grad, ``torch.autograd.grad(loss, operands, grad_output,
    create_graph=True)``, differentiated again along the tangents, ``torch.autograd.grad(gradients, operands,
    tangents, allow_unused=True)``, an unused operand's (None) as zeros. jvp: forward-mode AD (dual tensors of
    ``torch.autograd.forward_ad``, what ``torch.func.jvp`` computes) of the loss as a function of the operands that
    require grad (the others are constants), along their tangents.
    """
    names = [name for name, flag in zip(OPERAND_NAMES, astuple(case.requires_grad)) if flag]
    leaves = [operands[OPERAND_NAMES.index(name)] for name in names]
    tangents = [to_torch(getattr(case.tangents, name), device, False) for name in names]
    try:
        firsts = torch.autograd.grad(loss, leaves, to_torch(case.grad_output, device, False), create_graph=True)
        outputs = {f"grad_{name}": to_protocol(first) for name, first in zip(names, firsts)}
        if case.hvp:
            # A gradient that does not depend on any operand has no graph: it contributes nothing.
            usable = [(first, tangent) for first, tangent in zip(firsts, tangents) if first.requires_grad]
            seconds = (
                torch.autograd.grad([f for f, _ in usable], leaves, [t for _, t in usable], allow_unused=True)
                if usable else [None] * len(leaves)
            )
            for name, leaf, second in zip(names, leaves, seconds):
                outputs[f"hvp_{name}"] = to_protocol(torch.zeros_like(leaf) if second is None else second)
        if case.jvp:
            # Dual tensors rather than torch.func.jvp, whose tangent is float64 when every operand is 0-d (with the
            # same value): the protocol wants the loss's dtype, which dual tensors give.
            values = {name: operand.detach() if isinstance(operand, torch.Tensor) else operand
                      for name, operand in zip(OPERAND_NAMES, operands)}
            with forward_ad.dual_level():
                for name, tangent in zip(names, tangents):
                    values[name] = forward_ad.make_dual(values[name], tangent)
                dual = F.gaussian_nll_loss(values["input"], values["target"], values["var"], full=case.full,
                                           eps=case.eps, reduction=case.reduction)
                tangent_out = forward_ad.unpack_dual(dual).tangent
                if tangent_out is None:
                    tangent_out = torch.zeros_like(loss)
                outputs["jvp"] = to_protocol(tangent_out)
    except Exception as error:
        raise rejection_for(error) from error
    return Result(loss=to_protocol(loss), **outputs)


def result(case: Case, loss: torch.Tensor, input: torch.Tensor, target: torch.Tensor, var) -> Result:
    """The protocol result: the loss and, when the case asks for them, the gradients its backward left (those
    of the operands that require grad)."""
    if not case.grad:
        return Result(loss=to_protocol(loss))
    grads = [t.grad if isinstance(t, torch.Tensor) else None for t in (input, target, var)]
    return Result(to_protocol(loss), *[None if g is None else to_protocol(g) for g in grads])


def supported_dtypes(device: str) -> list:
    """The dtypes this torch can evaluate the loss in on `device`.

    torch 2.0 and older have no CPU float16 kernel for ``clamp_min`` (``"clamp_min_scalar_cpu" not implemented for
    'Half'``, measured on 2.0.1 and 1.13.1), which the loss calls on every tensor var: on such a build float16 is
    left out of the hello, so the suite skips float16 cases instead of counting the missing kernel as a fault.
    """
    dtypes = list(TORCH_DTYPES)  # the integer and bool ones are sent in protocol 2 only
    try:
        torch.ones(1, dtype=torch.float16, device=device).clamp_(min=1e-6)
    except RuntimeError as error:
        if "not implemented for 'Half'" not in str(error):
            raise
        dtypes.remove("float16")
    return dtypes


def main() -> None:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=PROFILES, default=profile_for(torch.__version__))
    parser.add_argument("--device", default="cpu")
    arguments = parser.parse_args()
    torch.set_num_threads(1)
    serve(
        lambda case: evaluate(case, arguments.device),
        name="pytorch",
        version=torch.__version__,
        profile=arguments.profile,
        dtypes=supported_dtypes(arguments.device),
        features=["grad", "scalar_var", "mixed_dtype"] + higher_order_features(),
    )


def higher_order_features() -> list:
    """hvp and jvp (forward-mode AD, which every supported torch has)."""
    return ["hvp", "jvp"]


if __name__ == "__main__":
    main()
