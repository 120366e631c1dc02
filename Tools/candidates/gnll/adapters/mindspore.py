"""MindSpore's gaussian_nll_loss (``mindspore.ops.gaussian_nll_loss``), served as a protocol candidate.

Each case calls ``ops.gaussian_nll_loss(x, target, var, full, eps, reduction)`` in PyNative mode on
the CPU; gradients come from ``mindspore.vjp`` with ``grad_output`` as the cotangent, which is what
``loss.backward(grad_output)`` gives in PyTorch::

    python -m gnll.adapters.mindspore
    .venv-mindspore/bin/python Tools/candidates/mindspore_candidate.py

Only the operands that require grad are ``mindspore.vjp``'s inputs (the others are constants of the
differentiated function), so a partial request gets what MindSpore gives for it. int32, int64 and
bool operands are MindSpore tensors of those dtypes, promoted by MindSpore itself. MindSpore takes
no Python float var: it is passed as it is, and MindSpore's ``TypeError: For 'gaussian_nll_loss',
'var' must be a tensor`` is reported as kind ``type``. Its CPU ``Maximum`` kernel has no bfloat16,
so bfloat16 is not declared. It checks no sign and no shape of var (var only has to broadcast); it
rejects eps <= 0, which PyTorch accepts, and its CPU kernels reject some dtypes (``Select CPU
operator[Square] fail! Unsupported data type!`` for bool): those errors, like every MindSpore
error that matches none of PyTorch's kinds, are reported as kind ``other`` with MindSpore's type
and message.
"""

from __future__ import annotations

import os
from importlib import metadata

import numpy as np

from gnll.candidate import (
    Case, Rejection, Result, Tensor, adapter_arguments, declared_features, evaluate_by_vjp, rejection_from, serve,
)

DTYPES = ("float16", "float32", "float64", "int32", "int64", "bool")
OPERANDS = ("input", "target", "var")
# MindSpore takes seconds to import: it is imported on the first eval (load()), so that the hello is answered
# at once (the suite allows a candidate 10 s to start); the version comes from the package metadata.
ms = MSTensor = ops = MS_DTYPES = DTYPE_NAMES = None
# (exception types, kind, test of the message), tried in order; the texts are MindSpore's own. Any other error (eps
# <= 0, a dtype a CPU kernel lacks) is reported as kind other by rejection_from.
ERROR_KINDS = (
    (ValueError, "reduction", lambda text: "'reduction' must be one of" in text),
    (ValueError, "broadcast", lambda text: "need to broadcast" in text),
    (TypeError, "type", lambda text: "must be a tensor" in text or "must be a bool" in text),
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
    MS_DTYPES = {name: getattr(ms, "bool_" if name == "bool" else name) for name in DTYPES}
    DTYPE_NAMES = {dtype: name for name, dtype in MS_DTYPES.items()}


def to_mindspore(tensor: Tensor) -> MSTensor:
    """A MindSpore tensor holding a protocol tensor's values in its dtype."""
    return MSTensor(np.array(tensor.array, copy=True), dtype=MS_DTYPES[tensor.dtype])


def to_protocol(values: MSTensor) -> Tensor:
    """A protocol tensor from a MindSpore tensor."""
    if values.dtype not in DTYPE_NAMES:
        raise TypeError(f"MindSpore returned a tensor of dtype {values.dtype}, which the protocol cannot carry")
    return Tensor(np.array(values.asnumpy(), copy=True), DTYPE_NAMES[values.dtype])


def rejection_for(error: Exception) -> Rejection:
    """The protocol rejection for an exception MindSpore raised (kind other where no row matches)."""
    # MindSpore appends its C++ call stack to some messages; keep the first paragraph.
    first = str(error).split("\n\n")[0].strip()
    rejection = rejection_from(error, ERROR_KINDS, message=first)
    if rejection.kind == "other":
        return Rejection("other", f"{type(error).__name__}: {first}")
    return rejection


def evaluate(case: Case) -> Result:
    """Evaluate one case with MindSpore."""
    load()
    names = [name for name in OPERANDS
             if case.grad and getattr(case.requires_grad, name) and isinstance(getattr(case, name), Tensor)]

    def loss_of(values):
        return ops.gaussian_nll_loss(
            values["input"], values["target"], values["var"], full=case.full, eps=case.eps, reduction=case.reduction
        )

    def forward(*operands):
        loss = loss_of(dict(zip(OPERANDS, operands)))
        loss.asnumpy()  # MindSpore may run asynchronously: its errors surface here at the latest
        return loss

    def vjp(operands):
        values = dict(zip(OPERANDS, operands))
        loss, backward = ms.vjp(
            lambda *primals: loss_of({**values, **dict(zip(names, primals))}), *(values[name] for name in names)
        )
        gradients = backward(to_mindspore(case.grad_output))
        if not isinstance(gradients, tuple):  # a lone gradient may come without its tuple
            gradients = (gradients,)
        loss.asnumpy()
        found = dict(zip(names, gradients))
        return loss, tuple(found.get(name) for name in OPERANDS)

    operands = [to_mindspore(value) if isinstance(value, Tensor) else value
                for value in (case.input, case.target, case.var)]
    return evaluate_by_vjp(case, operands, forward, vjp, to_protocol, rejection_for)


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
        features=declared_features(arguments, "scalar_var", "mixed_dtype"),
    )


if __name__ == "__main__":
    main()
