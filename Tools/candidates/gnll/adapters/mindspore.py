"""MindSpore's gaussian_nll_loss (``mindspore.ops.gaussian_nll_loss``), served as a protocol candidate.

Each case calls ``ops.gaussian_nll_loss(x, target, var, full, eps, reduction)`` in PyNative mode on
the CPU; gradients come from ``mindspore.vjp`` with ``grad_output`` as the cotangent, which is what
``loss.backward(grad_output)`` gives in PyTorch::

    python -m gnll.adapters.mindspore
    .venv-mindspore/bin/python Tools/candidates/mindspore_candidate.py

MindSpore takes no Python float var (``TypeError: 'var' must be a tensor``), so ``scalar_var`` is
not declared and such cases are answered ``unsupported``. Its CPU ``Maximum`` kernel has no
bfloat16, so bfloat16 is not declared. It checks no sign and no shape of var (var only has to
broadcast); it rejects eps <= 0, which PyTorch accepts: that rejection has no PyTorch kind and is
reported as ``invalid_argument`` where the protocol has that kind, else as ``type``, with
MindSpore's message.
"""

from __future__ import annotations

import os
from importlib import metadata

import numpy as np

from gnll.candidate import (
    REJECTION_KINDS, Case, Rejection, Result, Tensor, adapter_arguments, declared_features, evaluate_by_vjp,
    rejection_from, serve,
)

DTYPES = ("float16", "float32", "float64")
# MindSpore takes seconds to import: it is imported on the first eval (load()), so that the hello is answered
# at once (the suite allows a candidate 10 s to start); the version comes from the package metadata.
ms = MSTensor = ops = MS_DTYPES = DTYPE_NAMES = None
# A rejection of an argument value that PyTorch accepts has no PyTorch kind.
ARGUMENT_KIND = "invalid_argument" if "invalid_argument" in REJECTION_KINDS else "type"
# (exception types, kind, test of the message), tried in order; the texts are MindSpore's own.
ERROR_KINDS = (
    (ValueError, "reduction", lambda text: "'reduction' must be one of" in text),
    (ValueError, ARGUMENT_KIND, lambda text: "'eps' must be a positive float" in text),
    (ValueError, "broadcast", lambda text: "need to broadcast" in text),
    (TypeError, "type", lambda text: "must be a tensor" in text or "must be a bool" in text),
    (TypeError, "unsupported", lambda text: "Unsupported data type" in text),
)


def load() -> None:
    """Import MindSpore (once), with its C++ logs limited to errors, on the CPU."""
    global ms, MSTensor, ops, MS_DTYPES, DTYPE_NAMES
    if ms is not None:
        return
    os.environ.setdefault("GLOG_v", "3")
    import mindspore as mindspore_module
    from mindspore import Tensor as tensor_class
    from mindspore import ops as ops_module

    mindspore_module.set_device("CPU")
    ms, MSTensor, ops = mindspore_module, tensor_class, ops_module
    MS_DTYPES = {name: getattr(ms, name) for name in DTYPES}
    DTYPE_NAMES = {dtype: name for name, dtype in MS_DTYPES.items()}


def to_mindspore(tensor: Tensor) -> MSTensor:
    """A MindSpore tensor holding a protocol tensor's values in its dtype."""
    return MSTensor(np.array(tensor.array, copy=True), dtype=MS_DTYPES[tensor.dtype])


def to_protocol(values: MSTensor) -> Tensor:
    """A protocol tensor from a MindSpore tensor."""
    return Tensor(np.array(values.asnumpy(), copy=True), DTYPE_NAMES[values.dtype])


def rejection_for(error: Exception) -> Rejection:
    """The protocol rejection for an exception MindSpore raised; re-raise anything unexpected."""
    # MindSpore appends its C++ call stack to some messages; keep the first paragraph.
    return rejection_from(error, ERROR_KINDS, message=str(error).split("\n\n")[0].strip())


def evaluate(case: Case) -> Result:
    """Evaluate one case with MindSpore."""
    load()

    def loss_of(x, target, var):
        return ops.gaussian_nll_loss(x, target, var, full=case.full, eps=case.eps, reduction=case.reduction)

    def vjp(operands):
        loss, backward = ms.vjp(loss_of, *operands)
        return loss, backward(to_mindspore(case.grad_output))

    operands = [to_mindspore(case.input), to_mindspore(case.target), to_mindspore(case.var)]
    return evaluate_by_vjp(case, operands, loss_of, vjp, to_protocol, rejection_for)


def main() -> None:
    """Parse the command line and serve."""
    parser = adapter_arguments(__doc__)
    arguments = parser.parse_args()
    serve(
        evaluate,
        name="mindspore",
        version=metadata.version("mindspore"),
        profile=arguments.profile,
        dtypes=list(DTYPES),
        features=declared_features(arguments, "mixed_dtype"),
    )


if __name__ == "__main__":
    main()
