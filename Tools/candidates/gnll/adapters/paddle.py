"""PaddlePaddle's gaussian_nll_loss (``paddle.nn.functional.gaussian_nll_loss``), served as a protocol candidate.

Each case calls ``F.gaussian_nll_loss(input, label, variance, full, epsilon, reduction)`` on the
CPU; gradients come from ``paddle.grad`` with ``grad_output`` as the output gradient, which is what
``loss.backward(grad_output)`` gives in PyTorch::

    python -m gnll.adapters.paddle
    .venv-paddle/bin/python Tools/candidates/paddle_candidate.py

Paddle's function is a port of PyTorch 1.9's: the same three var shapes, the same check order
(var size, reduction, negative var) and, for a Python float var, the same failure
(``AttributeError`` on ``variance.shape``). So the declared profile is torch-1.9, and a scalar var
is passed through as a float and rejected with kind ``type``, as torch 1.9 does. Paddle computes
only in float32 and float64: int32, int64 and bool operands are passed to it as Paddle tensors of
those dtypes, and its own rejection (``ValueError: The data type of input Variable must be
'float32' or 'float64'``) is reported as kind ``type``. It clamps var out of place under
``no_grad``, so var is not connected to the loss at all: ``paddle.grad`` returns None for it, which
is answered as a zero gradient (what ``variance.grad`` being None means). Only the operands that
require grad are leaves with ``stop_gradient=False`` and inputs of ``paddle.grad``. Paddle rejects
eps = NaN (its clip wants min <= max), which PyTorch accepts: that error, like every Paddle error
that matches none of PyTorch's kinds, is reported as kind ``other`` with Paddle's type and message.
"""

from __future__ import annotations

import os
import warnings
from importlib import metadata

import numpy as np

from gnll.candidate import (
    Case, Rejection, Result, Tensor, adapter_arguments, declared_features, rejection_from, serve,
)

DTYPES = ("float32", "float64", "int32", "int64", "bool")
# Paddle takes seconds to import: it is imported on the first eval (load()), so that the hello is answered at
# once (the suite allows a candidate 10 s to start); the version comes from the package metadata.
paddle = F = PADDLE_DTYPES = DTYPE_NAMES = None
OPERANDS = ("input", "target", "var")
# (exception types, kind, test of the message), tried in order; the texts are Paddle's own. Any other Paddle error
# (such as eps = NaN: "max should be greater than or equal to min") is reported as kind other by rejection_from.
ERROR_KINDS = (
    (AttributeError, "type", lambda text: "has no attribute" in text),
    (ValueError, "var_size", lambda text: text == "variance is of incorrect shape"),
    (ValueError, "negative_var", lambda text: text == "variance has negative entry/entries"),
    (ValueError, "reduction", lambda text: text.endswith(" is not valid")),
    (ValueError, "broadcast", lambda text: "Broadcast dimension mismatch" in text),
    # Paddle's dtype check of input, label and variance (float32 and float64 only).
    (ValueError, "type", lambda text: text.startswith("The data type of")),
)


def load() -> None:
    """Import Paddle (once), quietly, on the CPU."""
    global paddle, F, PADDLE_DTYPES, DTYPE_NAMES
    if paddle is not None:
        return
    os.environ.setdefault("GLOG_minloglevel", "2")  # Paddle's C++ logs (e.g. on type promotion) go to stderr
    import paddle as paddle_module
    import paddle.nn.functional as functional

    paddle_module.set_device("cpu")
    paddle, F = paddle_module, functional
    PADDLE_DTYPES = {name: getattr(paddle, name) for name in DTYPES}  # paddle.bool is Paddle's bool dtype
    DTYPE_NAMES = {dtype: name for name, dtype in PADDLE_DTYPES.items()}


def to_paddle(tensor: Tensor, requires_grad: bool) -> paddle.Tensor:
    """A leaf Paddle tensor holding a protocol tensor's values in its dtype."""
    values = paddle.to_tensor(np.array(tensor.array, copy=True), dtype=PADDLE_DTYPES[tensor.dtype], place="cpu")
    values.stop_gradient = not requires_grad
    return values


def to_protocol(values: paddle.Tensor) -> Tensor:
    """A protocol tensor from a Paddle tensor."""
    return Tensor(np.array(values.numpy(), copy=True), DTYPE_NAMES[values.dtype])


def rejection_for(error: Exception) -> Rejection:
    """The protocol rejection for an exception Paddle raised (kind other where no row matches)."""
    return rejection_from(error, ERROR_KINDS)


def evaluate(case: Case) -> Result:
    """Evaluate one case with PaddlePaddle."""
    load()
    names = [name for name in OPERANDS
             if case.grad and getattr(case.requires_grad, name) and isinstance(getattr(case, name), Tensor)]
    operands = {name: to_paddle(value, name in names) if isinstance(value, Tensor) else value
                for name, value in zip(OPERANDS, (case.input, case.target, case.var))}
    try:
        loss = F.gaussian_nll_loss(
            operands["input"], operands["target"], operands["var"], full=case.full, epsilon=case.eps,
            reduction=case.reduction,
        )
        gradients = paddle.grad(
            [loss], [operands[name] for name in names], [to_paddle(case.grad_output, False)], allow_unused=True
        ) if names else []
    except Exception as error:
        raise rejection_for(error) from error

    def gradient(grad, operand):
        # None: the operand does not reach the loss in Paddle's graph, so its gradient is zero.
        return to_protocol(grad) if grad is not None else to_protocol(paddle.zeros_like(operand))

    found = {f"grad_{name}": gradient(grad, operands[name]) for name, grad in zip(names, gradients)}
    return Result(loss=to_protocol(loss), **found)


def main() -> None:
    """Parse the command line and serve."""
    parser = adapter_arguments(__doc__, "torch-1.9")
    arguments = parser.parse_args()
    warnings.simplefilter("ignore")
    serve(
        evaluate,
        name="paddlepaddle",
        version=metadata.version("paddlepaddle"),
        profile=arguments.profile,
        dtypes=list(DTYPES),
        features=declared_features(arguments, "scalar_var", "mixed_dtype"),
    )


if __name__ == "__main__":
    main()
