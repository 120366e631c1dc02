"""PyTorch's gaussian_nll_loss run by PyTorch/XLA on the XLA device, served as a protocol candidate.

Each case moves its tensors to ``torch_xla.device()`` (PJRT on the CPU: ``PJRT_DEVICE=CPU`` unless the
environment names another device), calls ``torch.nn.functional.gaussian_nll_loss`` there and, for gradients,
``loss.backward(grad_output)`` with ``grad_output`` on the XLA device too; ``torch_xla.sync()`` then compiles and
runs the lazy graph, forward and backward, with XLA, and the results are copied back to the CPU::

    python -m gnll.adapters.torch_xla [--no-grad]
    .venv-torch-xla/bin/python Tools/candidates/torch_xla_candidate.py [--no-grad]

The function is PyTorch's own Python code: its checks (var's shape, the negative-var test, which reads
``torch.any(var < 0)`` back from the device) run as in eager PyTorch, and every ATen op it calls is traced by
PyTorch/XLA's lazy tensors and lowered to XLA HLO. The PyTorch in the venv is what PyTorch/XLA runs, so its
version is reported beside torch-xla's. torch and torch_xla take seconds to import, so they are imported on the
first eval and the hello is answered at once.

Protocol 2: only the operands that require grad are made with ``requires_grad=True``; integer and bool operands are
torch tensors of those dtypes on the XLA device, promoted by PyTorch/XLA itself; a non-finite eps or scalar var is
the Python float it is. An error that matches none of PyTorch's kinds or PyTorch/XLA's broadcast error is reported
as kind ``other``, with its type and message.
"""

from __future__ import annotations

import os
from importlib import metadata

from gnll.candidate import Case, Rejection, Result, Tensor, adapter_arguments, declared_features, rejection_from, serve

DTYPES = ("float16", "bfloat16", "float32", "float64", "int32", "int64", "bool")
torch = F = torch_xla = torch_adapter = DEVICE = TORCH_DTYPES = None
# PyTorch/XLA's own shape inference of a binary op: "Shapes are not compatible for broadcasting: f32[1,3] vs.
# f32[1,2]. Expected dimension 1 of shape f32[1,3] (3) to match dimension 1 of shape f32[1,2] (2)...". Tried after
# PyTorch's own texts (torch_adapter.PYTORCH_ERROR_KINDS: its Python checks run as in eager PyTorch).
XLA_ERROR_KINDS = (
    (RuntimeError, "broadcast", lambda text: text.startswith("Shapes are not compatible for broadcasting")),
    # PyTorch/XLA's wording of PyTorch's own rejections: an integer or bool var in the in-place clamp ("Attempting
    # to cast from torch.float32 to out tensor with dtype torch.int32, but this can't be cast because it is not
    # safe!"), and a bool operand of the subtraction (PyTorch's message behind "Check failed: type1 != at::kBool").
    (RuntimeError, "type", lambda text: text.startswith("Attempting to cast from") and "can't be cast" in text),
    (RuntimeError, "type", lambda text: "Subtraction, the `-` operator, with" in text),
)


def load() -> None:
    """Import torch and torch_xla (once), with PJRT on the CPU unless the environment says otherwise."""
    global torch, F, torch_xla, torch_adapter, DEVICE, TORCH_DTYPES
    if torch_xla is not None:
        return
    os.environ.setdefault("PJRT_DEVICE", "CPU")
    import torch as torch_module
    import torch.nn.functional as functional
    import torch_xla as torch_xla_module

    from gnll.adapters import torch as torch_adapter_module

    torch, F, torch_xla, torch_adapter = torch_module, functional, torch_xla_module, torch_adapter_module
    torch.set_num_threads(1)
    DEVICE = torch_xla.device()
    TORCH_DTYPES = torch_adapter.TORCH_DTYPES


def to_xla(tensor: Tensor, requires_grad: bool):
    """A leaf tensor on the XLA device holding a protocol tensor's values in its dtype."""
    values = torch.as_tensor(tensor.array).to(dtype=TORCH_DTYPES[tensor.dtype]).to(DEVICE)
    return values.requires_grad_(requires_grad)


def rejection_for(error: Exception) -> Rejection:
    """The protocol rejection for an exception raised while running the loss (kind other where no row matches)."""
    return rejection_from(error, torch_adapter.PYTORCH_ERROR_KINDS + XLA_ERROR_KINDS)


def evaluate(case: Case) -> Result:
    """Evaluate one case with PyTorch's function on the XLA device."""
    load()
    requires_grad = case.requires_grad
    input = to_xla(case.input, case.grad and requires_grad.input)
    target = to_xla(case.target, case.grad and requires_grad.target)
    var = to_xla(case.var, case.grad and requires_grad.var) if isinstance(case.var, Tensor) else case.var
    try:
        loss = F.gaussian_nll_loss(input, target, var, full=case.full, eps=case.eps, reduction=case.reduction)
        if case.grad:
            loss.backward(to_xla(case.grad_output, False))
        torch_xla.sync()
    except Exception as error:
        raise rejection_for(error) from error
    # Gradients and the loss are copied back to the CPU (bfloat16 widened to float32 exactly).
    return torch_adapter.result(case, loss, input, target, var)


def main() -> None:
    """Parse the command line and serve."""
    parser = adapter_arguments(__doc__, default_profile="torch-2.6")
    arguments = parser.parse_args()
    serve(
        evaluate,
        name="torch-xla",
        version=", ".join(f"{package} {metadata.version(package)}" for package in ("torch-xla", "torch")),
        profile=arguments.profile,
        dtypes=list(DTYPES),
        features=declared_features(arguments, "scalar_var", "mixed_dtype"),
    )


if __name__ == "__main__":
    main()
